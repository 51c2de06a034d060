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

import { toWords } from "./clean.ts";
import { words } from "../util/words.ts";
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
  const scores = sentenceScores(sentenceWords);
  return sentences.map((sentence, index) => ({
    index,
    sentence,
    words: sentenceWords[index],
    score: scores[index],
  }));
}

/** Each sentence's score: the sum over its words of each word's count in the whole text. */
function sentenceScores(sentenceWords: readonly (readonly string[])[]): number[] {
  const freq = new Map<string, number>();
  for (const ws of sentenceWords) for (const w of ws) freq.set(w, (freq.get(w) ?? 0) + 1);
  return sentenceWords.map((ws) => {
    let score = 0;
    for (const w of ws) score += freq.get(w) ?? 0;
    return score;
  });
}

/**
 * Positions of the sentences the label keeps, given every sentence's score: all, in order, when there are at
 * most `nSentences`; else the best `nSentences`, best first (ties: the earlier sentence first).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { chosenSentences } from "./pseudo_label.ts";
 * assertEquals(chosenSentences([7, 13, 13, 1], 1), [1]); // a tie goes to the earlier sentence
 * assertEquals(chosenSentences([7, 13], 2), [0, 1]);
 * ```
 */
export function chosenSentences(scores: readonly number[], nSentences: number): number[] {
  if (!Number.isInteger(nSentences) || nSentences < 1) {
    throw new RangeError(`pseudoSummary: nSentences must be an integer >= 1 (got ${nSentences})`);
  }
  const order = scores.map((_, i) => i);
  if (scores.length <= nSentences) return order;
  return order.sort((a, b) => scores[b] - scores[a] || a - b).slice(0, nSentences);
}

/**
 * The pseudo-label's words for a text already split into sentences, each a word list as the model sees it
 * (`sentenceWords` of `sentences.ts`): the words of the `nSentences` best-scoring sentences, best first, or of
 * every sentence when there are no more than `nSentences`. Equal to `pseudoSummaryDetails(text).summaryWords`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pseudoLabelWords } from "./pseudo_label.ts";
 * const sentences = [["the", "ice", "melts"], ["the", "ice", "melts", "fast", "in", "the", "arctic"], ["ok"]];
 * assertEquals(pseudoLabelWords(sentences), ["the", "ice", "melts", "fast", "in", "the", "arctic"]);
 * assertEquals(pseudoLabelWords(sentences, 3), sentences.flat()); // no more sentences than asked: all of them
 * ```
 */
export function pseudoLabelWords(sentenceWords: readonly (readonly string[])[], nSentences = 1): string[] {
  return chosenSentences(sentenceScores(sentenceWords), nSentences).flatMap((i) => sentenceWords[i]);
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
  const sentences = scoreSentences(text);
  const chosen = chosenSentences(sentences.map((s) => s.score), nSentences).map((i) => sentences[i]);
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
