import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { binPGen, copyStats } from "../lib/eval/pgen.ts";
import { OOV } from "../lib/data/tokenizer.ts";

Deno.test("binPGen() counts gates in ten bins of 0.1 as counted by hand, 1 in the last bin and 0.1 in the second", () => {
  const gates = [0, 0.01, 0.099, 0.1, 0.15, 0.3, 0.45, 0.5, 0.72, 0.9, 0.99, 1];
  const bins = binPGen(gates);
  // by hand: [0, 0.1): 0, 0.01, 0.099 | [0.1, 0.2): 0.1, 0.15 | 0.3 | 0.45 | 0.5 | 0.72 | [0.9, 1]: 0.9, 0.99, 1
  assertEquals(bins.map((b) => b.count), [3, 2, 0, 1, 1, 1, 0, 1, 0, 3]);
  assertEquals(bins.map((b) => b.label), [
    "0.0-0.1",
    "0.1-0.2",
    "0.2-0.3",
    "0.3-0.4",
    "0.4-0.5",
    "0.5-0.6",
    "0.6-0.7",
    "0.7-0.8",
    "0.8-0.9",
    "0.9-1.0",
  ]);
  assertAlmostEquals(bins[0].share, 3 / 12);
  assertAlmostEquals(bins.reduce((s, b) => s + b.share, 0), 1);
  assertEquals([bins[3].from, bins[9].to], [0.3, 1]);
});

Deno.test("binPGen() labels bins of 0.25 with two decimals and gives zero shares for no gates", () => {
  assertEquals(binPGen([0.2, 0.25, 0.8], 4).map((b) => [b.label, b.count]), [
    ["0.00-0.25", 1],
    ["0.25-0.50", 1],
    ["0.50-0.75", 0],
    ["0.75-1.00", 1],
  ]);
  assertEquals(binPGen([], 2).map((b) => [b.count, b.share]), [[0, 0], [0, 0]]);
});

Deno.test("binPGen() refuses a gate outside [0, 1], NaN, and a bin count that is not a positive integer", () => {
  assertThrows(() => binPGen([0.5, 1.2]), RangeError, "p_gen 1.2 is not in [0, 1]");
  assertThrows(() => binPGen([-0.01]), RangeError, "not in [0, 1]");
  assertThrows(() => binPGen([NaN]), RangeError, "p_gen NaN");
  assertThrows(() => binPGen([0.5], 0), RangeError, "positive integer");
  assertThrows(() => binPGen([0.5], 2.5), RangeError, "positive integer");
});

Deno.test("copyStats() counts copied words, words from outside the vocabulary and <oov> as counted by hand", () => {
  const V = 100;
  const stats = copyStats([
    { ids: [101, 7, OOV, 130], pGen: [0.05, 0.8, 0.6, 0.49] }, // copied: 0.05, 0.49; outside: 101, 130; <oov>: 1
    { ids: [9, 9], pGen: [0.5, 0.2] }, // copied: 0.2 (0.5 is not below 0.5)
    { ids: [], pGen: [] },
  ], V);
  assertEquals(stats.summaries, 3);
  assertEquals(stats.words, 6);
  assertEquals(stats.gates, [0.05, 0.8, 0.6, 0.49, 0.5, 0.2]);
  assertEquals([stats.copied, stats.outsideVocabulary, stats.oovWritten], [3, 2, 1]);
  assertEquals(stats.copiedShare, 0.5);
  assertEquals(copyStats([], V).copiedShare, 0);
});

Deno.test("copyStats() names a summary whose gates do not match its words, or that has none", () => {
  assertThrows(
    () => copyStats([{ ids: [1], pGen: [0.5] }, { ids: [2, 3], pGen: [0.1] }], 10),
    Error,
    "summary 1 has 2 words but 1 gates",
  );
  assertThrows(() => copyStats([{ ids: [4] }], 10), Error, "summary 0 has 1 words but no gates");
});

Deno.test("copyStats() counts an empty summary without pGen as no gates, and still names a worded one without any", () => {
  // an empty summary has no words and so no gates, whether or not the decoder set pGen
  const stats = copyStats([{ ids: [12, 3], pGen: [0.1, 0.7] }, { ids: [] }, { ids: [], pGen: [] }], 10);
  assertEquals([stats.summaries, stats.words, stats.copied, stats.outsideVocabulary], [3, 2, 1, 1]);
  assertEquals(stats.gates, [0.1, 0.7]);
  assertEquals(copyStats([{ ids: [] }], 10).copiedShare, 0);
  // a beam output with words and no gates is still refused, with why
  assertThrows(
    () => copyStats([{ ids: [] }, { ids: [4, 5] }], 10),
    Error,
    "summary 1 has 2 words but no gates (only batched greedy decoding",
  );
});

Deno.test("binPGen() puts a gate on a bin's lower edge into that bin, whatever g * bins rounds to", () => {
  // 0.57 * 100 = 56.99999999999999 and 0.29 * 100 = 28.999999999999996 in floating point
  for (
    const [g, bins, want] of [[0.57, 100, 57], [0.29, 100, 29], [0.3, 10, 3], [0.999, 100, 99], [1, 7, 6]]
  ) {
    const counts = binPGen([g], bins).map((b) => b.count);
    assertEquals(counts.indexOf(1), want, `p_gen ${g} in ${bins} bins`);
  }
});
