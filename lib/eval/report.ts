/**
 * The evaluation of a run: the model's predictions (greedy, beam, …) and the four baselines scored
 * on the same examples against `ex.target`, with bootstrap confidence intervals, a plain verdict,
 * and the report files of `results/<run-id>/`:
 *
 * - `metrics.json`: `{"split":"test","n":…,"systems":{"model_greedy":{"f1":…,"rouge1":…,"rouge2":…,
 *   "rougeL":…,"ci":{…}},…}}`, for tools comparing runs;
 * - `predictions.csv` (`@std/csv`): input, reference, greedy prediction, F1, ROUGE-L (and the beam
 *   prediction with its scores when present);
 * - `examples.json`: the 5 best and 5 worst examples by greedy F1;
 * - `report.md`: systems × metrics with CIs, the verdict, decode speed, best/worst examples.
 *
 * @example
 * ```ts
 * import { evaluateSystems, writeEvalReport } from "./report.ts";
 * const result = evaluateSystems(testExamples, { model_greedy: greedy, model_beam: beam }, {
 *   bootstrap: cfg.bootstrap, seed: cfg.seed, leadWords: cfg.leadWords, labelSentences: cfg.labelSentences,
 * });
 * await writeEvalReport(`results/${runId}`, result, { decodeSpeed: { model_greedy: 850, model_beam: 40 } });
 * ```
 * @module
 */

import { stringify } from "@std/csv";
import type { Example } from "../data/prep.ts";
import { writeTextAtomic } from "../io/atomic.ts";
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
  /** Bootstrap CI of each mean (NaN bounds when bootstrap is 0). */
  ci: Record<MetricName, CI>;
  /** Mean precision, recall and F1 of each metric (macro averages over examples). */
  detail: DetailedScores;
  /** Mean prediction length in whitespace tokens. */
  meanWords: number;
  /** Share of examples whose prediction starts with the reference's first word ({@linkcode startsLike}). */
  firstWord: number;
  /** Share of examples whose prediction starts with the reference's first three words. */
  firstThree: number;
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
  /** Bootstrap resamples, seed and confidence level used for the intervals. */
  bootstrap: number;
  seed: number;
  level: number;
}

const LEVEL = 0.95;

function countWords(s: string): number {
  return s.split(/\s+/).filter((t) => t.length > 0).length;
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
 * import { startsLike } from "./report.ts";
 * assert(startsLike("polar bears are alive", "polar bears are happy", 3));
 * assertFalse(startsLike("we love polar bears", "polar bears are happy", 1));
 * ```
 */
export function startsLike(pred: string, ref: string, k: number): boolean {
  const p = pred.split(/\s+/).filter((t) => t.length > 0);
  const r = ref.split(/\s+/).filter((t) => t.length > 0).slice(0, k);
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
    { resamples: opts.bootstrap, seed: opts.seed, level: LEVEL },
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
    meanWords: avg(predictions.map(countWords)),
    firstWord: share(1),
    firstThree: share(3),
  };
}

/**
 * Score the model systems (predictions aligned with `examples`, e.g. `model_greedy`, `model_beam`)
 * and the four baselines (computed here from the examples) against `ex.target`: per-example
 * scores, means and 95% bootstrap CIs. All systems share the bootstrap seed, so their intervals
 * are paired. Throws when there are no examples, when a system's prediction count differs from the
 * number of examples, when a prediction is not a string, or when a model system uses a baseline name.
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
    referenceWords: avg(examples.map((ex) => countWords(ex.target))),
    bootstrap: opts.bootstrap,
    seed: opts.seed,
    level: LEVEL,
  };
}

/**
 * Paired bootstrap CI of the mean per-example difference `a - b` on `metric` (same examples, same
 * seed and resamples as the evaluation). Throws if either system is missing.
 */
export function pairedDifferenceCI(result: EvalResult, a: string, b: string, metric: MetricName = "f1"): CI {
  const sa = result.systems[a];
  const sb = result.systems[b];
  if (!sa || !sb) throw new Error(`pairedDifferenceCI: no system "${!sa ? a : b}" in the evaluation`);
  const diffs = sa.scores.map((s, i) => s[metric] - sb.scores[i][metric]);
  return bootstrapCI(diffs, { resamples: result.bootstrap, seed: result.seed, level: result.level });
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
const s3 = (x: number) => (Number.isFinite(x) ? (x >= 0 ? "+" : "") + x.toFixed(3) : "n/a");

/**
 * One plain sentence: does `model_greedy` beat `copy_input` on F1, and does the paired 95% bootstrap
 * CI of the per-example difference exclude 0? A model that does not beat copying the input has not
 * learned the task, and the sentence says so.
 */
export function verdict(result: EvalResult): string {
  const model = result.systems["model_greedy"];
  const copy = result.systems["copy_input"];
  if (!model || !copy) return "No verdict: the evaluation has no model_greedy or no copy_input system.";
  const m = model.mean.f1;
  const c = copy.mean.f1;
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

/** Teacher-forced validation figures of the model's best epoch (an `EpochLog` of lib/train). */
export interface TeacherForced {
  epoch: number;
  valAcc: number;
  valAcc1?: number;
  valAccRest?: number;
}

/** The shape of `metrics.json`. */
export interface MetricsJson {
  split: string;
  n: number;
  /** Teacher-forced validation accuracy of the best epoch: all words, the first word, the later words. */
  teacher_forced?: { epoch: number; acc: number; acc1: number | null; accRest: number | null };
  systems: Record<
    string,
    Scores & {
      ci: Record<MetricName, [number | null, number | null]>;
      precision_recall: Record<MetricName, { precision: number; recall: number }>;
      mean_words: number;
      /** Share of predictions starting with the reference's first word / first three words. */
      first_word: number;
      first_3_words: number;
      summaries_per_s?: number;
    }
  >;
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null);

/**
 * The `metrics.json` object: `{"split", "n", "systems": {name: {f1, rouge1, rouge2, rougeL, …}}}`
 * with, inside each system, `ci` ([lo, hi] per metric, null when bootstrap is off),
 * `precision_recall`, `mean_words`, and `summaries_per_s` when `decodeSpeed` has the system's name.
 */
export function metricsJson(
  result: EvalResult,
  split = "test",
  decodeSpeed: Record<string, number> = {},
  teacherForced?: TeacherForced,
): MetricsJson {
  const systems: MetricsJson["systems"] = {};
  for (const [name, s] of Object.entries(result.systems)) {
    const ci = {} as Record<MetricName, [number | null, number | null]>;
    const pr = {} as Record<MetricName, { precision: number; recall: number }>;
    for (const m of METRICS) {
      ci[m] = [orNull(s.ci[m].lo), orNull(s.ci[m].hi)];
      pr[m] = { precision: s.detail[m].precision, recall: s.detail[m].recall };
    }
    systems[name] = {
      f1: s.mean.f1,
      rouge1: s.mean.rouge1,
      rouge2: s.mean.rouge2,
      rougeL: s.mean.rougeL,
      ci,
      precision_recall: pr,
      mean_words: s.meanWords,
      first_word: s.firstWord,
      first_3_words: s.firstThree,
      ...(decodeSpeed[name] !== undefined ? { summaries_per_s: decodeSpeed[name] } : {}),
    };
  }
  return {
    split,
    n: result.n,
    ...(teacherForced
      ? {
        teacher_forced: {
          epoch: teacherForced.epoch,
          acc: teacherForced.valAcc,
          acc1: teacherForced.valAcc1 ?? null,
          accRest: teacherForced.valAccRest ?? null,
        },
      }
      : {}),
    systems,
  };
}

/** The system whose predictions fill `predictions.csv` and `examples.json`: `model_greedy`, else the first. */
export function primarySystem(result: EvalResult): SystemResult {
  const s = result.systems["model_greedy"] ??
    Object.values(result.systems).find((x) => x.kind === "model") ??
    Object.values(result.systems)[0];
  if (!s) throw new Error("primarySystem: the evaluation has no systems");
  return s;
}

/** Header of `predictions.csv` (the beam columns only when `model_beam` was evaluated). */
export function predictionColumns(result: EvalResult): string[] {
  const cols = ["id", "input", "reference", "prediction", "f1", "rougeL"];
  return result.systems["model_beam"] ? [...cols, "prediction_beam", "f1_beam", "rougeL_beam"] : cols;
}

/** Rows of `predictions.csv` as strings, header first (what `parse` from `@std/csv` gives back). */
export function predictionRows(result: EvalResult): string[][] {
  const main = primarySystem(result);
  const beam = result.systems["model_beam"];
  const rows = [predictionColumns(result)];
  result.examples.forEach((ex, i) => {
    const row = [String(ex.id), ex.input, ex.target, main.predictions[i], String(main.scores[i].f1)];
    row.push(String(main.scores[i].rougeL));
    if (beam) row.push(beam.predictions[i], String(beam.scores[i].f1), String(beam.scores[i].rougeL));
    rows.push(row);
  });
  return rows;
}

/** One entry of `examples.json`. */
export interface ExampleEntry {
  id: number;
  station: string;
  date: string;
  input: string;
  reference: string;
  prediction: string;
  f1: number;
  rougeL: number;
  prediction_beam?: string;
  f1_beam?: number;
}

/** The `k` best and `k` worst examples by the primary system's F1 (ties keep example order). */
export function bestAndWorst(
  result: EvalResult,
  k = 5,
): { system: string; best: ExampleEntry[]; worst: ExampleEntry[] } {
  const main = primarySystem(result);
  const beam = result.systems["model_beam"];
  const entry = (i: number): ExampleEntry => {
    const ex = result.examples[i];
    return {
      id: ex.id,
      station: ex.station,
      date: ex.date,
      input: ex.input,
      reference: ex.target,
      prediction: main.predictions[i],
      f1: main.scores[i].f1,
      rougeL: main.scores[i].rougeL,
      ...(beam ? { prediction_beam: beam.predictions[i], f1_beam: beam.scores[i].f1 } : {}),
    };
  };
  const idx = result.examples.map((_, i) => i);
  const best = [...idx].sort((a, b) => main.scores[b].f1 - main.scores[a].f1 || a - b).slice(0, k);
  const worst = [...idx].sort((a, b) => main.scores[a].f1 - main.scores[b].f1 || a - b).slice(0, k);
  return { system: main.name, best: best.map(entry), worst: worst.map(entry) };
}

const LABELS: Record<MetricName, string> = {
  f1: "F1",
  rouge1: "ROUGE-1",
  rouge2: "ROUGE-2",
  rougeL: "ROUGE-L",
};

/** Optional additions to the report files. */
export interface ReportExtras {
  /** Summaries per second by decoder / system name (e.g. `model_greedy`, `model_beam`). */
  decodeSpeed?: Record<string, number>;
  /** Replaces the computed {@linkcode verdict}. */
  verdict?: string;
  /** Split name written into metrics.json and the report; default "test". */
  split?: string;
  /** The best epoch's teacher-forced validation accuracy (all words, first word, later words). */
  teacherForced?: TeacherForced;
}

/** Escape text for a Markdown table cell or list item. */
function md(s: string): string {
  return s.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\s+/g, " ");
}

/** The Markdown report: systems × metrics with CIs, verdict, decode speed, best/worst examples. */
export function reportMarkdown(
  result: EvalResult,
  extras: ReportExtras = {},
): string {
  const split = extras.split ?? "test";
  const pct = Math.round(result.level * 100);
  const hasCI = result.bootstrap > 0;
  const cell = (ci: CI) => (hasCI ? `${f3(ci.mean)} [${f3(ci.lo)}, ${f3(ci.hi)}]` : f3(ci.mean));
  const lines: string[] = [];
  lines.push(`# Evaluation on the ${md(split)} split (n = ${result.n})`, "");
  lines.push(`**Verdict.** ${extras.verdict ?? verdict(result)}`, "");
  const tfa = extras.teacherForced;
  if (tfa) {
    lines.push(
      `**Teacher-forced validation accuracy** (best epoch ${tfa.epoch}): ${
        f3(tfa.valAcc)
      } over all summary ` +
        `words` +
        (tfa.valAcc1 !== undefined
          ? `; ${f3(tfa.valAcc1)} at the first word, ${f3(tfa.valAccRest ?? NaN)} at the later words`
          : "") +
        `. With the right previous word always given, accuracy is high; greedy decoding must choose the first ` +
        `word itself, and the *first word* column below shows how often it does.`,
      "",
    );
  }
  lines.push(
    `| system | kind | ${
      METRICS.map((m) => LABELS[m]).join(" | ")
    } | mean words | first word | first 3 words |`,
  );
  lines.push(`|---|---|---|---|---|---|---|---|---|`);
  for (const s of Object.values(result.systems)) {
    const cells = METRICS.map((m) => cell(s.ci[m])).join(" | ");
    lines.push(
      `| ${md(s.name)} | ${s.kind} | ${cells} | ${s.meanWords.toFixed(1)} | ${f3(s.firstWord)} | ${
        f3(s.firstThree)
      } |`,
    );
  }
  lines.push(`| (reference) | | | | | | ${result.referenceWords.toFixed(1)} | | |`, "");
  lines.push(
    hasCI
      ? `Means over examples with ${pct}% percentile-bootstrap CIs (${result.bootstrap} resamples, seed ` +
        `${result.seed}; the same resamples for every system).`
      : "Means over examples (bootstrap off: no CIs).",
  );
  lines.push(
    "F1 is the report's token F1 (clipped multiset overlap of whitespace tokens); ROUGE tokens are " +
      "lower-cased, split on whitespace, stripped of characters other than [a-z0-9]; no stemming, no " +
      "stopword removal; ROUGE-L is sentence-level LCS. References are the pseudo-labels (`label_rule` " +
      "re-applies the labelling rule: an upper bound). *First word* / *first 3 words*: the share of " +
      "predictions that start with the reference's first word / first three words, the decision that picks " +
      "the sentence (teacher-forced accuracy hides it).",
    "",
  );
  lines.push(
    `## Precision / recall`,
    "",
    `| system | ${METRICS.map((m) => `${LABELS[m]} P / R`).join(" | ")} |`,
  );
  lines.push(`|---|${METRICS.map(() => "---").join("|")}|`);
  for (const s of Object.values(result.systems)) {
    const cells = METRICS.map((m) => `${f3(s.detail[m].precision)} / ${f3(s.detail[m].recall)}`).join(" | ");
    lines.push(`| ${md(s.name)} | ${cells} |`);
  }
  lines.push("");
  const speed = Object.entries(extras.decodeSpeed ?? {});
  if (speed.length > 0) {
    lines.push(`## Decode speed`, "", `| decoder | summaries/s |`, `|---|---|`);
    for (const [name, v] of speed) {
      lines.push(`| ${md(name)} | ${Number.isFinite(v) ? v.toFixed(1) : "n/a"} |`);
    }
    lines.push("");
  }
  const bw = bestAndWorst(result, 5);
  const listing = (title: string, entries: ExampleEntry[]) => {
    lines.push(`## ${title} (by ${md(bw.system)} F1)`, "");
    for (const e of entries) {
      lines.push(
        `- **id ${e.id}** (${md(e.station)} ${md(e.date)}): F1 ${f3(e.f1)}, ROUGE-L ${f3(e.rougeL)}`,
      );
      lines.push(`  - input: ${md(e.input)}`);
      lines.push(`  - reference: ${md(e.reference)}`);
      lines.push(`  - prediction: ${md(e.prediction)}`);
      if (e.prediction_beam !== undefined) {
        lines.push(`  - beam (F1 ${f3(e.f1_beam ?? NaN)}): ${md(e.prediction_beam)}`);
      }
    }
    lines.push("");
  };
  listing("Best examples", bw.best);
  listing("Worst examples", bw.worst);
  return lines.join("\n");
}

/** Paths of the files written by {@linkcode writeEvalReport}. */
export interface EvalReportPaths {
  metrics: string;
  predictions: string;
  examples: string;
  report: string;
}

/**
 * Write `metrics.json`, `predictions.csv`, `examples.json` and `report.md` into `dir` (created if
 * missing), each atomically (`<file>.tmp` then rename). `extras.verdict` replaces the computed
 * verdict; `extras.decodeSpeed` (summaries per second by system name) goes into the report and, for
 * names of evaluated systems, into `metrics.json`.
 */
export async function writeEvalReport(
  dir: string,
  result: EvalResult,
  extras: ReportExtras = {},
): Promise<EvalReportPaths> {
  await Deno.mkdir(dir, { recursive: true });
  const paths: EvalReportPaths = {
    metrics: `${dir}/metrics.json`,
    predictions: `${dir}/predictions.csv`,
    examples: `${dir}/examples.json`,
    report: `${dir}/report.md`,
  };
  const metrics = metricsJson(result, extras.split ?? "test", extras.decodeSpeed ?? {}, extras.teacherForced);
  await writeTextAtomic(paths.metrics, JSON.stringify(metrics, null, 2) + "\n");
  await writeTextAtomic(paths.predictions, stringify(predictionRows(result)));
  await writeTextAtomic(paths.examples, JSON.stringify(bestAndWorst(result, 5), null, 2) + "\n");
  await writeTextAtomic(paths.report, reportMarkdown(result, extras) + "\n");
  return paths;
}
