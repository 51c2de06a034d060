/**
 * Text cleaning as the milestone report does it, in two steps:
 *
 * 1. {@linkcode cleanText}: lower case, every character outside `[a-z0-9. ]` becomes a space, runs of
 *    spaces collapse to one, ends trimmed. Periods stay, so sentences can still be split
 *    (pseudo-labels are made from this form).
 * 2. {@linkcode toWords}: periods removed, giving the final model text (space-separated words).
 *
 * Period rules of `toWords` (a documented choice; the report does not say):
 * - abbreviations written as single letters with periods join into one word:
 *   `u.s.` -> `us`, `e.g.` -> `eg`, `a.m.` -> `am`, `d.c.` -> `dc`;
 * - a period between two digits becomes a space, so decimals stay two number words that cannot be
 *   confused with an integer: `2.5` -> `2 5` (not `25`);
 * - every other period becomes a space: `warming. the` -> `warming the`, `bbc.com` -> `bbc com`
 *   (captions sometimes lose the space after a period: `league.man` -> `league man`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cleanText, toWords } from "./clean.ts";
 * const c = cleanText("The U.S. warmed 1.5°C — \"fast\".");
 * assertEquals(c, "the u.s. warmed 1.5 c fast .");
 * assertEquals(toWords(c), "the us warmed 1 5 c fast");
 * ```
 * @module
 */

const NOT_ALLOWED = /[^a-z0-9. ]+/g;
const SPACES = / {2,}/g;
/** One or more single letters each followed by a period, as a whole word: u.s. e.g. a.m. */
const LETTER_ABBREV = /(?<![a-z0-9.])(?:[a-z]\.){2,}(?![a-z0-9])/g;

/**
 * Clean a raw snippet: lower case, keep only `[a-z0-9. ]` (anything else, including newlines,
 * apostrophes and accented letters, becomes a space), collapse spaces, trim. Periods are kept.
 */
export function cleanText(s: string): string {
  return s.toLowerCase().replace(NOT_ALLOWED, " ").replace(SPACES, " ").trim();
}

/**
 * Turn cleaned text (the output of {@linkcode cleanText}) into the final model text: periods removed
 * following the module's rules (letter abbreviations joined, decimal points and all other periods
 * become spaces: one replacement does both), spaces collapsed. Also safe on text that was not
 * cleaned, but then only periods are handled.
 */
export function toWords(cleaned: string): string {
  return cleaned
    .replace(LETTER_ABBREV, (m) => m.replaceAll(".", ""))
    .replaceAll(".", " ")
    .replace(SPACES, " ")
    .trim();
}

const IRREGULAR_WS = /^\s|\s$|\s\s|[^\S ]/;

/**
 * The words of a text (split on whitespace); an empty or blank text has no words. Fast path for
 * normalised text (single spaces, no leading or trailing space), which is what the pipeline produces.
 */
export function words(text: string): string[] {
  if (text === "") return [];
  if (!IRREGULAR_WS.test(text)) return text.split(" ");
  const t = text.trim();
  return t === "" ? [] : t.split(/\s+/);
}
