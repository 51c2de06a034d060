/**
 * Word-level tokenizer shared by encoder inputs and decoder targets.
 *
 * Ids 0-3 are reserved: {@linkcode PAD} (padding), {@linkcode OOV} (out of vocabulary),
 * {@linkcode SOS} (`sostok`, first decoder input) and {@linkcode EOS} (`eostok`, end of a summary).
 * Words get ids from 4 on, by decreasing training frequency (ties alphabetical). Sequences are padded
 * at the END. Truncation keeps the START of an input, and keeps `sostok` first and `eostok` last in
 * every target. OOV tokens are counted in every encoding result, never dropped silently.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Tokenizer } from "./tokenizer.ts";
 * // ids 0-3 are reserved (padding, <oov>, sostok, eostok); words by frequency: the=4, ice=5, melts=6, ...
 * const tok = Tokenizer.fit(["the ice melts", "the sea rises"], 10);
 * const enc = tok.encodeInput("the ice is gone", 6);
 * assertEquals([...enc.ids], [4, 5, 1, 1, 0, 0]); // two words out of the vocabulary, then padding
 * assertEquals([enc.oov, enc.truncated], [2, false]);
 * const t = tok.encodeTarget("the ice melts fast", 4); // room for sostok + 2 words + eostok
 * assertEquals([...t.decIn], [2, 4, 5, 6]);
 * assertEquals([...t.decOut], [4, 5, 6, 3]);
 * assertEquals(t.truncated, true);
 * assertEquals(tok.decode([2, 4, 5, 1, 3, 7]), "the ice <oov>"); // stops at eostok
 * ```
 * @module
 */

import { words } from "../util/words.ts";

/** Padding id (also what padded positions hold). */
export const PAD = 0;
/** Out-of-vocabulary id. */
export const OOV = 1;
/** Start-of-summary id, the word `sostok`. */
export const SOS = 2;
/** End-of-summary id, the word `eostok`. */
export const EOS = 3;
/** Number of reserved ids; the first word id. */
export const RESERVED = 4;
/**
 * The sentence-boundary token the encoder input carries between sentences when `sentenceBoundaries` is on.
 * It is an ordinary vocabulary word (ranked by its training count like any other), but one no cleaned text can
 * contain (cleaning keeps only `[a-z0-9. ]`), so it never collides with a real word. Targets never contain it,
 * and {@linkcode Tokenizer.decode} drops it, whether as its vocabulary id or, when a small vocabulary leaves it
 * out, as the extended id copy attention gives it ({@linkcode Tokenizer.extendInput}), so no scored output can
 * contain it either.
 */
export const BOUNDARY = "<sep>";
/** Display names of the reserved ids, by id. */
export const RESERVED_TOKENS: readonly string[] = ["<pad>", "<oov>", "sostok", "eostok"];

/** JSON form of a tokenizer (what {@linkcode Tokenizer.toJSON} writes). */
export interface TokenizerJSON {
  format: "envnews-tokenizer";
  version: 1;
  /** The vocabulary size asked for (reserved ids included). */
  vocabSize: number;
  /** Names of ids 0-3 (informational, checked on load). */
  reserved: string[];
  /** The words of ids 4, 5, ... in order. */
  words: string[];
}

/** Result of {@linkcode Tokenizer.encodeInput}. */
export interface EncodedInput {
  /** Exactly `maxLen` ids, padded with 0 at the end. */
  ids: Int32Array;
  /** OOV tokens among the encoded (kept) words. */
  oov: number;
  /** True when the text had more than `maxLen` words (its end was cut). */
  truncated: boolean;
  /** Words in the text (before truncation). */
  words: number;
}

/** Result of {@linkcode Tokenizer.encodeTarget}. */
export interface EncodedTarget {
  /** `[SOS, w1..wk]` padded to `maxLen`. */
  decIn: Int32Array;
  /** `[w1..wk, EOS]` padded to `maxLen`. */
  decOut: Int32Array;
  /** OOV tokens among the kept words. */
  oov: number;
  /** True when the text had more than `maxLen - 1` words. */
  truncated: boolean;
  /** Words in the text (before truncation). */
  words: number;
}

const WORD_OK = /^\S+$/;

/** A fitted vocabulary. Create with {@linkcode Tokenizer.fit} or {@linkcode Tokenizer.fromJSON}. */
export class Tokenizer {
  readonly #words: readonly string[];
  readonly #index: Map<string, number>;
  /** The vocabulary size asked for (reserved ids included); {@linkcode size} may be smaller. */
  readonly vocabSize: number;

  private constructor(wordList: readonly string[], vocabSize: number) {
    this.#words = wordList;
    this.vocabSize = vocabSize;
    this.#index = new Map(wordList.map((w, i) => [w, i + RESERVED]));
  }

  /**
   * Fit on training texts (space-separated words): the `vocabSize - 4` most frequent words, ties
   * broken alphabetically (code-unit order). The reserved names (`sostok`, `eostok`, `<pad>`, `<oov>`)
   * are never vocabulary words: in a text they encode as OOV.
   */
  static fit(texts: Iterable<string>, vocabSize: number): Tokenizer {
    return Tokenizer.fromCounts(Tokenizer.countWords(texts), vocabSize);
  }

  /**
   * Occurrences of every word of `texts` (what {@linkcode fit} ranks). Each item is a text or a text
   * already split into words.
   */
  static countWords(texts: Iterable<string | readonly string[]>): Map<string, number> {
    // one hash lookup per word: word -> slot, counts in a plain array
    const slot = new Map<string, number>();
    const counts: number[] = [];
    for (const t of texts) {
      for (const w of typeof t === "string" ? words(t) : t) {
        const k = slot.get(w);
        if (k === undefined) {
          slot.set(w, counts.length);
          counts.push(1);
        } else counts[k]++;
      }
    }
    const out = new Map<string, number>();
    for (const [w, k] of slot) out.set(w, counts[k]);
    return out;
  }

  /** {@linkcode fit} from word counts already made with {@linkcode countWords}. */
  static fromCounts(counts: ReadonlyMap<string, number>, vocabSize: number): Tokenizer {
    if (!Number.isInteger(vocabSize) || vocabSize < RESERVED + 1) {
      throw new RangeError(
        `Tokenizer.fit: vocabSize must be an integer >= ${RESERVED + 1} (got ${vocabSize})`,
      );
    }
    const ranked = [...counts].filter(([w]) => !RESERVED_TOKENS.includes(w));
    ranked.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Tokenizer(ranked.slice(0, vocabSize - RESERVED).map(([w]) => w), vocabSize);
  }

  /** Number of ids in use: reserved ids plus vocabulary words. */
  get size(): number {
    return RESERVED + this.#words.length;
  }

  /** The id of a word (OOV when unknown). */
  idOf(word: string): number {
    return this.#index.get(word) ?? OOV;
  }

  /**
   * The token of an id: a word, or a reserved name (`<pad>`, `<oov>`, `sostok`, `eostok`). With `source` (the
   * encoder's words), an extended id `size + i` of copy attention is the input word at position `i`.
   */
  tokenOf(id: number, source?: readonly string[]): string {
    if (source && Number.isInteger(id) && id >= this.size && id - this.size < source.length) {
      return source[id - this.size];
    }
    if (!Number.isInteger(id) || id < 0 || id >= this.size) {
      throw new RangeError(`Tokenizer: id ${id} is outside 0..${this.size - 1}`);
    }
    return id < RESERVED ? RESERVED_TOKENS[id] : this.#words[id - RESERVED];
  }

  /** Ids of every word of `text` (no padding, no truncation) and how many were OOV. */
  encodeWords(text: string): { ids: number[]; oov: number } {
    let oov = 0;
    const ids = words(text).map((w) => {
      const id = this.#index.get(w);
      if (id === undefined) oov++;
      return id ?? OOV;
    });
    return { ids, oov };
  }

  /** Encoder input of exactly `maxLen` ids: the first `maxLen` words, padded with 0 at the end. */
  encodeInput(text: string, maxLen: number): EncodedInput {
    return this.encodeInputWords(words(text), maxLen);
  }

  /** {@linkcode encodeInput} for a text already split into words. */
  encodeInputWords(w: readonly string[], maxLen: number): EncodedInput {
    const ids = new Int32Array(maxLen);
    return { ids, ...this.encodeInputInto(w, maxLen, ids, 0) };
  }

  /**
   * {@linkcode encodeInputWords} writing into `dest[offset, offset + maxLen)` (a row of a batch
   * matrix) instead of a new array; padding positions are set to 0.
   */
  encodeInputInto(
    w: readonly string[],
    maxLen: number,
    dest: Int32Array,
    offset: number,
  ): Omit<EncodedInput, "ids"> {
    if (!Number.isInteger(maxLen) || maxLen < 1) {
      throw new RangeError(`encodeInput: maxLen must be >= 1 (got ${maxLen})`);
    }
    const k = Math.min(w.length, maxLen);
    let oov = 0;
    for (let i = 0; i < k; i++) {
      const id = this.#index.get(w[i]);
      if (id === undefined) oov++;
      dest[offset + i] = id ?? OOV;
    }
    dest.fill(PAD, offset + k, offset + maxLen);
    return { oov, truncated: w.length > maxLen, words: w.length };
  }

  /**
   * Decoder sequences of length `maxLen` (>= 2): the first `k = min(words, maxLen - 1)` words; `decIn`
   * is `[SOS, w1..wk]`, `decOut` is `[w1..wk, EOS]`, both padded with 0 at the end. So `sostok` is
   * always first and `eostok` always present, even when the summary is cut.
   */
  encodeTarget(text: string, maxLen: number): EncodedTarget {
    return this.encodeTargetWords(words(text), maxLen);
  }

  /** {@linkcode encodeTarget} for a text already split into words. */
  encodeTargetWords(w: readonly string[], maxLen: number): EncodedTarget {
    const decIn = new Int32Array(maxLen);
    const decOut = new Int32Array(maxLen);
    return { decIn, decOut, ...this.encodeTargetInto(w, maxLen, decIn, decOut, 0) };
  }

  /**
   * {@linkcode encodeTargetWords} writing into `decIn` and `decOut` at `[offset, offset + maxLen)`
   * (rows of batch matrices); padding positions are set to 0.
   */
  encodeTargetInto(
    w: readonly string[],
    maxLen: number,
    decIn: Int32Array,
    decOut: Int32Array,
    offset: number,
  ): Omit<EncodedTarget, "decIn" | "decOut"> {
    if (!Number.isInteger(maxLen) || maxLen < 2) {
      throw new RangeError(`encodeTarget: maxLen must be >= 2 (got ${maxLen})`);
    }
    const k = Math.min(w.length, maxLen - 1);
    decIn[offset] = SOS;
    let oov = 0;
    for (let i = 0; i < k; i++) {
      const found = this.#index.get(w[i]);
      if (found === undefined) oov++;
      const id = found ?? OOV;
      decIn[offset + i + 1] = id;
      decOut[offset + i] = id;
    }
    decOut[offset + k] = EOS;
    decIn.fill(PAD, offset + k + 1, offset + maxLen);
    decOut.fill(PAD, offset + k + 1, offset + maxLen);
    return { oov, truncated: w.length > maxLen - 1, words: w.length };
  }

  /**
   * Extended ids of an encoder input for copy attention (lib/model/pointer.ts), written into
   * `dest[offset, offset + maxLen)`: a vocabulary word keeps its id; a word outside the vocabulary gets
   * `size + i` (the model's vocabulary is `size` ids), where `i` is the position of its first occurrence (so repeats of one unknown word share an
   * id); padding stays 0. Returns each such unknown word's extended id, by word (what
   * {@linkcode extendTarget} looks up).
   */
  extendInput(w: readonly string[], maxLen: number, dest: Int32Array, offset = 0): Map<string, number> {
    const unknown = new Map<string, number>();
    const k = Math.min(w.length, maxLen);
    for (let i = 0; i < k; i++) {
      let id = this.#index.get(w[i]);
      if (id === undefined) {
        id = unknown.get(w[i]);
        if (id === undefined) {
          id = this.size + i;
          unknown.set(w[i], id);
        }
      }
      dest[offset + i] = id;
    }
    dest.fill(PAD, offset + k, offset + maxLen);
    return unknown;
  }

  /**
   * The target row `decOut` with copyable words made extended: a target word outside the vocabulary that the
   * input holds (`unknown`, from {@linkcode extendInput}) gets the input's extended id instead of OOV. Writes
   * `[offset, offset + maxLen)` of `dest`, the same layout as {@linkcode encodeTargetInto}'s `decOut`; returns how
   * many target words became copyable.
   */
  extendTarget(
    w: readonly string[],
    maxLen: number,
    unknown: ReadonlyMap<string, number>,
    decOut: Int32Array,
    dest: Int32Array,
    offset = 0,
  ): number {
    const k = Math.min(w.length, maxLen - 1);
    dest.set(decOut.subarray(offset, offset + maxLen), offset);
    let copyable = 0;
    for (let i = 0; i < k; i++) {
      if (decOut[offset + i] !== OOV) continue;
      const id = unknown.get(w[i]);
      if (id !== undefined) {
        dest[offset + i] = id;
        copyable++;
      }
    }
    return copyable;
  }

  /**
   * Text of a sequence of ids: stops at the first EOS, skips PAD, SOS and the sentence boundary
   * ({@linkcode BOUNDARY}: an encoder-only token, never part of a summary), writes OOV as `<oov>`.
   * An extended id `size + i` (copy attention) is the input word at position `i` of `source` (the encoder's
   * words). Throws on an id outside the vocabulary, or an extended id without a source word.
   *
   * The boundary is dropped in both of its forms: its vocabulary id, and, when it is out of the vocabulary
   * (a small one), the extended id {@linkcode extendInput} gives it like any unknown input word, which a copy
   * model can emit by copying a `<sep>` position.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { Tokenizer } from "./tokenizer.ts";
   * const tok = Tokenizer.fit(["ice melts ice"], 6); // ice=4, melts=5: <sep> and "seas" are unknown
   * const source = ["ice", "<sep>", "seas"];
   * const ext = new Int32Array(3);
   * tok.extendInput(source, 3, ext); // [4, 6 + 1, 6 + 2]
   * assertEquals(tok.decode([ext[1], ext[2], ext[0]], source), "seas ice"); // the copied <sep> is dropped
   * ```
   */
  decode(ids: ArrayLike<number>, source?: readonly string[]): string {
    const out: string[] = [];
    const boundary = this.#index.get(BOUNDARY);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === EOS) break;
      if (id === PAD || id === SOS || id === boundary) continue;
      if (id >= this.size && Number.isInteger(id) && source?.[id - this.size] === undefined) {
        throw new RangeError(
          `Tokenizer: extended id ${id} (input position ${id - this.size}) has no source word` +
            (source ? ` (the input has ${source.length})` : " (no source words given)"),
        );
      }
      const token = this.tokenOf(id, source);
      if (token !== BOUNDARY) out.push(token); // an extended id copying an out-of-vocabulary <sep>
    }
    return out.join(" ");
  }

  /** Whether `other` has the same vocabulary (same words, same ids, same requested size). */
  sameVocabulary(other: Tokenizer): boolean {
    return other.vocabSize === this.vocabSize && other.#words.length === this.#words.length &&
      other.#words.every((w, i) => w === this.#words[i]);
  }

  /** JSON form, saved next to the model. */
  toJSON(): TokenizerJSON {
    return {
      format: "envnews-tokenizer",
      version: 1,
      vocabSize: this.vocabSize,
      reserved: [...RESERVED_TOKENS],
      words: [...this.#words],
    };
  }

  /** Rebuild a tokenizer from {@linkcode toJSON}'s output; errors name the bad field. */
  static fromJSON(obj: unknown): Tokenizer {
    const bad = (field: string, what: string): never => {
      throw new Error(`tokenizer JSON: field "${field}" ${what}`);
    };
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      throw new Error("tokenizer JSON: expected an object");
    }
    const o = obj as Record<string, unknown>;
    if (o.format !== "envnews-tokenizer") {
      bad("format", `must be "envnews-tokenizer" (got ${JSON.stringify(o.format)})`);
    }
    if (o.version !== 1) bad("version", `must be 1 (got ${JSON.stringify(o.version)})`);
    const vs = o.vocabSize;
    if (typeof vs !== "number" || !Number.isInteger(vs) || vs < RESERVED + 1) {
      bad("vocabSize", `must be an integer >= ${RESERVED + 1} (got ${JSON.stringify(vs)})`);
    }
    const vocabSize = vs as number;
    if (
      !Array.isArray(o.reserved) || o.reserved.length !== RESERVED ||
      o.reserved.some((r, i) => r !== RESERVED_TOKENS[i])
    ) {
      bad("reserved", `must be ${JSON.stringify(RESERVED_TOKENS)} (got ${JSON.stringify(o.reserved)})`);
    }
    if (!Array.isArray(o.words)) bad("words", "must be an array of strings");
    const list = o.words as unknown[];
    if (list.length > vocabSize - RESERVED) {
      bad("words", `has ${list.length} entries, more than vocabSize - ${RESERVED} = ${vocabSize - RESERVED}`);
    }
    const seen = new Set<string>();
    list.forEach((w, i) => {
      if (typeof w !== "string" || !WORD_OK.test(w)) {
        bad(`words[${i}]`, `must be a non-empty string without spaces (got ${JSON.stringify(w)})`);
      }
      const s = w as string;
      if (RESERVED_TOKENS.includes(s)) bad(`words[${i}]`, `is the reserved token ${JSON.stringify(s)}`);
      if (seen.has(s)) bad(`words[${i}]`, `repeats the word ${JSON.stringify(s)}`);
      seen.add(s);
    });
    return new Tokenizer(list as string[], vocabSize);
  }
}
