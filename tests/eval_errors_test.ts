// The error analysis (lib/eval/errors.ts, lib/run/errors.ts): each class on hand-made summaries, the label
// sentence and its input span against the data stage's own rule, the totals, two analyses compared, and a run.
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { parse, stringify } from "@std/csv";
import { resolveConfig } from "../lib/config.ts";
import { writeEmbeddedCsv } from "../lib/data/embedded.ts";
import { encoderInputWords } from "../lib/data/encoder_input.ts";
import { prepareData } from "../lib/data/prep.ts";
import { chosenSentences } from "../lib/data/pseudo_label.ts";
import {
  analyseErrors,
  classExamples,
  classifySummary,
  compareErrors,
  ERROR_CLASSES,
  type ErrorOptions,
  sentenceSpans,
} from "../lib/eval/errors.ts";
import { words } from "../lib/eval/metrics.ts";
import { runExperiment } from "../lib/experiment.ts";
import { runErrorAnalysis } from "../lib/run/errors.ts";
import { errorsReport, pairedF1Difference } from "../lib/commands/errors.ts";
import { InputError } from "../lib/commands/cli.ts";
import { RunError } from "../lib/run/folder.ts";

const OPTS: ErrorOptions = {
  maxInputLen: 50,
  maxOutputLen: 20,
  sentenceBoundaries: false,
  labelSentences: 1,
};
// sentence scores (sums of the snippet counts of their words; "the" is 3 times in the snippet, "ice" and
// "melts" twice): "the ice melts" 3 + 2 + 2 = 7, "the ice melts fast in the arctic" 7 + 1 + 1 + 3 + 1 = 13, "ok" 1
const SNIPPET = "the ice melts. the ice melts fast in the arctic. ok.";
const LABEL = "the ice melts fast in the arctic";
const classOf = (prediction: string, opts: Partial<ErrorOptions> = {}, cleaned = SNIPPET, label = LABEL) =>
  classifySummary({ id: 1, cleaned, label, prediction }, { ...OPTS, ...opts });

Deno.test("classifySummary() sorts hand-made summaries into each class", () => {
  assertEquals(classOf(LABEL).errorClass, "exact");
  assertEquals(classOf("the ice melts fast in the arctic ok").errorClass, "runs_on");
  assertEquals(classOf("the ice melts fast in").errorClass, "stops_early");
  assertEquals(classOf("").errorClass, "stops_early");
  assertEquals(classOf("the ice ice melts fast in the arctic").errorClass, "repeats");
  assertEquals(classOf("the snow melts fast in the arctic").errorClass, "miscopied");
  // 5 words may be written (maxOutputLen 6 keeps one step for eostok): the label's first 5 is all it can write
  assertEquals(classOf("the ice melts fast in", { maxOutputLen: 6 }).errorClass, "output_limit");
  // decoding runs maxOutputLen steps: a summary that never wrote eostok holds maxOutputLen words, the label's first
  // 5 here, which is the limit, not a run past the sentence's end; a wrong 5th word is a miscopy
  assertEquals(classOf("the ice melts fast in", { maxOutputLen: 5 }).errorClass, "output_limit");
  assertEquals(classOf("the ice melts fast ok", { maxOutputLen: 5 }).errorClass, "miscopied");
  // the label sentence spans input positions 3..9: a cut at 5 cuts it partly, at 3 wholly
  assertEquals([
    classOf("the ice melts", { maxInputLen: 5 }).errorClass,
    classOf("x", { maxInputLen: 5 }).cut,
  ], [
    "input_cut",
    "part",
  ]);
  assertEquals(classOf("the ice melts", { maxInputLen: 3 }).cut, "whole");
  // with sentence boundaries, <sep> takes a position: the label starts at 4
  assertEquals(sentenceSpans(SNIPPET, true).map((s) => [s.start, s.end]), [[0, 3], [4, 11], [12, 13]]);
  assertEquals(classOf("the ice melts", { maxInputLen: 4, sentenceBoundaries: true }).cut, "whole");
});

Deno.test("classifySummary() calls another sentence a wrong sentence, with the rule's margin computed by hand", () => {
  const c = classOf("the ice melts");
  assertEquals([c.errorClass, c.labelSentence, c.matchedSentence], ["wrong_sentence", 1, 0]);
  assertAlmostEquals(c.margin!, (13 - 7) / 13, 1e-12);
  assertEquals(classOf("ok").margin! > 0.9, true);
  // a one-sentence snippet has no other sentence to choose
  const one = classOf("melts", {}, "the ice melts.", "the ice melts");
  assertEquals(one.errorClass, "stops_early");
});

Deno.test("classifySummary() flags repeats on any class and counts a label's own repeats as no error", () => {
  const runsOn = classOf("the ice melts fast in the arctic arctic arctic");
  assertEquals([runsOn.errorClass, runsOn.repeats], ["runs_on", true]);
  // the label itself has "the" three times in the snippet, twice in the label: no repeat
  assertEquals(classOf(LABEL).repeats, false);
  const label = "rain rain go away";
  assertEquals(classOf(label, {}, "rain rain go away.", label).repeats, false);
});

Deno.test("classifySummary() of a snippet without sentences classes the summary against the label, and analyseErrors() goes on", () => {
  // no sentence: no label sentence, no matched one, and no other sentence to call the summary's
  const none = classifySummary({ id: 1, cleaned: "", label: "", prediction: "hello world" }, OPTS);
  assertEquals([none.errorClass, none.labelSentence, none.matchedSentence, none.margin], [
    "miscopied",
    -1,
    -1,
    null,
  ]);
  assertEquals(classifySummary({ id: 2, cleaned: "", label: "", prediction: "" }, OPTS).errorClass, "exact");
  assertEquals(classOf("the ice melts fast in the arctic ok", {}, "", LABEL).errorClass, "runs_on");
  assertEquals(classOf("the ice melts", {}, "", LABEL).errorClass, "stops_early");
  const a = analyseErrors([
    { id: 1, cleaned: "", label: "", prediction: "hello world" },
    { id: 2, cleaned: SNIPPET, label: LABEL, prediction: LABEL },
  ], OPTS);
  assertEquals(a.summaries.map((s) => s.errorClass), ["miscopied", "exact"]);
  assertEquals(a.table.reduce((s, r) => s + r.count, 0), 2);
});

Deno.test("classifySummary() calls no summary of an empty label runs_on: the label has no end to run past", () => {
  // one sentence, so the summary cannot be another sentence's; the label (from elsewhere) is empty
  assertEquals(classOf("ok fine", {}, "ok.", "").errorClass, "miscopied");
  assertEquals(classOf("ok ok", {}, "ok.", "").errorClass, "repeats");
  assertEquals(classOf("", {}, "ok.", "").errorClass, "exact");
  // nor may it be run on when the decoder may write none of the label's words (maxOutputLen 1 keeps eostok only)
  assertEquals(classOf("the ice melts fast in the arctic ok", { maxOutputLen: 1 }).errorClass, "miscopied");
  assertEquals(classOf("", { maxOutputLen: 1 }).errorClass, "output_limit");
  // a non-empty label is still run on, and an empty summary of it stops early
  assertEquals(classOf("ok fine ok", {}, "ok.", "ok").errorClass, "runs_on");
  assertEquals(classOf("", {}, "ok.", "ok").errorClass, "stops_early");
});

Deno.test("sentenceSpans() finds the labeller's sentence at its place in the encoder's words, on 300 snippets", async () => {
  for (const sentenceBoundaries of [false, true]) {
    const cfg = resolveConfig("tiny", { embeddedSnippets: 300, sentenceBoundaries, seed: 3 });
    const data = await prepareData(cfg, undefined, { useEnv: false });
    let several = 0;
    for (const e of [...data.splits.train, ...data.splits.test]) {
      const spans = sentenceSpans(e.cleaned, sentenceBoundaries);
      const input = encoderInputWords(e, sentenceBoundaries);
      for (const s of spans) assertEquals(input.slice(s.start, s.end), s.words);
      const chosen = chosenSentences(spans.map((s) => s.score), cfg.labelSentences);
      assertEquals(chosen.flatMap((i) => spans[i].words), words(e.target), `example ${e.id}`);
      if (spans.length > 1) several++;
      // the label classified against itself is exact; cut to the input, it is an input cut or still exact
      assertEquals(
        classifySummary({ id: e.id, cleaned: e.cleaned, label: e.target, prediction: e.target }, cfg)
          .errorClass,
        "exact",
      );
    }
    assert(several > 100, `${several} snippets with more than one sentence`);
  }
});

Deno.test("analyseErrors() totals: counts add to n, lost shares to 1, lost points to 1 - mean F1", () => {
  const preds = [
    LABEL,
    "the ice melts",
    "ok",
    "the ice melts fast",
    "the snow melts fast in the arctic",
    LABEL,
  ];
  const a = analyseErrors(
    preds.map((prediction, id) => ({ id, cleaned: SNIPPET, label: LABEL, prediction })),
    OPTS,
  );
  assertEquals(a.n, 6);
  assertEquals(a.table.map((r) => r.errorClass), [...ERROR_CLASSES]);
  assertEquals(a.table.reduce((s, r) => s + r.count, 0), 6);
  assertEquals(Object.fromEntries(a.table.filter((r) => r.count).map((r) => [r.errorClass, r.count])), {
    exact: 2,
    wrong_sentence: 2,
    stops_early: 1,
    miscopied: 1,
  });
  assertAlmostEquals(a.table.reduce((s, r) => s + r.lostShare, 0), 1, 1e-12);
  assertAlmostEquals(a.table.reduce((s, r) => s + r.lostPoints, 0), 1 - a.meanF1, 1e-12);
  assertEquals(a.margins, { nearTie: 0, close: 0, clear: 2 });
  assertEquals(classExamples(a, "wrong_sentence").map((s) => s.prediction), ["ok", "the ice melts"]);
});

Deno.test("compareErrors() lines two analyses up class by class and counts where each common summary moved", () => {
  const item = (id: number, prediction: string) => ({ id, cleaned: SNIPPET, label: LABEL, prediction });
  const a = analyseErrors([item(1, "the ice melts"), item(2, LABEL), item(3, "ok")], OPTS);
  const b = analyseErrors([item(1, LABEL), item(2, LABEL), item(3, LABEL), item(4, "ok")], OPTS);
  const c = compareErrors(a, b);
  assertEquals(c.common, 3);
  assertEquals(c.moves, [{ from: "wrong_sentence", to: "exact", count: 2 }]);
  const wrong = c.rows.find((r) => r.errorClass === "wrong_sentence")!;
  assertEquals([wrong.countA, wrong.countB], [2, 1]);
  assertAlmostEquals(wrong.change, wrong.lostPointsB - wrong.lostPointsA, 1e-12);
});

Deno.test("pairedF1Difference() pairs by id only where both runs hold the same example, with a CI from 30 pairs", () => {
  const opts = { maxInputLen: 50, maxOutputLen: 20, sentenceBoundaries: false, labelSentences: 1 };
  const item = (id: number, prediction: string) => ({
    id,
    cleaned: "ice melts fast.",
    label: "ice melts fast",
    prediction,
  });
  const ids = Array.from({ length: 40 }, (_, i) => i);
  const a = analyseErrors(ids.map((i) => item(i, i % 2 ? "ice" : "ice melts fast")), opts);
  const b = analyseErrors(ids.slice(5).map((i) => item(i, "ice melts fast")), opts);
  const d = pairedF1Difference(a, b, 500);
  // ids 5..39 are shared; the odd ones rise from F1 2 * (1/1 * 1/3) / (1 + 1/3) = 0.5 to 1
  const odd = ids.slice(5).filter((i) => i % 2).length;
  assertEquals(d.n, 35);
  assertAlmostEquals(d.mean, odd * 0.5 / 35, 1e-12);
  assert(d.lo > 0 && d.lo <= d.mean && d.mean <= d.hi, JSON.stringify(d));
  const other = analyseErrors([{ ...item(7, "ice"), cleaned: "seas rise." }], opts);
  assertThrows(() => pairedF1Difference(a, other, 10), InputError, "example 7 differs");
  assertThrows(
    () => pairedF1Difference(a, analyseErrors([item(99, "ice")], opts), 10),
    InputError,
    "share no test",
  );
});

Deno.test("runErrorAnalysis() classifies a trained run's test summaries; an unevaluated run is one RunError", async () => {
  const resultsDir = await Deno.makeTempDir({ prefix: "errors_test_" });
  const dataDir = await Deno.makeTempDir({ prefix: "errors_data_" });
  try {
    await writeEmbeddedCsv(dataDir, 300, 5);
    const cfg = resolveConfig("tiny", {
      data: dataDir,
      epochs: 1,
      evalExamples: 12,
      bootstrap: 20,
      resultsDir,
    });
    const run = await runExperiment(cfg, { log: () => {} });
    const a = await runErrorAnalysis(run.dir);
    assertEquals([a.n, a.system, a.runId], [12, "greedy", run.id]);
    assertAlmostEquals(a.table.reduce((s, r) => s + r.lostPoints, 0), 1 - a.meanF1, 1e-9);
    const metrics = JSON.parse(await Deno.readTextFile(`${run.dir}/metrics.json`));
    assertAlmostEquals(a.meanF1, metrics.systems.model_greedy.f1, 1e-9);
    const beam = await runErrorAnalysis(run.dir, { system: "beam" });
    assertAlmostEquals(beam.meanF1, metrics.systems.model_beam.f1, 1e-9);
    // deno task errors: the run against itself differs by nothing; against a copy whose greedy summaries are the
    // labels, every summary is exact and F1 rises by exactly what the analysis said was lost
    const self = await errorsReport({ run: run.id, against: run.id, resultsDir, resamples: 50 });
    // 12 pairs: a mean, and no interval (under MIN_ROWS_FOR_CI, as the experiment's own report)
    assertEquals([self.difference!.mean, self.difference!.lo, self.difference!.hi, self.difference!.n], [
      0,
      NaN,
      NaN,
      12,
    ]);
    assertEquals(self.comparison!.moves, []);
    assert(
      (await new Deno.Command("cp", { args: ["-r", run.dir, `${resultsDir}/perfect`] }).output()).success,
    );
    const rows = parse(await Deno.readTextFile(`${run.dir}/predictions.csv`), {
      skipFirstRow: true,
    }) as Record<
      string,
      string
    >[];
    const header = Object.keys(rows[0]);
    await Deno.writeTextFile(
      `${resultsDir}/perfect/predictions.csv`,
      stringify(rows.map((r) => ({ ...r, prediction: r.reference })), { columns: header }),
    );
    const perfect = await errorsReport({ run: run.id, against: "perfect", resultsDir, resamples: 50 });
    assertEquals(perfect.b!.table.find((r) => r.errorClass === "exact")!.count, 12);
    assertAlmostEquals(perfect.difference!.mean, 1 - a.meanF1, 1e-9);
    assertStringIncludes(
      perfect.text,
      `F1 B - A on 12 paired examples: +${(1 - a.meanF1).toFixed(4)} (no CI on fewer than 30 pairs)`,
    );
    // a predictions.csv with the greedy columns only: beam summaries are asked for and missing
    const csv = (await Deno.readTextFile(`${run.dir}/predictions.csv`)).split("\n");
    assert(csv[0].startsWith("id,input,reference,prediction,f1,rougeL,prediction_beam"), csv[0]);
    await Deno.writeTextFile(`${run.dir}/predictions.csv`, "id,input,reference,prediction\n1,a,b,c\n");
    await assertRejects(
      () => runErrorAnalysis(run.dir, { system: "beam" }),
      RunError,
      "no prediction_beam column",
    );
    await assertRejects(
      () => runErrorAnalysis(run.dir),
      RunError,
      "example 1 is not in the run's test split",
    );
    // files that are not a run's summaries: one RunError naming the file (and the line)
    const bad: [string, string][] = [
      ["id,input,reference,prediction\n", "no summaries in it"],
      ["id,input,reference,prediction\n1,a,b,c\n1,a,b,c\n", "line 3: id 1 appears twice"],
      ["id,input,reference,prediction\n,a,b,c\n", 'line 2: id "" is not an integer'],
      ['id,input,reference,prediction\n1,"a,b,c\n', "not a readable CSV"],
    ];
    for (const [text, message] of bad) {
      await Deno.writeTextFile(`${run.dir}/predictions.csv`, text);
      await assertRejects(() => runErrorAnalysis(run.dir), RunError, message);
    }
    await assertRejects(() => runErrorAnalysis(run.dir, { evalName: "other" }), RunError, "only eval/test");
    await Deno.remove(`${run.dir}/predictions.csv`);
    await assertRejects(() => runErrorAnalysis(run.dir), RunError, "predictions.csv: not found");
  } finally {
    await Deno.remove(resultsDir, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});
