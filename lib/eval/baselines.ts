/**
 * Baseline "summarisers" scored beside the model on the same examples. Each maps an
 * {@linkcode Example} to a prediction in the model's output form (cleaned words, no periods).
 *
 * - `copy_input`: the whole model input. A model that does not beat it has not learned the task.
 * - `lead_words`: the first k words of the input.
 * - `first_sentence`: the first sentence of the cleaned snippet.
 * - `label_rule`: the pseudo-labelling rule re-applied to the cleaned snippet (an upper bound: it is
 *   how the targets were made, up to the cleaning applied before it).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BASELINES } from "./baselines.ts";
 * const example = { id: 0, station: "CNN", date: "2015-03-07", snippet: "Seas rise. The ice melts fast, again.",
 *   cleaned: "seas rise. the ice melts fast again.", input: "seas rise the ice melts fast again",
 *   target: "the ice melts fast again" };
 * const opts = { leadWords: 3, labelSentences: 1 };
 * assertEquals(BASELINES.lead_words(example, opts), "seas rise the");
 * assertEquals(BASELINES.first_sentence(example, opts), "seas rise");
 * assertEquals(BASELINES.label_rule(example, opts), "the ice melts fast again");
 * ```
 * @module
 */

import type { Example } from "../data/prep.ts";
import { splitSentences } from "../data/sentences.ts";
import { pseudoSummary } from "../data/pseudo_label.ts";
import { toWords } from "../data/clean.ts";
import { words } from "../util/words.ts";

/** The whole model input (`ex.input`), copied as the summary. */
export function copyInput(ex: Example): string {
  return ex.input;
}

/** The first `k` whitespace tokens of the model input. */
export function leadWords(ex: Example, k: number): string {
  if (!Number.isInteger(k) || k < 1) throw new Error(`leadWords: k must be an integer >= 1 (got ${k})`);
  return words(ex.input).slice(0, k).join(" ");
}

/** The first sentence of `ex.cleaned` (by {@linkcode splitSentences}), as words; "" if there is none. */
export function firstSentence(ex: Example): string {
  const first = splitSentences(ex.cleaned)[0];
  return first === undefined ? "" : toWords(first);
}

/** The labelling rule re-applied to the cleaned snippet (`n` sentences), as words: the upper bound. */
export function labelRule(ex: Example, n = 1): string {
  return toWords(pseudoSummary(ex.cleaned, n));
}

/** Settings the baselines take from the config. */
export interface BaselineOptions {
  /** k of `lead_words` (config `leadWords`). */
  leadWords: number;
  /** Sentences of `label_rule` (config `labelSentences`). */
  labelSentences: number;
}

/** The baseline names, in report order. */
export const BASELINE_NAMES = ["copy_input", "lead_words", "first_sentence", "label_rule"] as const;
/** One of {@linkcode BASELINE_NAMES}. */
export type BaselineName = typeof BASELINE_NAMES[number];

/** Every baseline by name. */
export const BASELINES: Readonly<Record<BaselineName, (ex: Example, opts: BaselineOptions) => string>> = {
  copy_input: (ex) => copyInput(ex),
  lead_words: (ex, opts) => leadWords(ex, opts.leadWords),
  first_sentence: (ex) => firstSentence(ex),
  label_rule: (ex, opts) => labelRule(ex, opts.labelSentences),
};
