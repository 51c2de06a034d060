/**
 * The data stage the rest of the project calls: corpus (files or embedded) -> cleaned examples with
 * pseudo-labels -> de-duplicated seeded splits -> tokenizer fitted on the training split -> padded id
 * matrices, plus a JSON-serialisable {@linkcode PrepReport} that accounts for every row.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { prepareData, prepReportTable } from "./prep.ts";
 * const cfg = resolveConfig("tiny"); // the embedded corpus (ENVNEWS_DIR not consulted below)
 * const data = await prepareData(cfg, undefined, { useEnv: false });
 * assertEquals(data.report.source, "embedded");
 * const { train, val, test } = data.encoded;
 * assertEquals(train.encIn.length, train.n * cfg.maxInputLen); // Int32Array, n * maxInputLen, row-major
 * assertEquals(train.decOut.length, train.n * cfg.maxOutputLen);
 * assertEquals(train.n, data.splits.train.length); // one encoded row per example
 * const c = data.report.counts; // duplicates are removed before the split
 * assertEquals([train.n + val.n + test.n, c.train + c.val + c.test], [c.unique - c.cappedOut, c.unique - c.cappedOut]);
 * assert(prepReportTable(data.report).length > 0); // rows for console.table or a notebook table
 * ```
 * @module
 */

import type { Config } from "../config.ts";
import { type CleaningCounts, cleanText, words } from "./clean.ts";
import { CorpusError, type CorpusRow, loadCorpus, type LoadReport, resolveDataDir } from "./corpus.ts";
import { generateCorpus } from "./embedded.ts";
import { pseudoSummaryDetails } from "./pseudo_label.ts";
import { splitExamples } from "./split.ts";
import { BOUNDARY, OOV, Tokenizer } from "./tokenizer.ts";

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
 * The words of an example's encoder input and target: `input` is `words(e.input)`, with {@linkcode BOUNDARY}
 * between sentences when sentence boundaries are on; `target` is `words(e.target)`.
 */
export interface ExampleWords {
  input: readonly string[];
  target: readonly string[];
}

/**
 * The encoder's words for a text split into sentences (each a word list): the sentences in order, with
 * {@linkcode BOUNDARY} between two sentences when `boundaries` is true (none before the first or after the
 * last; sentences without words add nothing).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encoderWords } from "./prep.ts";
 * assertEquals(encoderWords([["ice", "melts"], ["seas", "rise"]], true), ["ice", "melts", "<sep>", "seas", "rise"]);
 * assertEquals(encoderWords([["ice", "melts"], ["seas", "rise"]], false), ["ice", "melts", "seas", "rise"]);
 * ```
 */
export function encoderWords(sentences: readonly (readonly string[])[], boundaries: boolean): string[] {
  const out: string[] = [];
  for (const s of sentences) {
    if (s.length === 0) continue;
    if (boundaries && out.length > 0) out.push(BOUNDARY);
    for (const w of s) out.push(w);
  }
  return out;
}

/**
 * The words the encoder reads for an example, position by position (with `<sep>` between sentences when
 * `boundaries` is on; cut to `maxInputLen`): the labels of attention columns. `Example.input` has no boundaries.
 */
export function encoderInputWords(
  ex: Pick<Example, "cleaned">,
  boundaries: boolean,
  maxInputLen: number,
): string[] {
  return textToEncoderWords(ex.cleaned, boundaries).slice(0, maxInputLen);
}

/**
 * The encoder's words for any raw text, as the pipeline makes them for a snippet: {@linkcode cleanText},
 * sentences (the labeller's split), {@linkcode encoderWords}. What `summarize` feeds a trained model.
 */
export function textToEncoderWords(raw: string, boundaries: boolean): string[] {
  const label = pseudoSummaryDetails(cleanText(raw), 1);
  return encoderWords(label.sentences.map((s) => s.words), boundaries);
}

/**
 * Clean and label rows. Rows whose cleaned text has no words are dropped and counted (`empty`).
 * With `boundaries`, the encoder words in `words` carry {@linkcode BOUNDARY} between sentences
 * (`Example.input` never does: it is the text baselines copy and reports show).
 * `wholeText` counts examples with no more than `labelSentences` sentences (label = whole text);
 * `sentences` and `words` run parallel to `examples` (sentence counts; input and target words);
 * `cleaning` counts what cleaning folded and dropped over all `rows` ({@linkcode CleaningCounts}).
 */
export function makeExamples(
  rows: readonly CorpusRow[],
  labelSentences: number,
  boundaries = false,
): {
  examples: Example[];
  empty: number;
  wholeText: number;
  sentences: number[];
  words: ExampleWords[];
  cleaning: CleaningCounts;
} {
  const examples: Example[] = [];
  const sentences: number[] = [];
  const split: ExampleWords[] = [];
  let empty = 0;
  let wholeText = 0;
  const cleaning: CleaningCounts = { foldedChars: 0, droppedOtherScriptChars: 0 };
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const cleaned = cleanText(r.snippet, cleaning);
    // toWords acts inside tokens only, so the words of the text are the words of its sentences:
    // input = toWords(cleaned) and target = toWords(summary) come from the labeller's word lists.
    const label = pseudoSummaryDetails(cleaned, labelSentences);
    const inputWords = label.sentences.flatMap((s) => s.words);
    const input = inputWords.join(" ");
    if (input === "") {
      empty++;
      continue;
    }
    const nSent = label.sentences.length;
    if (nSent <= labelSentences) wholeText++;
    sentences.push(nSent);
    examples.push({
      id: i,
      station: r.station,
      date: isoDate(r.matchDateTime),
      snippet: r.snippet,
      cleaned,
      input,
      target: label.summaryWords.join(" "),
    });
    split.push({
      input: boundaries ? encoderWords(label.sentences.map((s) => s.words), true) : inputWords,
      target: label.summaryWords,
    });
  }
  return { examples, empty, wholeText, sentences, words: split, cleaning };
}

/**
 * Encode a split into row-major id matrices and gather its OOV and truncation counts, and the word
 * count of every input and target (before truncation). `wordsOf` may supply words already split
 * (a speed-up, and how sentence boundaries reach the encoder: see {@linkcode makeExamples}); without them
 * the encoder gets `words(e.input)`, or the boundary-marked words of `e.cleaned` when `boundaries` is true.
 */
export function encodeSplit(
  tok: Tokenizer,
  examples: readonly Example[],
  maxInputLen: number,
  maxOutputLen: number,
  wordsOf?: (e: Example) => ExampleWords | undefined,
  boundaries = false,
): { encoded: EncodedSplit; stats: SplitStats; inputWords: number[]; targetWords: number[] } {
  const n = examples.length;
  const encIn = new Int32Array(n * maxInputLen);
  const decIn = new Int32Array(n * maxOutputLen);
  const decOut = new Int32Array(n * maxOutputLen);
  const encExt = new Int32Array(n * maxInputLen);
  const decOutExt = new Int32Array(n * maxOutputLen);
  const s: SplitStats = {
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
  const inputWords = new Array<number>(n);
  const targetWords = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const e = examples[i];
    const ws = wordsOf?.(e) ?? {
      input: boundaries ? textToEncoderWords(e.cleaned, true) : words(e.input),
      target: words(e.target),
    };
    const a = tok.encodeInputInto(ws.input, maxInputLen, encIn, i * maxInputLen);
    inputWords[i] = a.words;
    s.inputTokens += Math.min(a.words, maxInputLen);
    s.inputOov += a.oov;
    if (a.truncated) s.inputsTruncated++;
    const t = tok.encodeTargetInto(ws.target, maxOutputLen, decIn, decOut, i * maxOutputLen);
    targetWords[i] = t.words;
    s.targetTokens += Math.min(t.words, maxOutputLen - 1);
    s.targetOov += t.oov;
    if (t.truncated) s.targetsTruncated++;
    const unknown = tok.extendInput(ws.input, maxInputLen, encExt, i * maxInputLen);
    s.targetOovCopyable += tok.extendTarget(
      ws.target,
      maxOutputLen,
      unknown,
      decOut,
      decOutExt,
      i * maxOutputLen,
    );
  }
  s.inputOovRate = s.inputTokens > 0 ? s.inputOov / s.inputTokens : 0;
  s.targetOovRate = s.targetTokens > 0 ? s.targetOov / s.targetTokens : 0;
  return { encoded: { n, encIn, decIn, decOut, encExt, decOutExt }, stats: s, inputWords, targetWords };
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

/**
 * Run the data stage for `cfg`. Rows come from `rows` when given, else from `cfg.data` / `ENVNEWS_DIR`
 * (CSV files, strict or `cfg.lenient`), else from the embedded generator (`cfg.embeddedSnippets`,
 * `cfg.seed`). Then: clean, label (`cfg.labelSentences`), de-duplicate and split (`cfg.valFraction`,
 * `cfg.testFraction`, `cfg.seed`, at most `cfg.maxSnippets` unique examples when > 0), fit the
 * tokenizer on the training inputs and targets (`cfg.vocabSize`), encode (`cfg.maxInputLen`,
 * `cfg.maxOutputLen`). Throws when no example is left or a split is empty. With `opts.useEnv` false,
 * `ENVNEWS_DIR` is not consulted (a run's saved config: `data: ""` means the embedded corpus).
 */
export async function prepareData(
  cfg: Config,
  rows?: CorpusRow[],
  opts: { useEnv?: boolean } = {},
): Promise<PreparedData> {
  const t0 = performance.now();
  let source: PrepReport["source"];
  let load: LoadReport | null = null;
  let dataDir: string | null = null;
  let corpus: CorpusRow[];
  if (rows) {
    source = "rows";
    corpus = rows;
  } else {
    // a finished run's config says where its data was ("" = the embedded corpus): no ENVNEWS_DIR then
    const dir = opts.useEnv === false ? (cfg.data.trim() === "" ? null : cfg.data) : resolveDataDir(cfg.data);
    if (dir !== null) {
      source = "files";
      const loaded = await loadCorpus(dir, { lenient: cfg.lenient });
      corpus = loaded.rows;
      load = loaded.report;
      dataDir = loaded.report.dir;
    } else {
      source = "embedded";
      corpus = generateCorpus(cfg.embeddedSnippets, cfg.seed);
    }
  }
  const t1 = performance.now();
  const made = makeExamples(corpus, cfg.labelSentences, cfg.sentenceBoundaries);
  if (made.examples.length === 0) {
    throw new CorpusError(
      `no usable snippet in the data (${corpus.length} rows, ${made.empty} empty after cleaning)`,
      dataDir ?? source,
      0,
    );
  }
  const t2 = performance.now();
  const split = splitExamples(made.examples, {
    valFraction: cfg.valFraction,
    testFraction: cfg.testFraction,
    seed: cfg.seed,
    maxExamples: cfg.maxSnippets,
  });
  const empty = (["train", "val", "test"] as const).filter((k) => split[k].length === 0);
  if (empty.length > 0) {
    const r = split.report;
    throw new CorpusError(
      `the data gives an empty ${
        empty.join(" and ")
      } split: ${r.unique} unique examples -> train ${r.train} / ` +
        `val ${r.val} / test ${r.test} (valFraction ${cfg.valFraction}, testFraction ${cfg.testFraction}` +
        `${cfg.maxSnippets > 0 ? `, maxSnippets ${cfg.maxSnippets}` : ""}); use more snippets ` +
        `(--embeddedSnippets, --maxSnippets, a larger --data folder) or larger fractions`,
      dataDir ?? source,
      0,
    );
  }
  const t3 = performance.now();
  // the labeller already split every text into words: reuse them instead of splitting again
  const wordsByExample = new Map<Example, ExampleWords>();
  made.examples.forEach((e, i) => wordsByExample.set(e, made.words[i]));
  const wordsOf = (e: Example) => wordsByExample.get(e);
  const trainCounts = Tokenizer.countWords(split.train.flatMap((e) => {
    const ws = wordsByExample.get(e)!;
    return [ws.input, ws.target];
  }));
  const tokenizer = Tokenizer.fromCounts(trainCounts, cfg.vocabSize);
  const tr = encodeSplit(
    tokenizer,
    split.train,
    cfg.maxInputLen,
    cfg.maxOutputLen,
    wordsOf,
    cfg.sentenceBoundaries,
  );
  const va = encodeSplit(
    tokenizer,
    split.val,
    cfg.maxInputLen,
    cfg.maxOutputLen,
    wordsOf,
    cfg.sentenceBoundaries,
  );
  const te = encodeSplit(
    tokenizer,
    split.test,
    cfg.maxInputLen,
    cfg.maxOutputLen,
    wordsOf,
    cfg.sentenceBoundaries,
  );
  const t4 = performance.now();

  let all = 0;
  let covered = 0;
  for (const [w, c] of trainCounts) {
    all += c;
    if (tokenizer.idOf(w) !== OOV) covered += c;
  }
  const used = [...split.train, ...split.val, ...split.test];
  const sentencesById = new Map<number, number>();
  made.examples.forEach((e, i) => sentencesById.set(e.id, made.sentences[i]));
  const splitReport = split.report;
  const report: PrepReport = {
    source,
    dataDir,
    settings: {
      lenient: cfg.lenient,
      embeddedSnippets: cfg.embeddedSnippets,
      maxSnippets: cfg.maxSnippets,
      labelSentences: cfg.labelSentences,
      sentenceBoundaries: cfg.sentenceBoundaries,
      valFraction: cfg.valFraction,
      testFraction: cfg.testFraction,
      seed: cfg.seed,
      vocabSize: cfg.vocabSize,
      maxInputLen: cfg.maxInputLen,
      maxOutputLen: cfg.maxOutputLen,
    },
    load,
    counts: {
      files: load?.files ?? 0,
      rows: corpus.length,
      skippedRows: load?.skipped ?? 0,
      emptyAfterCleaning: made.empty,
      examples: made.examples.length,
      labelIsWholeText: made.wholeText,
      duplicatesRemoved: splitReport.duplicatesRemoved,
      unique: splitReport.unique,
      cappedOut: splitReport.cappedOut,
      train: splitReport.train,
      val: splitReport.val,
      test: splitReport.test,
    },
    cleaning: { ...made.cleaning },
    lengths: {
      inputWords: lengthStats([...tr.inputWords, ...va.inputWords, ...te.inputWords]),
      targetWords: lengthStats([...tr.targetWords, ...va.targetWords, ...te.targetWords]),
      sentences: lengthStats(used.map((e) => sentencesById.get(e.id) ?? 0)),
    },
    vocab: {
      requested: cfg.vocabSize,
      size: tokenizer.size,
      trainDistinctWords: trainCounts.size,
      trainCoverage: all > 0 ? covered / all : 0,
    },
    splits: { train: tr.stats, val: va.stats, test: te.stats },
    examples: split.train.slice(0, 3).map(({ id, station, date, snippet, input, target }) => ({
      id,
      station,
      date,
      snippet,
      input,
      target,
    })),
    seconds: {
      load: (t1 - t0) / 1000,
      label: (t2 - t1) / 1000,
      split: (t3 - t2) / 1000,
      tokenize: (t4 - t3) / 1000,
      total: (performance.now() - t0) / 1000,
    },
  };
  return {
    tokenizer,
    splits: { train: split.train, val: split.val, test: split.test },
    encoded: { train: tr.encoded, val: va.encoded, test: te.encoded },
    report,
  };
}

/** One display row of {@linkcode prepReportTable}. */
export interface ReportRow {
  section: string;
  item: string;
  value: string | number;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const dist = (d: LengthStats) =>
  `min ${d.min} / median ${d.median} / p90 ${d.p90} / max ${d.max} (mean ${d.mean.toFixed(1)})`;

/** The report as rows for a table (notebooks: `console.table` or a DataFrame). */
export function prepReportTable(r: PrepReport): ReportRow[] {
  const c = r.counts;
  const rows: ReportRow[] = [
    { section: "source", item: "source", value: r.source },
    { section: "source", item: "data folder", value: r.dataDir ?? "(none)" },
    { section: "counts", item: "files", value: c.files },
    { section: "counts", item: "rows", value: c.rows },
    { section: "counts", item: "rows skipped (lenient)", value: c.skippedRows },
    { section: "counts", item: "empty after cleaning", value: c.emptyAfterCleaning },
    { section: "counts", item: "examples", value: c.examples },
    { section: "counts", item: "label = whole text", value: c.labelIsWholeText },
    { section: "counts", item: "duplicates removed", value: c.duplicatesRemoved },
    { section: "counts", item: "unique", value: c.unique },
    { section: "counts", item: "left out by maxSnippets", value: c.cappedOut },
    { section: "counts", item: "train / val / test", value: `${c.train} / ${c.val} / ${c.test}` },
    { section: "cleaning", item: "characters folded to ASCII", value: r.cleaning.foldedChars },
    {
      section: "cleaning",
      item: "other-script characters dropped",
      value: r.cleaning.droppedOtherScriptChars,
    },
    { section: "lengths", item: "input words", value: dist(r.lengths.inputWords) },
    { section: "lengths", item: "target words", value: dist(r.lengths.targetWords) },
    { section: "lengths", item: "sentences", value: dist(r.lengths.sentences) },
    { section: "vocab", item: "size (requested)", value: `${r.vocab.size} (${r.vocab.requested})` },
    { section: "vocab", item: "distinct training words", value: r.vocab.trainDistinctWords },
    { section: "vocab", item: "training coverage", value: pct(r.vocab.trainCoverage) },
  ];
  for (const name of ["train", "val", "test"] as const) {
    const s = r.splits[name];
    rows.push(
      {
        section: name,
        item: "input OOV rate",
        value: `${pct(s.inputOovRate)} (${s.inputOov}/${s.inputTokens})`,
      },
      {
        section: name,
        item: "target OOV rate",
        value: `${pct(s.targetOovRate)} (${s.targetOov}/${s.targetTokens})`,
      },
      {
        section: name,
        item: "truncated inputs / targets",
        value: `${s.inputsTruncated} (> ${r.settings.maxInputLen}) / ${s.targetsTruncated} (> ${
          r.settings.maxOutputLen - 1
        })`,
      },
    );
  }
  rows.push({ section: "time", item: "seconds (load/label/split/tokenize)", value: fmtSeconds(r.seconds) });
  return rows;
}

function fmtSeconds(s: PrepReport["seconds"]): string {
  return `${s.load.toFixed(2)} / ${s.label.toFixed(2)} / ${s.split.toFixed(2)} / ${
    s.tokenize.toFixed(2)
  } (total ${s.total.toFixed(2)})`;
}
