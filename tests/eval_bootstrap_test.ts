import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertLess,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { bootstrapCI, bootstrapCIMany, mean, quantileSorted } from "../lib/eval/bootstrap.ts";
import { mulberry32 } from "../lib/util/rng.ts";

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

Deno.test("bootstrapCIMany() gives each list bootstrapCI()'s interval with the same seed: one index draw for all lists", () => {
  const a = Array.from({ length: 60 }, (_, i) => ((i * 37) % 17) / 17);
  const b = Array.from({ length: 60 }, (_, i) => ((i * 11) % 13) / 13);
  const opts = { resamples: 500, seed: 5 };
  assertEquals(bootstrapCIMany([a, b], opts), [bootstrapCI(a, opts), bootstrapCI(b, opts)]);
  assertEquals(bootstrapCIMany([b, a], { ...opts, level: 0.8 }), [
    bootstrapCI(b, { ...opts, level: 0.8 }),
    bootstrapCI(a, { ...opts, level: 0.8 }),
  ]);
  // the same indices for every list: a list moved by a constant has its interval moved by that constant
  const [ci, moved] = bootstrapCIMany([a, a.map((x) => x + 0.25)], opts);
  assertAlmostEquals(moved.lo - ci.lo, 0.25, 1e-12);
  assertAlmostEquals(moved.hi - ci.hi, 0.25, 1e-12);
});

Deno.test("the paired bootstrap CI of two strongly correlated systems' difference is far narrower than an unpaired one", () => {
  // per-example F1 of system a, and of b: a's minus 0.03, give or take 0.02
  const rand = mulberry32(11), n = 200;
  const a = Array.from({ length: n }, () => rand());
  const b = a.map((x) => x - 0.03 + (rand() - 0.5) * 0.04);
  const diffs = a.map((x, i) => x - b[i]);
  const paired = bootstrapCI(diffs, { resamples: 2000, seed: 3 });
  // unpaired reference: a and b resampled with independent indices, the difference of their means
  const drawA = mulberry32(100), drawB = mulberry32(200);
  const resampledMean = (xs: number[], draw: () => number) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += xs[Math.floor(draw() * n)];
    return s / n;
  };
  const unpairedDiffs = Float64Array.from(
    { length: 2000 },
    () => resampledMean(a, drawA) - resampledMean(b, drawB),
  ).sort();
  const unpaired = { lo: quantileSorted(unpairedDiffs, 0.025), hi: quantileSorted(unpairedDiffs, 0.975) };
  assertAlmostEquals(paired.mean, mean(a) - mean(b), 1e-12);
  assert(paired.lo < paired.mean && paired.mean < paired.hi && paired.lo > 0, JSON.stringify(paired));
  // the paired interval is about ±1.96 sd(diff)/√n wide (sd of the ±0.02 noise: 0.04/√12), the unpaired one
  // about ±1.96 √(var a + var b)/√n (var of uniform(0, 1): 1/12), some thirty times wider
  const sdDiff = Math.sqrt(diffs.reduce((s, d) => s + (d - paired.mean) ** 2, 0) / (n - 1));
  const normalWidth = 2 * 1.96 * sdDiff / Math.sqrt(n);
  assertAlmostEquals(paired.hi - paired.lo, normalWidth, 0.1 * normalWidth);
  assert(unpaired.lo < 0 && unpaired.hi > 0.05, JSON.stringify(unpaired));
  assertLess(10 * (paired.hi - paired.lo), unpaired.hi - unpaired.lo);
});
