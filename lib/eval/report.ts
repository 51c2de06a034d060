/**
 * The report files of an evaluation scored by {@linkcode ./score.ts} (`results/<run-id>/`, or
 * `results/<run-id>/eval/<name>/` for `deno task evaluate`):
 *
 * - `metrics.json`: `{"split":"test","n":…,"systems":{"model_greedy":{"f1":…,"rouge1":…,"rouge2":…,
 *   "rougeL":…,"ci":{…}},…}}`, for tools comparing runs; when there are no intervals (null bounds), `ci_note`
 *   after `n` says why (fewer than 30 rows, or the bootstrap off);
 * - `predictions.csv` (`@std/csv`): input, reference, greedy prediction, F1, ROUGE-L (and the beam
 *   prediction with its scores when present);
 * - `examples.json`: the 5 best and 5 worst examples by greedy F1;
 * - `report.md`: systems × metrics with CIs, the verdict, decode speed, best/worst examples.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { evaluateSystems } from "./score.ts";
 * import { writeEvalReport } from "./report.ts";
 * const ex = { id: 0, station: "CNN", date: "2015-03-07", snippet: "", cleaned: "seas rise. ice melts fast.",
 *   input: "seas rise ice melts fast", target: "ice melts fast" };
 * const result = evaluateSystems([ex], { model_greedy: ["ice melts"] }, {
 *   bootstrap: 0, seed: 1, leadWords: 20, labelSentences: 1,
 * });
 * const dir = await Deno.makeTempDir();
 * const paths = await writeEvalReport(dir, result, { decodeSpeed: { model_greedy: 850 } });
 * assertEquals(JSON.parse(await Deno.readTextFile(paths.metrics)).systems.model_greedy.summaries_per_s, 850);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

import { stringify } from "@std/csv";
import { writeTextAtomic } from "../io/atomic.ts";
import type { CI } from "./bootstrap.ts";
import { type MetricName, METRICS, type Scores } from "./metrics.ts";
import {
  type EvalResult,
  f3,
  pairedDifferenceCI,
  type SystemResult,
  unseenTargetsLine,
  verdict,
} from "./score.ts";

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
  /**
   * Only when there are no confidence intervals (every `ci` bound null): why, e.g. "n=5 is fewer than 30 scored
   * rows: too few for confidence intervals or a verdict; score more rows" or "bootstrap is off (bootstrap=0)".
   */
  ci_note?: string;
  /** Where the evaluated examples came from (`deno task evaluate`), e.g. snippets left out as seen in training. */
  provenance?: Record<string, string | number | null>;
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
      /** Share of `<oov>` tokens, share of numbers found in the input (null: no numbers), repeated trigrams. */
      output: {
        oov_share: number;
        numbers_from_input: number | null;
        numbers: number;
        repeated_trigrams: number;
      };
      /**
       * Model systems only: the mean per-example F1 difference to each baseline (`copy_input`, `lead_words`),
       * with its paired bootstrap CI (null bounds when there is none: `ci_note` says why).
       */
      f1_minus?: Record<string, { mean: number; ci: [number | null, number | null] }>;
      summaries_per_s?: number;
    }
  >;
  /**
   * The same scores on the examples whose target no training example has ({@linkcode restrictToUnseenTargets}),
   * with their verdict; null when every target is a training target; absent when the training targets were not
   * known (an evaluation on a folder whose run's data could not be read).
   */
  unseen_targets?: (MetricsJson & { verdict: string }) | null;
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null);

/**
 * The `metrics.json` object: `{"split", "n", "systems": {name: {f1, rouge1, rouge2, rougeL, …}}}`
 * with, inside each system, `ci` ([lo, hi] per metric; null bounds when there are no intervals, and then
 * `ci_note` after `n` says why),
 * `precision_recall`, `mean_words`, and `summaries_per_s` when `decodeSpeed` has the system's name; with
 * `unseenTargets`, the same object for the examples whose target no training example has (`unseen_targets`).
 */
export function metricsJson(result: EvalResult, opts: MetricsOptions = {}): MetricsJson {
  const { split = "test", decodeSpeed = {}, teacherForced, provenance, unseenTargets } = opts;
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
      output: {
        oov_share: s.output.oovShare,
        numbers_from_input: orNull(s.output.numbersFromInput),
        numbers: s.output.numbers,
        repeated_trigrams: s.output.repeatedTrigrams,
      },
      ...(s.kind === "model" ? { f1_minus: f1Differences(result, name) } : {}),
      ...(decodeSpeed[name] !== undefined ? { summaries_per_s: decodeSpeed[name] } : {}),
    };
  }
  return {
    split,
    n: result.n,
    ...(result.ciNote !== null ? { ci_note: result.ciNote } : {}),
    ...(provenance ? { provenance } : {}),
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
    ...(unseenTargets === undefined ? {} : { unseen_targets: unseenTargetsJson(unseenTargets, split) }),
  };
}

/** {@linkcode MetricsJson.unseen_targets} of an evaluation restricted to the targets not seen in training. */
function unseenTargetsJson(unseen: EvalResult | null, split: string): MetricsJson["unseen_targets"] {
  if (unseen === null) return null;
  return { ...metricsJson(unseen, { split: `${split}, targets not in training` }), verdict: verdict(unseen) };
}

/** F1 of model system `name` minus each of the `copy_input` and `lead_words` baselines, with paired CIs. */
function f1Differences(
  result: EvalResult,
  name: string,
): Record<string, { mean: number; ci: [number | null, number | null] }> {
  const out: Record<string, { mean: number; ci: [number | null, number | null] }> = {};
  for (const b of ["copy_input", "lead_words"]) {
    if (!result.systems[b]) continue;
    const d = pairedDifferenceCI(result, name, b, "f1");
    out[b] = { mean: d.mean, ci: [orNull(d.lo), orNull(d.hi)] };
  }
  return out;
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
  /** Where the examples came from; written into metrics.json and listed in the report. */
  provenance?: Record<string, string | number | null>;
  /** The evaluation on the examples whose target no training example has ({@linkcode MetricsJson.unseen_targets}). */
  unseenTargets?: EvalResult | null;
}

/** What {@linkcode metricsJson} writes besides the scores: the extras of the report but its verdict. */
export type MetricsOptions = Omit<ReportExtras, "verdict">;

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
  const bw = bestAndWorst(result, 5);
  return [
    `# Evaluation on the ${md(split)} split (n = ${result.n})`,
    "",
    ...headerLines(result, extras),
    ...scoreTableLines(result),
    ...precisionRecallLines(result),
    ...decodeSpeedLines(extras.decodeSpeed ?? {}),
    ...exampleLines(`Best examples (by ${md(bw.system)} F1)`, bw.best),
    ...exampleLines(`Worst examples (by ${md(bw.system)} F1)`, bw.worst),
  ].join("\n");
}

/** The verdict, where the examples came from, and the teacher-forced accuracy of the best epoch. */
function headerLines(result: EvalResult, extras: ReportExtras): string[] {
  const lines = [`**Verdict.** ${extras.verdict ?? verdict(result)}`, ""];
  if (extras.unseenTargets !== undefined) {
    lines.push(
      `**Targets not seen in training.** ${md(unseenTargetsLine(result, extras.unseenTargets))}`,
      "",
    );
  }
  if (extras.provenance) {
    lines.push(
      `**Examples.** ${
        Object.entries(extras.provenance).map(([k, v]) => `${md(k)}: ${md(String(v))}`).join("; ")
      }.`,
      "",
    );
  }
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
  return lines;
}

/** Systems × metrics (with confidence intervals when there are any) and output statistics, and their legend. */
function scoreTableLines(result: EvalResult): string[] {
  const pct = Math.round(result.level * 100);
  const hasCI = result.ciNote === null;
  const cell = (ci: CI) => (hasCI ? `${f3(ci.mean)} [${f3(ci.lo)}, ${f3(ci.hi)}]` : f3(ci.mean));
  const lines = [
    `| system | kind | ${
      METRICS.map((m) => LABELS[m]).join(" | ")
    } | mean words | first word | first 3 words | <oov> | numbers in input | repeated trigram |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|`,
  ];
  for (const s of Object.values(result.systems)) {
    const cells = METRICS.map((m) => cell(s.ci[m])).join(" | ");
    lines.push(
      `| ${md(s.name)} | ${s.kind} | ${cells} | ${s.meanWords.toFixed(1)} | ${f3(s.firstWord)} | ${
        f3(s.firstThree)
      } | ${f3(s.output.oovShare)} | ${f3(s.output.numbersFromInput)} (${s.output.numbers}) | ${
        f3(s.output.repeatedTrigrams)
      } |`,
    );
  }
  lines.push(`| (reference) | | | | | | ${result.referenceWords.toFixed(1)} | | | | | |`, "");
  lines.push(
    hasCI
      ? `Means over examples with ${pct}% percentile-bootstrap CIs (${result.bootstrap} resamples, seed ` +
        `${result.seed}; the same resamples for every system).`
      : `Means over examples, without confidence intervals: ${md(result.ciNote ?? "")}.`,
  );
  lines.push(SCORE_LEGEND, "");
  return lines;
}

const SCORE_LEGEND =
  "F1 is the report's token F1 (clipped multiset overlap of whitespace tokens); ROUGE tokens are " +
  "lower-cased, split on whitespace, stripped of characters other than [a-z0-9]; no stemming, no " +
  "stopword removal; ROUGE-L is sentence-level LCS. References are the pseudo-labels (`label_rule` " +
  "re-applies the labelling rule: an upper bound). *First word* / *first 3 words*: the share of " +
  "predictions that start with the reference's first word / first three words, the decision that picks " +
  "the sentence (teacher-forced accuracy hides it). *<oov>*: share of prediction tokens that are the " +
  "unknown-word token. *Numbers in input*: share of the numbers (tokens with a digit) in the predictions " +
  "that occur in the input (their count in brackets). *Repeated trigram*: share of predictions in which a " +
  "word trigram occurs twice.";

/** Precision and recall of every system and metric. */
function precisionRecallLines(result: EvalResult): string[] {
  const lines = [
    `## Precision / recall`,
    "",
    `| system | ${METRICS.map((m) => `${LABELS[m]} P / R`).join(" | ")} |`,
    `|---|${METRICS.map(() => "---").join("|")}|`,
  ];
  for (const s of Object.values(result.systems)) {
    const cells = METRICS.map((m) => `${f3(s.detail[m].precision)} / ${f3(s.detail[m].recall)}`).join(" | ");
    lines.push(`| ${md(s.name)} | ${cells} |`);
  }
  lines.push("");
  return lines;
}

/** Summaries per second by decoder; nothing when no speed was measured. */
function decodeSpeedLines(decodeSpeed: Record<string, number>): string[] {
  const speed = Object.entries(decodeSpeed);
  if (speed.length === 0) return [];
  return [
    `## Decode speed`,
    "",
    `| decoder | summaries/s |`,
    `|---|---|`,
    ...speed.map(([name, v]) => `| ${md(name)} | ${Number.isFinite(v) ? v.toFixed(1) : "n/a"} |`),
    "",
  ];
}

/** A titled list of examples: input, reference, prediction (and beam) with their scores. */
function exampleLines(title: string, entries: readonly ExampleEntry[]): string[] {
  const lines = [`## ${title}`, ""];
  for (const e of entries) {
    lines.push(`- **id ${e.id}** (${md(e.station)} ${md(e.date)}): F1 ${f3(e.f1)}, ROUGE-L ${f3(e.rougeL)}`);
    lines.push(`  - input: ${md(e.input)}`);
    lines.push(`  - reference: ${md(e.reference)}`);
    lines.push(`  - prediction: ${md(e.prediction)}`);
    if (e.prediction_beam !== undefined) {
      lines.push(`  - beam (F1 ${f3(e.f1_beam ?? NaN)}): ${md(e.prediction_beam)}`);
    }
  }
  lines.push("");
  return lines;
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
 * missing), each atomically (`<file>.tmp` then rename), `metrics.json` removed first and written last. `extras.verdict` replaces the computed
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
  const metrics = metricsJson(result, extras);
  // metrics.json is what other tools read: it goes first and comes back last, so a write that fails in
  // between (a full disk) never leaves new scores beside older predictions or report
  await Deno.remove(paths.metrics).catch(() => {});
  await writeTextAtomic(paths.predictions, stringify(predictionRows(result)));
  await writeTextAtomic(paths.examples, JSON.stringify(bestAndWorst(result, 5), null, 2) + "\n");
  await writeTextAtomic(paths.report, reportMarkdown(result, extras) + "\n");
  await writeTextAtomic(paths.metrics, JSON.stringify(metrics, null, 2) + "\n");
  return paths;
}

/** The scores of every system as aligned text lines (what the CLIs print). */
export function scoreTable(metrics: MetricsJson): string {
  const lines = [
    `${metrics.split} (n=${metrics.n})      F1      ROUGE-1 ROUGE-2 ROUGE-L first word / 3 words`,
  ];
  for (const [k, v] of Object.entries(metrics.systems)) {
    lines.push(
      `  ${k.padEnd(15)} ${[v.f1, v.rouge1, v.rouge2, v.rougeL].map((x) => x.toFixed(4)).join("  ")}  ` +
        `${v.first_word.toFixed(3)} / ${v.first_3_words.toFixed(3)}`,
    );
  }
  const diffs = metrics.systems.model_greedy?.f1_minus ?? {};
  for (const [b, d] of Object.entries(diffs)) {
    const ci = d.ci[0] === null
      ? `no CI${metrics.ci_note ? "" : " (bootstrap off)"}`
      : `95% CI [${d.ci[0].toFixed(4)}, ${d.ci[1]!.toFixed(4)}]`;
    lines.push(`  model_greedy F1 - ${b}: ${d.mean >= 0 ? "+" : ""}${d.mean.toFixed(4)} (paired ${ci})`);
  }
  if (metrics.ci_note) lines.push(`  no CI: ${metrics.ci_note}`);
  const tf = metrics.teacher_forced;
  if (tf) {
    lines.push(
      `  teacher-forced validation accuracy (best epoch ${tf.epoch}): ${tf.acc.toFixed(4)}` +
        (tf.acc1 !== null ? `; first word ${tf.acc1.toFixed(4)}, later words ${tf.accRest!.toFixed(4)}` : ""),
    );
  }
  return lines.join("\n");
}

/** One decoded summary as `attention.json` keeps it: input words, output tokens, attention and `p_gen`. */
export interface AttentionRecord {
  input: string[];
  output: string[];
  weights: number[][];
  p_gen?: number[];
}

/**
 * The `attention.json` records of greedy summaries (ids, attention rows and `p_gen` per output token);
 * `source(i)` gives summary i's input words and how to turn its ids into tokens (copied words included).
 */
export function attentionRecords(
  decoded: readonly { ids: number[]; attention: ArrayLike<number>[]; pGen?: ArrayLike<number> | null }[],
  source: (i: number) => { input: string[]; tokenOf: (id: number) => string },
): AttentionRecord[] {
  return decoded.map((d, i) => {
    const { input, tokenOf } = source(i);
    return {
      input,
      output: d.ids.map(tokenOf),
      weights: d.attention.map((row) => Array.from(row, (w) => Number(w.toFixed(5)))),
      ...(d.pGen ? { p_gen: Array.from(d.pGen, (g) => Number(g.toFixed(4))) } : {}),
    };
  });
}
