/**
 * From encoder words to summary text in one call, for any model: the words are encoded with the run's
 * vocabulary (and, for copy attention, in extended ids, so input words outside the vocabulary can be copied),
 * decoded greedily in batches, and turned back into text with the input's own words.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { Tokenizer } from "../data/tokenizer.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { extractInferenceModels } from "./models.ts";
 * import { summarizeWords } from "./text.ts";
 * const tok = Tokenizer.fit(["the ice melts", "the sea rises"], 12);
 * const cfg = resolveConfig("tiny", { vocabSize: tok.size, copy: true });
 * const models = extractInferenceModels(buildSeq2Seq(cfg));
 * const [s] = await summarizeWords(models, tok, [["the", "westcott", "glacier", "melts"]], { maxLen: 4 });
 * assertEquals(s.words, ["the", "westcott", "glacier", "melts"]);
 * assertEquals(s.text, tok.decode(s.decoded.ids, s.words)); // untrained: some 4 words, copied or not
 * assertEquals(s.decoded.pGen?.length, s.decoded.ids.length);
 * ```
 * @module
 */
import type { Tokenizer } from "../data/tokenizer.ts";
import { type Decoded, greedyDecodeBatch } from "./greedy.ts";
import type { InferenceModels } from "./models.ts";

/** One input's summary: the encoder words it read (cut to the input length), the decoder output, the text. */
export interface WordsSummary {
  words: string[];
  decoded: Decoded;
  text: string;
}

/**
 * Encode each input's encoder words (`sources[i]`, as `textToEncoderWords` or `encoderInputWords` make them),
 * in ids and extended ids, into row-major `n x inputLen` matrices.
 */
export function encodeSources(
  tokenizer: Tokenizer,
  sources: readonly (readonly string[])[],
  inputLen: number,
): { encIn: Int32Array; extended: Int32Array } {
  const encIn = new Int32Array(sources.length * inputLen);
  const extended = new Int32Array(sources.length * inputLen);
  sources.forEach((ws, i) => {
    tokenizer.encodeInputInto(ws, inputLen, encIn, i * inputLen);
    tokenizer.extendInput(ws, inputLen, extended, i * inputLen);
  });
  return { encIn, extended };
}

/** Greedy summaries of `sources` (encoder words per input), with text made from each input's own words. */
export async function summarizeWords(
  models: InferenceModels,
  tokenizer: Tokenizer,
  sources: readonly (readonly string[])[],
  opts: { maxLen: number; batchSize?: number },
): Promise<WordsSummary[]> {
  const tin = models.inputLen;
  const { encIn, extended } = encodeSources(tokenizer, sources, tin);
  const decoded = await greedyDecodeBatch(models, encIn, sources.length, { ...opts, extended });
  return decoded.map((d, i) => {
    const words = sources[i].slice(0, tin);
    return { words, decoded: d, text: tokenizer.decode(d.ids, words) };
  });
}
