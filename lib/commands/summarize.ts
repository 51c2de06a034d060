/**
 * Summaries of new text from a trained run: each text is cleaned, split into sentences and encoded exactly as
 * the run's training inputs were (its vocabulary, input length and sentence boundaries), then decoded greedily
 * (or with beam search). Words outside the run's vocabulary are counted and listed per text; a text with no
 * words gets an empty summary and a message, never an exception.
 *
 * Inputs the command takes (`deno task summarize`): one text as an argument, a CSV file (the Kaggle columns or
 * any file with a `Snippet` or `text` column; the output is the same CSV with a `summary` column added), or
 * standard input (one text per line, one summary per line).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { textColumn } from "./summarize.ts";
 * assertEquals(textColumn(["URL", "Station", "Snippet"]), 2);
 * assertEquals(textColumn(["id", "Text"]), 1);
 * assertEquals(textColumn(["id", "body"]), -1);
 * ```
 *
 * Re-summarizing an output CSV replaces its `summary`, `oov_words` and `oov_list` values instead of adding a
 * second set of columns:
 *
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { summaryCsv } from "./summarize.ts";
 * const s = { summary: "ice melts", words: 3, oovWords: [], oov: 0, cutWords: 0 };
 * assertEquals(summaryCsv(["id", "text"], [["1", "the ice melts"]], [s]), "id,text,summary,oov_words,oov_list\r\n1,the ice melts,ice melts,0,\r\n");
 * assertEquals(
 *   summaryCsv(["id", "text", "Summary"], [["1", "the ice melts", "old"]], [s]),
 *   "id,text,Summary,oov_words,oov_list\r\n1,the ice melts,ice melts,0,\r\n",
 * );
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { parse, stringify } from "@std/csv";
import type { Config } from "../config.ts";
import { textToEncoderWords } from "../data/encoder_input.ts";
import { BOUNDARY, OOV, type Tokenizer } from "../data/tokenizer.ts";
import { beamSearch, modelStepper } from "../infer/beam.ts";
import { encodeSources, summarizeWords } from "../infer/text.ts";
import { extractInferenceModels } from "../infer/models.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { InputError } from "./cli.ts";

/** The summary of one text, with what the model could not read. */
export interface Summary {
  summary: string;
  /** Words of the text (sentence boundaries not counted), read or not: `words - cutWords` were read. */
  words: number;
  /** Distinct words outside the run's vocabulary, in order of appearance (they reached the model as `<oov>`). */
  oovWords: string[];
  /** Occurrences of words outside the vocabulary among the words the model read. */
  oov: number;
  /** Words past the run's input length, which the model did not see. */
  cutWords: number;
  /** Why there is no summary (empty text), else undefined. */
  problem?: string;
  /** The run has copy attention: words outside the vocabulary can still be copied into the summary. */
  copyable?: boolean;
}

/** The run parts summarizing needs. */
export interface SummarizerRun {
  cfg: Pick<Config, "maxInputLen" | "maxOutputLen" | "sentenceBoundaries" | "beamWidth" | "lengthPenalty">;
  model: tf.LayersModel;
  tokenizer: Tokenizer;
}

/** Summaries of `texts` (any strings; empty ones get `problem` set), greedy or with beam search. */
export async function summarizeTexts(
  run: SummarizerRun,
  texts: readonly string[],
  opts: { beam?: boolean } = {},
): Promise<Summary[]> {
  const { cfg, tokenizer } = run;
  const tin = cfg.maxInputLen;
  const out: Summary[] = [];
  const rows: number[] = [];
  // the encoder words of each text with words (an extended id in a summary names one of them)
  const source: string[][] = [];
  texts.forEach((text, i) => {
    const ws = typeof text === "string" ? textToEncoderWords(text, cfg.sentenceBoundaries) : [];
    const realWords = ws.filter((w) => w !== BOUNDARY);
    const oovWords: string[] = [];
    let oov = 0;
    for (const w of ws.slice(0, tin)) {
      if (w !== BOUNDARY && tokenizer.idOf(w) === OOV) {
        oov++;
        if (!oovWords.includes(w)) oovWords.push(w);
      }
    }
    const cut = ws.slice(tin).filter((w) => w !== BOUNDARY).length;
    if (realWords.length === 0) {
      out.push({
        summary: "",
        words: 0,
        oovWords: [],
        oov: 0,
        cutWords: 0,
        problem: "no words to summarize (empty, or nothing left after cleaning)",
      });
      return;
    }
    source.push(ws.slice(0, tin));
    rows.push(i);
    out.push({ summary: "", words: realWords.length, oovWords, oov, cutWords: cut });
  });
  if (rows.length === 0) return out;
  const models = extractInferenceModels(run.model);
  if (models.layers.pointer) { for (const r of rows) out[r].copyable = true; }
  if (opts.beam) {
    // ids and extended ids (copy attention) of every text, as the greedy path's summarizeWords makes them
    const { encIn, extended } = encodeSources(tokenizer, source, tin);
    const row = (m: Int32Array, r: number) => m.subarray(r * tin, (r + 1) * tin);
    for (let r = 0; r < rows.length; r++) {
      const stepper = modelStepper(models, row(encIn, r), row(extended, r));
      try {
        const d = await beamSearch(stepper, {
          beamWidth: cfg.beamWidth,
          lengthPenalty: cfg.lengthPenalty,
          maxLen: cfg.maxOutputLen,
        });
        out[rows[r]].summary = tokenizer.decode(d.ids, source[r]);
      } finally {
        stepper.dispose();
      }
    }
  } else {
    const summaries = await summarizeWords(models, tokenizer, source, { maxLen: cfg.maxOutputLen });
    summaries.forEach((s, r) => (out[rows[r]].summary = s.text));
  }
  return out;
}

/** Column names that hold the text, in order of preference (case-insensitive). */
export const TEXT_COLUMNS = ["snippet", "text"] as const;

/** Index of the text column in a CSV header (`Snippet`, else `text`, any case), or -1. */
export function textColumn(header: readonly string[]): number {
  const lower = header.map((h) => h.trim().replace(/^\ufeff/, "").toLowerCase());
  for (const name of TEXT_COLUMNS) {
    const i = lower.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * Read a CSV file for summarizing: its header, its rows and the index of the text column. An unreadable file,
 * a file without rows, one without a text column, or a row whose field count differs from the header's is an
 * {@linkcode InputError} naming the file (and the row: data rows are counted from 1 after the header).
 */
export async function readTextCsv(
  path: string,
): Promise<{ header: string[]; rows: string[][]; column: number }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as Error).message})`);
  }
  text = text.replace(/^\ufeff/, "");
  let table: string[][];
  try {
    table = parse(text, { fieldsPerRecord: -1 });
  } catch (e) {
    throw new InputError(`${path}: not a valid CSV file (${(e as Error).message.split("\n")[0]})`);
  }
  if (table.length === 0 || (table.length === 1 && table[0].length === 1 && table[0][0].trim() === "")) {
    throw new InputError(`${path}: the file is empty (expected a header and rows)`);
  }
  const header = table[0];
  // blank lines between rows of a multi-column file are not rows (in a one-column file they are empty texts)
  if (header.length > 1) table = table.filter((r) => !(r.length === 1 && r[0] === ""));
  const column = textColumn(header);
  if (column < 0) {
    throw new InputError(
      `${path}: no text column: expected a column named Snippet or text (found ${
        header.map((h) => JSON.stringify(h)).join(", ")
      })`,
    );
  }
  const rows = table.slice(1);
  if (rows.length === 0) throw new InputError(`${path}: the file has a header but no rows`);
  const ragged = rows.findIndex((r) => r.length !== header.length);
  if (ragged >= 0) {
    throw new InputError(
      `${path}: data row ${ragged + 1} has ${rows[ragged].length} fields, the header has ${header.length}`,
    );
  }
  return { header, rows, column };
}

/** The columns {@linkcode summaryCsv} writes, in this order. */
export const SUMMARY_COLUMNS = ["summary", "oov_words", "oov_list"] as const;

/**
 * The output CSV: the input columns plus `summary`, `oov_words` (count) and `oov_list`. A column the input
 * already has under one of these names (any case; an earlier output summarized again) keeps its place and its
 * header and gets the new values; only the missing ones are appended.
 */
export function summaryCsv(
  header: readonly string[],
  rows: readonly string[][],
  summaries: Summary[],
): string {
  const lower = header.map((h) => h.trim().replace(/^\ufeff/, "").toLowerCase());
  // the input columns of each added name (all of them: a file with duplicated columns gets them all updated)
  const at = SUMMARY_COLUMNS.map((name) => lower.flatMap((h, i) => (h === name ? [i] : [])));
  const appended = SUMMARY_COLUMNS.filter((_, k) => at[k].length === 0);
  const out: string[][] = [[...header, ...appended]];
  rows.forEach((r, i) => {
    const s = summaries[i];
    const values = [s.summary, String(s.oov), s.oovWords.join(" ")];
    const row = [...r];
    at.forEach((cols, k) => cols.forEach((c) => (row[c] = values[k])));
    out.push([...row, ...values.filter((_, k) => at[k].length === 0)]);
  });
  return stringify(out);
}

/** The folder `path` lies in (`.` for a bare file name). */
function folderOf(path: string): string {
  const sep = Math.max(path.lastIndexOf("/"), Deno.build.os === "windows" ? path.lastIndexOf("\\") : -1);
  return sep < 0 ? "." : sep === 0 ? path.slice(0, 1) : path.slice(0, sep);
}

/**
 * Check that an output file can be written, before anything slow runs: `path` is not a folder, and its folder
 * exists and takes new files (a probe file is created there and removed; the write itself goes through
 * `<path>.tmp` in the same folder). An existing file at `path` is left untouched. Any problem is an
 * {@linkcode InputError} naming `path`.
 */
export async function checkOutputPath(path: string): Promise<void> {
  const dir = folderOf(path);
  try {
    if ((await Deno.stat(path)).isDirectory) throw new InputError(`${path}: cannot write: it is a folder`);
  } catch (e) {
    if (e instanceof InputError) throw e;
    // no file there yet (or not visible): the folder check below says why it cannot be written, if it cannot
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    throw new InputError(
      e instanceof Deno.errors.NotFound
        ? `${path}: cannot write: the folder ${dir} does not exist`
        : `${path}: cannot write: the folder ${dir} cannot be read (${(e as Error).message})`,
    );
  }
  if (!info.isDirectory) throw new InputError(`${path}: cannot write: ${dir} is not a folder`);
  let probe: string;
  try {
    probe = await Deno.makeTempFile({ dir, prefix: ".summarize-probe-" });
  } catch (e) {
    throw new InputError(`${path}: cannot write into the folder ${dir} (${(e as Error).message})`);
  }
  await Deno.remove(probe).catch(() => {});
}

/** Write the output file atomically; a failure is one {@linkcode InputError} naming the file. */
export async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await writeTextAtomic(path, text);
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
    throw new InputError(`${path}: cannot write (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

/**
 * One stderr line about a text's unknown or unseen words and problems, or null when there is nothing to say.
 * Unknown words are counted among the words the model read (the first `maxInputLen` tokens); the words past
 * the input length are reported apart.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { noteFor } from "./summarize.ts";
 * const s = { summary: "", words: 5000, oovWords: ["zork"], oov: 25, cutWords: 4950 };
 * assertEquals(
 *   noteFor("text 1", s),
 *   "text 1: 25 of the 50 words read are outside the vocabulary (read as <oov>): zork; " +
 *     "the last 4950 words are past the input length and were not read",
 * );
 * ```
 */
export function noteFor(label: string, s: Summary): string | null {
  if (s.problem) return `${label}: ${s.problem}`;
  const parts: string[] = [];
  if (s.oov > 0) {
    const read = s.words - s.cutWords;
    parts.push(
      `${
        s.cutWords > 0
          ? `${s.oov} of the ${read} words read are outside the vocabulary`
          : `${s.oov} of ${s.words} words outside the vocabulary`
      } (read as <oov>${s.copyable ? "; copy attention can still write them" : ""}): ${
        s.oovWords.slice(0, 12).join(", ")
      }${s.oovWords.length > 12 ? ", ..." : ""}`,
    );
  }
  if (s.cutWords > 0) parts.push(`the last ${s.cutWords} words are past the input length and were not read`);
  return parts.length > 0 ? `${label}: ${parts.join("; ")}` : null;
}
