/**
 * Rule-based sentence splitter (no NLTK), made for the cleaned snippets of this project (lower case,
 * only `[a-z0-9. ]`), and safe on raw text too.
 *
 * The text is split on whitespace into tokens; a sentence ends after a token that ends with a
 * terminator, unless a rule below says otherwise. Rules, in order:
 *
 * 1. Terminators are `.`, `?` and `!` at the end of a token, optionally followed by closing quotes or
 *    brackets (`"` `'` `)` `]` `”` `’`). `?` and `!` only occur in raw text: cleaning turns them into
 *    spaces, so in cleaned text only periods end sentences (as in the milestone report, which split
 *    the cleaned text).
 * 2. A period inside a token never ends a sentence: numbers `2.5`, `1.5`, web names `bbc.com`.
 * 3. Letter abbreviations (single letters with periods, `u.s.`, `e.g.`, `i.e.`, `a.m.`, `d.c.`) and
 *    single-letter initials (`george w. bush`) do not end a sentence.
 * 4. Listed abbreviations with one final period do not end a sentence: titles (`mr.` `mrs.` `ms.`
 *    `dr.` `prof.` `sen.` `gov.` `gen.` `rep.` ...), `st.` `mt.` `ft.` `vs.` `etc.` `inc.` `corp.`
 *    `co.` `ltd.` `dept.` `approx.`, month abbreviations (`jan.` ... `dec.`, not `may.`).
 *    Consequence: `etc.` at the true end of a sentence does not split it (lower-case text gives no
 *    capital letter to tell the cases apart).
 * 5. `no.` `nos.` `vol.` `fig.` `p.` `pp.` `art.` are abbreviations only before a number (`no. 1`);
 *    elsewhere (`the answer is no.`) they end the sentence.
 * 6. A run of periods (`...`, `..`) or of terminators (`?!`) at the end of a token is one boundary.
 * 7. A token made only of terminators (`.` or `...` standing alone) joins the sentence before it and
 *    ends it; at the very start of the text it starts the first sentence. No sentence is empty.
 * 8. Whatever follows the last boundary is the last sentence, with or without a terminator (snippets
 *    are caption windows and often stop mid-sentence).
 *
 * Sentences are returned as their tokens joined by one space, so for cleaned text
 * `splitSentences(t).join(" ") === t`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { splitSentences } from "./sentences.ts";
 * assertEquals(
 *   splitSentences("dr. lee said the u.s. warmed 1.5 degrees. it is rising... more at 5 p.m. today"),
 *   ["dr. lee said the u.s. warmed 1.5 degrees.", "it is rising...", "more at 5 p.m. today"],
 * );
 * ```
 * @module
 */

import { toWords } from "./clean.ts";
import { words } from "../util/words.ts";

/** Abbreviations that never end a sentence when written with one final period (rule 4). */
export const ABBREVIATIONS: ReadonlySet<string> = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sen",
  "sens",
  "rep",
  "reps",
  "gov",
  "gen",
  "col",
  "lt",
  "sgt",
  "capt",
  "cmdr",
  "adm",
  "pres",
  "supt",
  "rev",
  "hon",
  "fr",
  "jr",
  "sr",
  "st",
  "mt",
  "ft",
  "vs",
  "etc",
  "inc",
  "corp",
  "co",
  "ltd",
  "bros",
  "dept",
  "approx",
  "est",
  "jan",
  "feb",
  "mar",
  "apr",
  "jun",
  "jul",
  "aug",
  "sep",
  "sept",
  "oct",
  "nov",
  "dec",
]);

/** Abbreviations that do not end a sentence only when a number follows (rule 5). */
export const NUMBER_ABBREVIATIONS: ReadonlySet<string> = new Set([
  "no",
  "nos",
  "vol",
  "fig",
  "p",
  "pp",
  "art",
]);

const TRAILING_CLOSERS = /["')\]”’»]+$/;
const LEADING_OPENERS = /^["'(\[“‘«]+/;
const ONLY_TERMINATORS = /^["'(\[“‘«]*[.?!]+["')\]”’»]*$/;
const LETTER_CHAIN = /^(?:[a-z]\.){2,}$/;
const INITIAL = /^[a-z]\.$/;
const STARTS_WITH_DIGIT = /^["'(\[“‘«$£€]*[0-9]/;
/** Candidate boundaries: a run of terminators (plus closers) at the end of a token. */
const CANDIDATE = /[.?!]+["')\]”’»]*(?=\s|$)/g;
const IRREGULAR_WS = /\s{2,}|[^\S ]/g;
const IRREGULAR_TEXT = /\s{2,}|[^\S ]/;

/** Whether a UTF-16 code unit is whitespace as `\s` defines it. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Whether the token ends a sentence; `next()` gives the following token (rules 1-6). */
function endsSentence(token: string, next: () => string | undefined): boolean {
  const core = token.replace(TRAILING_CLOSERS, "");
  const last = core[core.length - 1];
  if (last !== "." && last !== "?" && last !== "!") return false;
  if (last !== ".") return true; // ? and ! always end (raw text only)
  const body = core.replace(LEADING_OPENERS, "").toLowerCase();
  if (body.endsWith("..")) return true; // ellipsis or multiple periods: one boundary
  if (core !== token) return true; // period before a closing quote: `said "no."`
  if (LETTER_CHAIN.test(body) || INITIAL.test(body)) return false;
  const word = body.slice(0, -1);
  if (ABBREVIATIONS.has(word)) return false;
  if (NUMBER_ABBREVIATIONS.has(word)) {
    const n = next();
    return n === undefined || !STARTS_WITH_DIGIT.test(n);
  }
  return true;
}

/** The token that starts at or after `from` (skipping whitespace), or undefined at the end. */
function nextToken(text: string, from: number): string | undefined {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (i >= text.length) return undefined;
  let j = i;
  while (j < text.length && !isSpace(text.charCodeAt(j))) j++;
  return text.slice(i, j);
}

/**
 * Split text into sentences with the module's documented rules. Returns `[]` for blank text.
 * Works on cleaned text (the project's use) and on raw text.
 *
 * Implementation: only tokens that end with a terminator are examined (found with one regex scan),
 * so the cost is one pass over the text plus a few checks per candidate.
 */
export function splitSentences(text: string): string[] {
  // cleaned text has single spaces only: sentences then need a trim, not a whitespace rewrite
  const regular = !IRREGULAR_TEXT.test(text);
  const normalize = (s: string) => regular ? s.trim() : s.trim().replace(IRREGULAR_WS, " ");
  const out: string[] = [];
  let start = 0; // start of the current sentence
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const end = m.index + m[0].length;
    let tokStart = m.index;
    while (tokStart > 0 && !isSpace(text.charCodeAt(tokStart - 1))) tokStart--;
    const token = text.slice(tokStart, end);
    if (ONLY_TERMINATORS.test(token)) {
      // rule 7: a stray terminator ends the current sentence, else joins the previous one
      const before = text.slice(start, tokStart).trim();
      if (words(before).some((t) => !ONLY_TERMINATORS.test(t))) {
        out.push(normalize(text.slice(start, end)));
        start = end;
      } else if (out.length > 0 && before === "") {
        out[out.length - 1] += " " + token;
        start = end;
      }
      continue;
    }
    if (endsSentence(token, () => nextToken(text, end))) {
      out.push(normalize(text.slice(start, end)));
      start = end;
    }
  }
  const rest = normalize(text.slice(start));
  if (rest !== "") out.push(rest);
  return out;
}

/**
 * The words of each sentence of cleaned text as the model sees them: {@linkcode splitSentences}, then each
 * sentence's `words(toWords(sentence))` (periods removed by the rules of `clean.ts`). The pseudo-labeller and
 * the encoder input are both made from these lists; flattened, they are `words(toWords(text))`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sentenceWords } from "./sentences.ts";
 * assertEquals(sentenceWords("the u.s. warmed 1.5 degrees. seas rise"), [["the", "us", "warmed", "1", "5", "degrees"], ["seas", "rise"]]);
 * assertEquals(sentenceWords(""), []);
 * ```
 */
export function sentenceWords(text: string): string[][] {
  return splitSentences(text).map((s) => words(toWords(s)));
}
