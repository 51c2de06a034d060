/**
 * The encoder's words: what the model reads for a snippet, position by position. One rule, used by the data
 * stage (`prep.ts`), the evaluation (copy attention's source words), the experiment (attention labels),
 * `summarize` (any raw text) and the notebooks: the words of each sentence ({@linkcode sentenceWords}: `splitSentences`
 * of `sentences.ts`, then `toWords`), in order, with the boundary token `<sep>` between two sentences
 * when sentence boundaries are on.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encoderInputWords, textToEncoderWords } from "./encoder_input.ts";
 * const ex = { cleaned: "the ice melts. seas rise." };
 * assertEquals(encoderInputWords(ex, true), ["the", "ice", "melts", "<sep>", "seas", "rise"]);
 * assertEquals(encoderInputWords(ex, false), ["the", "ice", "melts", "seas", "rise"]);
 * assertEquals(encoderInputWords(ex, true, 4), ["the", "ice", "melts", "<sep>"]); // cut to the input length
 * assertEquals(textToEncoderWords("The ice melts. Seas rise!", true), ["the", "ice", "melts", "<sep>", "seas", "rise"]);
 * ```
 * @module
 */

import { cleanText } from "./clean.ts";
import { sentenceWords } from "./sentences.ts";
import { BOUNDARY } from "./tokenizer.ts";

/** Word lists of a text's sentences, as {@linkcode sentenceWords} makes them. */
export type SentenceWords = readonly (readonly string[])[];

/**
 * The encoder's words for a text split into sentences (each a word list): the sentences in order, with
 * {@linkcode BOUNDARY} between two sentences when `boundaries` is true (none before the first or after the
 * last; sentences without words add nothing).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encoderWords } from "./encoder_input.ts";
 * assertEquals(encoderWords([["ice", "melts"], ["seas", "rise"]], true), ["ice", "melts", "<sep>", "seas", "rise"]);
 * assertEquals(encoderWords([["ice", "melts"], ["seas", "rise"]], false), ["ice", "melts", "seas", "rise"]);
 * ```
 */
export function encoderWords(sentences: SentenceWords, boundaries: boolean): string[] {
  const out: string[] = [];
  for (const s of sentences) {
    if (s.length === 0) continue;
    if (boundaries && out.length > 0) out.push(BOUNDARY);
    for (const w of s) out.push(w);
  }
  return out;
}

/**
 * The words the encoder reads for a cleaned text (an `Example`, or the clean stage's `CleanText`), position by
 * position: {@linkcode encoderWords} of its sentences' words, cut to `maxInputLen` (default: no cut). The labels
 * of attention columns, the source words of copy attention, and (uncut) what the data stage encodes.
 * `Example.input` is `encoderInputWords(ex, false).join(" ")`: no boundaries.
 *
 * `text.sentences`, when present, must be `sentenceWords(text.cleaned)` (the clean stage keeps them, so the data
 * stage does not split every snippet twice); without it the sentences are split here.
 */
export function encoderInputWords(
  text: { readonly cleaned: string; readonly sentences?: SentenceWords },
  boundaries: boolean,
  maxInputLen = Infinity,
): string[] {
  const words = encoderWords(text.sentences ?? sentenceWords(text.cleaned), boundaries);
  return maxInputLen < words.length ? words.slice(0, maxInputLen) : words;
}

/**
 * The encoder's words for any raw text, as the pipeline makes them for a snippet: {@linkcode cleanText}, then
 * {@linkcode encoderInputWords}. What `summarize` feeds a trained model.
 */
export function textToEncoderWords(raw: string, boundaries: boolean): string[] {
  return encoderInputWords({ cleaned: cleanText(raw) }, boundaries);
}
