/**
 * Where the lost F1 goes: every summary sorted into one error class, the share of the lost F1 in each class, and
 * examples of each, so that a model's mistakes can be explained (and two runs compared) class by class.
 *
 * The label is a rule (the sentence whose words' snippet counts sum highest, lib/data/pseudo_label.ts), so each
 * summary can be checked against what the rule did. The classes, in the order they are tried (the first that
 * fits wins):
 *
 * | class            | the summary                                                                                   |
 * | ---------------- | --------------------------------------------------------------------------------------------- |
 * | `exact`          | is the label                                                                                  |
 * | `output_limit`   | is the label's first `maxOutputLen - 1` or `maxOutputLen` words: the label is longer than that |
 * | `input_cut`      | misses a label that lies wholly or partly past the encoder's `maxInputLen` words              |
 * | `wrong_sentence` | matches another sentence better than the label's (with the rule's score margin between them)  |
 * | `runs_on`        | writes the whole label's words and then goes on, past the sentence's end                      |
 * | `stops_early`    | is shorter than the label and every word of it is a label word                                |
 * | `repeats`        | repeats a word or a pair of words more often than the label does                             |
 * | `miscopied`      | is the right sentence with words miscopied, missing or added                                  |
 *
 * Edge cases: a snippet without sentences (an empty cleaned text) has no sentence to match, so its summary is
 * never `wrong_sentence` (its label sentence and matched sentence are -1) and is judged against the label by the
 * later classes. The decoder stops after `maxOutputLen` tokens: training showed it `maxOutputLen - 1` words and
 * `eostok`, and a summary that never wrote `eostok` holds `maxOutputLen` words. `runs_on` needs a non-empty label
 * of at most `maxOutputLen - 1` words, all written first (an empty label has no end to run past: a summary with
 * words for it is `wrong_sentence`, `repeats` or `miscopied`; a longer label cannot be written whole), and an
 * empty summary of a non-empty label is `stops_early` (it writes no word that is not a label word).
 *
 * The lost F1 of a summary is `1 - F1` (token F1 against the label, lib/eval/metrics.ts); a class's share is the
 * sum over its summaries divided by the sum over all, and its points are that sum over `n`: the F1 the model
 * would gain if every summary of the class became exact.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { classifySummary } from "./errors.ts";
 * const opts = { maxInputLen: 50, maxOutputLen: 20, sentenceBoundaries: false, labelSentences: 1 };
 * const cleaned = "everywhere is going to get touched by climate change. it rains.";
 * const label = "everywhere is going to get touched by climate change";
 * const runsOn = classifySummary({ id: 1, cleaned, label, prediction: label + " change change" }, opts);
 * assertEquals(runsOn.errorClass, "runs_on");
 * assertEquals(classifySummary({ id: 2, cleaned, label, prediction: "it rains" }, opts).errorClass, "wrong_sentence");
 * ```
 * @module
 */
import { encoderWords } from "../data/encoder_input.ts";
import { chosenSentences, scoreSentences } from "../data/pseudo_label.ts";
import { tokenF1, words } from "./metrics.ts";

/** The error classes, in the order {@linkcode classifySummary} tries them. */
export const ERROR_CLASSES = [
  "exact",
  "output_limit",
  "input_cut",
  "wrong_sentence",
  "runs_on",
  "stops_early",
  "repeats",
  "miscopied",
] as const;

/** One of {@linkcode ERROR_CLASSES}. */
export type ErrorClass = typeof ERROR_CLASSES[number];

/** What each class means, for tables and notebooks. */
export const ERROR_CLASS_ABOUT: Readonly<Record<ErrorClass, string>> = {
  exact: "the summary is the label",
  output_limit: "the label is longer than the decoder may write; the summary is its first words",
  input_cut: "the label lies wholly or partly past the encoder's input length",
  wrong_sentence: "another sentence of the snippet, not the label's",
  runs_on: "the label and more: it runs past the sentence's end",
  stops_early: "a part of the label: it stops early",
  repeats: "the label's sentence with a word or pair repeated",
  miscopied: "the label's sentence with words miscopied, missing or added",
};

/** The settings of the run that decide what the decoder could see and write (the config keys of the same names). */
export interface ErrorOptions {
  maxInputLen: number;
  maxOutputLen: number;
  sentenceBoundaries: boolean;
  labelSentences: number;
}

/** One summary to classify: its example's cleaned text (periods kept), the label and the model's words. */
export interface SummaryToClassify {
  id: number;
  /** The example's cleaned text (`Example.cleaned`), from which the rule chose the label. */
  cleaned: string;
  /** The label (`Example.target`). */
  label: string;
  prediction: string;
}

/** A summary with its class and what decided it. */
export interface ClassifiedSummary extends SummaryToClassify {
  errorClass: ErrorClass;
  f1: number;
  /** Position (0-based) of the label's sentence and of the sentence the summary matches best (-1: no sentences). */
  labelSentence: number;
  matchedSentence: number;
  /**
   * `wrong_sentence`: the rule's margin between the two, `(score(label) - score(matched)) / score(label)`, in
   * [0, 1]: near 0 is a near tie, which the rule itself decided by a word or two. null for other classes.
   */
  margin: number | null;
  /** `input_cut`: "whole" (the label starts past the cut) or "part" (it starts before and ends past it). */
  cut: "whole" | "part" | null;
  /** Whether the summary repeats a word or pair more often than the label (a flag on any class). */
  repeats: boolean;
}

/** A sentence of a cleaned text as the labeller scores it, with where it lies in the encoder's input. */
export interface SentenceSpan {
  words: readonly string[];
  score: number;
  /** First and one-past-last position in the encoder's words (`<sep>` counted when boundaries are on). */
  start: number;
  end: number;
}

/**
 * Every sentence of `cleaned` with its rule score and its span in the encoder's words (`encoderInputWords` of
 * lib/data, uncut): `start` is where the sentence's first word is read, so a label with `end > maxInputLen` is
 * cut off the input.
 */
export function sentenceSpans(cleaned: string, boundaries: boolean): SentenceSpan[] {
  const scored = scoreSentences(cleaned);
  const spans: SentenceSpan[] = [];
  let pos = 0;
  for (const s of scored) {
    // encoderWords puts <sep> between two sentences that have words, and skips the empty ones
    if (boundaries && s.words.length > 0 && spans.some((p) => p.words.length > 0)) pos++;
    spans.push({ words: s.words, score: s.score, start: pos, end: pos + s.words.length });
    pos += s.words.length;
  }
  const total = encoderWords(scored.map((s) => s.words), boundaries).length;
  if (pos !== total) throw new Error(`sentenceSpans: ${pos} positions, the encoder reads ${total}`);
  return spans;
}

/** Whether `ws` has a word, or a pair of adjacent words, more often than `ref` has it. */
function repeatsMoreThan(ws: readonly string[], ref: readonly string[]): boolean {
  const grams = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (let i = 0; i < xs.length; i++) {
      if (i + 1 < xs.length) m.set(`${xs[i]} ${xs[i + 1]}`, (m.get(`${xs[i]} ${xs[i + 1]}`) ?? 0) + 1);
      if (i > 0 && xs[i] === xs[i - 1]) m.set(`=${xs[i]}`, (m.get(`=${xs[i]}`) ?? 0) + 1);
    }
    return m;
  };
  const mine = grams(ws), theirs = grams(ref);
  for (const [g, c] of mine) if (c > 1 && c > (theirs.get(g) ?? 0)) return true;
  return [...mine.keys()].some((g) => g.startsWith("=") && !theirs.has(g));
}

/** Multiset containment: every word of `part` is in `whole` at least as often. */
function within(part: readonly string[], whole: readonly string[]): boolean {
  const left = new Map<string, number>();
  for (const w of whole) left.set(w, (left.get(w) ?? 0) + 1);
  for (const w of part) {
    const c = left.get(w) ?? 0;
    if (c === 0) return false;
    left.set(w, c - 1);
  }
  return true;
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((w, i) => w === b[i]);

/**
 * Sort one summary into its error class (see the module documentation for the classes and their order).
 * The label sentence is found as the labeller finds it, from the scores of `s.cleaned`'s sentences.
 */
export function classifySummary(s: SummaryToClassify, opts: ErrorOptions): ClassifiedSummary {
  const label = words(s.label), pred = words(s.prediction);
  const spans = sentenceSpans(s.cleaned, opts.sentenceBoundaries);
  const chosen = spans.length ? chosenSentences(spans.map((p) => p.score), opts.labelSentences) : [];
  const labelSentence = chosen[0] ?? -1;
  // the sentence the summary matches best: the most of its words, then the best F1 (a short summary is not
  // matched to a short sentence for its length alone), then a label sentence, then the earlier one
  let matchedSentence = labelSentence, best = [-1, -1];
  spans.forEach((p, i) => {
    const { precision, f1 } = tokenF1(s.prediction, p.words.join(" "));
    const key = [precision, f1];
    const better = key[0] > best[0] || (key[0] === best[0] && key[1] > best[1]);
    const tie = key[0] === best[0] && key[1] === best[1];
    if (better || (tie && chosen.includes(i) && !chosen.includes(matchedSentence))) {
      [best, matchedSentence] = [key, i];
    }
  });
  const f1 = tokenF1(s.prediction, s.label).f1;
  const repeats = repeatsMoreThan(pred, label);
  const base = { ...s, f1, labelSentence, matchedSentence, margin: null, cut: null, repeats };
  // training taught it maxOutputLen - 1 words and eostok; decoding stops after maxOutputLen tokens, so a
  // summary that never wrote eostok holds maxOutputLen words
  const writable = Math.max(0, opts.maxOutputLen - 1);
  const reachable = label.slice(0, writable);
  if (same(pred, label)) return { ...base, errorClass: "exact" };
  const atLimit = pred.length === writable || pred.length === opts.maxOutputLen;
  if (
    label.length > writable && atLimit && pred.length < label.length &&
    same(pred, label.slice(0, pred.length))
  ) {
    return { ...base, errorClass: "output_limit" };
  }
  const labelSpans = chosen.map((i) => spans[i]);
  const lastEnd = Math.max(...labelSpans.map((p) => p.end), 0);
  const firstStart = Math.min(...labelSpans.map((p) => p.start), Infinity);
  if (labelSpans.length && lastEnd > opts.maxInputLen) {
    return { ...base, errorClass: "input_cut", cut: firstStart >= opts.maxInputLen ? "whole" : "part" };
  }
  // (no sentences: labelSentence and matchedSentence are -1, there is no other sentence to have chosen)
  if (spans.length > 0 && !chosen.includes(matchedSentence) && pred.length > 0) {
    const top = spans[labelSentence].score, other = spans[matchedSentence].score;
    return { ...base, errorClass: "wrong_sentence", margin: top > 0 ? Math.max(0, (top - other) / top) : 0 };
  }
  // the whole label's words first (in any order), then more: it did not stop at the sentence's end (an empty
  // label has no end to run past, though within([], ...) holds for any prediction; a label longer than the
  // decoder may write cannot be run past)
  const runsOn = label.length > 0 && label.length <= writable && pred.length > label.length;
  if (runsOn && within(label, pred.slice(0, label.length))) {
    return { ...base, errorClass: "runs_on" };
  }
  // shorter than the label with no word of its own (an empty summary of a non-empty label included)
  if (pred.length < reachable.length && within(pred, reachable)) {
    return { ...base, errorClass: "stops_early" };
  }
  if (repeats) return { ...base, errorClass: "repeats" };
  return { ...base, errorClass: "miscopied" };
}

/** One class's row of {@linkcode ErrorAnalysis.table}. */
export interface ErrorClassRow {
  errorClass: ErrorClass;
  about: string;
  count: number;
  /** count / n. */
  share: number;
  meanF1: number;
  /** Sum over the class of 1 - F1, over n: the F1 points the model would gain were the class all exact. */
  lostPoints: number;
  /** The class's part of all lost F1 (0 when nothing is lost). */
  lostShare: number;
  /** Summaries of the class that also repeat a word or pair. */
  withRepeats: number;
}

/** What {@linkcode analyseErrors} gives. */
export interface ErrorAnalysis {
  n: number;
  meanF1: number;
  /** Every class, in {@linkcode ERROR_CLASSES} order (empty classes included, count 0). */
  table: ErrorClassRow[];
  /** `wrong_sentence` summaries by the rule's margin: near ties (< 0.05), close (< 0.2), clear (>= 0.2). */
  margins: { nearTie: number; close: number; clear: number };
  /** `input_cut` summaries by where the label lies: wholly or partly past the cut. */
  cuts: { whole: number; part: number };
  summaries: ClassifiedSummary[];
}

/**
 * Classify every summary ({@linkcode classifySummary}) and total each class: its count, mean F1 and its share of the
 * lost F1.
 */
export function analyseErrors(items: readonly SummaryToClassify[], opts: ErrorOptions): ErrorAnalysis {
  const summaries = items.map((s) => classifySummary(s, opts));
  const n = summaries.length;
  const lost = (xs: readonly ClassifiedSummary[]) => xs.reduce((a, s) => a + (1 - s.f1), 0);
  const totalLost = lost(summaries);
  const table = ERROR_CLASSES.map((errorClass): ErrorClassRow => {
    const of = summaries.filter((s) => s.errorClass === errorClass);
    return {
      errorClass,
      about: ERROR_CLASS_ABOUT[errorClass],
      count: of.length,
      share: n ? of.length / n : 0,
      meanF1: of.length ? of.reduce((a, s) => a + s.f1, 0) / of.length : NaN,
      lostPoints: n ? lost(of) / n : 0,
      lostShare: totalLost > 0 ? lost(of) / totalLost : 0,
      withRepeats: of.filter((s) => s.repeats).length,
    };
  });
  const wrong = summaries.filter((s) => s.errorClass === "wrong_sentence").map((s) => s.margin!);
  const cut = summaries.filter((s) => s.errorClass === "input_cut");
  return {
    n,
    meanF1: n ? summaries.reduce((a, s) => a + s.f1, 0) / n : NaN,
    table,
    margins: {
      nearTie: wrong.filter((m) => m < 0.05).length,
      close: wrong.filter((m) => m >= 0.05 && m < 0.2).length,
      clear: wrong.filter((m) => m >= 0.2).length,
    },
    cuts: {
      whole: cut.filter((s) => s.cut === "whole").length,
      part: cut.filter((s) => s.cut === "part").length,
    },
    summaries,
  };
}

/** Up to `k` summaries of `errorClass`, the lowest F1 first (ties: by id), for a table of examples. */
export function classExamples(a: ErrorAnalysis, errorClass: ErrorClass, k = 3): ClassifiedSummary[] {
  return a.summaries.filter((s) => s.errorClass === errorClass)
    .sort((x, y) => x.f1 - y.f1 || x.id - y.id)
    .slice(0, k);
}

/** One class of {@linkcode compareErrors}: counts and lost points of two analyses side by side. */
export interface ErrorComparisonRow {
  errorClass: ErrorClass;
  countA: number;
  countB: number;
  lostPointsA: number;
  lostPointsB: number;
  /** lostPointsB - lostPointsA: negative where B loses less. */
  change: number;
}

/** What {@linkcode compareErrors} gives. */
export interface ErrorComparison {
  rows: ErrorComparisonRow[];
  /** Summaries of the same example ids in both analyses. */
  common: number;
  /** For the common ids: how many moved from class `from` (in A) to `to` (in B), the most frequent first. */
  moves: { from: ErrorClass; to: ErrorClass; count: number }[];
}

/** Two analyses class by class (e.g. two runs on the same test split), and where the common summaries moved. */
export function compareErrors(a: ErrorAnalysis, b: ErrorAnalysis): ErrorComparison {
  const rows = ERROR_CLASSES.map((errorClass, i): ErrorComparisonRow => ({
    errorClass,
    countA: a.table[i].count,
    countB: b.table[i].count,
    lostPointsA: a.table[i].lostPoints,
    lostPointsB: b.table[i].lostPoints,
    change: b.table[i].lostPoints - a.table[i].lostPoints,
  }));
  const inB = new Map(b.summaries.map((s) => [s.id, s.errorClass]));
  const counts = new Map<string, number>();
  let common = 0;
  for (const s of a.summaries) {
    const to = inB.get(s.id);
    if (to === undefined) continue;
    common++;
    if (to !== s.errorClass) {
      counts.set(`${s.errorClass} ${to}`, (counts.get(`${s.errorClass} ${to}`) ?? 0) + 1);
    }
  }
  const moves = [...counts].map(([k, count]) => {
    const [from, to] = k.split(" ") as [ErrorClass, ErrorClass];
    return { from, to, count };
  }).sort((x, y) => y.count - x.count || x.from.localeCompare(y.from) || x.to.localeCompare(y.to));
  return { rows, common, moves };
}
