import { assert, assertAlmostEquals, assertEquals, assertGreater, assertRejects } from "@std/assert";
import { resolveConfig } from "../lib/config.ts";
import { corpusRow } from "./fixtures/rows.ts";
import { cleanText, toWords } from "../lib/data/clean.ts";
import { writeEmbeddedCsv } from "../lib/data/embedded.ts";
import {
  cleanRows,
  encodeData,
  type Example,
  isoDate,
  labelExamples,
  lengthStats,
  loadRows,
  prepareData,
  prepReport,
  type SplitData,
} from "../lib/data/prep.ts";
import {
  loadNoticesLine,
  prepReportTable,
  sharedCutInputsLine,
  sharedTargetsLine,
} from "../lib/data/prep_display.ts";
import { pseudoSummary } from "../lib/data/pseudo_label.ts";
import { EOS, OOV, SOS } from "../lib/data/tokenizer.ts";

/** Run `fn` with ENVNEWS_DIR unset, so `data: ""` means the embedded corpus whatever the shell has. */
async function withoutEnvDir<T>(fn: () => Promise<T>): Promise<T> {
  const saved = Deno.env.get("ENVNEWS_DIR");
  Deno.env.delete("ENVNEWS_DIR");
  try {
    return await fn();
  } finally {
    if (saved !== undefined) Deno.env.set("ENVNEWS_DIR", saved);
  }
}

const row = corpusRow;

Deno.test("prepareData() on the embedded corpus gives consistent splits, matrices and report", async () => {
  const cfg = resolveConfig("tiny", { embeddedSnippets: 400, seed: 5 });
  const d = await withoutEnvDir(() => prepareData(cfg));
  const r = d.report;
  assertEquals(r.source, "embedded");
  assertEquals(r.counts.rows, 400);
  assertEquals(r.counts.examples, 400 - r.counts.emptyAfterCleaning);
  assertEquals(r.counts.unique, r.counts.examples - r.counts.duplicatesRemoved);
  assertEquals(r.counts.train + r.counts.val + r.counts.test, r.counts.unique);
  assertEquals([r.counts.val, r.counts.test], [
    Math.round(r.counts.unique * 0.1),
    Math.round(r.counts.unique * 0.1),
  ]);
  for (const name of ["train", "val", "test"] as const) {
    const enc = d.encoded[name];
    const ex = d.splits[name];
    assertEquals(enc.n, ex.length);
    assertEquals(enc.encIn.length, ex.length * cfg.maxInputLen);
    assertEquals(enc.decIn.length, ex.length * cfg.maxOutputLen);
    assertEquals(enc.decOut.length, ex.length * cfg.maxOutputLen);
    for (let i = 0; i < ex.length; i++) {
      const decIn = enc.decIn.subarray(i * cfg.maxOutputLen, (i + 1) * cfg.maxOutputLen);
      const decOut = enc.decOut.subarray(i * cfg.maxOutputLen, (i + 1) * cfg.maxOutputLen);
      assertEquals(decIn[0], SOS);
      assert(decOut.includes(EOS));
      // the example fields follow their definitions
      const e = ex[i];
      assertEquals(e.cleaned, cleanText(e.snippet));
      assertEquals(e.input, toWords(e.cleaned));
      assertEquals(e.target, toWords(pseudoSummary(e.cleaned, cfg.labelSentences)));
      assertEquals(e.date.length, 10);
    }
  }
  // no input text in two splits
  const seen = new Set<string>();
  for (const e of [...d.splits.train, ...d.splits.val, ...d.splits.test]) {
    assert(!seen.has(e.input), `leak: ${e.input}`);
    seen.add(e.input);
  }
  // the report is plain JSON and shows as a table
  assertEquals(JSON.parse(JSON.stringify(r)), r);
  const table = prepReportTable(r);
  assert(table.some((t) => t.item === "duplicates removed" && t.value === r.counts.duplicatesRemoved));
  assertEquals(r.examples.length, 3);
  assertEquals(r.vocab.size, d.tokenizer.size);
});

Deno.test("prepareData() decodes targets back to their words when nothing is cut or unknown", async () => {
  const cfg = resolveConfig("tiny", { embeddedSnippets: 200, vocabSize: 5000, maxOutputLen: 40 });
  const d = await withoutEnvDir(() => prepareData(cfg));
  const L = cfg.maxOutputLen;
  d.splits.train.forEach((e, i) => {
    assertEquals(d.tokenizer.decode(d.encoded.train.decOut.subarray(i * L, (i + 1) * L)), e.target);
  });
  assertEquals(d.report.splits.train.targetOov, 0);
  assertEquals(d.report.splits.train.targetsTruncated, 0);
});

Deno.test("prepareData() drops and counts empty snippets and exact duplicates", async () => {
  const rows = [
    row(0, "the ice melts. the ice melts fast in the arctic. ok."),
    row(1, "?!"), // nothing left after cleaning
    row(2, "The ice melts. The ice melts fast in the Arctic. OK!"), // same input after cleaning
    ...Array.from({ length: 20 }, (_, i) => row(3 + i, `snippet number ${i}. it has words ${i} here.`)),
  ];
  const cfg = resolveConfig("tiny", { valFraction: 0.1, testFraction: 0.1 });
  const d = await prepareData(cfg, rows);
  const c = d.report.counts;
  assertEquals(d.report.source, "rows");
  assertEquals([c.rows, c.emptyAfterCleaning, c.examples, c.duplicatesRemoved, c.unique], [23, 1, 22, 1, 21]);
  const all = [...d.splits.train, ...d.splits.val, ...d.splits.test];
  const ice = all.find((e) => e.id === 0);
  assertEquals(ice?.target, "the ice melts fast in the arctic");
  assertEquals(ice?.date, "2015-03-07");
  assert(!all.some((e) => e.id === 1 || e.id === 2));
});

Deno.test("prepareData() reports the accents cleaning folded and the other-script letters it dropped", async () => {
  const rows = [
    row(0, "Le réchauffement menace le café. Les glaciers fondent vite. La Straße est inondée."),
    row(1, "Москва"), // nothing left after cleaning: counted as dropped, and as empty
    row(2, "Κλίμα: the ice melts. The ice melts fast in the Arctic. OK!"),
    ...Array.from({ length: 20 }, (_, i) => row(3 + i, `snippet number ${i}. it has words ${i} here.`)),
  ];
  const d = await prepareData(resolveConfig("tiny", { valFraction: 0.1, testFraction: 0.1 }), rows);
  // é (réchauffement) + é (café) + ß + é (inondée) folded; Москва (6) + Κλίμα (5) dropped
  assertEquals(d.report.cleaning, { foldedChars: 4, droppedOtherScriptChars: 11 });
  assertEquals(d.report.counts.emptyAfterCleaning, 1);
  const all = [...d.splits.train, ...d.splits.val, ...d.splits.test];
  const fr = all.find((e) => e.id === 0);
  assertEquals(fr?.input, "le rechauffement menace le cafe les glaciers fondent vite la strasse est inondee");
  // the pseudo-label is made of the folded words, and the tokenizer never sees the split ones
  assertEquals(fr?.target, "le rechauffement menace le cafe");
  for (const w of ["caf", "r", "chauffement", "stra", "e"]) assertEquals(d.tokenizer.idOf(w), OOV);
  if (d.splits.train.includes(fr!)) assert(d.tokenizer.idOf("rechauffement") !== OOV);
  // the figures reach the JSON written to prep_report.json, and the table
  assertEquals(JSON.parse(JSON.stringify(d.report)).cleaning, {
    foldedChars: 4,
    droppedOtherScriptChars: 11,
  });
  const table = prepReportTable(d.report);
  assert(table.some((t) => t.section === "cleaning" && t.value === 4));
  assert(table.some((t) => t.section === "cleaning" && t.value === 11));
});

Deno.test("prepareData() reports no cleaning changes for plain-ASCII text (the embedded corpus)", async () => {
  const d = await withoutEnvDir(() => prepareData(resolveConfig("tiny", { embeddedSnippets: 100 })));
  assertEquals(d.report.cleaning, { foldedChars: 0, droppedOtherScriptChars: 0 });
});

Deno.test("prepareData() honours maxSnippets and reports the cut", async () => {
  const cfg = resolveConfig("tiny", { embeddedSnippets: 300, maxSnippets: 100 });
  const d = await withoutEnvDir(() => prepareData(cfg));
  assertEquals(d.report.counts.train + d.report.counts.val + d.report.counts.test, 100);
  assertEquals(d.report.counts.cappedOut, d.report.counts.unique - 100);
});

Deno.test("prepareData() reads CSV files from cfg.data and keeps the load report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "envnews_prep_" });
  try {
    await writeEmbeddedCsv(dir, 150, 2);
    const d = await prepareData(resolveConfig("tiny", { data: dir }));
    assertEquals(d.report.source, "files");
    assertEquals(d.report.counts.rows, 150);
    assertEquals(d.report.load?.rows, 150);
    assertGreater(d.report.counts.files, 1);
    await assertRejects(
      () => prepareData(resolveConfig("tiny", { data: `${dir}/missing` })),
      Error,
      "--data=PATH",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lengthStats() gives nearest-rank percentiles and a count per length", () => {
  const s = lengthStats([3, 1, 2, 10, 2]);
  assertEquals([s.min, s.median, s.p90, s.max], [1, 2, 10, 10]);
  assertAlmostEquals(s.mean, 3.6, 1e-12);
  assertEquals(s.counts, [0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 1]);
  assertEquals(lengthStats([]).counts, []);
});

Deno.test("isoDate() turns M/D/YYYY times into YYYY-MM-DD and leaves other text alone", () => {
  assertEquals(isoDate("1/30/2019 0:03:29"), "2019-01-30");
  assertEquals(isoDate("12/5/2010 23:59:59"), "2010-12-05");
  assertEquals(isoDate("2019-01-30"), "2019-01-30");
});

/**
 * Snippets placed by hand in train, val and test, with what the encoder reads at maxInputLen 4. Boundaries off:
 * train "ice melts very fast" (label: its first sentence), "coal plants close now", "wind farms grow fast";
 * val "ice melts very fast" (same label), "wind farms grow fast" (label: the whole text); test "ice melts very
 * fast" (label: the whole text), "coal plants close now" (same label). With boundaries, "wind farms grow <sep>"
 * (train) and "wind farms grow fast" (val) differ. The other snippets share no cut input.
 */
const PLACED: Record<"train" | "val" | "test", string[]> = {
  train: ["Ice melts very fast. Seas rise.", "Coal plants close now. Jobs go.", "Wind farms grow. Fast now."],
  val: ["Ice melts very fast. Storms grow.", "Wind farms grow fast now too.", "Floods hit the town."],
  test: ["Ice melts very fast indeed today.", "Coal plants close now. Jobs stay.", "Coal plants close soon."],
};

/** The report of {@linkcode PLACED} split as placed (no shuffle), its inputs cut to `maxInputLen`. */
async function placedReport(maxInputLen: number, sentenceBoundaries: boolean) {
  const cfg = resolveConfig("tiny", { maxInputLen, sentenceBoundaries, labelSentences: 1 });
  const texts = [...PLACED.train, ...PLACED.val, ...PLACED.test];
  const rows = texts.map((t, i) => row(i, t));
  const labelled = labelExamples(cleanRows(await loadRows({ ...cfg, rows })), cfg);
  const byText = (t: string): Example => labelled.examples[texts.indexOf(t)];
  const [train, val, test] = [PLACED.train.map(byText), PLACED.val.map(byText), PLACED.test.map(byText)];
  const report = { total: 9, duplicatesRemoved: 0, unique: 9, cappedOut: 0, train: 3, val: 3, test: 3 };
  const split: SplitData = { labelled, train, val, test, report, seconds: 0 };
  return { report: prepReport(encodeData(split, cfg), cfg), train, val, test };
}

Deno.test("prepReport() counts val and test inputs equal to a training input once cut to maxInputLen words", async () => {
  const { report, train, val, test } = await placedReport(4, false);
  // the labels the counts below rely on
  assertEquals([train[0].target, val[0].target, test[0].target], [
    "ice melts very fast",
    "ice melts very fast",
    "ice melts very fast indeed today",
  ]);
  assertEquals([train[1].target, test[1].target], ["coal plants close now", "coal plants close now"]);
  // whatever the cut: val[0] and test[1] have a training example's target
  assertEquals(report.sharedTargets, { val: 1, test: 1 });
  assertEquals(report.sharedCutInputs, {
    maxInputLen: 4,
    val: 2,
    test: 2,
    valSameTarget: 1,
    testSameTarget: 1,
  });
  // the encoder reads <sep>: "wind farms grow <sep>" is no longer "wind farms grow fast"
  const sep = (await placedReport(4, true)).report.sharedCutInputs;
  assertEquals(sep, { maxInputLen: 4, val: 1, test: 2, valSameTarget: 1, testSameTarget: 1 });
  // uncut, every input is distinct: nothing is shared
  const whole = (await placedReport(50, false)).report.sharedCutInputs;
  assertEquals(whole, { maxInputLen: 50, val: 0, test: 0, valSameTarget: 0, testSameTarget: 0 });
  // the counts reach prep_report.json, the table and the printable line
  assertEquals(JSON.parse(JSON.stringify(report)).sharedCutInputs, report.sharedCutInputs);
  const line =
    "inputs equal to a training input after the cut to 4 words: val 2 / test 2 (same target too: 1 / 1)";
  assertEquals(sharedCutInputsLine(report), line);
  const rowOf = prepReportTable(report).find((t) =>
    t.item.startsWith("val / test inputs equal to a training input")
  );
  assertEquals(rowOf?.value, "2 / 2 (same target too: 1 / 1)");
});

Deno.test("prepareData() counts the cut inputs its splits share with training, and they match a direct count", async () => {
  // short inputs: the embedded snippets often share their first three words
  const cfg = resolveConfig("tiny", {
    embeddedSnippets: 400,
    seed: 5,
    maxInputLen: 3,
    sentenceBoundaries: false,
  });
  const d = await withoutEnvDir(() => prepareData(cfg));
  const cut = (e: Example) => e.input.split(" ").slice(0, 3).join(" ");
  const trainCuts = new Set(d.splits.train.map(cut));
  const trainPairs = new Set(d.splits.train.map((e) => `${cut(e)}|${e.target}`));
  const shared = (part: Example[]) => part.filter((e) => trainCuts.has(cut(e))).length;
  const sameTarget = (part: Example[]) => part.filter((e) => trainPairs.has(`${cut(e)}|${e.target}`)).length;
  const s = d.report.sharedCutInputs;
  assertEquals(s, {
    maxInputLen: 3,
    val: shared(d.splits.val),
    test: shared(d.splits.test),
    valSameTarget: sameTarget(d.splits.val),
    testSameTarget: sameTarget(d.splits.test),
  });
  assertGreater(s.val + s.test, 0, "the case this counts occurs here");
  // targets a training example has too, whatever the input: counted directly
  const trainTargets = new Set(d.splits.train.map((e) => e.target));
  const sameLabel = (part: Example[]) => part.filter((e) => trainTargets.has(e.target)).length;
  assertEquals(d.report.sharedTargets, { val: sameLabel(d.splits.val), test: sameLabel(d.splits.test) });
  assertEquals(
    sharedTargetsLine(d.report),
    `targets equal to a training target: val ${d.report.sharedTargets.val} / test ${d.report.sharedTargets.test}`,
  );
  // no whole input text is in two splits
  const trainInputs = new Set(d.splits.train.map((e) => e.input));
  assertEquals([...d.splits.val, ...d.splits.test].filter((e) => trainInputs.has(e.input)), []);
});

Deno.test("prepReportTable() and the run's data line name what the lenient loader skipped, replaced or did not read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "envnews_prep_" });
  try {
    await writeEmbeddedCsv(dir, 60, 1);
    const bad =
      "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Text\nu1,d,BAD,s,i,t,one\nu2,d,BAD,s,i,t,two\n";
    await Deno.writeTextFile(`${dir}/TelevisionNews/BAD.201901.csv`, bad);
    // a Latin-1 byte (0xe9) in a snippet, and a file that is no CSV
    const latin1 = new TextEncoder().encode(
      "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Snippet\nu3,d,LAT,s,i,t,caf? climate\n",
    );
    latin1[latin1.indexOf(63)] = 0xe9;
    await Deno.writeFile(`${dir}/TelevisionNews/LAT.201901.csv`, latin1);
    await Deno.writeTextFile(`${dir}/TelevisionNews/notes.txt`, "not data");
    const d = await prepareData(resolveConfig("tiny", { data: dir, lenient: true }));
    assertEquals(d.report.counts.skippedRows, 2);
    const rows = prepReportTable(d.report).filter((t) => t.item === "file skipped (lenient)");
    assertEquals(rows.length, 1);
    assert(
      String(rows[0].value).startsWith(
        "BAD.201901.csv: skipped whole (2 rows): header lacks column(s) Snippet",
      ),
    );
    const item = (name: string) =>
      prepReportTable(d.report).filter((t) => t.item === name).map((t) => t.value);
    assertEquals(item("file read with invalid bytes replaced (lenient)"), ["LAT.201901.csv"]);
    assertEquals(item("not read"), ["notes.txt"]);
    assertEquals(
      loadNoticesLine(d.report),
      "; lenient: 2 rows skipped (1 file skipped whole: BAD.201901.csv); invalid UTF-8 replaced in LAT.201901.csv; " +
        "not read: notes.txt",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadNoticesLine() names a file skipped whole even when it held no row to skip", () => {
  const load = {
    dir: "/data",
    lenient: true,
    files: 2,
    emptyFiles: [],
    rows: 5,
    skipped: 0,
    skippedFiles: ["BAD.csv"],
    ignoredEntries: [],
    perFile: [
      {
        file: "BAD.csv",
        rows: 0,
        skipped: 0,
        blankLines: 0,
        empty: false,
        problems: [],
        fileProblem: "bad header",
      },
      { file: "OK.csv", rows: 5, skipped: 0, blankLines: 0, empty: false, problems: [] },
    ],
  };
  assertEquals(loadNoticesLine({ load }), "; lenient: 0 rows skipped (1 file skipped whole: BAD.csv)");
});
