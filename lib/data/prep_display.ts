/**
 * The data stage's report for people: rows for `console.table`, a notebook table (`table()` of
 * `lib/plot/notebook.ts`) or a DataFrame. Display only: nothing here changes the data.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { prepareData } from "./prep.ts";
 * import { prepReportTable } from "./prep_display.ts";
 * const data = await prepareData(resolveConfig("tiny", { embeddedSnippets: 100 }), undefined, { useEnv: false });
 * const rows = prepReportTable(data.report);
 * assert(rows.some((r) => r.item === "duplicates removed" && r.value === data.report.counts.duplicatesRemoved));
 * ```
 * @module
 */

import { filesWithBytesReplaced, skippedFileLines } from "./corpus.ts";
import type { LengthStats, PrepReport } from "./prep.ts";

/** One display row of {@linkcode prepReportTable}. */
export interface ReportRow {
  section: string;
  item: string;
  value: string | number;
}

/**
 * One line on the validation and test examples whose encoder input, cut to `maxInputLen` words, a training
 * example holds too (`PrepReport.sharedCutInputs`): what a run's log can print next to its split.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { PrepReport } from "./prep.ts";
 * import { sharedCutInputsLine } from "./prep_display.ts";
 * const sharedCutInputs = { maxInputLen: 50, val: 31, test: 41, valSameTarget: 22, testSameTarget: 29 };
 * assertEquals(
 *   sharedCutInputsLine({ sharedCutInputs } as PrepReport),
 *   "inputs equal to a training input after the cut to 50 words: val 31 / test 41 (same target too: 22 / 29)",
 * );
 * ```
 */
export function sharedCutInputsLine(r: Pick<PrepReport, "sharedCutInputs">): string {
  const s = r.sharedCutInputs;
  return `inputs equal to a training input after the cut to ${s.maxInputLen} words: val ${s.val} / test ${s.test} ` +
    `(same target too: ${s.valSameTarget} / ${s.testSameTarget})`;
}

/**
 * One line on the validation and test examples whose target is a training example's target
 * (`PrepReport.sharedTargets`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sharedTargetsLine } from "./prep_display.ts";
 * assertEquals(
 *   sharedTargetsLine({ sharedTargets: { val: 1042, test: 1071 } }),
 *   "targets equal to a training target: val 1042 / test 1071",
 * );
 * ```
 */
export function sharedTargetsLine(r: Pick<PrepReport, "sharedTargets">): string {
  return `targets equal to a training target: val ${r.sharedTargets.val} / test ${r.sharedTargets.test}`;
}

/**
 * What the loader passed over or changed, for the line a run prints next to its split ("" when nothing): rows and
 * files the lenient loader skipped, files read with their invalid bytes replaced, entries of the folder it did not
 * read. The details are in `prep_report.json` (`load`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { LoadReport } from "./corpus.ts";
 * import { loadNoticesLine } from "./prep_display.ts";
 * const file = { rows: 9, skipped: 0, blankLines: 0, empty: false, problems: [] };
 * const load: LoadReport = {
 *   dir: "/data", lenient: true, files: 3, emptyFiles: [], rows: 18, skipped: 4, skippedFiles: ["b.csv"],
 *   ignoredEntries: ["notes.txt"],
 *   perFile: [{ ...file, file: "a.csv", skipped: 1, fileProblem: "not valid UTF-8: invalid bytes replaced by U+FFFD" },
 *     { ...file, file: "b.csv", rows: 0, skipped: 3, fileProblem: "header lacks column(s) Snippet" },
 *     { ...file, file: "c.csv" }],
 * };
 * assertEquals(
 *   loadNoticesLine({ load }),
 *   "; lenient: 4 rows skipped (1 file skipped whole: b.csv); invalid UTF-8 replaced in a.csv; not read: notes.txt",
 * );
 * assertEquals(loadNoticesLine({ load: null }), "");
 * ```
 */
export function loadNoticesLine(r: Pick<PrepReport, "load">): string {
  const load = r.load;
  if (!load) return "";
  const parts: string[] = [];
  if (load.skipped > 0 || load.skippedFiles.length > 0) {
    const whole = load.skippedFiles.length;
    const files = whole > 0
      ? ` (${whole} file${whole === 1 ? "" : "s"} skipped whole: ${listed(load.skippedFiles)})`
      : "";
    parts.push(`lenient: ${load.skipped} row${load.skipped === 1 ? "" : "s"} skipped${files}`);
  }
  const replaced = filesWithBytesReplaced(load);
  if (replaced.length > 0) parts.push(`invalid UTF-8 replaced in ${listed(replaced)}`);
  if (load.ignoredEntries.length > 0) parts.push(`not read: ${listed(load.ignoredEntries)}`);
  return parts.map((p) => `; ${p}`).join("");
}

/** Up to three names, then how many more. */
function listed(names: readonly string[]): string {
  return names.length <= 3
    ? names.join(", ")
    : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const dist = (d: LengthStats) =>
  `min ${d.min} / median ${d.median} / p90 ${d.p90} / max ${d.max} (mean ${d.mean.toFixed(1)})`;

/** The report as rows for a table (notebooks: `console.table` or a DataFrame). */
export function prepReportTable(r: PrepReport): ReportRow[] {
  return [
    ...sourceAndCountRows(r),
    ...lengthAndVocabRows(r),
    ...(["train", "val", "test"] as const).flatMap((name) => splitRows(r, name)),
    { section: "time", item: "seconds (load/label/split/tokenize)", value: fmtSeconds(r.seconds) },
  ];
}

/**
 * Where the rows came from, every count from rows to splits (a file skipped whole by the lenient loader named
 * on a row of its own), the inputs shared across splits after the cut; what cleaning folded and dropped.
 */
function sourceAndCountRows(r: PrepReport): ReportRow[] {
  const c = r.counts;
  const shared = r.sharedCutInputs;
  return [
    { section: "source", item: "source", value: r.source },
    { section: "source", item: "data folder", value: r.dataDir ?? "(none)" },
    { section: "counts", item: "files", value: c.files },
    { section: "counts", item: "rows", value: c.rows },
    { section: "counts", item: "rows skipped (lenient)", value: c.skippedRows },
    ...(r.load ? skippedFileLines(r.load) : []).map((value) => ({
      section: "counts",
      item: "file skipped (lenient)",
      value,
    })),
    ...(r.load ? filesWithBytesReplaced(r.load) : []).map((value) => ({
      section: "counts",
      item: "file read with invalid bytes replaced (lenient)",
      value,
    })),
    ...(r.load?.ignoredEntries ?? []).map((value) => ({ section: "counts", item: "not read", value })),
    { section: "counts", item: "empty after cleaning", value: c.emptyAfterCleaning },
    { section: "counts", item: "examples", value: c.examples },
    { section: "counts", item: "label = whole text", value: c.labelIsWholeText },
    { section: "counts", item: "duplicates removed", value: c.duplicatesRemoved },
    { section: "counts", item: "unique", value: c.unique },
    { section: "counts", item: "left out by maxSnippets", value: c.cappedOut },
    { section: "counts", item: "train / val / test", value: `${c.train} / ${c.val} / ${c.test}` },
    {
      section: "counts",
      item: `val / test inputs equal to a training input (first ${shared.maxInputLen} words)`,
      value:
        `${shared.val} / ${shared.test} (same target too: ${shared.valSameTarget} / ${shared.testSameTarget})`,
    },
    {
      section: "counts",
      item: "val / test targets equal to a training target",
      value: `${r.sharedTargets.val} / ${r.sharedTargets.test}`,
    },
    { section: "cleaning", item: "characters folded to ASCII", value: r.cleaning.foldedChars },
    {
      section: "cleaning",
      item: "other-script characters dropped",
      value: r.cleaning.droppedOtherScriptChars,
    },
  ];
}

/** Length distributions and the vocabulary. */
function lengthAndVocabRows(r: PrepReport): ReportRow[] {
  return [
    { section: "lengths", item: "input words", value: dist(r.lengths.inputWords) },
    { section: "lengths", item: "target words", value: dist(r.lengths.targetWords) },
    { section: "lengths", item: "sentences", value: dist(r.lengths.sentences) },
    { section: "vocab", item: "size (requested)", value: `${r.vocab.size} (${r.vocab.requested})` },
    { section: "vocab", item: "distinct training words", value: r.vocab.trainDistinctWords },
    { section: "vocab", item: "training coverage", value: pct(r.vocab.trainCoverage) },
  ];
}

/** One split's OOV rates and cuts. */
function splitRows(r: PrepReport, name: "train" | "val" | "test"): ReportRow[] {
  const s = r.splits[name];
  return [
    {
      section: name,
      item: "input OOV rate",
      value: `${pct(s.inputOovRate)} (${s.inputOov}/${s.inputTokens})`,
    },
    {
      section: name,
      item: "target OOV rate",
      value: `${pct(s.targetOovRate)} (${s.targetOov}/${s.targetTokens})`,
    },
    {
      section: name,
      item: "truncated inputs / targets",
      value: `${s.inputsTruncated} (> ${r.settings.maxInputLen}) / ${s.targetsTruncated} (> ${
        r.settings.maxOutputLen - 1
      })`,
    },
  ];
}

function fmtSeconds(s: PrepReport["seconds"]): string {
  return `${s.load.toFixed(2)} / ${s.label.toFixed(2)} / ${s.split.toFixed(2)} / ${
    s.tokenize.toFixed(2)
  } (total ${s.total.toFixed(2)})`;
}
