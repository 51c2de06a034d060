import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { countSharedWithTrain, splitExamples } from "../lib/data/split.ts";

function examples(n: number, dupEvery: number): { id: number; input: string }[] {
  // every dupEvery-th example repeats the text of the one before it
  const out: { id: number; input: string }[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ id: i, input: i % dupEvery === 0 && i > 0 ? out[i - 1].input : `text ${i}` });
  }
  return out;
}

Deno.test("splitExamples() removes exact duplicates before splitting: no text is in two splits", () => {
  const ex = examples(1000, 7); // 142 repeats
  const { train, val, test, report } = splitExamples(ex, { valFraction: 0.1, testFraction: 0.1, seed: 42 });
  assertEquals(report.duplicatesRemoved, 142);
  assertEquals(report.unique, 858);
  assertEquals([report.test, report.val, report.train], [86, 86, 686]);
  assertEquals([test.length, val.length, train.length], [86, 86, 686]);
  const where = new Map<string, string>();
  for (const [name, part] of [["train", train], ["val", val], ["test", test]] as const) {
    for (const e of part) {
      const prev = where.get(e.input);
      if (prev !== undefined) throw new Error(`"${e.input}" is in ${prev} and ${name}`);
      where.set(e.input, name);
    }
  }
  assertEquals(where.size, 858);
  // the first occurrence is kept
  const kept = new Set([...train, ...val, ...test].map((e) => e.id));
  assertEquals(kept.has(6) && !kept.has(7), true);
});

Deno.test("splitExamples() is reproducible for a seed and differs across seeds", () => {
  const ex = examples(200, 1000);
  const opts = { valFraction: 0.2, testFraction: 0.1, seed: 1 };
  const a = splitExamples(ex, opts);
  assertEquals(splitExamples(ex, opts).test.map((e) => e.id), a.test.map((e) => e.id));
  assertNotEquals(splitExamples(ex, { ...opts, seed: 2 }).test.map((e) => e.id), a.test.map((e) => e.id));
  assertEquals([a.test.length, a.val.length, a.train.length], [20, 40, 140]);
});

Deno.test("splitExamples() caps the unique examples with maxExamples and counts the rest", () => {
  const r = splitExamples(examples(100, 1000), {
    valFraction: 0.1,
    testFraction: 0.1,
    seed: 3,
    maxExamples: 30,
  });
  assertEquals([r.report.cappedOut, r.train.length, r.val.length, r.test.length], [70, 24, 3, 3]);
});

Deno.test("splitExamples() rejects fractions outside [0, 1) or summing to 1", () => {
  const ex = examples(10, 1000);
  assertThrows(
    () => splitExamples(ex, { valFraction: -0.1, testFraction: 0.1, seed: 1 }),
    RangeError,
    "valFraction",
  );
  assertThrows(() => splitExamples(ex, { valFraction: 0.5, testFraction: 0.5, seed: 1 }), RangeError, "< 1");
});

Deno.test("countSharedWithTrain() counts the validation and test examples whose key a training example has", () => {
  const firstWords = (n: number) => (e: { input: string }) => e.input.split(" ").slice(0, n).join(" ");
  const parts = {
    train: [{ input: "ice melts fast today" }, { input: "seas rise" }],
    val: [{ input: "ice melts fast tomorrow" }, { input: "storms grow" }],
    test: [{ input: "seas rise again" }, { input: "seas rise too" }, { input: "ice melts slowly" }],
  };
  const before = JSON.stringify(parts);
  assertEquals(countSharedWithTrain(parts, firstWords(3)), { val: 1, test: 0 });
  assertEquals(countSharedWithTrain(parts, firstWords(2)), { val: 1, test: 3 });
  assertEquals(countSharedWithTrain(parts, (e) => e.input), { val: 0, test: 0 });
  assertEquals(JSON.stringify(parts), before, "counting moves nothing");
});
