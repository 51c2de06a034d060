/**
 * The one whitespace split of the project: the words of a text. Cleaning, pseudo-labels, the tokenizer, the
 * embedded corpus, the metrics (token F1), the baselines and the figures all split text with {@linkcode words}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { words } from "./words.ts";
 * assertEquals(words("the ice melts"), ["the", "ice", "melts"]);
 * assertEquals(words("  the\tice\n melts  "), ["the", "ice", "melts"]); // any run of whitespace
 * assertEquals(words(""), []);
 * assertEquals(words(" \n "), []);
 * ```
 * @module
 */

/** Whitespace other than single inner spaces: a leading or trailing space, two in a row, a tab, a newline. */
const IRREGULAR_WS = /^\s|\s$|\s\s|[^\S ]/;

/**
 * The words of a text: split on runs of whitespace (`\s`), empty pieces dropped; an empty or blank text has no
 * words. Fast path for normalised text (single spaces, no leading or trailing space), which is what the
 * pipeline produces: `text.split(" ")`.
 */
export function words(text: string): string[] {
  if (text === "") return [];
  if (!IRREGULAR_WS.test(text)) return text.split(" ");
  const t = text.trim();
  return t === "" ? [] : t.split(/\s+/);
}
