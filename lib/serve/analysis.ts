/**
 * What the web page shows for one text: the summary `deno task summarize` gives (the same code:
 * `summarizeTexts` of lib/infer/summarize.ts), and, for each output word, where it came from, its attention
 * row over the words the model read, and its copy gate `p_gen` (runs trained with `--copy`). Free of Deno APIs:
 * the server (lib/serve/server.ts) and the exported browser page (lib/serve/web.ts) both call it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { tokenOrigin } from "./analysis.ts";
 * const input = ["the", "glacier", "melts"];
 * assertEquals(tokenOrigin(12, "melts", input, 100), "input"); // a vocabulary word the text holds
 * assertEquals(tokenOrigin(5, "ocean", input, 100), "vocabulary"); // written from the vocabulary only
 * assertEquals(tokenOrigin(101, "glacier", input, 100), "copied"); // an extended id: copied from position 1
 * ```
 * @module
 */
import { textToEncoderWords } from "../data/encoder_input.ts";
import { BOUNDARY } from "../data/tokenizer.ts";
import { notesOf, type SummarizerRun, summarizeTexts } from "../infer/summarize.ts";

/**
 * Where an output word comes from: `copied` (an extended id: an input word outside the vocabulary, which only
 * copy attention can write), `input` (a vocabulary word that the text also holds: copied in effect), or
 * `vocabulary` (a word the text does not hold).
 */
export type TokenOrigin = "copied" | "input" | "vocabulary";

/** One output word of a summary. */
export interface OutputToken {
  word: string;
  /** Its id (extended ids, `>= vocabulary size`, name an input position). */
  id: number;
  origin: TokenOrigin;
  /** The copy gate for this word (greedy decoding of a copy run), else null. */
  pGen: number | null;
  /** The input position with the largest attention weight, and its word. */
  focus: number;
  focusWord: string;
}

/** The page's result for one text. */
export interface TextResult {
  /** The summary, as `deno task summarize` prints it (empty for a text without words). */
  summary: string;
  decoding: "greedy" | "beam";
  /** The words the model read, in order (`<sep>` between sentences when the run uses boundaries). */
  input: string[];
  /** The words past the input length, which the model did not read. */
  unread: string[];
  tokens: OutputToken[];
  /** One row per output word, one weight per input word: `attention[t][i]`. */
  attention: number[][];
  /** `p_gen` per output word (greedy decoding of a copy run), else null. */
  pGen: number[] | null;
  /** Distinct words outside the vocabulary among the words read (the model read them as `<oov>`). */
  unknownWords: string[];
  /** Words of the text (boundaries not counted), and how many were past the input length. */
  words: number;
  cutWords: number;
  /** Whether the run has copy attention. */
  copy: boolean;
  /** Decoding ended with eostok (false: the length limit). */
  finished: boolean;
  /** Plain-language notes: unknown words, unread words, an empty text, what beam search does not record. */
  notes: string[];
}

/** {@linkcode TokenOrigin} of an output word with id `id` given the words read and the vocabulary size. */
export function tokenOrigin(
  id: number,
  word: string,
  input: readonly string[],
  vocabSize: number,
): TokenOrigin {
  if (id >= vocabSize) return "copied";
  return input.includes(word) ? "input" : "vocabulary";
}

/** Weights and gates rounded to 4 decimals in results (a result is read by eyes and plots, not compared). */
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

function argMax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * The page's results for `texts`: {@linkcode summarizeTexts} (all texts decoded together, greedy or with beam
 * search) with each summary's words, attention rows and gates.
 */
export async function analyzeTexts(
  run: SummarizerRun,
  texts: readonly string[],
  opts: { beam?: boolean } = {},
): Promise<TextResult[]> {
  const beam = opts.beam === true;
  const summaries = await summarizeTexts(run, texts, { beam, detail: true });
  const vocab = run.tokenizer.size;
  const copy = run.models?.layers.pointer != null;
  return summaries.map((s, k) => {
    const all = textToEncoderWords(texts[k], run.cfg.sentenceBoundaries);
    const unread = all.slice(run.cfg.maxInputLen).filter((w) => w !== BOUNDARY);
    const input = s.detail?.read ?? [];
    const d = s.detail?.decoded;
    const ids = d?.ids ?? [];
    const attention = (d?.attention ?? []).slice(0, ids.length).map((row) =>
      row.slice(0, input.length).map(round4)
    );
    const pGen = d?.pGen && d.pGen.length === ids.length ? d.pGen.map(round4) : null;
    const tokens: OutputToken[] = ids.map((id, t) => {
      const word = run.tokenizer.tokenOf(id, input);
      const focus = argMax(attention[t] ?? []);
      return {
        word,
        id,
        origin: tokenOrigin(id, word, input, vocab),
        pGen: pGen ? pGen[t] : null,
        focus,
        focusWord: input[focus] ?? "",
      };
    });
    const notes = notesOf(s);
    if (d && !d.finished) notes.push("decoding stopped at the output length limit (no end token)");
    if (beam && (s.copyable ?? copy) && d) {
      notes.push("beam search does not record p_gen: choose greedy to see it");
    }
    return {
      summary: s.summary,
      decoding: beam ? "beam" : "greedy",
      input,
      unread,
      tokens,
      attention,
      pGen,
      unknownWords: s.oovWords,
      words: s.words,
      cutWords: s.cutWords,
      copy: s.copyable ?? copy,
      finished: d?.finished ?? true,
      notes,
    };
  });
}
