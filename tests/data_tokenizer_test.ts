import { assert, assertEquals, assertThrows } from "@std/assert";
import { EOS, OOV, PAD, SOS, Tokenizer } from "../lib/data/tokenizer.ts";

// Counts: the 4, ice 2, sea 2, melts 1, rises 1, fast 1. Ranked: the, ice, sea (tie: alphabetical),
// then fast, melts, rises (tie: alphabetical).
const TEXTS = ["the ice melts", "the sea rises", "the ice the sea fast"];

Deno.test("reserved ids are PAD=0, OOV=1, SOS=2 (sostok), EOS=3 (eostok)", () => {
  assertEquals([PAD, OOV, SOS, EOS], [0, 1, 2, 3]);
  const tok = Tokenizer.fit(TEXTS, 100);
  assertEquals([0, 1, 2, 3].map((i) => tok.tokenOf(i)), ["<pad>", "<oov>", "sostok", "eostok"]);
});

Deno.test("Tokenizer.fit() ranks by frequency, ties alphabetically, and vocabSize counts the reserved ids", () => {
  const tok = Tokenizer.fit(TEXTS, 100);
  assertEquals(tok.size, 10);
  assertEquals([4, 5, 6, 7, 8, 9].map((i) => tok.tokenOf(i)), [
    "the",
    "ice",
    "sea",
    "fast",
    "melts",
    "rises",
  ]);
  const small = Tokenizer.fit(TEXTS, 7); // 3 words fit
  assertEquals(small.size, 7);
  assertEquals([small.idOf("sea"), small.idOf("fast")], [6, OOV]);
  // reserved names in text are never vocabulary words
  assertEquals(Tokenizer.fit(["sostok eostok x"], 10).size, 5);
  assertThrows(() => Tokenizer.fit(TEXTS, 4), RangeError, "vocabSize");
});

Deno.test("encodeWords() and encodeInput() count OOV tokens; inputs pad at the end and keep their start", () => {
  const tok = Tokenizer.fit(TEXTS, 100);
  assertEquals(tok.encodeWords("the glacier melts"), { ids: [4, OOV, 8], oov: 1 });
  const short = tok.encodeInput("the glacier melts", 5);
  assertEquals([...short.ids], [4, 1, 8, 0, 0]);
  assertEquals([short.oov, short.truncated, short.words], [1, false, 3]);
  const long = tok.encodeInput("ice sea fast the melts glacier", 4);
  assertEquals([...long.ids], [5, 6, 7, 4]);
  assertEquals([long.oov, long.truncated, long.words], [0, true, 6]);
});

Deno.test("encodeTarget() keeps sostok first and eostok last when truncating", () => {
  const tok = Tokenizer.fit(TEXTS, 100);
  const cut = tok.encodeTarget("the ice melts fast rises", 4); // 5 words, room for 3
  assertEquals([...cut.decIn], [SOS, 4, 5, 8]);
  assertEquals([...cut.decOut], [4, 5, 8, EOS]);
  assertEquals(cut.truncated, true);
  const fit = tok.encodeTarget("the ice melts", 4); // exactly maxLen - 1 words: not truncated
  assertEquals([...fit.decIn], [SOS, 4, 5, 8]);
  assertEquals([...fit.decOut], [4, 5, 8, EOS]);
  assertEquals(fit.truncated, false);
  const padded = tok.encodeTarget("sea glacier", 6);
  assertEquals([...padded.decIn], [SOS, 6, OOV, 0, 0, 0]);
  assertEquals([...padded.decOut], [6, OOV, EOS, 0, 0, 0]);
  assertEquals([padded.oov, padded.words], [1, 2]);
  const empty = tok.encodeTarget("", 3);
  assertEquals([[...empty.decIn], [...empty.decOut]], [[SOS, 0, 0], [EOS, 0, 0]]);
  assertThrows(() => tok.encodeTarget("x", 1), RangeError, "maxLen");
});

Deno.test("encodeInputInto() and encodeTargetInto() fill one matrix row and reset its padding", () => {
  const tok = Tokenizer.fit(TEXTS, 100);
  const enc = new Int32Array(12).fill(99);
  const r = tok.encodeInputInto(["ice", "glacier"], 4, enc, 4);
  assertEquals([...enc], [99, 99, 99, 99, 5, OOV, 0, 0, 99, 99, 99, 99]);
  assertEquals(r, { oov: 1, truncated: false, words: 2 });
  const decIn = new Int32Array(8).fill(99);
  const decOut = new Int32Array(8).fill(99);
  const t = tok.encodeTargetInto(["sea"], 4, decIn, decOut, 4);
  assertEquals([...decIn], [99, 99, 99, 99, SOS, 6, 0, 0]);
  assertEquals([...decOut], [99, 99, 99, 99, 6, EOS, 0, 0]);
  assertEquals(t, { oov: 0, truncated: false, words: 1 });
});

Deno.test("decode() stops at eostok, skips padding and sostok, shows OOV as <oov>", () => {
  const tok = Tokenizer.fit(TEXTS, 100);
  assertEquals(tok.decode([SOS, 4, OOV, 5, EOS, 6, 7]), "the <oov> ice");
  assertEquals(tok.decode(new Int32Array([4, 0, 0, 9])), "the rises");
  assertEquals(tok.decode([]), "");
  assertThrows(() => tok.decode([4, 10]), RangeError, "id 10");
});

Deno.test("Tokenizer JSON round trip gives the same ids", () => {
  const tok = Tokenizer.fit(TEXTS, 8);
  const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok)));
  assertEquals(back.toJSON(), tok.toJSON());
  assertEquals(back.size, tok.size);
  assertEquals(back.vocabSize, 8);
  for (const t of ["the ice melts fast", "sea rises glacier"]) {
    assertEquals(back.encodeWords(t), tok.encodeWords(t));
    assertEquals([...back.encodeTarget(t, 6).decOut], [...tok.encodeTarget(t, 6).decOut]);
  }
});

Deno.test("Tokenizer.fromJSON() errors name the bad field", () => {
  const good = Tokenizer.fit(TEXTS, 100).toJSON();
  const bad = (patch: Record<string, unknown>, field: string) =>
    assertThrows(() => Tokenizer.fromJSON({ ...good, ...patch }), Error, `field "${field}"`);
  bad({ format: "other" }, "format");
  bad({ version: 2 }, "version");
  bad({ vocabSize: 3 }, "vocabSize");
  bad({ reserved: ["a", "b", "c", "d"] }, "reserved");
  bad({ words: "the ice" }, "words");
  bad({ words: ["the", "ice", 7] }, "words[2]");
  bad({ words: ["the", "two words"] }, "words[1]");
  bad({ words: ["the", "ice", "the"] }, "words[2]");
  bad({ words: ["sostok"] }, "words[0]");
  bad({ vocabSize: 6 }, "words"); // 6 words do not fit in 6 - 4 ids
  assertThrows(() => Tokenizer.fromJSON(null), Error, "expected an object");
});

Deno.test("sameVocabulary() compares words, ids and the requested size", () => {
  const a = Tokenizer.fit(["the ice melts", "the sea rises"], 10);
  assert(a.sameVocabulary(Tokenizer.fromJSON(a.toJSON())));
  assert(!a.sameVocabulary(Tokenizer.fit(["the ice melts", "the sea rises"], 9)));
  assert(!a.sameVocabulary(Tokenizer.fit(["the ice melts", "a sea rises"], 10)));
});
