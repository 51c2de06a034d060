import { assert, assertEquals, assertGreater, assertLess, assertMatch, assertNotEquals } from "@std/assert";
import { cleanText, toWords, words } from "../lib/data/clean.ts";
import { loadCorpus } from "../lib/data/corpus.ts";
import { generateCorpus, writeEmbeddedCsv } from "../lib/data/embedded.ts";
import { pseudoSummary } from "../lib/data/pseudo_label.ts";
import { splitSentences } from "../lib/data/sentences.ts";

/** Token F1 with multiset overlap: precision over prediction length, recall over reference length. */
function tokenF1(pred: string[], ref: string[]): number {
  const counts = new Map<string, number>();
  for (const w of ref) counts.set(w, (counts.get(w) ?? 0) + 1);
  let overlap = 0;
  for (const w of pred) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      overlap++;
      counts.set(w, c - 1);
    }
  }
  if (overlap === 0) return 0;
  const p = overlap / pred.length;
  const r = overlap / ref.length;
  return (2 * p * r) / (p + r);
}

Deno.test("generateCorpus() is deterministic for a seed and differs across seeds", () => {
  const a = generateCorpus(300, 11);
  assertEquals(a, generateCorpus(300, 11));
  assertNotEquals(a.map((r) => r.snippet), generateCorpus(300, 12).map((r) => r.snippet));
  assertEquals(generateCorpus(0, 1), []);
});

Deno.test("generateCorpus() snippets have 2-5 sentences, 25-55 words and a shorter one-sentence label", () => {
  const rows = generateCorpus(1500, 3);
  const lens: number[] = [];
  for (const r of rows) {
    const cleaned = cleanText(r.snippet);
    const n = words(toWords(cleaned)).length;
    lens.push(n);
    const sentences = splitSentences(cleaned);
    assert(sentences.length >= 2 && sentences.length <= 5, `${sentences.length} sentences: ${r.snippet}`);
    assert(n >= 25 && n <= 55, `${n} words: ${r.snippet}`);
    const label = pseudoSummary(cleaned);
    assert(sentences.includes(label));
    assertLess(words(toWords(label)).length, n);
  }
  lens.sort((x, y) => x - y);
  const median = lens[lens.length >> 1];
  assert(median >= 36 && median <= 46, `median ${median}`);
});

Deno.test("generateCorpus() has a small vocabulary and copying the input scores well below 0.6 F1", () => {
  const rows = generateCorpus(6000, 42);
  const vocab = new Set<string>();
  let f1 = 0;
  for (const r of rows) {
    const input = words(toWords(cleanText(r.snippet)));
    for (const w of input) vocab.add(w);
    f1 += tokenF1(input, words(toWords(pseudoSummary(cleanText(r.snippet)))));
  }
  f1 /= rows.length;
  assert(vocab.size >= 300 && vocab.size <= 1500, `vocabulary ${vocab.size}`);
  assert(f1 > 0.45 && f1 < 0.6, `copy-input F1 ${f1}`);
  // inputs are not memorisable: nearly all distinct, apart from the deliberate repeats (~3%)
  const distinct = new Set(rows.map((r) => r.snippet)).size;
  assertGreater(distinct, rows.length * 0.95);
  assertLess(distinct, rows.length);
});

Deno.test("generateCorpus() metadata looks like the real files and matches each row's file and line", () => {
  const rows = generateCorpus(800, 5);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    assert(["BBCNEWS", "CNN", "FOXNEWS", "MSNBC"].includes(r.station));
    const m = r.matchDateTime.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4}) \d{1,2}:\d{2}:\d{2}$/);
    assert(m, r.matchDateTime);
    const ym = `${m[3]}${m[1].padStart(2, "0")}`;
    assert(ym >= "200907" && ym <= "201912", ym);
    assertEquals(r.file, `${r.station}.${ym}.csv`);
    assertMatch(r.url, /^https:\/\/example\.org\//);
    assertEquals(r.line, i > 0 && rows[i - 1].file === r.file ? rows[i - 1].line + 1 : 2);
  }
  const files = rows.map((r) => r.file);
  assertEquals(files, [...files].sort());
});

Deno.test("writeEmbeddedCsv() writes the Kaggle layout that loadCorpus() reads back row for row", async () => {
  const dir = await Deno.makeTempDir({ prefix: "envnews_embedded_" });
  try {
    const { files, rows } = await writeEmbeddedCsv(dir, 400, 9);
    assertEquals(rows, 400);
    const first = await Deno.readFile(`${dir}/TelevisionNews/${files[0]}`);
    assertEquals([...first.slice(0, 3)], [0xef, 0xbb, 0xbf]); // UTF-8 BOM
    const head = new TextDecoder().decode(first.slice(3, 80)).split("\n")[0];
    assertEquals(head, "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Snippet");
    const loaded = await loadCorpus(dir);
    assertEquals(loaded.rows, generateCorpus(400, 9));
    assertEquals(loaded.report.files, files.length);
    // quoting was exercised: some snippets hold commas and double quotes
    assert(loaded.rows.some((r) => r.snippet.includes(",")));
    assert(loaded.rows.some((r) => r.snippet.includes('"')));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
