/**
 * Text cleaning as the milestone report does it, in two steps:
 *
 * 1. {@linkcode cleanText}: lower case, accents folded (`café` -> `cafe`, see below), every character
 *    left outside `[a-z0-9. ]` becomes a space, runs of spaces collapse to one, ends trimmed. Periods
 *    stay, so sentences can still be split (pseudo-labels are made from this form, so labels, the
 *    tokenizer and `summarize` all see the same folded words).
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
 * Accent folding in `cleanText`, character by character (text that is plain ASCII is not touched):
 * Unicode NFKD, then combining marks (`\p{M}`) removed: `é` -> `e`, `réchauffement` -> `rechauffement`;
 * NFKD also maps compatibility forms (`ﬁ` -> `fi`, `²` -> `2`, `…` -> `...`). A few Latin letters have no
 * decomposition and are folded by an explicit table: `ß` -> `ss`, `æ` -> `ae`, `œ` -> `oe`, `ø` -> `o`,
 * `ł` -> `l`, `đ` -> `d`, `þ` -> `th`, `ð` -> `d`, `ı` -> `i`. Letters of other scripts (Greek, Cyrillic,
 * CJK, ...) are still dropped (they become spaces); pass a {@linkcode CleaningCounts} to count both.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cleanText, toWords } from "./clean.ts";
 * const c = cleanText("The U.S. warmed 1.5°C — \"fast\".");
 * assertEquals(c, "the u.s. warmed 1.5 c fast .");
 * assertEquals(toWords(c), "the us warmed 1 5 c fast");
 * const counts = { foldedChars: 0, droppedOtherScriptChars: 0 };
 * assertEquals(cleanText("Réchauffement à Moscou (Москва)", counts), "rechauffement a moscou");
 * assertEquals(counts, { foldedChars: 2, droppedOtherScriptChars: 6 });
 * ```
 * @module
 */

const NOT_ALLOWED = /[^a-z0-9. ]+/g;
const SPACES = / {2,}/g;
/** One or more single letters each followed by a period, as a whole word: u.s. e.g. a.m. */
const LETTER_ABBREV = /(?<![a-z0-9.])(?:[a-z]\.){2,}(?![a-z0-9])/g;

/** What {@linkcode cleanText} changed beyond ASCII, counted in characters of the raw text. */
export interface CleaningCounts {
  /**
   * Characters outside ASCII that folding turned into ASCII letters or digits: accented letters
   * (`é` -> `e`, one per letter, whether the accent was composed or a separate combining mark), the
   * table's letters (`ß` -> `ss`), compatibility forms (`ﬁ` -> `fi`, `²` -> `2`).
   */
  foldedChars: number;
  /**
   * Letters and digits (`\p{L}`, `\p{N}`) that fold to nothing in ASCII, i.e. of other scripts (Greek,
   * Cyrillic, CJK, ...): dropped (they become spaces). Punctuation and symbols (`°`, `£`, `—`) are
   * dropped too but not counted.
   */
  droppedOtherScriptChars: number;
}

const NON_ASCII = /\P{ASCII}/u;
const MARKS = /\p{M}/gu;
const ASCII_ALNUM = /[a-z0-9]/;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
/**
 * Latin letters that NFKD leaves whole (they are letters of their own, not letters with a mark), folded
 * by hand to the usual ASCII spelling. Lower case only: characters are lower-cased first.
 */
const LATIN_FOLDS: Readonly<Record<string, string>> = {
  "ß": "ss",
  "æ": "ae",
  "œ": "oe",
  "ø": "o",
  "ł": "l",
  "đ": "d",
  "þ": "th",
  "ð": "d",
  "ı": "i",
};
const LATIN_FOLD_RE = new RegExp(`[${Object.keys(LATIN_FOLDS).join("")}]`, "g");

/** A non-ASCII character folded: its text and whether it counts as folded (1), dropped (2) or neither (0). */
interface Fold {
  text: string;
  kind: 0 | 1 | 2;
}
const foldCache = new Map<string, Fold>();

/** Fold one non-ASCII character (a code point): lower case, NFKD, marks removed, {@linkcode LATIN_FOLDS}. */
function foldChar(c: string): Fold {
  let f = foldCache.get(c);
  if (f === undefined) {
    const text = c.toLowerCase().normalize("NFKD").replace(MARKS, "")
      .replace(LATIN_FOLD_RE, (m) => LATIN_FOLDS[m]).toLowerCase();
    const kind = ASCII_ALNUM.test(text) ? 1 : LETTER_OR_DIGIT.test(c) ? 2 : 0;
    f = { text, kind };
    foldCache.set(c, f);
  }
  return f;
}

/**
 * Clean a raw snippet: lower case, accents folded (module docs: `café` -> `cafe`, `ß` -> `ss`), keep
 * only `[a-z0-9. ]` (anything else, including newlines, apostrophes and letters of other scripts,
 * becomes a space), collapse spaces, trim. Periods are kept. When `counts` is given, the characters
 * folded and the letters of other scripts dropped are added to it (plain-ASCII text adds nothing).
 */
export function cleanText(s: string, counts?: CleaningCounts): string {
  const folded = NON_ASCII.test(s) ? foldAccents(s, counts) : s.toLowerCase();
  return folded.replace(NOT_ALLOWED, " ").replace(SPACES, " ").trim();
}

/** Lower case and fold every non-ASCII character of `s` (composed first, so `e` + U+0301 is one `é`). */
function foldAccents(s: string, counts?: CleaningCounts): string {
  let out = "";
  for (const c of s.normalize("NFC")) {
    if (c.charCodeAt(0) < 0x80) {
      out += c;
      continue;
    }
    const f = foldChar(c);
    out += f.text;
    if (counts && f.kind === 1) counts.foldedChars++;
    else if (counts && f.kind === 2) counts.droppedOtherScriptChars++;
  }
  return out.toLowerCase();
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

/** The words of a text (split on whitespace): {@linkcode words} of `lib/util/words.ts`, the project's one split. */
export { words } from "../util/words.ts";
