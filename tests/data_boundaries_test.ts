// Sentence boundaries (config `sentenceBoundaries`): the encoder input carries `<sep>` between sentences; no
// target, no example text a baseline copies and no decoded output ever contains it.
import { assert, assertEquals, assertFalse } from "@std/assert";
import { resolveConfig } from "../lib/config.ts";
import { corpusRow } from "./fixtures/rows.ts";
import { encoderWords, prepareData, textToEncoderWords } from "../lib/data/prep.ts";
import { BOUNDARY, EOS, Tokenizer } from "../lib/data/tokenizer.ts";
import { BASELINE_NAMES, BASELINES } from "../lib/eval/baselines.ts";

const row = corpusRow;

const SNIPPETS = [
  "The ice melts. The ice melts fast in the arctic. Ok.",
  "Seas rise. Storms grow stronger every year on the coast.",
  "Carbon taxes are debated. Voters in ohio care about jobs and coal.",
  "One sentence only about drought in california",
  "Wildfires burn. Smoke reaches the city. Schools close for a week.",
  "Floods hit the town. Rivers rise again. Farmers lose their crops this spring.",
];
const rows = () =>
  Array.from({ length: 60 }, (_, i) => row(i, `${SNIPPETS[i % SNIPPETS.length]} Item ${i}.`));

Deno.test("encoderWords() puts the boundary between sentences only, and skips empty sentences", () => {
  assertEquals(encoderWords([["a", "b"], [], ["c"]], true), ["a", "b", BOUNDARY, "c"]);
  assertEquals(encoderWords([["a"]], true), ["a"]);
  assertEquals(encoderWords([], true), []);
  assertEquals(textToEncoderWords("The ice melts. Seas rise!", true), [
    "the",
    "ice",
    "melts",
    BOUNDARY,
    "seas",
    "rise",
  ]);
  assertEquals(textToEncoderWords("The ice melts. Seas rise!", false), [
    "the",
    "ice",
    "melts",
    "seas",
    "rise",
  ]);
});

Deno.test("prepareData() with sentenceBoundaries puts <sep> in encoder rows only, never in targets", async () => {
  const cfg = resolveConfig("tiny", { sentenceBoundaries: true, valFraction: 0.1, testFraction: 0.1 });
  const d = await prepareData(cfg, rows());
  const sep = d.tokenizer.idOf(BOUNDARY);
  assert(sep >= 4, "the boundary is a vocabulary word");
  for (const split of ["train", "val", "test"] as const) {
    const enc = d.encoded[split];
    const ex = d.splits[split];
    for (let i = 0; i < enc.n; i++) {
      const inRow = [...enc.encIn.subarray(i * cfg.maxInputLen, (i + 1) * cfg.maxInputLen)];
      const sentences = ex[i].cleaned.split(". ").length;
      assertEquals(
        inRow.filter((id) => id === sep).length,
        sentences - 1,
        `${split} ${i}: one <sep> per gap`,
      );
      assertFalse(enc.decIn.subarray(i * cfg.maxOutputLen, (i + 1) * cfg.maxOutputLen).includes(sep));
      assertFalse(enc.decOut.subarray(i * cfg.maxOutputLen, (i + 1) * cfg.maxOutputLen).includes(sep));
      assertFalse(ex[i].input.includes(BOUNDARY), "Example.input (what baselines copy) has no boundary");
      assertFalse(ex[i].target.includes(BOUNDARY));
      for (const name of BASELINE_NAMES) {
        const out = BASELINES[name](ex[i], { leadWords: 20, labelSentences: 1 });
        assertFalse(out.includes(BOUNDARY), `${name} output`);
      }
    }
  }
  // the boundary-free words are the same as without the option
  const plain = await prepareData(resolveConfig("tiny", { valFraction: 0.1, testFraction: 0.1 }), rows());
  assertEquals(plain.tokenizer.idOf(BOUNDARY), 1, "off: <sep> is not in the vocabulary");
  assertEquals(plain.splits.test.map((e) => e.input), d.splits.test.map((e) => e.input));
});

Deno.test("decode() drops the boundary, so no decoded (scored) output contains it", () => {
  const tok = Tokenizer.fromCounts(new Map([[BOUNDARY, 9], ["ice", 5], ["melts", 3]]), 10);
  const sep = tok.idOf(BOUNDARY);
  assertEquals(tok.decode([tok.idOf("ice"), sep, tok.idOf("melts"), sep, EOS]), "ice melts");
});

Deno.test("decode() drops a copied <sep> that is outside a small vocabulary, as its extended id", () => {
  const tok = Tokenizer.fit(["ice melts ice"], 6); // ice and melts only: <sep> and seas are unknown
  const source = ["ice", BOUNDARY, "seas", BOUNDARY, "melts"];
  const ext = new Int32Array(source.length);
  const unknown = tok.extendInput(source, source.length, ext);
  // extendInput still gives <sep> an extended id (the copy model's inputs are unchanged), shared by its repeats
  assertEquals(unknown.get(BOUNDARY), tok.size + 1);
  assertEquals([...ext], [tok.idOf("ice"), tok.size + 1, tok.size + 2, tok.size + 1, tok.idOf("melts")]);
  assertEquals(tok.decode([ext[1], ext[2]], source), "seas");
  assertEquals(tok.decode([...ext, EOS], source), "ice seas melts");
  // the token itself is still what the position holds (attention labels show it)
  assertEquals(tok.tokenOf(ext[1], source), BOUNDARY);
});
