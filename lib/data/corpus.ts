/**
 * Corpus loading: the Kaggle "Environmental News NLP" layout (`<dir>/TelevisionNews/*.csv`, columns
 * URL, MatchDateTime, Station, Show, IAShowID, IAPreviewThumb, Snippet) read with `@std/csv` into typed
 * rows, plus a load report that accounts for every record.
 *
 * Handled quirks: a UTF-8 byte-order mark at the start of every file, files holding only a BOM (or
 * nothing), quoted fields with commas, quotes and newlines, CRLF, LF or lone-CR line ends, blank lines,
 * files that are symbolic links.
 *
 * Bad input:
 * - strict mode (default): the first problem throws an error naming the file, and the line for a
 *   row (1-based physical line of the file, the header being line 1): a header without the expected
 *   columns or naming one twice, an unparsable record, a row whose field count differs from the header's,
 *   the header's line again inside the file, a quoted field over several lines one of which is a whole row
 *   of its own (a quote left open: the header's width, a URL and a date like the corpus's), a file that is not
 *   valid UTF-8, a `.csv` entry that is no file (a folder, a dangling link);
 * - lenient mode: a bad row is skipped, counted and listed with its line and reason in its file's
 *   {@linkcode FileReport} (`problems`); a file with a bad header is skipped whole: its rows are counted in
 *   `skipped` but not listed one by one (none of them was read), its one reason is the file's `fileProblem`,
 *   and its name is in `LoadReport.skippedFiles`; {@linkcode skippedFileLines} says so in one line per file.
 *   A file that is not valid UTF-8 is read with the bad bytes replaced, and noted in its `fileProblem`. A
 *   quote left open makes a record run on to a later line's quote: when that record does not parse, only
 *   its first line is skipped and the lines after it are read again. Nothing is dropped silently.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeEmbeddedCsv } from "./embedded.ts";
 * import { loadCorpus } from "./corpus.ts";
 * const dir = await Deno.makeTempDir();
 * await writeEmbeddedCsv(dir, 50, 1); // the Kaggle layout: dir/TelevisionNews/STATION.YYYYMM.csv
 * const { rows, report } = await loadCorpus(dir);
 * assertEquals(rows.length, 50);
 * assertEquals(report.skipped, 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

import { parse } from "@std/csv";
import type pl from "nodejs-polars";
import { resolve } from "node:path";
import { envVar } from "../util/env.ts";

/** The CSV columns of the Kaggle layout, in file order. */
export const CSV_COLUMNS = [
  "URL",
  "MatchDateTime",
  "Station",
  "Show",
  "IAShowID",
  "IAPreviewThumb",
  "Snippet",
] as const;

/** The sub-folder of a data folder that holds the CSV files. */
export const CORPUS_SUBDIR = "TelevisionNews";

/** Environment variable naming the data folder (the one that contains `TelevisionNews/`). */
export const DATA_ENV_VAR = "ENVNEWS_DIR";

/** One snippet with its metadata and its origin in the files. */
export interface CorpusRow {
  /** CSV file name inside `TelevisionNews/`, e.g. `CNN.201901.csv`. */
  file: string;
  /** 1-based line where the record starts (the header is line 1). */
  line: number;
  url: string;
  /** As written in the file, e.g. `1/30/2019 0:03:29`. */
  matchDateTime: string;
  station: string;
  show: string;
  iaShowId: string;
  iaPreviewThumb: string;
  /** The raw text to summarise. */
  snippet: string;
}

/** A skipped row (lenient mode) and why. */
export interface RowProblem {
  /** 1-based line where the record starts. */
  line: number;
  reason: string;
}

/** What happened to one CSV file. */
export interface FileReport {
  file: string;
  /** Rows loaded from this file. */
  rows: number;
  /**
   * Rows skipped (lenient mode): the bad rows listed in `problems`, or, for a file skipped whole (a bad header,
   * `fileProblem`), every record after its header line, none of them listed.
   */
  skipped: number;
  /** Blank lines between records (ignored, as CSV readers do). */
  blankLines: number;
  /** True when the file holds no header at all (empty, or only a BOM). */
  empty: boolean;
  /** The rows skipped in a file whose header was read, one entry each (empty for a file skipped whole). */
  problems: RowProblem[];
  /**
   * A file-level problem (lenient mode): a bad header (missing columns, unparsable; the whole file is then
   * skipped, see `skipped`), or invalid UTF-8 (the file is read, its bad bytes replaced by U+FFFD).
   */
  fileProblem?: string;
}

/** Counts for a whole load; JSON-serialisable. */
export interface LoadReport {
  /** Absolute path of the data folder. */
  dir: string;
  lenient: boolean;
  /** CSV files found (all of them, empty ones included). */
  files: number;
  /** Files with no header (empty or BOM-only). */
  emptyFiles: string[];
  /** Rows loaded. */
  rows: number;
  /** Rows skipped in lenient mode: the sum of every file's `skipped`, the rows of files skipped whole included. */
  skipped: number;
  /** Files skipped whole in lenient mode (a bad header; the reason is their `fileProblem`). */
  skippedFiles: string[];
  /**
   * Entries of `TelevisionNews/` that were not read: those not named `.csv`, and (lenient mode) `.csv` entries that
   * are no readable file, written `name (why)`.
   */
  ignoredEntries: string[];
  perFile: FileReport[];
}

/** Options of {@linkcode loadCorpus}. */
export interface LoadOptions {
  /** Skip and count bad rows/files instead of throwing. Default false. */
  lenient?: boolean;
}

/** Error thrown for bad corpus input; `file` and `line` say where (line 0 = the whole file). */
export class CorpusError extends Error {
  constructor(message: string, readonly file: string, readonly line: number) {
    super(message);
    this.name = "CorpusError";
  }
}

const BOM = "\ufeff";
const QUOTE = 34; // "
const NL = 10; // \n
const CR = 13; // \r
const COMMA = 44; // ,

/** A raw CSV record: its text (without the line end) and the line it starts on. */
interface RawRecord {
  text: string;
  line: number;
  /** Set when the scanner already knows the record is malformed. */
  error?: string;
  /** Read again after a bad record over several lines (lenient): a row only if it looks like one. */
  recut?: boolean;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf("\n", from); i >= 0 && i < to; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Cut CSV text into records, quote-aware (a newline inside a quoted field does not end a record), and
 * note the line each starts on. Blank lines are counted, not returned. A quoted field that is never
 * closed makes its record stop at the end of its first line (flagged), so one stray quote cannot
 * swallow the rest of a file.
 */
function scanRecords(text: string): { records: RawRecord[]; blankLines: number } {
  const records: RawRecord[] = [];
  const n = text.length;
  let blankLines = 0;
  let i = 0;
  let line = 1;
  while (i < n) {
    const start = i;
    const startLine = line;
    let fieldStart = true;
    let error: string | undefined;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === QUOTE && fieldStart) {
        let j = i + 1;
        let closed = -1;
        while (true) {
          const q = text.indexOf('"', j);
          if (q < 0) break;
          if (text.charCodeAt(q + 1) === QUOTE) {
            j = q + 2;
            continue;
          }
          closed = q;
          break;
        }
        if (closed < 0) {
          error = "unterminated quoted field";
          const eol = text.indexOf("\n", i);
          i = eol < 0 ? n : eol;
          break;
        }
        line += countNewlines(text, i, closed);
        i = closed + 1;
        fieldStart = false;
        continue;
      }
      if (c === NL) break;
      fieldStart = c === COMMA;
      i++;
    }
    let end = i;
    if (end > start && text.charCodeAt(end - 1) === CR) end--;
    if (end > start) records.push({ text: text.slice(start, end), line: startLine, error });
    else blankLines++;
    if (i < n) {
      i++; // the newline
      line++;
    }
  }
  return { records, blankLines };
}

/** Parse one record with `@std/csv`; returns the fields or a reason it failed. */
function parseRecord(rec: RawRecord): string[] | string {
  if (rec.error) return rec.error;
  try {
    const rows = parse(rec.text);
    if (rows.length !== 1) return `expected one record, parsed ${rows.length}`;
    return rows[0];
  } catch (e) {
    return `unparsable CSV (${parseErrorWhere(rec, e instanceof Error ? e.message : String(e))})`;
  }
}

/**
 * `@std/csv`'s message with its position made the file's: it counts lines from the record's first line
 * ("Syntax error on line 1; parse error on line 2, column 5: ..."), which is line `rec.line` of the file.
 */
function parseErrorWhere(rec: RawRecord, msg: string): string {
  const m = /^(?:Syntax error on line \d+; )?parse error on line (\d+), column (\d+): /.exec(msg);
  if (!m) return msg.replace(/^Syntax error on line \d+; /, "");
  return `line ${rec.line + Number(m[1]) - 1}, column ${m[2]}: ${msg.slice(m[0].length)}`;
}

function absolute(dir: string): string {
  return resolve(dir);
}

function missingFolderMessage(dir: string, sub: string, dirExists: boolean): string {
  return `corpus: no folder ${sub} (looked for ${sub}/*.csv${
    dirExists ? "" : `; ${dir} does not exist`
  }). Point the project at the data folder that contains ${CORPUS_SUBDIR}/ with --data=PATH or the ` +
    `${DATA_ENV_VAR} environment variable, or leave both unset to use the embedded corpus.`;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    // a link loop, no permission: one line naming the folder, not a stack trace
    throw new CorpusError(
      `corpus: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
      path,
      0,
    );
  }
}

/**
 * Load every `dir/TelevisionNews/*.csv` (file names in sorted order, rows in file order).
 * Throws a {@linkcode CorpusError} on bad input in strict mode (see the module docs); an Error that
 * says where it looked and how to point the project at the data when the folder is missing.
 */
export async function loadCorpus(
  dir: string,
  opts: LoadOptions = {},
): Promise<{ rows: CorpusRow[]; report: LoadReport }> {
  const lenient = opts.lenient ?? false;
  const abs = absolute(dir);
  const sub = `${abs}/${CORPUS_SUBDIR}`;
  const { names, ignoredEntries } = await listCsvFiles(abs, sub, lenient);
  // readTextFile decodes in native code (fast) but replaces invalid bytes with U+FFFD (see decodedText)
  const texts = await Promise.all(names.map((n) => readCsvText(`${sub}/${n}`, n)));
  const rows: CorpusRow[] = [];
  const report: LoadReport = {
    dir: abs,
    lenient,
    files: names.length,
    emptyFiles: [],
    rows: 0,
    skipped: 0,
    skippedFiles: [],
    ignoredEntries,
    perFile: [],
  };
  for (let f = 0; f < names.length; f++) {
    const { fr, skippedFile } = await loadFile({ sub, name: names[f], lenient }, texts[f], rows);
    report.perFile.push(fr);
    if (fr.empty) report.emptyFiles.push(fr.file);
    if (skippedFile) report.skippedFiles.push(fr.file);
    report.skipped += fr.skipped;
  }
  report.rows = rows.length;
  return { rows, report };
}

/**
 * The `.csv` files of `sub` (a symbolic link to a file counts as the file) and its other entries, both sorted;
 * throws when there is no such folder or file. A `.csv` entry that is no readable file (a folder, a dangling link)
 * throws in strict mode and is listed with why in lenient mode, never passed over silently.
 */
async function listCsvFiles(
  abs: string,
  sub: string,
  lenient: boolean,
): Promise<{ names: string[]; ignoredEntries: string[] }> {
  if (!isDirectory(sub)) throw new CorpusError(missingFolderMessage(abs, sub, isDirectory(abs)), sub, 0);
  const names: string[] = [];
  const ignoredEntries: string[] = [];
  for await (const e of Deno.readDir(sub)) {
    const csv = e.name.toLowerCase().endsWith(".csv");
    const notFile = csv ? await whyNotAFile(`${sub}/${e.name}`, e) : null;
    if (csv && notFile === null) names.push(e.name);
    else if (csv) {
      failUnlessLenient({ sub, name: e.name, lenient }, 0, notFile!);
      ignoredEntries.push(`${e.name} (${notFile})`);
    } else ignoredEntries.push(e.name);
  }
  names.sort();
  ignoredEntries.sort();
  if (names.length === 0) {
    throw new CorpusError(
      `corpus: ${sub} holds no .csv files. Point the project at the data folder that contains ` +
        `${CORPUS_SUBDIR}/*.csv with --data=PATH or ${DATA_ENV_VAR}, or leave both unset to use the embedded corpus.`,
      sub,
      0,
    );
  }
  return { names, ignoredEntries };
}

/**
 * The file's text; a file that cannot be read (no permission, removed meanwhile) is a {@linkcode CorpusError}
 * naming it.
 */
async function readCsvText(path: string, name: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new CorpusError(
      `corpus: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
      name,
      0,
    );
  }
}

/** Null when `path` (a directory entry; a symbolic link is followed) is a file; else what it is. */
async function whyNotAFile(path: string, e: Deno.DirEntry): Promise<string | null> {
  if (e.isFile) return null;
  if (!e.isSymlink) return e.isDirectory ? "a folder, not a file" : "not a regular file";
  try {
    const target = await Deno.stat(path);
    return target.isFile ? null : "a link to something that is not a file";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "a link to nothing (dangling)";
    return `a link that cannot be followed (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** One CSV file being read: its folder, its name, and whether bad rows are skipped (lenient) or fatal. */
interface CsvFile {
  sub: string;
  name: string;
  lenient: boolean;
}

/**
 * One line per file skipped whole (lenient mode): its name, how many rows it held, and why (its `fileProblem`).
 * Its rows are in the report's `skipped` count but in no `problems` list; this is the line that names the file.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { skippedFileLines } from "./corpus.ts";
 * const file = { file: "CNN.201001.csv", rows: 0, skipped: 2, blankLines: 0, empty: false, problems: [] };
 * const perFile = [{ ...file, fileProblem: "header lacks column(s) Snippet" }];
 * assertEquals(skippedFileLines({ skippedFiles: ["CNN.201001.csv"], perFile }), [
 *   "CNN.201001.csv: skipped whole (2 rows): header lacks column(s) Snippet",
 * ]);
 * ```
 */
export function skippedFileLines(report: Pick<LoadReport, "skippedFiles" | "perFile">): string[] {
  const skipped = new Set(report.skippedFiles);
  return report.perFile.filter((f) => skipped.has(f.file)).map((f) =>
    `${f.file}: skipped whole (${f.skipped} row${f.skipped === 1 ? "" : "s"}): ${
      f.fileProblem ?? "bad header"
    }`
  );
}

/** Strict mode: throw for a problem at `line` of `file` (0: the whole file). Lenient mode: return. */
function failUnlessLenient(file: CsvFile, line: number, what: string): void {
  if (file.lenient) return;
  const where = line > 0 ? `${file.sub}/${file.name}:${line}` : `${file.sub}/${file.name}`;
  throw new CorpusError(
    `corpus: ${where}: ${what} (use --lenient to skip and count such ${line > 0 ? "rows" : "files"})`,
    file.name,
    line,
  );
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The `fileProblem` of a file read (lenient) with its invalid bytes replaced. */
const BYTES_REPLACED = "not valid UTF-8: invalid bytes replaced by U+FFFD";

/** The files the lenient loader read with their invalid UTF-8 bytes replaced by U+FFFD. */
export function filesWithBytesReplaced(report: Pick<LoadReport, "perFile">): string[] {
  return report.perFile.filter((f) => f.fileProblem === BYTES_REPLACED).map((f) => f.file);
}

/**
 * The file's text without its BOM, lone-CR line ends made LF. A text holding U+FFFD is decoded again strictly,
 * to tell real invalid bytes (strict: an error; lenient: noted in `fr.fileProblem`) from a literal U+FFFD.
 */
async function decodedText(file: CsvFile, text: string, fr: FileReport): Promise<string> {
  if (text.includes("\ufffd")) {
    try {
      STRICT_UTF8.decode(await Deno.readFile(`${file.sub}/${file.name}`));
    } catch {
      failUnlessLenient(file, 0, "not valid UTF-8");
      fr.fileProblem = BYTES_REPLACED;
    }
  }
  const noBom = text.startsWith(BOM) ? text.slice(1) : text;
  // classic Mac line ends (a lone CR, no LF anywhere): read as lines, not as one header line holding every row
  return noBom.includes("\r") && !noBom.includes("\n") ? noBom.replaceAll("\r", "\n") : noBom;
}

/** `fields` joined for a one-line message: at most 160 characters, the rest counted. */
function shortList(fields: readonly string[]): string {
  const all = fields.join(", ");
  return all.length <= 160 ? all : `${all.slice(0, 160)}... (${all.length} characters in all)`;
}

/** The header's fields and the position of each of {@linkcode CSV_COLUMNS} in them, or what is wrong with it. */
function readHeader(rec: RawRecord): { fields: string[]; col: number[] } | string {
  const header = parseRecord(rec);
  if (typeof header === "string") return `header is ${header}`;
  const fields = header.map((h) => h.trim());
  const col = CSV_COLUMNS.map((c) => fields.indexOf(c));
  const missing = CSV_COLUMNS.filter((_, k) => col[k] < 0);
  // a column named twice: which of the two holds the data cannot be told, so neither is guessed
  const repeated = CSV_COLUMNS.filter((c, k) => col[k] >= 0 && fields.indexOf(c, col[k] + 1) >= 0);
  if (missing.length === 0 && repeated.length > 0) {
    return `header repeats column(s) ${repeated.join(", ")} (found: ${shortList(fields)})`;
  }
  if (missing.length === 0) return { fields, col };
  return `header lacks column(s) ${missing.join(", ")} (found: ${shortList(fields)}; expected: ${
    CSV_COLUMNS.join(", ")
  })`;
}

/**
 * Read one file's rows into `rows`; returns its report and whether the whole file was skipped (a bad header,
 * lenient mode). Strict mode throws at the first problem.
 */
async function loadFile(
  file: CsvFile,
  raw: string,
  rows: CorpusRow[],
): Promise<{ fr: FileReport; skippedFile: boolean }> {
  const fr: FileReport = { file: file.name, rows: 0, skipped: 0, blankLines: 0, empty: false, problems: [] };
  const { records, blankLines } = scanRecords(await decodedText(file, raw, fr));
  fr.blankLines = blankLines;
  if (records.length === 0) {
    fr.empty = true;
    return { fr, skippedFile: false };
  }
  const header = readHeader(records[0]);
  if (typeof header === "string") {
    failUnlessLenient(file, 0, header);
    fr.fileProblem = header;
    fr.skipped = records.length - 1;
    return { fr, skippedFile: true };
  }
  const queue = records.slice(1).reverse(); // popped from the end: file order
  while (queue.length > 0) {
    const rec = queue.pop()!;
    const fields = parseRecord(rec);
    const problem = rowProblem(fields, header.fields) ??
      rowInsideField(rec, header.col, header.fields.length) ??
      (rec.recut && !isCorpusRow(fields as string[], header.col, header.fields.length)
        ? "read again after a bad quoted record, but not a row (its URL and date are not the corpus's)"
        : null);
    // a lone CR inside a file of LF or CRLF line ends (read as lines only where a file has no LF at all)
    const why = problem !== null && /\r(?!\n)/.test(rec.text)
      ? `${problem}; it holds a carriage return without a line feed (mixed line ends?)`
      : problem;
    if (why !== null) {
      failUnlessLenient(file, rec.line, why);
      const recut = recutRecord(rec);
      if (recut) {
        // a loop, not push(...): a quote left open over 100,000 lines would overflow the call's arguments
        for (let k = recut.after.length - 1; k >= 0; k--) queue.push(recut.after[k]);
        fr.blankLines += recut.blankLines;
      }
      fr.problems.push({ line: rec.line, reason: recut ? `${why}; ${recut.note}` : why });
      fr.skipped++;
      continue;
    }
    rows.push(corpusRow(file.name, rec.line, fields as string[], header.col));
    fr.rows++;
  }
  return { fr, skippedFile: false };
}

/**
 * Lenient mode: a bad record over several lines (unparsable, or not the header's width) is most likely a stray
 * quote that the scanner closed at a quote of a later line. Only its first line is skipped; the lines after it
 * are scanned again as records of their own, so each is read or counted. Null for a record of one line.
 */
function recutRecord(rec: RawRecord): { after: RawRecord[]; blankLines: number; note: string } | null {
  const nl = rec.text.indexOf("\n");
  if (nl < 0) return null;
  const { records, blankLines } = scanRecords(rec.text.slice(nl + 1));
  const after = records.map((r) => ({ ...r, line: r.line + rec.line, recut: true }));
  const last = rec.line + countNewlines(rec.text, 0, rec.text.length);
  return {
    after,
    blankLines,
    note: `the record ran to line ${last}: only line ${rec.line} skipped, the rest read again`,
  };
}

/**
 * A record over several lines that parsed, but one line of whose quoted field is a whole row on its own: legal
 * CSV, yet almost surely a quote left open that swallowed the row (no snippet of the real corpus holds a line
 * break). A line counts as a row when it has the header's width and its URL and MatchDateTime columns look like
 * the corpus's (`http...`, `M/D/YYYY`), so a snippet line that merely holds six commas is not one. The first line
 * is read from the field's opening quote on, the last up to its closing quote. Null when no such line is inside.
 */
function rowInsideField(rec: RawRecord, col: readonly number[], width: number): string | null {
  if (!rec.text.includes("\n")) return null; // most records: one line, nothing to look inside
  const lines = rec.text.split("\n").map((l) => l.replace(/\r$/, ""));
  for (let k = 0; k < lines.length; k++) {
    let text = lines[k];
    if (k === 0) text = text.slice(text.lastIndexOf('"') + 1); // after the quote that opened the field
    if (k === lines.length - 1) text = text.slice(0, Math.max(0, text.indexOf('"'))); // before the one closing it
    const inner = parseRecord({ text, line: rec.line + k });
    if (typeof inner === "string" || !isCorpusRow(inner, col, width)) continue;
    return k === 0
      ? `a quoted field opened on line ${rec.line} holds a whole row after its quote (a quote left open?)`
      : `a quoted field runs over line ${rec.line + k}, which is a whole row of its own (a quote left open?)`;
  }
  return null;
}

/** `fields` are a row of `width` fields whose URL and MatchDateTime look like the corpus's. */
function isCorpusRow(fields: readonly string[], col: readonly number[], width: number): boolean {
  if (fields.length !== width) return false;
  return /^https?:\/\//.test(fields[col[0]].trim()) && /^\d{1,2}\/\d{1,2}\/\d{4}/.test(fields[col[1]].trim());
}

/**
 * Why a parsed record is not a row (unparsable, the header's line again, or not as many fields as the header),
 * or null.
 */
function rowProblem(fields: string[] | string, header: readonly string[]): string | null {
  if (typeof fields === "string") return fields;
  const width = header.length;
  // files joined with `cat` repeat their header inside: such a line is not a snippet
  if (fields.length === width && fields.every((f, k) => f.trim() === header[k])) {
    return "a repeated header line";
  }
  if (fields.length === width) return null;
  return `row has ${fields.length} field(s), the header has ${width}` +
    (fields.length < width ? ` (missing from ${header[fields.length]} on)` : "");
}

/** A row from its record's fields; `col[k]` is the position of `CSV_COLUMNS[k]`. */
function corpusRow(file: string, line: number, fields: readonly string[], col: readonly number[]): CorpusRow {
  return {
    file,
    line,
    url: fields[col[0]],
    matchDateTime: fields[col[1]],
    station: fields[col[2]],
    show: fields[col[3]],
    iaShowId: fields[col[4]],
    iaPreviewThumb: fields[col[5]],
    snippet: fields[col[6]],
  };
}

/**
 * The data folder to load: the config value (`--data=PATH`) when non-empty, else the `ENVNEWS_DIR`
 * environment variable when set (and readable: without env permission it counts as unset), else
 * `null`, meaning "use the embedded corpus".
 */
export function resolveDataDir(cfgData: string): string | null {
  if (cfgData.trim() !== "") return cfgData;
  return envVar(DATA_ENV_VAR) ?? null;
}

/**
 * The rows as a `nodejs-polars` DataFrame (columns file, line, url, matchDateTime, station, show,
 * iaShowId, iaPreviewThumb, snippet), for analysis and display in notebooks. Async because polars
 * (a native library, needs `--allow-ffi`) is loaded only when this is called.
 */
export async function corpusToDataFrame(rows: readonly CorpusRow[]): Promise<pl.DataFrame> {
  const { default: polars } = await import("nodejs-polars");
  const col = <K extends keyof CorpusRow>(k: K) => rows.map((r) => r[k]);
  return polars.DataFrame([
    polars.Series("file", col("file"), polars.Utf8),
    polars.Series("line", col("line"), polars.Int32),
    polars.Series("url", col("url"), polars.Utf8),
    polars.Series("matchDateTime", col("matchDateTime"), polars.Utf8),
    polars.Series("station", col("station"), polars.Utf8),
    polars.Series("show", col("show"), polars.Utf8),
    polars.Series("iaShowId", col("iaShowId"), polars.Utf8),
    polars.Series("iaPreviewThumb", col("iaPreviewThumb"), polars.Utf8),
    polars.Series("snippet", col("snippet"), polars.Utf8),
  ]);
}
