/**
 * Scoring an evaluation: the model's predictions (greedy, beam, …) and the four baselines scored on the same
 * examples against `ex.target`, with paired bootstrap confidence intervals, the share of predictions that start
 * like the reference, and a plain verdict. On fewer than {@linkcode MIN_ROWS_FOR_CI} rows there are scores but
 * no intervals and no verdict, and {@linkcode EvalResult.ciNote} says why. Writing the report files is
 * {@linkcode ./report.ts}'s job.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { evaluateSystems } from "./score.ts";
 * const ex = { id: 0, station: "CNN", date: "2015-03-07", snippet: "", cleaned: "seas rise. ice melts fast.",
 *   input: "seas rise ice melts fast", target: "ice melts fast" };
 * const r = evaluateSystems([ex], { model_greedy: ["ice melts fast"] }, {
 *   bootstrap: 0, seed: 1, leadWords: 20, labelSentences: 1,
 * });
 * assertEquals(r.systems.model_greedy.mean.f1, 1);
 * assertEquals(r.systems.copy_input.firstWord, 0);
 * assertEquals(r.ciNote?.startsWith("n=1 is fewer than 30 scored rows"), true); // no CIs, no verdict
 * ```
 * @module
 */

import type { Example } from "../data/prep.ts";
import { words } from "../util/words.ts";
import { BASELINE_NAMES, BASELINES } from "./baselines.ts";
import { bootstrapCI, bootstrapCIMany, type CI } from "./bootstrap.ts";
import { type DetailedScores, type MetricName, METRICS, scoreAllDetailed, type Scores } from "./metrics.ts";

/** Settings of {@linkcode evaluateSystems} (the config's `bootstrap`, `seed`, `leadWords`, `labelSentences`). */
export interface EvalOptions {
  /** Bootstrap resamples for the confidence intervals (0 = none). */
  bootstrap: number;
  /** Seed of the bootstrap. */
  seed: number;
  /** k of the `lead_words` baseline. */
  leadWords: number;
  /** Sentences of the `label_rule` baseline. */
  labelSentences: number;
}

/** One scored system: its predictions, per-example scores, means and intervals. */
export interface SystemResult {
  name: string;
  /** "model" for predictions passed in, "baseline" for those computed here. */
  kind: "model" | "baseline";
  /** One prediction per example, aligned with {@linkcode EvalResult.examples}. */
  predictions: string[];
  /** Per-example F-measures, aligned with the examples. */
  scores: Scores[];
  /** Mean F-measure of each metric over the examples. */
  mean: Scores;
  /** Bootstrap CI of each mean (NaN bounds when there is none: {@linkcode EvalResult.ciNote} says why). */
  ci: Record<MetricName, CI>;
  /** Mean precision, recall and F1 of each metric (macro averages over examples). */
  detail: DetailedScores;
  /** Mean prediction length in whitespace tokens. */
  meanWords: number;
  /** Share of examples whose prediction starts with the reference's first word ({@linkcode startsLike}). */
  firstWord: number;
  /** Share of examples whose prediction starts with the reference's first three words. */
  firstThree: number;
  /** What the predictions are made of ({@linkcode outputStats}, pooled over the examples). */
  output: OutputStats;
}

/** Properties of predictions that F1 does not show: unknown words, numbers, repetition. */
export interface OutputStats {
  /** Share of prediction tokens that are `<oov>` (the decoder wrote "unknown word"). */
  oovShare: number;
  /** Share of the numbers (tokens with a digit) in the predictions that occur in the input; NaN with none. */
  numbersFromInput: number;
  /** Numbers (tokens with a digit) in all predictions. */
  numbers: number;
  /** Share of predictions in which some word trigram occurs twice (a decoder repeating itself). */
  repeatedTrigrams: number;
}

/**
 * {@linkcode OutputStats} of `predictions` against the inputs they summarize (`inputs[i]` for prediction `i`),
 * pooled: token shares over all tokens, the trigram share over all predictions.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { outputStats } from "./score.ts";
 * const s = outputStats(
 *   ["the sea rose 40 cm <oov>", "it rose 3 cm it rose 3 cm"],
 *   ["the sea rose 40 cm in miami", "it rose 2 cm"],
 * );
 * assertEquals(s.oovShare, 1 / 14); // 14 tokens, one <oov>
 * assertEquals([s.numbers, s.numbersFromInput], [3, 1 / 3]); // 40 is in its input, 3 is not
 * assertEquals(s.repeatedTrigrams, 0.5);
 * ```
 */
export function outputStats(predictions: readonly string[], inputs: readonly string[]): OutputStats {
  let total = 0, oov = 0, numbers = 0, fromInput = 0, repeated = 0;
  predictions.forEach((p, i) => {
    const ws = words(p);
    const input = new Set(words(inputs[i] ?? ""));
    total += ws.length;
    const seen = new Set<string>();
    let rep = false;
    ws.forEach((w, j) => {
      if (w === "<oov>") oov++;
      if (/\d/.test(w)) {
        numbers++;
        if (input.has(w)) fromInput++;
      }
      if (j >= 2) {
        const tri = `${ws[j - 2]} ${ws[j - 1]} ${w}`;
        if (seen.has(tri)) rep = true;
        seen.add(tri);
      }
    });
    if (rep) repeated++;
  });
  return {
    oovShare: total > 0 ? oov / total : 0,
    numbersFromInput: numbers > 0 ? fromInput / numbers : NaN,
    numbers,
    repeatedTrigrams: predictions.length > 0 ? repeated / predictions.length : NaN,
  };
}

/** Everything an evaluation produced; input to the report writers. */
export interface EvalResult {
  /** Number of examples. */
  n: number;
  /** The evaluated examples (references are `ex.target`). */
  examples: Example[];
  /** Scored systems by name: model systems first (in the order given), then the baselines. */
  systems: Record<string, SystemResult>;
  /** Mean reference length in whitespace tokens. */
  referenceWords: number;
  /** Bootstrap resamples (as asked for: none were drawn when `ciNote` is set), seed and confidence level. */
  bootstrap: number;
  seed: number;
  level: number;
  /**
   * Why there are no confidence intervals (every CI bound is NaN), or null when there are: fewer than
   * {@linkcode MIN_ROWS_FOR_CI} rows (then there is no verdict either), or the bootstrap is off.
   */
  ciNote: string | null;
}

const LEVEL = 0.95;

/**
 * Fewer scored rows than this get no confidence intervals and no verdict: a percentile bootstrap of a handful
 * of values gives intervals far too narrow (one row gives `[x, x]`), and a verdict on them would be a guess.
 */
export const MIN_ROWS_FOR_CI = 30;

/**
 * Why an evaluation of `n` rows with `bootstrap` resamples has no confidence intervals, or null when it has.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { noCIReason } from "./score.ts";
 * assertEquals(noCIReason(300, 1000), null);
 * assertEquals(noCIReason(300, 0), "bootstrap is off (bootstrap=0)");
 * assertEquals(
 *   noCIReason(5, 1000),
 *   "n=5 is fewer than 30 scored rows: too few for confidence intervals or a verdict; score more rows",
 * );
 * ```
 */
export function noCIReason(n: number, bootstrap: number): string | null {
  if (n < MIN_ROWS_FOR_CI) {
    return `n=${n} is fewer than ${MIN_ROWS_FOR_CI} scored rows: too few for confidence intervals or a ` +
      `verdict; score more rows`;
  }
  return bootstrap > 0 ? null : "bootstrap is off (bootstrap=0)";
}

/** Resamples actually drawn: none when there is a reason for no intervals. */
function resamplesOf(n: number, bootstrap: number): number {
  return noCIReason(n, bootstrap) === null ? bootstrap : 0;
}

function avg(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? NaN : s / xs.length;
}

/**
 * Does `pred` start with the first `k` whitespace tokens of `ref` (all of them when `ref` is shorter)? The
 * first words decide which sentence a summary copies: teacher-forced accuracy never shows that decision.
 *
 * @example
 * ```ts
 * import { assert, assertFalse } from "@std/assert";
 * import { startsLike } from "./score.ts";
 * assert(startsLike("polar bears are alive", "polar bears are happy", 3));
 * assertFalse(startsLike("we love polar bears", "polar bears are happy", 1));
 * ```
 */
export function startsLike(pred: string, ref: string, k: number): boolean {
  const p = words(pred);
  const r = words(ref).slice(0, k);
  if (r.length === 0) return p.length === 0;
  return r.every((w, i) => p[i] === w);
}

function scoreSystem(
  name: string,
  kind: "model" | "baseline",
  predictions: string[],
  examples: Example[],
  opts: EvalOptions,
): SystemResult {
  const details = predictions.map((p, i) => scoreAllDetailed(p, examples[i].target));
  const scores: Scores[] = details.map((d) => ({
    f1: d.f1.f1,
    rouge1: d.rouge1.f1,
    rouge2: d.rouge2.f1,
    rougeL: d.rougeL.f1,
  }));
  const cis = bootstrapCIMany(
    METRICS.map((m) => scores.map((s) => s[m])),
    { resamples: resamplesOf(examples.length, opts.bootstrap), seed: opts.seed, level: LEVEL },
  );
  const mean = {} as Scores;
  const ci = {} as Record<MetricName, CI>;
  const detail = {} as DetailedScores;
  METRICS.forEach((m, j) => {
    ci[m] = cis[j];
    mean[m] = cis[j].mean;
    detail[m] = {
      precision: avg(details.map((d) => d[m].precision)),
      recall: avg(details.map((d) => d[m].recall)),
      f1: mean[m],
    };
  });
  const share = (k: number) => avg(predictions.map((p, i) => startsLike(p, examples[i].target, k) ? 1 : 0));
  return {
    name,
    kind,
    predictions,
    scores,
    mean,
    ci,
    detail,
    meanWords: avg(predictions.map((p) => words(p).length)),
    firstWord: share(1),
    firstThree: share(3),
    output: outputStats(predictions, examples.map((ex) => ex.input)),
  };
}

/**
 * Score the model systems (predictions aligned with `examples`, e.g. `model_greedy`, `model_beam`)
 * and the four baselines (computed here from the examples) against `ex.target`: per-example
 * scores, means and 95% bootstrap CIs. All systems share the bootstrap seed, so their intervals
 * are paired. On fewer than {@linkcode MIN_ROWS_FOR_CI} examples there are no intervals (NaN bounds) and
 * `ciNote` says why ({@linkcode noCIReason}). Throws when there are no examples, when a system's prediction
 * count differs from the number of examples, when a prediction is not a string, or when a model system uses
 * a baseline name.
 */
export function evaluateSystems(
  examples: Example[],
  systems: Record<string, string[]>,
  opts: EvalOptions,
): EvalResult {
  if (examples.length === 0) throw new Error("evaluateSystems: no examples to evaluate");
  examples.forEach((ex, i) => {
    if (typeof ex.target !== "string") {
      throw new Error(`evaluateSystems: example ${i} (id ${ex.id}) has no target`);
    }
  });
  const out: Record<string, SystemResult> = {};
  for (const [name, preds] of Object.entries(systems)) {
    if ((BASELINE_NAMES as readonly string[]).includes(name)) {
      throw new Error(`evaluateSystems: model system "${name}" has the name of a baseline`);
    }
    if (!Array.isArray(preds) || preds.length !== examples.length) {
      throw new Error(
        `evaluateSystems: system "${name}" has ${Array.isArray(preds) ? preds.length : "no"} predictions ` +
          `for ${examples.length} examples`,
      );
    }
    const bad = preds.findIndex((p) => typeof p !== "string");
    if (bad >= 0) throw new Error(`evaluateSystems: system "${name}" prediction ${bad} is not a string`);
    out[name] = scoreSystem(name, "model", preds, examples, opts);
  }
  for (const name of BASELINE_NAMES) {
    const preds = examples.map((ex) => BASELINES[name](ex, opts));
    out[name] = scoreSystem(name, "baseline", preds, examples, opts);
  }
  return {
    n: examples.length,
    examples,
    systems: out,
    referenceWords: avg(examples.map((ex) => words(ex.target).length)),
    bootstrap: opts.bootstrap,
    seed: opts.seed,
    level: LEVEL,
    ciNote: noCIReason(examples.length, opts.bootstrap),
  };
}

/**
 * Paired bootstrap CI of the mean per-example difference `a - b` on `metric` (same examples, same
 * seed and resamples as the evaluation; NaN bounds when the evaluation has none, see
 * {@linkcode EvalResult.ciNote}). Throws if either system is missing.
 */
export function pairedDifferenceCI(result: EvalResult, a: string, b: string, metric: MetricName = "f1"): CI {
  const sa = result.systems[a];
  const sb = result.systems[b];
  if (!sa || !sb) throw new Error(`pairedDifferenceCI: no system "${!sa ? a : b}" in the evaluation`);
  const diffs = sa.scores.map((s, i) => s[metric] - sb.scores[i][metric]);
  return bootstrapCI(diffs, {
    resamples: resamplesOf(diffs.length, result.bootstrap),
    seed: result.seed,
    level: result.level,
  });
}

/**
 * The evaluation again on the examples whose target no training example has (`trainTargets`): the model systems'
 * own predictions for them, the baselines recomputed, intervals and verdict from these examples alone. TV captions
 * overlap, so a sentence can be the label of snippets in training and in test; this is the figure without them.
 * Null when every example's target is a training target.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { Example } from "../data/prep.ts";
 * import { evaluateSystems, restrictToUnseenTargets } from "./score.ts";
 * const ex = (id: number, target: string) =>
 *   ({ id, input: `${target} more words`, cleaned: `${target}. more words.`, target }) as Example;
 * const examples = [ex(0, "ice melts"), ex(1, "seas rise fast"), ex(2, "coal plants close")];
 * const opts = { bootstrap: 0, seed: 1, leadWords: 2, labelSentences: 1 };
 * const all = evaluateSystems(examples, { model_greedy: ["ice melts", "seas rise", "coal"] }, opts);
 * const unseen = restrictToUnseenTargets(all, new Set(["ice melts"]), opts)!;
 * assertEquals(unseen.n, 2);
 * assertEquals(unseen.systems.model_greedy.predictions, ["seas rise", "coal"]);
 * assertEquals(unseen.systems.model_greedy.scores, all.systems.model_greedy.scores.slice(1));
 * const every = new Set(["ice melts", "seas rise fast", "coal plants close"]);
 * assertEquals(restrictToUnseenTargets(all, every, opts), null);
 * ```
 */
export function restrictToUnseenTargets(
  result: EvalResult,
  trainTargets: ReadonlySet<string>,
  opts: EvalOptions,
): EvalResult | null {
  const keep = result.examples.flatMap((e, i) => (trainTargets.has(e.target) ? [] : [i]));
  if (keep.length === 0) return null;
  const systems: Record<string, string[]> = {};
  for (const [name, s] of Object.entries(result.systems)) {
    if (s.kind === "model") systems[name] = keep.map((i) => s.predictions[i]);
  }
  return evaluateSystems(keep.map((i) => result.examples[i]), systems, opts);
}

/**
 * One line: how many of the evaluated examples have a target no training example has, and the verdict on them
 * ({@linkcode restrictToUnseenTargets}); says so when there is none, or when no target is a training target.
 */
export function unseenTargetsLine(all: EvalResult, unseen: EvalResult | null): string {
  if (unseen === null) return `every one of the ${all.n} evaluated targets is also a training target`;
  if (unseen.n === all.n) return `none of the ${all.n} evaluated targets is a training target`;
  return `on the ${unseen.n} of ${all.n} evaluated examples whose target no training example has: ${
    verdict(unseen)
  }`;
}

export const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
const s3 = (x: number) => (Number.isFinite(x) ? (x >= 0 ? "+" : "") + x.toFixed(3) : "n/a");

/**
 * One plain sentence: does `model_greedy` beat `copy_input` on F1, and does the paired 95% bootstrap
 * CI of the per-example difference exclude 0? A model that does not beat copying the input has not
 * learned the task, and the sentence says so. On fewer than {@linkcode MIN_ROWS_FOR_CI} rows there is no
 * verdict: the sentence gives the two scores and says why.
 */
export function verdict(result: EvalResult): string {
  const model = result.systems["model_greedy"];
  const copy = result.systems["copy_input"];
  if (!model || !copy) return "No verdict: the evaluation has no model_greedy or no copy_input system.";
  const m = model.mean.f1;
  const c = copy.mean.f1;
  if (result.n < MIN_ROWS_FOR_CI) {
    return `No verdict: ${noCIReason(result.n, result.bootstrap)} ` +
      `(model_greedy F1 ${f3(m)}, copy_input F1 ${f3(c)}).`;
  }
  const d = pairedDifferenceCI(result, "model_greedy", "copy_input", "f1");
  const hasCI = Number.isFinite(d.lo) && Number.isFinite(d.hi);
  const pct = Math.round(result.level * 100);
  const ciText = hasCI
    ? `paired ${pct}% CI of the difference [${s3(d.lo)}, ${s3(d.hi)}]`
    : "no confidence interval: bootstrap is off";
  if (m > c) {
    if (!hasCI) return `The model beats copying the input (F1 ${f3(m)} vs ${f3(c)}; ${ciText}).`;
    if (d.lo > 0) return `The model beats copying the input (F1 ${f3(m)} vs ${f3(c)}; ${ciText} excludes 0).`;
    return `The model scores above copying the input (F1 ${f3(m)} vs ${
      f3(c)
    }) but the ${ciText} includes 0: ` +
      `it has not clearly learned the task.`;
  }
  return `The model does NOT beat copying the input (F1 ${f3(m)} vs ${f3(c)}; ${ciText}): ` +
    `it has not learned the task.`;
}
