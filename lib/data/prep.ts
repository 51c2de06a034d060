/**
 * The data stage the rest of the project calls, in six steps that a notebook can also run one by one:
 *
 * 1. {@linkcode loadRows}: corpus rows from CSV files (`cfg.data` / `ENVNEWS_DIR`), rows passed in, or the
 *    embedded generator;
 * 2. {@linkcode cleanRows}: cleaned text and its sentences' words, rows without words dropped and counted;
 * 3. {@linkcode labelExamples}: pseudo-labels and the encoder's words ({@linkcode encoderInputWords});
 * 4. {@linkcode splitData}: seeded train / validation / test splits, de-duplicated on the whole input text;
 * 5. {@linkcode encodeData}: the tokenizer fitted on the training split, padded id matrices;
 * 6. {@linkcode prepReport}: a JSON-serialisable {@linkcode PrepReport} that accounts for every row.
 *
 * Each step takes the previous step's result and an options object whose fields have the names of the
 * {@linkcode Config} keys (so a whole config can be passed). {@linkcode prepareData} runs the six.
 * Tables of the report for a notebook are in `prep_display.ts`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { prepareData } from "./prep.ts";
 * const cfg = resolveConfig("tiny"); // the embedded corpus (ENVNEWS_DIR not consulted below)
 * const data = await prepareData(cfg, undefined, { useEnv: false });
 * assertEquals(data.report.source, "embedded");
 * const { train, val, test } = data.encoded;
 * assertEquals(train.encIn.length, train.n * cfg.maxInputLen); // Int32Array, n * maxInputLen, row-major
 * assertEquals(train.decOut.length, train.n * cfg.maxOutputLen);
 * assertEquals(train.n, data.splits.train.length); // one encoded row per example
 * const c = data.report.counts; // duplicates are removed before the split
 * assertEquals([train.n + val.n + test.n, c.train + c.val + c.test], [c.unique - c.cappedOut, c.unique - c.cappedOut]);
 * ```
 * @module
 */

import { type Config, dataSeedOf } from "../config.ts";
import { words } from "../util/words.ts";
import { type CleaningCounts, cleanText } from "./clean.ts";
import { CorpusError, type CorpusRow, loadCorpus, type LoadReport, resolveDataDir } from "./corpus.ts";
import { generateCorpus } from "./embedded.ts";
import { encoderInputWords } from "./encoder_input.ts";
import { pseudoLabelWords } from "./pseudo_label.ts";
import { sentenceWords } from "./sentences.ts";
import { countSharedWithTrain, type SharedWithTrain, splitExamples, type SplitReport } from "./split.ts";
import { OOV, Tokenizer } from "./tokenizer.ts";

export { encoderInputWords, encoderWords, textToEncoderWords } from "./encoder_input.ts";

/** One snippet ready for the model. */
export interface Example {
  /** Position of the source row in the loaded corpus (stable for a given corpus). */
  id: number;
  station: string;
  /** `YYYY-MM-DD` from MatchDateTime (the raw value when it does not parse). */
  date: string;
  /** Raw text. */
  snippet: string;
  /** `cleanText(snippet)`: periods kept. */
  cleaned: string;
  /** `toWords(cleaned)`: the encoder's text. */
  input: string;
  /** `toWords(pseudoSummary(cleaned, labelSentences))`: the decoder's text. */
  target: string;
}

/** Id matrices of one split, row-major: `encIn` is `n * maxInputLen`, `decIn`/`decOut` `n * maxOutputLen`. */
export interface EncodedSplit {
  n: number;
  encIn: Int32Array;
  decIn: Int32Array;
  decOut: Int32Array;
  /**
   * For copy attention: `encIn` with every input word outside the vocabulary given the extended id
   * `tokenizer.size + first position` (`Tokenizer.extendInput`), and `decOut` with the target words that can be
   * copied from the input given those ids. Equal to `encIn` / `decOut` wherever no word is out of vocabulary.
   */
  encExt: Int32Array;
  decOutExt: Int32Array;
}

/** Summary statistics of a length distribution (in words). */
export interface LengthStats {
  min: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
  /** Histogram-ready: `counts[k]` = number of examples of length `k` (k = 0..max). */
  counts: number[];
}

/** Encoding statistics of one split. */
export interface SplitStats {
  examples: number;
  /** Non-padding encoder tokens (after truncation) and how many of them are OOV. */
  inputTokens: number;
  inputOov: number;
  inputOovRate: number;
  /** Summary words encoded in `decOut` (after truncation, EOS not counted) and how many are OOV. */
  targetTokens: number;
  targetOov: number;
  targetOovRate: number;
  /** OOV summary words that the (kept) input holds, so copy attention can write them. */
  targetOovCopyable: number;
  /** Inputs longer than `maxInputLen` words (their end was cut). */
  inputsTruncated: number;
  /** Targets longer than `maxOutputLen - 1` words (cut; `eostok` still last). */
  targetsTruncated: number;
}

/** Everything the data stage did, JSON-serialisable. */
export interface PrepReport {
  /** Where the rows came from: CSV files, the embedded generator, or rows passed in. */
  source: "files" | "embedded" | "rows";
  /** Absolute data folder for `files`, else null. */
  dataDir: string | null;
  /** The settings that shaped the data. */
  settings: {
    lenient: boolean;
    embeddedSnippets: number;
    maxSnippets: number;
    labelSentences: number;
    /** Encoder inputs carry `<sep>` between sentences (their lengths and token counts include it). */
    sentenceBoundaries: boolean;
    valFraction: number;
    testFraction: number;
    seed: number;
    vocabSize: number;
    maxInputLen: number;
    maxOutputLen: number;
  };
  /** The corpus loader's report (`files` source only). */
  load: LoadReport | null;
  counts: {
    /** Files read (`files` source), else 0. */
    files: number;
    /** Rows loaded (skipped rows not included), generated, or passed in. */
    rows: number;
    /** Rows skipped by the lenient loader. */
    skippedRows: number;
    /** Rows dropped because the cleaned snippet had no words. */
    emptyAfterCleaning: number;
    /** Examples after cleaning. */
    examples: number;
    /** Examples whose label is the whole text (no more sentences than `labelSentences`). */
    labelIsWholeText: number;
    duplicatesRemoved: number;
    unique: number;
    /** Unique examples left out by `maxSnippets`. */
    cappedOut: number;
    train: number;
    val: number;
    test: number;
  };
  /**
   * Validation and test examples whose encoder input as the model reads it (its words with `<sep>` under
   * `sentenceBoundaries`, cut to the first `maxInputLen`) equals a training example's: near-duplicates that differ
   * only after the cut, which the split's whole-text de-duplication keeps apart. Counted, not removed (the split
   * is not changed by them); `valSameTarget` and `testSameTarget` count those whose target is the training
   * example's too.
   */
  sharedCutInputs: SharedCutInputs;
  /**
   * Validation and test examples whose target (the pseudo-label, in full) is a training example's target, whatever
   * their inputs: TV captions overlap, so one sentence is the label of several snippets, and a model that learned
   * it in training meets it again at test time. Counted, not removed (the split is by whole input).
   */
  sharedTargets: SharedWithTrain;
  /**
   * What cleaning did beyond ASCII, over every row cleaned (rows later dropped as empty or duplicate
   * included, a duplicated snippet once per row), in characters of the raw snippets: `foldedChars`
   * (accented and other non-ASCII letters turned into ASCII, `café` -> `cafe`, `ß` -> `ss`) and
   * `droppedOtherScriptChars` (letters and digits of other scripts, Greek, Cyrillic, CJK, ..., dropped).
   * Both 0 for plain-ASCII text. See {@linkcode CleaningCounts}.
   */
  cleaning: CleaningCounts;
  /** Over the examples used (all three splits). */
  lengths: { inputWords: LengthStats; targetWords: LengthStats; sentences: LengthStats };
  vocab: {
    requested: number;
    size: number;
    /** Distinct words in the training inputs and targets. */
    trainDistinctWords: number;
    /** Share of training words (inputs and targets, all occurrences) that are in the vocabulary. */
    trainCoverage: number;
  };
  splits: { train: SplitStats; val: SplitStats; test: SplitStats };
  /** The first few training examples. */
  examples: Pick<Example, "id" | "station" | "date" | "snippet" | "input" | "target">[];
  /** Wall-clock seconds per stage. */
  seconds: { load: number; label: number; split: number; tokenize: number; total: number };
}

/** {@linkcode PrepReport.sharedCutInputs}: encoder inputs (cut to `maxInputLen` words) the training split holds too. */
export interface SharedCutInputs {
  /** The input length the inputs were cut to. */
  maxInputLen: number;
  /** Validation examples whose cut encoder input is a training example's. */
  val: number;
  /** Test examples whose cut encoder input is a training example's. */
  test: number;
  /** Of `val`, those with the same target as such a training example. */
  valSameTarget: number;
  /** Of `test`, those with the same target as such a training example. */
  testSameTarget: number;
}

/** Result of {@linkcode prepareData}. */
export interface PreparedData {
  tokenizer: Tokenizer;
  splits: { train: Example[]; val: Example[]; test: Example[] };
  encoded: { train: EncodedSplit; val: EncodedSplit; test: EncodedSplit };
  report: PrepReport;
}

const DATE_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\b/;

/** `M/D/YYYY ...` -> `YYYY-MM-DD`; other formats are returned unchanged. */
export function isoDate(matchDateTime: string): string {
  const m = DATE_RE.exec(matchDateTime.trim());
  if (!m) return matchDateTime;
  return `${m[3]}-${m[1].padStart(2, "0")}-${m[2].padStart(2, "0")}`;
}

/**
 * The words of an example's encoder input and target: `input` is {@linkcode encoderInputWords} of the example
 * (with `<sep>` between sentences when sentence boundaries are on); `target` is `words(e.target)`.
 */
export interface ExampleWords {
  input: readonly string[];
  target: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// 1. load

/** Options of {@linkcode loadRows}: where the rows come from (the {@linkcode Config} keys of the same names). */
export interface LoadRowsOptions extends Pick<Config, "data" | "lenient" | "embeddedSnippets" | "seed"> {
  /** Rows to use as they are (source `rows`); `data` and the generator are then not consulted. */
  rows?: readonly CorpusRow[];
  /**
   * Consult `ENVNEWS_DIR` when `data` is empty (default true). False for a run's saved config, where
   * `data: ""` means the embedded corpus.
   */
  useEnv?: boolean;
}

/** What {@linkcode loadRows} gives. */
export interface LoadedRows {
  source: PrepReport["source"];
  /** Absolute data folder for `files`, else null. */
  dataDir: string | null;
  /** The corpus loader's report (`files` source only). */
  load: LoadReport | null;
  rows: readonly CorpusRow[];
  seconds: number;
}

/**
 * Step 1: the corpus rows. From `opts.rows` when given, else from the CSV files of `opts.data` (or
 * `ENVNEWS_DIR`; strict, or skipping and counting bad rows with `opts.lenient`), else from the embedded
 * generator (`opts.embeddedSnippets` snippets, `opts.seed`). Throws a `CorpusError` for bad files (strict).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { loadRows } from "./prep.ts";
 * const loaded = await loadRows({ data: "", lenient: false, embeddedSnippets: 40, seed: 1, useEnv: false });
 * assertEquals([loaded.source, loaded.rows.length, loaded.dataDir], ["embedded", 40, null]);
 * ```
 */
export async function loadRows(opts: LoadRowsOptions): Promise<LoadedRows> {
  const t0 = performance.now();
  const done = (r: Omit<LoadedRows, "seconds">): LoadedRows => ({
    ...r,
    seconds: (performance.now() - t0) / 1000,
  });
  if (opts.rows) return done({ source: "rows", dataDir: null, load: null, rows: opts.rows });
  // a finished run's config says where its data was ("" = the embedded corpus): no ENVNEWS_DIR then
  const dir = opts.useEnv === false
    ? (opts.data.trim() === "" ? null : opts.data)
    : resolveDataDir(opts.data);
  if (dir === null) {
    const rows = generateCorpus(opts.embeddedSnippets, opts.seed);
    return done({ source: "embedded", dataDir: null, load: null, rows });
  }
  const loaded = await loadCorpus(dir, { lenient: opts.lenient });
  return done({ source: "files", dataDir: loaded.report.dir, load: loaded.report, rows: loaded.rows });
}

// ---------------------------------------------------------------------------------------------------------
// 2. clean

/** One row after cleaning: its cleaned text and the words of each of its sentences. */
export interface CleanText {
  /** Position of the row in the loaded corpus (becomes `Example.id`). */
  id: number;
  row: CorpusRow;
  /** `cleanText(row.snippet)`: lower case, accents folded, periods kept. */
  cleaned: string;
  /** `sentenceWords(cleaned)`: each sentence's words as the model sees them (at least one word in all). */
  sentences: string[][];
}

/** What {@linkcode cleanRows} gives. */
export interface CleanedRows {
  loaded: LoadedRows;
  /** The rows with words, in corpus order. */
  texts: CleanText[];
  /** Rows dropped because the cleaned snippet had no words. */
  empty: number;
  /** What cleaning folded and dropped beyond ASCII, over all rows ({@linkcode CleaningCounts}). */
  cleaning: CleaningCounts;
  seconds: number;
}

/**
 * Step 2: clean every row ({@linkcode cleanText}) and split it into sentences of words
 * ({@linkcode sentenceWords}); rows left without words are dropped and counted (`empty`). No options: cleaning
 * has no settings.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cleanRows, loadRows } from "./prep.ts";
 * const row = { file: "T.csv", line: 2, url: "u", matchDateTime: "3/7/2015", station: "CNN", show: "s", iaShowId: "i", iaPreviewThumb: "t" };
 * const rows = ["Le café ferme. Ice melts!", "?!"].map((snippet) => ({ ...row, snippet }));
 * const cleaned = cleanRows(await loadRows({ rows, data: "", lenient: false, embeddedSnippets: 0, seed: 0 }));
 * assertEquals(cleaned.texts[0].cleaned, "le cafe ferme. ice melts");
 * assertEquals(cleaned.texts[0].sentences, [["le", "cafe", "ferme"], ["ice", "melts"]]);
 * assertEquals([cleaned.texts.length, cleaned.empty, cleaned.cleaning.foldedChars], [1, 1, 1]);
 * ```
 */
export function cleanRows(loaded: LoadedRows): CleanedRows {
  const t0 = performance.now();
  const texts: CleanText[] = [];
  const cleaning: CleaningCounts = { foldedChars: 0, droppedOtherScriptChars: 0 };
  let empty = 0;
  loaded.rows.forEach((row, id) => {
    const cleaned = cleanText(row.snippet, cleaning);
    const sentences = sentenceWords(cleaned);
    if (sentences.every((s) => s.length === 0)) empty++;
    else texts.push({ id, row, cleaned, sentences });
  });
  return { loaded, texts, empty, cleaning, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------------------
// 3. label

/** Options of {@linkcode labelExamples} (the {@linkcode Config} keys of the same names). */
export type LabelOptions = Pick<Config, "labelSentences" | "sentenceBoundaries">;

/** What {@linkcode labelExamples} gives; `sentences` and `words` run parallel to `examples`. */
export interface LabelledExamples {
  cleaned: CleanedRows;
  examples: Example[];
  /** Examples with no more than `labelSentences` sentences (label = whole text). */
  wholeText: number;
  /** Sentence count of each example. */
  sentences: number[];
  /** Encoder input and target words of each example (the input with `<sep>` under `sentenceBoundaries`). */
  words: ExampleWords[];
  /** Whether the encoder words carry `<sep>` (the option they were made with; {@linkcode encodeData} follows it). */
  sentenceBoundaries: boolean;
  seconds: number;
}

/**
 * Step 3: one {@linkcode Example} per cleaned row: its pseudo-label (the `opts.labelSentences` highest-scoring
 * sentences, {@linkcode pseudoLabelWords}) and its encoder words ({@linkcode encoderInputWords}, with `<sep>`
 * between sentences under `opts.sentenceBoundaries`). `Example.input` never carries `<sep>`: it is the text
 * baselines copy and reports show.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cleanRows, labelExamples, loadRows } from "./prep.ts";
 * const row = { file: "T.csv", line: 2, url: "u", matchDateTime: "3/7/2015", station: "CNN", show: "s", iaShowId: "i", iaPreviewThumb: "t" };
 * const rows = [{ ...row, snippet: "The ice melts. The ice melts fast in the Arctic. OK." }];
 * const cleaned = cleanRows(await loadRows({ rows, data: "", lenient: false, embeddedSnippets: 0, seed: 0 }));
 * const labelled = labelExamples(cleaned, { labelSentences: 1, sentenceBoundaries: true });
 * assertEquals(labelled.examples[0].target, "the ice melts fast in the arctic");
 * assertEquals(labelled.examples[0].input, "the ice melts the ice melts fast in the arctic ok");
 * assertEquals(labelled.words[0].input.filter((w) => w === "<sep>").length, 2);
 * assertEquals([labelled.sentences[0], labelled.wholeText], [3, 0]);
 * ```
 */
export function labelExamples(cleaned: CleanedRows, opts: LabelOptions): LabelledExamples {
  const t0 = performance.now();
  const examples: Example[] = [];
  const sentences: number[] = [];
  const exampleWords: ExampleWords[] = [];
  let wholeText = 0;
  for (const text of cleaned.texts) {
    const target = pseudoLabelWords(text.sentences, opts.labelSentences);
    const input = encoderInputWords(text, opts.sentenceBoundaries);
    const { row } = text;
    examples.push({
      id: text.id,
      station: row.station,
      date: isoDate(row.matchDateTime),
      snippet: row.snippet,
      cleaned: text.cleaned,
      input: (opts.sentenceBoundaries ? encoderInputWords(text, false) : input).join(" "),
      target: target.join(" "),
    });
    exampleWords.push({ input, target });
    sentences.push(text.sentences.length);
    if (text.sentences.length <= opts.labelSentences) wholeText++;
  }
  return {
    cleaned,
    examples,
    wholeText,
    sentences,
    words: exampleWords,
    sentenceBoundaries: opts.sentenceBoundaries,
    seconds: (performance.now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------------------
// 4. split

/** Options of {@linkcode splitData} (the {@linkcode Config} keys of the same names). */
export type SplitDataOptions = Pick<Config, "valFraction" | "testFraction" | "seed" | "maxSnippets">;

/** What {@linkcode splitData} gives. */
export interface SplitData {
  labelled: LabelledExamples;
  train: Example[];
  val: Example[];
  test: Example[];
  report: SplitReport;
  seconds: number;
}

/**
 * Step 4: drop exact duplicates (same whole `input`), shuffle with `opts.seed`, keep at most `opts.maxSnippets`
 * unique examples (when > 0) and split by `opts.valFraction` and `opts.testFraction` ({@linkcode splitExamples}).
 * Throws a `CorpusError` when no example is left, or when a split would be empty. Inputs that differ only after
 * the first `maxInputLen` words are not duplicates here; {@linkcode prepReport} counts those shared across splits.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cleanRows, labelExamples, loadRows, splitData } from "./prep.ts";
 * const loaded = await loadRows({ data: "", lenient: false, embeddedSnippets: 100, seed: 2, useEnv: false });
 * const labelled = labelExamples(cleanRows(loaded), { labelSentences: 1, sentenceBoundaries: false });
 * const split = splitData(labelled, { valFraction: 0.1, testFraction: 0.1, seed: 2, maxSnippets: 0 });
 * assertEquals(split.train.length + split.val.length + split.test.length, split.report.unique);
 * assertEquals(split.val.length, Math.round(split.report.unique * 0.1));
 * ```
 */
export function splitData(labelled: LabelledExamples, opts: SplitDataOptions): SplitData {
  const t0 = performance.now();
  const { loaded } = labelled.cleaned;
  const origin = loaded.dataDir ?? loaded.source;
  if (labelled.examples.length === 0) {
    const why = `${loaded.rows.length} rows, ${labelled.cleaned.empty} empty after cleaning${
      filesWithoutRows(loaded)
    }`;
    throw new CorpusError(`no usable snippet in ${dataName(loaded)} (${why})`, origin, 0);
  }
  const split = splitExamples(labelled.examples, {
    valFraction: opts.valFraction,
    testFraction: opts.testFraction,
    seed: opts.seed,
    maxExamples: opts.maxSnippets,
  });
  const empty = (["train", "val", "test"] as const).filter((k) => split[k].length === 0);
  if (empty.length > 0) {
    throw new CorpusError(`${dataName(loaded)}: ${emptySplitMessage(empty, split.report, opts)}`, origin, 0);
  }
  const { train, val, test, report } = split;
  return { labelled, train, val, test, report, seconds: (performance.now() - t0) / 1000 };
}

/** What the rows came from, for a message: the data folder, the embedded corpus, or the rows given. */
function dataName(loaded: LoadedRows): string {
  if (loaded.dataDir) return `the data folder ${loaded.dataDir}`;
  return loaded.source === "embedded" ? "the embedded corpus" : "the rows given";
}

/** The files that gave no row, and why (empty, header only, skipped whole), for a message; "" when none. */
function filesWithoutRows(loaded: LoadedRows): string {
  const files = loaded.load?.perFile.filter((f) => f.rows === 0) ?? [];
  if (files.length === 0) return "";
  const skippedWhole = new Set(loaded.load?.skippedFiles ?? []);
  const why = (f: (typeof files)[number]) => {
    if (skippedWhole.has(f.file)) return `skipped whole: ${f.fileProblem ?? "bad header"}`;
    const what = f.empty ? "empty" : f.skipped > 0 ? "every row skipped" : "header only";
    return f.fileProblem ? `${what} (${f.fileProblem})` : what;
  };
  const shown = files.slice(0, 5).map((f) => `${f.file}: ${why(f)}`).join("; ");
  return `; ${files.length} file(s) without a row: ${shown}${files.length > 5 ? "; ..." : ""}`;
}

/** Why a split came out empty, and what to change. */
function emptySplitMessage(empty: readonly string[], r: SplitReport, opts: SplitDataOptions): string {
  return `the data gives an empty ${
    empty.join(" and ")
  } split: ${r.unique} unique examples -> train ${r.train} / ` +
    `val ${r.val} / test ${r.test} (valFraction ${opts.valFraction}, testFraction ${opts.testFraction}` +
    `${opts.maxSnippets > 0 ? `, maxSnippets ${opts.maxSnippets}` : ""}); use more snippets ` +
    `(--embeddedSnippets, --maxSnippets, a larger --data folder) or larger fractions`;
}

// ---------------------------------------------------------------------------------------------------------
// 5. encode

/** Options of {@linkcode encodeExamples}. */
export interface EncodeOptions extends Pick<Config, "maxInputLen" | "maxOutputLen" | "sentenceBoundaries"> {
  tokenizer: Tokenizer;
  /**
   * The words of an example when already split (how the data stage passes on {@linkcode labelExamples}'s
   * words); without them (or when it gives undefined) the encoder gets `encoderInputWords(e, sentenceBoundaries)`
   * and the decoder `words(e.target)`: the same words, split again.
   */
  wordsOf?: (e: Example) => ExampleWords | undefined;
}

/** One split encoded: its matrices, its statistics, and every input's and target's word count (before cuts). */
export interface EncodedExamples {
  encoded: EncodedSplit;
  stats: SplitStats;
  inputWords: number[];
  targetWords: number[];
}

/**
 * Encode examples into row-major id matrices with `opts.tokenizer` (inputs cut to `opts.maxInputLen`, targets to
 * `opts.maxOutputLen - 1` words plus `eostok`), and count their OOV words and cuts. Used for each split by
 * {@linkcode encodeData}, and on its own to encode new examples with a trained run's tokenizer.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeExamples } from "./prep.ts";
 * import { Tokenizer } from "./tokenizer.ts";
 * const tokenizer = Tokenizer.fromCounts(Tokenizer.countWords(["ice melts", "seas rise"]), 20);
 * const ex = { id: 0, station: "", date: "", snippet: "", cleaned: "ice melts. seas fall.", input: "ice melts seas fall", target: "ice melts" };
 * const out = encodeExamples([ex], { tokenizer, maxInputLen: 6, maxOutputLen: 4, sentenceBoundaries: true });
 * assertEquals(out.encoded.n, 1);
 * assertEquals(out.inputWords, [5]); // ice melts <sep> seas fall
 * assertEquals([out.stats.inputOov, out.stats.targetOov], [2, 0]); // <sep> and "fall" are not in this vocabulary
 * ```
 */
export function encodeExamples(examples: readonly Example[], opts: EncodeOptions): EncodedExamples {
  const { tokenizer: tok, maxInputLen, maxOutputLen } = opts;
  const n = examples.length;
  const encoded: EncodedSplit = {
    n,
    encIn: new Int32Array(n * maxInputLen),
    decIn: new Int32Array(n * maxOutputLen),
    decOut: new Int32Array(n * maxOutputLen),
    encExt: new Int32Array(n * maxInputLen),
    decOutExt: new Int32Array(n * maxOutputLen),
  };
  const s = emptySplitStats(n);
  const inputWords = new Array<number>(n);
  const targetWords = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const e = examples[i];
    const ws = opts.wordsOf?.(e) ??
      { input: encoderInputWords(e, opts.sentenceBoundaries), target: words(e.target) };
    const a = tok.encodeInputInto(ws.input, maxInputLen, encoded.encIn, i * maxInputLen);
    inputWords[i] = a.words;
    s.inputTokens += Math.min(a.words, maxInputLen);
    s.inputOov += a.oov;
    if (a.truncated) s.inputsTruncated++;
    const t = tok.encodeTargetInto(ws.target, maxOutputLen, encoded.decIn, encoded.decOut, i * maxOutputLen);
    targetWords[i] = t.words;
    s.targetTokens += Math.min(t.words, maxOutputLen - 1);
    s.targetOov += t.oov;
    if (t.truncated) s.targetsTruncated++;
    const unknown = tok.extendInput(ws.input, maxInputLen, encoded.encExt, i * maxInputLen);
    s.targetOovCopyable += tok.extendTarget(
      ws.target,
      maxOutputLen,
      unknown,
      encoded.decOut,
      encoded.decOutExt,
      i * maxOutputLen,
    );
  }
  s.inputOovRate = s.inputTokens > 0 ? s.inputOov / s.inputTokens : 0;
  s.targetOovRate = s.targetTokens > 0 ? s.targetOov / s.targetTokens : 0;
  return { encoded, stats: s, inputWords, targetWords };
}

/** {@linkcode SplitStats} of `n` examples with every count at 0. */
function emptySplitStats(n: number): SplitStats {
  return {
    examples: n,
    inputTokens: 0,
    inputOov: 0,
    inputOovRate: 0,
    targetTokens: 0,
    targetOov: 0,
    targetOovRate: 0,
    targetOovCopyable: 0,
    inputsTruncated: 0,
    targetsTruncated: 0,
  };
}

/**
 * Options of {@linkcode encodeData} (the {@linkcode Config} keys of the same names). Whether the encoder input
 * carries `<sep>` was decided by {@linkcode labelExamples}, whose words are encoded.
 */
export type EncodeDataOptions = Pick<Config, "vocabSize" | "maxInputLen" | "maxOutputLen">;

/** What {@linkcode encodeData} gives. */
export interface EncodedData {
  split: SplitData;
  tokenizer: Tokenizer;
  /** Occurrences of every word of the training inputs and targets (what the tokenizer was fitted on). */
  trainCounts: Map<string, number>;
  train: EncodedExamples;
  val: EncodedExamples;
  test: EncodedExamples;
  seconds: number;
}

/**
 * Step 5: fit the tokenizer on the words of the training inputs and targets (`opts.vocabSize` ids), then encode
 * the three splits ({@linkcode encodeExamples}) with the words {@linkcode labelExamples} made.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { cleanRows, encodeData, labelExamples, loadRows, splitData } from "./prep.ts";
 * const cfg = resolveConfig("tiny", { embeddedSnippets: 100, vocabSize: 50 });
 * const loaded = await loadRows({ ...cfg, useEnv: false });
 * const split = splitData(labelExamples(cleanRows(loaded), cfg), cfg);
 * const encoded = encodeData(split, cfg);
 * assertEquals(encoded.tokenizer.size, 50);
 * assertEquals(encoded.train.encoded.encIn.length, split.train.length * cfg.maxInputLen);
 * ```
 */
export function encodeData(split: SplitData, opts: EncodeDataOptions): EncodedData {
  const t0 = performance.now();
  // the labeller already split every text into words: reuse them instead of splitting again
  const { examples, words: exampleWords } = split.labelled;
  const wordsByExample = new Map<Example, ExampleWords>();
  examples.forEach((e, i) => wordsByExample.set(e, exampleWords[i]));
  const wordsOf = (e: Example) => wordsByExample.get(e);
  const trainCounts = Tokenizer.countWords(split.train.flatMap((e) => {
    const ws = wordsByExample.get(e)!;
    return [ws.input, ws.target];
  }));
  const tokenizer = Tokenizer.fromCounts(trainCounts, opts.vocabSize);
  const { sentenceBoundaries } = split.labelled;
  const encode = (part: readonly Example[]) =>
    encodeExamples(part, { ...opts, sentenceBoundaries, tokenizer, wordsOf });
  const [train, val, test] = [encode(split.train), encode(split.val), encode(split.test)];
  return { split, tokenizer, trainCounts, train, val, test, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------------------
// 6. report

/** Options of {@linkcode prepReport}: the settings the report records (the {@linkcode Config} keys). */
export type PrepSettings = PrepReport["settings"];

/**
 * Step 6: the {@linkcode PrepReport} of a finished data stage: where the rows came from, the settings, every
 * count from rows to splits, the validation and test inputs that equal a training input once cut to `maxInputLen`
 * words ({@linkcode SharedCutInputs}), what cleaning folded, length distributions, the vocabulary's coverage, each
 * split's OOV rates and cuts, the first training examples, and the seconds each step took.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { cleanRows, encodeData, labelExamples, loadRows, prepReport, splitData } from "./prep.ts";
 * const cfg = resolveConfig("tiny", { embeddedSnippets: 100 });
 * const loaded = await loadRows({ ...cfg, useEnv: false });
 * const encoded = encodeData(splitData(labelExamples(cleanRows(loaded), cfg), cfg), cfg);
 * const report = prepReport(encoded, cfg);
 * assertEquals([report.source, report.counts.rows], ["embedded", 100]);
 * assertEquals(report.counts.train + report.counts.val + report.counts.test, report.counts.unique);
 * assertEquals(report.vocab.size, encoded.tokenizer.size);
 * ```
 */
export function prepReport(encoded: EncodedData, opts: PrepSettings): PrepReport {
  const { split } = encoded;
  const { cleaned } = split.labelled;
  const { loaded } = cleaned;
  return {
    source: loaded.source,
    dataDir: loaded.dataDir,
    settings: reportSettings(opts),
    load: loaded.load,
    counts: reportCounts(split),
    sharedCutInputs: reportSharedCutInputs(split, opts.maxInputLen),
    sharedTargets: countSharedWithTrain(split, (e) => e.target),
    cleaning: { ...cleaned.cleaning },
    lengths: reportLengths(encoded),
    vocab: reportVocab(encoded, opts.vocabSize),
    splits: { train: encoded.train.stats, val: encoded.val.stats, test: encoded.test.stats },
    examples: split.train.slice(0, 3).map(({ id, station, date, snippet, input, target }) => ({
      id,
      station,
      date,
      snippet,
      input,
      target,
    })),
    seconds: reportSeconds(encoded),
  };
}

/** The settings, in the report's key order (a whole config may be passed: only these keys are kept). */
function reportSettings(opts: PrepSettings): PrepSettings {
  return {
    lenient: opts.lenient,
    embeddedSnippets: opts.embeddedSnippets,
    maxSnippets: opts.maxSnippets,
    labelSentences: opts.labelSentences,
    sentenceBoundaries: opts.sentenceBoundaries,
    valFraction: opts.valFraction,
    testFraction: opts.testFraction,
    seed: opts.seed,
    vocabSize: opts.vocabSize,
    maxInputLen: opts.maxInputLen,
    maxOutputLen: opts.maxOutputLen,
  };
}

/** Every row accounted for: loaded, skipped, empty, examples, duplicates, capped, split. */
function reportCounts(split: SplitData): PrepReport["counts"] {
  const { labelled, report: r } = split;
  const { cleaned } = labelled;
  const { load, rows } = cleaned.loaded;
  return {
    files: load?.files ?? 0,
    rows: rows.length,
    skippedRows: load?.skipped ?? 0,
    emptyAfterCleaning: cleaned.empty,
    examples: labelled.examples.length,
    labelIsWholeText: labelled.wholeText,
    duplicatesRemoved: r.duplicatesRemoved,
    unique: r.unique,
    cappedOut: r.cappedOut,
    train: r.train,
    val: r.val,
    test: r.test,
  };
}

/**
 * The validation and test examples whose encoder words (those {@linkcode labelExamples} made, `<sep>` included),
 * cut to `maxInputLen`, are a training example's; and those whose target is the same too.
 */
function reportSharedCutInputs(split: SplitData, maxInputLen: number): SharedCutInputs {
  const { examples, words: exampleWords, sentenceBoundaries } = split.labelled;
  const cuts = new Map<Example, string>();
  examples.forEach((e, i) => cuts.set(e, exampleWords[i].input.slice(0, maxInputLen).join(" ")));
  const cut = (e: Example) => cuts.get(e) ?? encoderInputWords(e, sentenceBoundaries, maxInputLen).join(" ");
  const input = countSharedWithTrain(split, cut);
  // a newline is in no word and no target: input and target make one key
  const pair = countSharedWithTrain(split, (e) => `${cut(e)}\n${e.target}`);
  return {
    maxInputLen,
    val: input.val,
    test: input.test,
    valSameTarget: pair.val,
    testSameTarget: pair.test,
  };
}

/** Length distributions over the examples used (all three splits): input and target words, sentences. */
function reportLengths(encoded: EncodedData): PrepReport["lengths"] {
  const { train: tr, val: va, test: te, split } = encoded;
  const { labelled } = split;
  const sentencesById = new Map<number, number>();
  labelled.examples.forEach((e, i) => sentencesById.set(e.id, labelled.sentences[i]));
  const used = [...split.train, ...split.val, ...split.test];
  return {
    inputWords: lengthStats([...tr.inputWords, ...va.inputWords, ...te.inputWords]),
    targetWords: lengthStats([...tr.targetWords, ...va.targetWords, ...te.targetWords]),
    sentences: lengthStats(used.map((e) => sentencesById.get(e.id) ?? 0)),
  };
}

/** The vocabulary: size asked and got, distinct training words, and the share of training words it covers. */
function reportVocab(encoded: EncodedData, requested: number): PrepReport["vocab"] {
  const { tokenizer, trainCounts } = encoded;
  let all = 0;
  let covered = 0;
  for (const [w, c] of trainCounts) {
    all += c;
    if (tokenizer.idOf(w) !== OOV) covered += c;
  }
  return {
    requested,
    size: tokenizer.size,
    trainDistinctWords: trainCounts.size,
    trainCoverage: all > 0 ? covered / all : 0,
  };
}

/** Seconds per step (cleaning counts under `label`, fitting the tokenizer under `tokenize`); `total`: their sum. */
function reportSeconds(encoded: EncodedData): PrepReport["seconds"] {
  const { split } = encoded;
  const { cleaned } = split.labelled;
  const seconds = {
    load: cleaned.loaded.seconds,
    label: cleaned.seconds + split.labelled.seconds,
    split: split.seconds,
    tokenize: encoded.seconds,
  };
  return { ...seconds, total: seconds.load + seconds.label + seconds.split + seconds.tokenize };
}

/** min / median / p90 / max / mean and a count per length (nearest-rank percentiles). */
export function lengthStats(lengths: readonly number[]): LengthStats {
  if (lengths.length === 0) return { min: 0, median: 0, p90: 0, max: 0, mean: 0, counts: [] };
  const max = lengths.reduce((a, b) => Math.max(a, b), 0);
  const counts = new Array<number>(max + 1).fill(0);
  let sum = 0;
  for (const l of lengths) {
    counts[l]++;
    sum += l;
  }
  const rank = (q: number) => {
    const target = Math.max(1, Math.ceil(q * lengths.length));
    let acc = 0;
    for (let k = 0; k < counts.length; k++) {
      acc += counts[k];
      if (acc >= target) return k;
    }
    return max;
  };
  return { min: rank(0), median: rank(0.5), p90: rank(0.9), max, mean: sum / lengths.length, counts };
}

// ---------------------------------------------------------------------------------------------------------
// all six

/**
 * Run the data stage for `cfg`: {@linkcode loadRows} (rows from `rows` when given, else from `cfg.data` /
 * `ENVNEWS_DIR`, else the embedded generator), {@linkcode cleanRows}, {@linkcode labelExamples},
 * {@linkcode splitData}, {@linkcode encodeData}, {@linkcode prepReport}, with the data seed ({@linkcode dataSeedOf}:
 * `dataSeed`, or `seed` when it is -1). Throws when no example is left or a
 * split is empty. With `opts.useEnv` false, `ENVNEWS_DIR` is not consulted (a run's saved config: `data: ""`
 * means the embedded corpus).
 */
export async function prepareData(
  cfg: Config,
  rows?: CorpusRow[],
  opts: { useEnv?: boolean } = {},
): Promise<PreparedData> {
  // the data's own seed (dataSeed, or seed when it is -1): a sweep's seeds vary the training, not the data
  const dataCfg = { ...cfg, seed: dataSeedOf(cfg) };
  const loaded = await loadRows({ ...dataCfg, rows, useEnv: opts.useEnv });
  const labelled = labelExamples(cleanRows(loaded), dataCfg);
  const split = splitData(labelled, dataCfg);
  const encoded = encodeData(split, dataCfg);
  return {
    tokenizer: encoded.tokenizer,
    splits: { train: split.train, val: split.val, test: split.test },
    encoded: { train: encoded.train.encoded, val: encoded.val.encoded, test: encoded.test.encoded },
    report: prepReport(encoded, dataCfg),
  };
}
