/**
 * Pseudo-labels: the milestone report's extractive `create_pseudo_summary(text, n_sentences=1)`.
 *
 * 1. Split the (cleaned) snippet into sentences ({@linkcode splitSentences}).
 * 2. If there are no more than `n` sentences, the summary is the whole text.
 * 3. Otherwise count every word of the whole snippet (words as the model sees them, {@linkcode toWords}),
 *    score each sentence by the SUM of the counts of its words (repeated words count each time), and
 *    keep the `n` best sentences in ranked order (best first; ties: the earlier sentence first).
 *
 * The sum favours long sentences and sentences that repeat the snippet's frequent words.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pseudoSummary } from "./pseudo_label.ts";
 * // sentence scores: sums of word counts over the snippet: 7, 13, 1
 * const label = pseudoSummary("the ice melts. the ice melts fast in the arctic. ok.");
 * assertEquals(label, "the ice melts fast in the arctic.");
 * ```
 * @module
 */

import { toWords, words } from "./clean.ts";
import { splitSentences } from "./sentences.ts";

/** One sentence of a snippet with its pseudo-label score. */
export interface ScoredSentence {
  /** Position of the sentence in the snippet (0-based). */
  index: number;
  sentence: string;
  /** The sentence's words as the model sees them (`words(toWords(sentence))`). */
  words: string[];
  /** Sum over the sentence's words of each word's count in the whole snippet. */
  score: number;
}

/**
 * Score every sentence of `text` as the pseudo-labeller does; returned in text order.
 * Useful to inspect why a sentence was chosen.
 */
export function scoreSentences(text: string): ScoredSentence[] {
  const sentences = splitSentences(text);
  // The words of the whole text are the words of its sentences: toWords only acts inside tokens.
  const sentenceWords = sentences.map((s) => words(toWords(s)));
  const freq = new Map<string, number>();
  for (const ws of sentenceWords) for (const w of ws) freq.set(w, (freq.get(w) ?? 0) + 1);
  return sentences.map((sentence, index) => {
    let score = 0;
    for (const w of sentenceWords[index]) score += freq.get(w) ?? 0;
    return { index, sentence, words: sentenceWords[index], score };
  });
}

/** What {@linkcode pseudoSummaryDetails} returns. */
export interface PseudoSummaryDetails {
  /** The pseudo-summary text, as {@linkcode pseudoSummary} returns it. */
  summary: string;
  /** Its words as the model sees them: `words(toWords(summary))`. */
  summaryWords: string[];
  /** All sentences of the text, scored, in text order. */
  sentences: ScoredSentence[];
}

/**
 * The pseudo-summary of `text` with its words and the scored sentences it was chosen from.
 * See {@linkcode pseudoSummary}.
 */
export function pseudoSummaryDetails(text: string, nSentences = 1): PseudoSummaryDetails {
  if (!Number.isInteger(nSentences) || nSentences < 1) {
    throw new RangeError(`pseudoSummary: nSentences must be an integer >= 1 (got ${nSentences})`);
  }
  const sentences = scoreSentences(text);
  const chosen = sentences.length <= nSentences
    ? sentences
    : [...sentences].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, nSentences);
  const summary = sentences.length <= nSentences ? text.trim() : chosen.map((s) => s.sentence).join(" ");
  return { summary, summaryWords: chosen.flatMap((s) => s.words), sentences };
}

/**
 * The extractive pseudo-summary of `text` (normally cleaned text, periods kept): the whole text
 * (trimmed) when it has at most `nSentences` sentences, else the `nSentences` best-scoring sentences
 * joined by a space, best first. Throws on `nSentences < 1`.
 */
export function pseudoSummary(text: string, nSentences = 1): string {
  return pseudoSummaryDetails(text, nSentences).summary;
}
