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
import { parse, stringify } from "@std/csv";
import { writeTextAtomic } from "../io/atomic.ts";
import { InputError } from "./cli.ts";

export { noteFor, notesOf, type SummarizerRun, summarizeTexts, type Summary } from "../infer/summarize.ts";
import type { Summary } from "../infer/summarize.ts";

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
