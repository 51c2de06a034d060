import { assertAlmostEquals, assertEquals, assertLessOrEqual, assertThrows } from "@std/assert";
import {
  lcsLength,
  type PRF,
  rougeL,
  rougeN,
  rougeTokens,
  scoreAll,
  scoreAllDetailed,
  tokenF1,
  whitespaceTokens,
} from "../lib/eval/metrics.ts";

function assertPRF(actual: PRF, precision: number, recall: number, f1: number, what = ""): void {
  assertAlmostEquals(actual.precision, precision, 1e-12, `${what} precision`);
  assertAlmostEquals(actual.recall, recall, 1e-12, `${what} recall`);
  assertAlmostEquals(actual.f1, f1, 1e-12, `${what} f1`);
}

const PRED = "the cat sat on the mat";
const REF = "the cat is on the mat";

Deno.test("tokenF1() on 'the cat sat on the mat' vs 'the cat is on the mat' is 5/6 (the x2, cat, on, mat)", () => {
  assertPRF(tokenF1(PRED, REF), 5 / 6, 5 / 6, 5 / 6);
});

Deno.test("rougeN(1) matches the hand count 5/6; rougeN(2) shares 3 of 5 bigrams", () => {
  assertPRF(rougeN(PRED, REF, 1), 5 / 6, 5 / 6, 5 / 6, "rouge1");
  // bigrams: the cat / cat sat / sat on / on the / the mat  vs  the cat / cat is / is on / on the / the mat
  assertPRF(rougeN(PRED, REF, 2), 3 / 5, 3 / 5, 3 / 5, "rouge2");
});

Deno.test("rougeL() uses the LCS 'the cat on the mat' (5 tokens of 6)", () => {
  assertPRF(rougeL(PRED, REF), 5 / 6, 5 / 6, 5 / 6);
});

Deno.test("scoreAll() returns the four F-measures and scoreAllDetailed() the P/R behind them", () => {
  const s = scoreAll(PRED, REF);
  assertAlmostEquals(s.f1, 5 / 6, 1e-12);
  assertAlmostEquals(s.rouge1, 5 / 6, 1e-12);
  assertAlmostEquals(s.rouge2, 3 / 5, 1e-12);
  assertAlmostEquals(s.rougeL, 5 / 6, 1e-12);
  const d = scoreAllDetailed("the cat the cat on", "the cat sat");
  // tokens: pred {the:2, cat:2, on:1} (5), ref {the, cat, sat} (3): clipped overlap 2
  assertPRF(d.f1, 2 / 5, 2 / 3, 0.5, "f1");
  assertPRF(d.rouge1, 2 / 5, 2 / 3, 0.5, "rouge1");
  // bigrams pred: the cat, cat the, the cat, cat on (4); ref: the cat, cat sat (2); overlap min(2,1) = 1
  assertPRF(d.rouge2, 1 / 4, 1 / 2, 1 / 3, "rouge2");
  // LCS "the cat" = 2
  assertPRF(d.rougeL, 2 / 5, 2 / 3, 0.5, "rougeL");
});

Deno.test("tokenF1() clips repeated tokens and its precision never exceeds 1", () => {
  // overlap min(4, 1) = 1: P = 1/4, R = 1/2, F = 2*(1/8)/(3/4) = 1/3
  assertPRF(tokenF1("the the the the", "the cat"), 1 / 4, 1 / 2, 1 / 3);
  // the reference repeats: overlap min(1, 3) = 1, so P = 1 (not 3), R = 1/4
  assertPRF(tokenF1("the", "the the the cat"), 1, 1 / 4, 0.4);
  for (const [p, r] of [["a a b", "a b b b"], ["x x x", "x x x x x"], ["a b a b", "b"]]) {
    const s = tokenF1(p, r);
    assertLessOrEqual(s.precision, 1);
    assertLessOrEqual(s.recall, 1);
  }
});

Deno.test("rougeN() clips repeated n-grams", () => {
  // bigrams pred: a b, b a, a b, b a, a b (5): {a b: 3, b a: 2}; ref: a b, b c (2): overlap 1
  assertPRF(rougeN("a b a b a b", "a b c", 2), 1 / 5, 1 / 2, 2 * (1 / 10) / (7 / 10));
});

Deno.test("every metric is 0 (not NaN) when a side is empty, too short, or shares nothing", () => {
  for (const [p, r] of [["", "the cat"], ["the cat", ""], ["", ""], ["   ", " \n "], ["x y", "a b"]]) {
    assertPRF(tokenF1(p, r), 0, 0, 0, `tokenF1(${JSON.stringify(p)}, ${JSON.stringify(r)})`);
    assertPRF(rougeN(p, r, 1), 0, 0, 0, "rouge1");
    assertPRF(rougeN(p, r, 2), 0, 0, 0, "rouge2");
    assertPRF(rougeL(p, r), 0, 0, 0, "rougeL");
  }
  // one token on a side: no bigram, so ROUGE-2 is 0 while ROUGE-1 is not
  assertPRF(rougeN("cat", "the cat", 2), 0, 0, 0, "rouge2 single token");
  assertPRF(rougeN("cat", "the cat", 1), 1, 1 / 2, 2 / 3, "rouge1 single token");
});

Deno.test("rougeL() depends on order while ROUGE-1 does not (reversed reference)", () => {
  const reversed = "mat the on sat cat the";
  assertPRF(rougeN(reversed, "the cat sat on the mat", 1), 1, 1, 1);
  assertPRF(rougeN(reversed, "the cat sat on the mat", 2), 0, 0, 0);
  // LCS of a sequence and its reverse: "the sat the" (3 of 6)
  assertPRF(rougeL(reversed, "the cat sat on the mat"), 1 / 2, 1 / 2, 1 / 2);
});

Deno.test("rougeTokens() lower-cases and strips punctuation; tokenF1 splits on whitespace only", () => {
  assertEquals(rougeTokens("The Cat, sat!  on-the\tmat. ..."), ["the", "cat", "sat", "onthe", "mat"]);
  assertEquals(whitespaceTokens("  a  b\nc\t"), ["a", "b", "c"]);
  assertPRF(rougeN("The CAT.", "the cat", 1), 1, 1, 1);
  // the report's F1 compares raw whitespace tokens: "CAT." is not "cat"
  assertPRF(tokenF1("The CAT.", "the cat"), 0, 0, 0);
});

Deno.test("rougeN() rejects n < 1", () => {
  assertThrows(() => rougeN("a", "a", 0), Error, "n must be an integer >= 1");
});

/** Exponential reference LCS, for cross-checking the dynamic programme on small inputs. */
function naiveLcs(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  if (a[0] === b[0]) return 1 + naiveLcs(a.slice(1), b.slice(1));
  return Math.max(naiveLcs(a.slice(1), b), naiveLcs(a, b.slice(1)));
}

/** Reference clipped overlap by removing matched tokens one by one. */
function naiveOverlap(a: string[], b: string[]): number {
  const pool = [...b];
  let n = 0;
  for (const t of a) {
    const i = pool.indexOf(t);
    if (i >= 0) {
      pool.splice(i, 1);
      n++;
    }
  }
  return n;
}

Deno.test("lcsLength() and the clipped overlap agree with naive references on random sequences", () => {
  assertEquals(lcsLength("a b c b d a b".split(" "), "b d c a b a".split(" ")), 4); // CLRS example
  let state = 12345;
  const rand = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const words = ["a", "b", "c", "d"];
  const seq = () => Array.from({ length: Math.floor(rand() * 9) }, () => words[Math.floor(rand() * 4)]);
  for (let trial = 0; trial < 200; trial++) {
    const a = seq();
    const b = seq();
    assertEquals(lcsLength(a, b), naiveLcs(a, b), `${a} | ${b}`);
    const s = tokenF1(a.join(" "), b.join(" "));
    const ov = naiveOverlap(a, b);
    const p = a.length && b.length ? ov / a.length : 0;
    assertAlmostEquals(s.precision, p, 1e-12);
  }
});
