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
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { parse, stringify } from "@std/csv";
import type { Config } from "../config.ts";
import { textToEncoderWords } from "../data/prep.ts";
import { BOUNDARY, OOV, type Tokenizer } from "../data/tokenizer.ts";
import { beamSearch, modelStepper } from "../infer/beam.ts";
import { encodeSources, summarizeWords } from "../infer/text.ts";
import { extractInferenceModels } from "../infer/models.ts";
import { InputError } from "./cli.ts";

/** The summary of one text, with what the model could not read. */
export interface Summary {
  summary: string;
  /** Words of the text (sentence boundaries not counted). */
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

/** The output CSV: the input columns plus `summary`, `oov_words` (count) and `oov_list`. */
export function summaryCsv(
  header: readonly string[],
  rows: readonly string[][],
  summaries: Summary[],
): string {
  const out: string[][] = [[...header, "summary", "oov_words", "oov_list"]];
  rows.forEach((r, i) => {
    const s = summaries[i];
    out.push([...r, s.summary, String(s.oov), s.oovWords.join(" ")]);
  });
  return stringify(out);
}

/** One stderr line about a text's unknown or unseen words and problems, or null when there is nothing to say. */
export function noteFor(label: string, s: Summary): string | null {
  if (s.problem) return `${label}: ${s.problem}`;
  const parts: string[] = [];
  if (s.oov > 0) {
    parts.push(
      `${s.oov} of ${s.words} words outside the vocabulary (read as <oov>${
        s.copyable ? "; copy attention can still write them" : ""
      }): ${s.oovWords.slice(0, 12).join(", ")}${s.oovWords.length > 12 ? ", ..." : ""}`,
    );
  }
  if (s.cutWords > 0) parts.push(`the last ${s.cutWords} words are past the input length and were not read`);
  return parts.length > 0 ? `${label}: ${parts.join("; ")}` : null;
}
