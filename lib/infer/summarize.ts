/**
 * Summaries of new text from a trained run, the core that `deno task summarize` (lib/commands/summarize.ts),
 * the server and the exported web page (lib/serve/) share: each text is cleaned, split into sentences and
 * encoded exactly as the run's training inputs were (its vocabulary, input length and sentence boundaries), then
 * decoded greedily or with beam search, all texts together. Words outside the run's vocabulary are counted and
 * listed per text; a text with no words gets an empty summary and a message, never an exception.
 * Free of Deno APIs, so it runs in a browser too.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { textToEncoderWords } from "../data/encoder_input.ts";
import { BOUNDARY, OOV, type Tokenizer } from "../data/tokenizer.ts";
import { beamSearchBatch } from "./beam.ts";
import { encodeSources, summarizeWords } from "./text.ts";
import type { Decoded } from "./greedy.ts";
import { extractInferenceModels, type InferenceModels } from "./models.ts";

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
  /**
   * With `detail` only (a text with words): the encoder words the model read (cut to the input length, `<sep>`
   * included) and the decoder's output for them (ids, attention rows, `p_gen` for greedy copy runs).
   */
  detail?: { read: string[]; decoded: Decoded };
}

/** The run parts summarizing needs. */
export interface SummarizerRun {
  /** The run's config keys summarizing reads (a `Config` has them all). */
  cfg: {
    maxInputLen: number;
    maxOutputLen: number;
    sentenceBoundaries: boolean;
    beamWidth: number;
    lengthPenalty: number;
  };
  model: tf.LayersModel;
  tokenizer: Tokenizer;
  /** The inference models of `model`, when the caller keeps them between calls (else made per call). */
  models?: InferenceModels;
}

/**
 * Summaries of `texts` (any strings; empty ones get `problem` set), greedy or with beam search. All texts are
 * decoded together: greedy in batches of 256, beam search's hypotheses of 32 texts at a time. `detail` adds each summary's encoder words and decoder output.
 */
export async function summarizeTexts(
  run: SummarizerRun,
  texts: readonly string[],
  opts: { beam?: boolean; detail?: boolean } = {},
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
  const models = run.models ?? extractInferenceModels(run.model);
  if (models.layers.pointer) { for (const r of rows) out[r].copyable = true; }
  if (opts.beam) {
    // ids and extended ids (copy attention) of every text, as the greedy path's summarizeWords makes them; the
    // texts' searches decoded together (beamSearchBatch: the search of beamSearch, many times faster)
    const { encIn, extended } = encodeSources(tokenizer, source, tin);
    const decoded = await beamSearchBatch(models, encIn, rows.length, {
      beamWidth: cfg.beamWidth,
      lengthPenalty: cfg.lengthPenalty,
      maxLen: cfg.maxOutputLen,
      extended,
    });
    decoded.forEach((d, r) => {
      out[rows[r]].summary = tokenizer.decode(d.ids, source[r]);
      if (opts.detail) out[rows[r]].detail = { read: source[r], decoded: d };
    });
  } else {
    const summaries = await summarizeWords(models, tokenizer, source, { maxLen: cfg.maxOutputLen });
    summaries.forEach((s, r) => {
      out[rows[r]].summary = s.text;
      if (opts.detail) out[rows[r]].detail = { read: s.words, decoded: s.decoded };
    });
  }
  return out;
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
  const parts = notesOf(s);
  return parts.length > 0 ? `${label}: ${parts.join("; ")}` : null;
}

/**
 * What {@linkcode noteFor} says about a text, part by part, without a label (the web page lists them): its
 * problem, or its unknown words among the words read and its words past the input length.
 */
export function notesOf(s: Summary): string[] {
  if (s.problem) return [s.problem];
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
  return parts;
}
