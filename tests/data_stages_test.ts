// The data stage's steps, called one by one as notebooks 01 and 02 call them, and the one source of the
// encoder's words and of the whitespace split.
import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { resolveConfig } from "../lib/config.ts";
import { CorpusError } from "../lib/data/corpus.ts";
import { encoderInputWords, textToEncoderWords } from "../lib/data/encoder_input.ts";
import {
  cleanRows,
  encodeData,
  encodeExamples,
  labelExamples,
  loadRows,
  prepareData,
  prepReport,
  splitData,
} from "../lib/data/prep.ts";
import { BOUNDARY, OOV } from "../lib/data/tokenizer.ts";
import { pseudoLabelWords, pseudoSummaryDetails } from "../lib/data/pseudo_label.ts";
import { sentenceWords } from "../lib/data/sentences.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { words } from "../lib/util/words.ts";
import { corpusRow } from "./fixtures/rows.ts";

const CFG = resolveConfig("tiny", {
  embeddedSnippets: 300,
  seed: 7,
  sentenceBoundaries: true,
  vocabSize: 200,
});

async function stages(cfg = CFG) {
  const loaded = await loadRows({ ...cfg, useEnv: false });
  const cleaned = cleanRows(loaded);
  const labelled = labelExamples(cleaned, cfg);
  const split = splitData(labelled, cfg);
  const encoded = encodeData(split, cfg);
  return { loaded, cleaned, labelled, split, encoded, report: prepReport(encoded, cfg) };
}

Deno.test("the six steps called one by one give what prepareData gives", async () => {
  const s = await stages();
  const d = await prepareData(CFG, undefined, { useEnv: false });
  assertEquals({ ...s.report, seconds: null }, { ...d.report, seconds: null });
  assertEquals(s.encoded.tokenizer.toJSON(), d.tokenizer.toJSON());
  for (const name of ["train", "val", "test"] as const) {
    assertEquals(s.split[name], d.splits[name]);
    assertEquals(s.encoded[name].encoded, d.encoded[name]);
  }
});

Deno.test("the words the data stage encodes are encoderInputWords of each example and of its raw snippet", async () => {
  const { labelled } = await stages();
  labelled.examples.forEach((e, i) => {
    assertEquals(labelled.words[i].input, encoderInputWords(e, true));
    assertEquals(labelled.words[i].input, textToEncoderWords(e.snippet, true));
    assertEquals(encoderInputWords(e, false).join(" "), e.input);
    assertEquals(labelled.words[i].target, words(e.target));
  });
});

Deno.test("encoderInputWords gives the same words from the clean step's sentences as from the text", async () => {
  const { cleaned } = await stages();
  for (const t of cleaned.texts) {
    for (const b of [false, true]) {
      assertEquals(encoderInputWords(t, b, 12), encoderInputWords({ cleaned: t.cleaned }, b, 12));
    }
  }
});

Deno.test("encodeExamples without the label step's words splits each example itself, to the same ids", async () => {
  const { split, encoded } = await stages();
  const again = encodeExamples(split.val, { ...CFG, tokenizer: encoded.tokenizer });
  assertEquals(again.encoded, encoded.val.encoded);
  assertEquals(again.stats, encoded.val.stats);
});

Deno.test("pseudoLabelWords on a text's sentence words equals the pseudo-summary's words", async () => {
  const { cleaned } = await stages();
  for (const n of [1, 2, 3]) {
    for (const t of cleaned.texts) {
      assertEquals(
        pseudoLabelWords(sentenceWords(t.cleaned), n),
        pseudoSummaryDetails(t.cleaned, n).summaryWords,
      );
    }
  }
});

Deno.test("splitData names the data and the counts when no example is left or a split would be empty", async () => {
  const empty = await loadRows({ ...CFG, rows: [corpusRow(0, "?!"), corpusRow(1, ">>")] });
  assertThrows(
    () => splitData(labelExamples(cleanRows(empty), CFG), CFG),
    CorpusError,
    "no usable snippet in the rows given (2 rows, 2 empty after cleaning)",
  );
  const two = await loadRows({ ...CFG, rows: [corpusRow(0, "ice melts."), corpusRow(1, "seas rise.")] });
  assertThrows(
    () => splitData(labelExamples(cleanRows(two), CFG), CFG),
    CorpusError,
    "empty val and test split",
  );
});

Deno.test("splitData names the data folder and the files that gave no row when nothing is left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "envnews_norows_" });
  try {
    await Deno.mkdir(`${dir}/TelevisionNews`);
    const header = "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Snippet";
    await Deno.writeTextFile(`${dir}/TelevisionNews/CNN.201901.csv`, `${header}\n`);
    await Deno.writeTextFile(`${dir}/TelevisionNews/CNN.201902.csv`, "");
    const loaded = await loadRows({ ...CFG, data: dir, useEnv: false });
    assertThrows(
      () => splitData(labelExamples(cleanRows(loaded), CFG), CFG),
      CorpusError,
      `no usable snippet in the data folder ${loaded.dataDir} (0 rows, 0 empty after cleaning; 2 file(s) without ` +
        "a row: CNN.201901.csv: header only; CNN.201902.csv: empty)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("words() splits on runs of any whitespace as split(/\\s+/) does, with no empty words", () => {
  const rand = mulberry32(3);
  const pieces = ["ice", "melts", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "\r\n", "a.b", ""];
  for (let k = 0; k < 2000; k++) {
    const text = Array.from(
      { length: Math.floor(rand() * 8) },
      () => pieces[Math.floor(rand() * pieces.length)],
    )
      .join(rand() < 0.5 ? " " : "");
    assertEquals(words(text), text.split(/\s+/).filter((w) => w !== ""), JSON.stringify(text));
  }
});

Deno.test("encodeData() encodes the words labelExamples made, <sep> or not, whatever config it is given", async () => {
  const loaded = await loadRows({ ...CFG, useEnv: false });
  const labelled = labelExamples(cleanRows(loaded), CFG); // sentenceBoundaries: true
  const split = splitData(labelled, CFG);
  assertEquals(labelled.sentenceBoundaries, true);
  const encoded = encodeData(split, { ...CFG, sentenceBoundaries: false } as typeof CFG);
  const sep = encoded.tokenizer.idOf(BOUNDARY);
  assertNotEquals(sep, OOV);
  assertEquals(encoded.train.encoded.encIn.includes(sep), true);
});
