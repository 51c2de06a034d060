/**
 * How often a copy-attention model copies: the gate `p_gen` of every written word (1: written from the
 * vocabulary, 0: copied from the input) counted in equal-width bins, and what the words were. The outputs of the
 * batched greedy decoder (`greedyDecodeBatch`, lib/infer/greedy.ts, which `summarizeWords` in lib/infer/text.ts
 * calls) carry one gate per word in `decoded.pGen`, for a model with copy attention; beam search's outputs
 * (`beamSearchBatch`, lib/infer/beam.ts) and the one-input greedy loop carry none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { binPGen, copyStats } from "./pgen.ts";
 * const bins = binPGen([0.02, 0.05, 0.31, 0.5, 0.97, 1], 4); // bins of 0.25; 1 goes into the last one
 * assertEquals(bins.map((b) => [b.label, b.count]), [["0.00-0.25", 2], ["0.25-0.50", 1], ["0.50-0.75", 1], ["0.75-1.00", 2]]);
 * // two summaries over a vocabulary of 10 ids (id 1 is <oov>); ids >= 10 are input positions, copied
 * const stats = copyStats([{ ids: [12, 5, 1], pGen: [0.1, 0.9, 0.4] }, { ids: [3], pGen: [0.2] }], 10);
 * assertEquals([stats.words, stats.copied, stats.outsideVocabulary, stats.oovWritten], [4, 3, 1, 1]);
 * assertEquals(stats.copiedShare, 0.75);
 * ```
 * @module
 */
import { OOV } from "../data/tokenizer.ts";

/** One bin of {@linkcode binPGen}: gates in `[from, to)` (the last bin includes 1). */
export interface PGenBin {
  from: number;
  to: number;
  /** `from-to` with two decimals, for an axis. */
  label: string;
  count: number;
  /** `count` over all gates (0 when there are none). */
  share: number;
}

/**
 * Count `gates` in `bins` equal-width bins over [0, 1]: bin `b` holds `b/bins <= g < (b+1)/bins`, and 1 falls in
 * the last bin. A gate outside [0, 1] or not a number is a `RangeError` (a gate is a sigmoid: such a value
 * means the numbers are not gates).
 */
export function binPGen(gates: Iterable<number>, bins = 10): PGenBin[] {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`binPGen: bins must be a positive integer, got ${bins}`);
  }
  const counts = new Array<number>(bins).fill(0);
  let total = 0;
  for (const g of gates) {
    if (!(g >= 0 && g <= 1)) throw new RangeError(`binPGen: p_gen ${g} is not in [0, 1]`);
    counts[binOf(g, bins)]++;
    total++;
  }
  // one decimal when every bound is exact with one (10 bins), else two
  const exact = (d: number) => counts.every((_, b) => Number((b / bins).toFixed(d)) === b / bins);
  const fmt = (x: number) => x.toFixed(exact(1) ? 1 : 2);
  return counts.map((count, b) => ({
    from: b / bins,
    to: (b + 1) / bins,
    label: `${fmt(b / bins)}-${fmt((b + 1) / bins)}`,
    count,
    share: total === 0 ? 0 : count / total,
  }));
}

/** A decoded summary as far as copying is concerned: its ids (extended: `>= V` is an input position) and gates. */
export interface GatedIds {
  ids: readonly number[];
  /** One gate per id; absent for a model without copy attention. */
  pGen?: readonly number[];
}

/** What {@linkcode copyStats} counts over many summaries. */
export interface CopyStats {
  /** Summaries and words written. */
  summaries: number;
  words: number;
  /** Every word's gate, in order. */
  gates: number[];
  /** Words with `p_gen < 0.5` (mostly copied), and their share of all words (0 when there are none). */
  copied: number;
  copiedShare: number;
  /** Words written with an extended id (`>= vocabSize`): input words outside the vocabulary, only copyable. */
  outsideVocabulary: number;
  /** `<oov>` written as a word. */
  oovWritten: number;
}

/**
 * Count, over decoded summaries, how many words were mostly copied (`p_gen < 0.5`), written from outside the
 * vocabulary, or written as `<oov>`. A summary whose gates do not match its words one to one is an `Error`
 * naming it, a summary with words and no gates (a beam search output) included; an empty summary without
 * `pGen` has no words and so no gates, and counts as such.
 */
export function copyStats(decoded: readonly GatedIds[], vocabSize: number): CopyStats {
  const gates: number[] = [];
  let words = 0, outsideVocabulary = 0, oovWritten = 0;
  decoded.forEach((d, k) => {
    const gated = d.pGen ?? (d.ids.length === 0 ? [] : undefined);
    if (gated?.length !== d.ids.length) {
      const why = gated ? "" : " (only batched greedy decoding of a copy-attention model records gates)";
      throw new Error(
        `copyStats: summary ${k} has ${d.ids.length} words but ${d.pGen?.length ?? "no"} gates${why}`,
      );
    }
    gates.push(...gated);
    words += d.ids.length;
    for (const id of d.ids) {
      if (id >= vocabSize) outsideVocabulary++;
      else if (id === OOV) oovWritten++;
    }
  });
  const copied = gates.filter((g) => g < 0.5).length;
  return {
    summaries: decoded.length,
    words,
    gates,
    copied,
    copiedShare: words === 0 ? 0 : copied / words,
    outsideVocabulary,
    oovWritten,
  };
}

/** The bin of `g`: `b/bins <= g < (b+1)/bins` compared exactly (0.57 * 100 is 56.99999999999999), 1 in the last. */
function binOf(g: number, bins: number): number {
  let b = Math.min(bins - 1, Math.floor(g * bins));
  if (b + 1 < bins && (b + 1) / bins <= g) b++;
  else if (b > 0 && b / bins > g) b--;
  return b;
}
