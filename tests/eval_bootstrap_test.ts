import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { bootstrapCI, mean, quantileSorted } from "../lib/eval/bootstrap.ts";

Deno.test("bootstrapCI() of constant values gives lo = hi = mean", () => {
  const ci = bootstrapCI(new Array(57).fill(0.7), { resamples: 500, seed: 1 });
  assertEquals(ci.mean, ci.lo);
  assertEquals(ci.mean, ci.hi);
  assertAlmostEquals(ci.mean, 0.7, 1e-12);
  assertEquals(bootstrapCI([0.3], { resamples: 50, seed: 9 }), { mean: 0.3, lo: 0.3, hi: 0.3 });
});

Deno.test("bootstrapCI() is deterministic for a seed and changes with the seed", () => {
  const values = Array.from({ length: 50 }, (_, i) => (i * 7) % 11);
  const a = bootstrapCI(values, { resamples: 300, seed: 42 });
  const b = bootstrapCI(values, { resamples: 300, seed: 42 });
  const c = bootstrapCI(values, { resamples: 300, seed: 43 });
  assertEquals(a, b);
  assertNotEquals(a, c);
  assertEquals(a.mean, c.mean);
  assert(a.lo < a.mean && a.mean < a.hi, JSON.stringify(a));
});

Deno.test("bootstrapCI() of 200 zeros and 200 ones is about 0.5 ± 1.96 · 0.5/√400 = [0.451, 0.549]", () => {
  const values = Array.from({ length: 400 }, (_, i) => i % 2);
  const ci = bootstrapCI(values, { resamples: 4000, seed: 7 });
  assertEquals(ci.mean, 0.5);
  assertAlmostEquals(ci.lo, 0.5 - 1.96 * 0.025, 0.006);
  assertAlmostEquals(ci.hi, 0.5 + 1.96 * 0.025, 0.006);
  // a 50% interval is narrower: 0.5 ± 0.674 · 0.025
  const half = bootstrapCI(values, { resamples: 4000, seed: 7, level: 0.5 });
  assertAlmostEquals(half.hi - half.lo, 2 * 0.674 * 0.025, 0.006);
});

Deno.test("bootstrapCI() 95% intervals cover the true mean of uniform(0,1) samples about 95% of the time", () => {
  let state = 2024;
  const rand = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const trials = 300;
  let covered = 0;
  for (let t = 0; t < trials; t++) {
    const sample = Array.from({ length: 40 }, rand);
    const ci = bootstrapCI(sample, { resamples: 300, seed: t });
    if (ci.lo <= 0.5 && 0.5 <= ci.hi) covered++;
  }
  // binomial sd at 95% over 300 trials is ~1.3%; the percentile bootstrap under-covers slightly at n = 40
  const rate = covered / trials;
  assert(rate >= 0.89 && rate <= 0.99, `coverage ${rate}`);
});

Deno.test("quantileSorted() interpolates linearly between order statistics", () => {
  const s = [1, 2, 3, 4];
  assertEquals(quantileSorted(s, 0), 1);
  assertEquals(quantileSorted(s, 1), 4);
  assertEquals(quantileSorted(s, 0.5), 2.5);
  assertEquals(quantileSorted(s, 0.25), 1.75);
  assertEquals(mean([1, 2, 6]), 3);
});

Deno.test("bootstrapCI() with 0 resamples gives the mean and NaN bounds; bad input is an error", () => {
  const ci = bootstrapCI([1, 2, 3], { resamples: 0, seed: 1 });
  assertEquals(ci.mean, 2);
  assert(Number.isNaN(ci.lo) && Number.isNaN(ci.hi));
  assertThrows(() => bootstrapCI([], { resamples: 10, seed: 1 }), Error, "no values");
  assertThrows(
    () => bootstrapCI([1, NaN], { resamples: 10, seed: 1 }),
    Error,
    "value 1 is not a finite number",
  );
  assertThrows(() => bootstrapCI([1], { resamples: 1.5, seed: 1 }), Error, "resamples");
  assertThrows(() => bootstrapCI([1], { resamples: 10, seed: 1, level: 1 }), Error, "level");
});
