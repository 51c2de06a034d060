/**
 * Overlap metrics between a predicted summary and a reference summary: the milestone report's token
 * F1, ROUGE-1, ROUGE-2 and ROUGE-L. Pure functions on strings; no model, no tensors.
 *
 * Tokenisation:
 * - {@linkcode tokenF1} splits on whitespace only, exactly as the report does (inputs here are
 *   already cleaned words, so this equals the ROUGE tokenisation in practice).
 * - ROUGE ({@linkcode rougeN}, {@linkcode rougeL}) uses {@linkcode rougeTokens}: lower-case, split on
 *   whitespace, characters other than `[a-z0-9]` stripped from each token, tokens left empty dropped.
 *   No stemming and no stopword removal (unlike some ROUGE packages' options).
 *
 * Every score is a `{precision, recall, f1}` triple with `f1 = 2PR / (P + R)` (0 when `P + R = 0`);
 * every score is 0 when the prediction or the reference has no tokens (or no n-grams).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { scoreAll } from "./metrics.ts";
 * const s = scoreAll("the cat sat on the mat", "the cat is on the mat");
 * // 5 of 6 tokens shared each way: P = R = 5/6; bigrams: 3 of 5 shared ("the cat", "on the", "the mat")
 * assertAlmostEquals(s.f1, 5 / 6);
 * assertAlmostEquals(s.rouge1, 5 / 6);
 * assertAlmostEquals(s.rouge2, 3 / 5);
 * assertAlmostEquals(s.rougeL, 5 / 6); // longest common subsequence: the cat on the mat
 * assertEquals(scoreAll("", "the cat").f1, 0); // an empty prediction scores 0
 * ```
 * @module
 */

import { words } from "../util/words.ts";

/** The whitespace split, for the folders that reach `lib/util` only through `lib/eval` (figures). */
export { words };

/** Precision, recall and their harmonic mean, each in [0, 1]. */
export interface PRF {
  precision: number;
  recall: number;
  f1: number;
}

/** The four F-measures of one prediction against one reference. */
export interface Scores {
  f1: number;
  rouge1: number;
  rouge2: number;
  rougeL: number;
}

/** The names of the four metrics, in report order. */
export const METRICS = ["f1", "rouge1", "rouge2", "rougeL"] as const;
/** One of {@linkcode METRICS}. */
export type MetricName = typeof METRICS[number];

/** Precision, recall and F1 for each of the four metrics. */
export type DetailedScores = Record<MetricName, PRF>;

const ZERO: Readonly<PRF> = { precision: 0, recall: 0, f1: 0 };

/** Build a PRF from an overlap count and the two lengths; all zero when either length is 0. */
function prf(overlap: number, predLen: number, refLen: number): PRF {
  if (predLen === 0 || refLen === 0) return { ...ZERO };
  const precision = overlap / predLen;
  const recall = overlap / refLen;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/**
 * Split on runs of whitespace, dropping empty pieces (the report's tokenisation for token F1): the project's one
 * whitespace split, {@linkcode words} (`lib/util/words.ts`), under the name the metrics use.
 */
export const whitespaceTokens: (s: string) => string[] = words;

/**
 * The ROUGE tokenisation: lower-case, split on whitespace, strip every character other than
 * `[a-z0-9]` from each token, drop tokens left empty. No stemming, no stopword removal.
 */
export function rougeTokens(s: string): string[] {
  const out: string[] = [];
  for (const t of words(s.toLowerCase())) {
    const k = t.replace(/[^a-z0-9]/g, "");
    if (k.length > 0) out.push(k);
  }
  return out;
}

/** Multiset of the items: item -> count. */
function counts(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(it, (m.get(it) ?? 0) + 1);
  return m;
}

/** Clipped multiset overlap: sum over items of min(count in a, count in b). */
function clippedOverlap(a: readonly string[], b: readonly string[]): number {
  const cb = counts(b);
  let overlap = 0;
  for (const [item, na] of counts(a)) {
    const nb = cb.get(item);
    if (nb !== undefined) overlap += Math.min(na, nb);
  }
  return overlap;
}

/** Contiguous n-grams of a token list, each joined with a space (none when fewer than n tokens). */
function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(" "));
  return out;
}

/** Length of the longest common subsequence of two token lists (O(|a|·|b|) time, O(|b|) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * Token F1 as the milestone report means it: multiset overlap of whitespace tokens (a token counts
 * at most as often as it appears in both); precision = overlap / prediction length, recall =
 * overlap / reference length (lengths in tokens, repeats included; the original README divided by
 * unique counts, which can exceed 1). 0 when either side is empty.
 */
export function tokenF1(pred: string, ref: string): PRF {
  return tokenF1OfTokens(whitespaceTokens(pred), whitespaceTokens(ref));
}

function tokenF1OfTokens(p: readonly string[], r: readonly string[]): PRF {
  return prf(clippedOverlap(p, r), p.length, r.length);
}

/**
 * ROUGE-N with clipped n-gram counts: overlap = sum over n-grams of min(count in prediction, count
 * in reference); precision = overlap / prediction n-grams, recall = overlap / reference n-grams.
 * Tokenised with {@linkcode rougeTokens}. 0 when either side has fewer than `n` tokens.
 */
export function rougeN(pred: string, ref: string, n: number): PRF {
  if (!Number.isInteger(n) || n < 1) throw new Error(`rougeN: n must be an integer >= 1 (got ${n})`);
  return rougeNOfTokens(rougeTokens(pred), rougeTokens(ref), n);
}

function rougeNOfTokens(p: readonly string[], r: readonly string[], n: number): PRF {
  const pg = ngrams(p, n);
  const rg = ngrams(r, n);
  return prf(clippedOverlap(pg, rg), pg.length, rg.length);
}

/**
 * Sentence-level ROUGE-L: precision = LCS / prediction length, recall = LCS / reference length,
 * where LCS is the longest common (not necessarily contiguous) token subsequence. The whole text is
 * one sequence (no per-sentence "summary-level" ROUGE-Lsum). Tokenised with {@linkcode rougeTokens}.
 */
export function rougeL(pred: string, ref: string): PRF {
  return rougeLOfTokens(rougeTokens(pred), rougeTokens(ref));
}

function rougeLOfTokens(p: readonly string[], r: readonly string[]): PRF {
  return prf(lcsLength(p, r), p.length, r.length);
}

/** Precision, recall and F1 of token F1, ROUGE-1, ROUGE-2 and ROUGE-L (tokenising each side once). */
export function scoreAllDetailed(pred: string, ref: string): DetailedScores {
  const pr = rougeTokens(pred);
  const rr = rougeTokens(ref);
  return {
    f1: tokenF1OfTokens(whitespaceTokens(pred), whitespaceTokens(ref)),
    rouge1: rougeNOfTokens(pr, rr, 1),
    rouge2: rougeNOfTokens(pr, rr, 2),
    rougeL: rougeLOfTokens(pr, rr),
  };
}

/** The F-measures of token F1, ROUGE-1, ROUGE-2 and ROUGE-L of one prediction against one reference. */
export function scoreAll(pred: string, ref: string): Scores {
  const d = scoreAllDetailed(pred, ref);
  return { f1: d.f1.f1, rouge1: d.rouge1.f1, rouge2: d.rouge2.f1, rougeL: d.rougeL.f1 };
}
