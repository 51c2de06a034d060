import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { parse } from "@std/csv";
import type { Example } from "../lib/data/prep.ts";
import { cleanText, toWords } from "../lib/data/clean.ts";
import { bestAndWorst, metricsJson, predictionRows, writeEvalReport } from "../lib/eval/report.ts";
import {
  type EvalResult,
  evaluateSystems,
  pairedDifferenceCI,
  startsLike,
  verdict,
} from "../lib/eval/score.ts";

/** An example whose target is given by hand (the report does not care how targets were made). */
function example(id: number, snippet: string, target: string): Example {
  const cleaned = cleanText(snippet);
  return {
    id,
    station: "CNN",
    date: "2019-01-0" + (id % 9 + 1),
    snippet,
    cleaned,
    input: toWords(cleaned),
    target,
  };
}

const EXAMPLES: Example[] = [
  // input 8 tokens, target 4: clipped overlap 4 ("is" twice in the input, once in the target)
  example(1, "Climate change is real. It is getting worse.", "climate change is real"),
  example(2, "The storm hit Florida. Thousands lost power overnight.", "the storm hit florida"),
  example(3, "Scientists warn of rising seas. Cities must adapt.", "scientists warn of rising seas"),
  example(4, "Wildfires burn in California. Smoke reaches Nevada.", "wildfires burn in california"),
  example(5, "Ice sheets melt faster. Greenland loses ice.", "ice sheets melt faster"),
  example(6, "Coal plants close. Solar grows quickly in Texas.", "coal plants close"),
];
const OPTS = { bootstrap: 200, seed: 42, leadWords: 3, labelSentences: 1 };
/**
 * EXAMPLES five times over (30 rows, the same means): six rows are too few for intervals and a verdict
 * (MIN_ROWS_FOR_CI, tests/eval_small_sample_test.ts).
 */
const ROWS30: Example[] = Array.from(
  { length: 5 },
  (_, k) => EXAMPLES.map((e) => ({ ...e, id: e.id + 10 * k })),
)
  .flat();

function evaluate(greedy: string[], beam?: string[], opts = OPTS, examples = EXAMPLES): EvalResult {
  const systems: Record<string, string[]> = { model_greedy: greedy };
  if (beam) systems.model_beam = beam;
  return evaluateSystems(examples, systems, opts);
}

Deno.test("evaluateSystems() scores models and the four baselines against ex.target (hand-checked means)", () => {
  const r = evaluate(EXAMPLES.map((e) => e.target), EXAMPLES.map(() => ""));
  assertEquals(r.n, 6);
  assertEquals(Object.keys(r.systems), [
    "model_greedy",
    "model_beam",
    "copy_input",
    "lead_words",
    "first_sentence",
    "label_rule",
  ]);
  assertEquals(r.systems.model_greedy.mean, { f1: 1, rouge1: 1, rouge2: 1, rougeL: 1 });
  assertEquals(r.systems.model_beam.mean, { f1: 0, rouge1: 0, rouge2: 0, rougeL: 0 });
  // copy_input F1 per example: P = |target| / |input|, R = 1 -> F = 2|t| / (|t| + |i|)
  // (|t|, |i|) = (4,8) (4,8) (5,8) (4,7) (4,7) (3,8)
  const f = [8 / 12, 8 / 12, 10 / 13, 8 / 11, 8 / 11, 6 / 11];
  assertAlmostEquals(r.systems.copy_input.mean.f1, f.reduce((a, b) => a + b) / 6, 1e-12);
  assertAlmostEquals(r.systems.copy_input.detail.f1.recall, 1, 1e-12);
  // lead_words (k = 3) gives the first 3 target words: P = 1, R = 3/|t|
  assertEquals(r.systems.lead_words.predictions[0], "climate change is");
  const lead = [3 / 4, 3 / 4, 3 / 5, 3 / 4, 3 / 4, 1].map((rc) => (2 * rc) / (1 + rc));
  assertAlmostEquals(r.systems.lead_words.mean.f1, lead.reduce((a, b) => a + b) / 6, 1e-12);
  // the first sentence is the target in every example
  assertEquals(r.systems.first_sentence.predictions, EXAMPLES.map((e) => e.target));
  assertAlmostEquals(r.systems.copy_input.meanWords, (8 + 8 + 8 + 7 + 7 + 8) / 6, 1e-12);
  assertAlmostEquals(r.referenceWords, (4 + 4 + 5 + 4 + 4 + 3) / 6, 1e-12);
  for (const s of Object.values(r.systems)) assertEquals(s.scores.length, 6);
  // intervals bracket the mean (on 30 rows: six are too few for intervals)
  const r30 = evaluate(ROWS30.map((e) => e.target), ROWS30.map(() => ""), OPTS, ROWS30);
  assertAlmostEquals(r30.systems.copy_input.mean.f1, r.systems.copy_input.mean.f1, 1e-12);
  for (const s of Object.values(r30.systems)) {
    assert(s.ci.f1.lo <= s.mean.f1 && s.mean.f1 <= s.ci.f1.hi, s.name);
  }
});

Deno.test("evaluateSystems() rejects misaligned predictions, baseline names and an empty test set", () => {
  assertThrows(() => evaluate(["a"]), Error, `system "model_greedy" has 1 predictions for 6 examples`);
  assertThrows(
    () => evaluateSystems(EXAMPLES, { copy_input: EXAMPLES.map(() => "") }, OPTS),
    Error,
    "has the name of a baseline",
  );
  assertThrows(() => evaluateSystems([], {}, OPTS), Error, "no examples");
});

Deno.test("verdict() says plainly when the model does NOT beat copying the input", () => {
  const r = evaluate(ROWS30.map(() => "the"), undefined, OPTS, ROWS30);
  const v = verdict(r);
  assertStringIncludes(v, "does NOT beat copying the input");
  assertStringIncludes(v, "it has not learned the task");
  assertStringIncludes(v, `vs ${r.systems.copy_input.mean.f1.toFixed(3)}`);
});

Deno.test("verdict() says the model beats copying the input when the paired CI excludes 0", () => {
  const r = evaluate(ROWS30.map((e) => e.target), undefined, OPTS, ROWS30);
  const d = pairedDifferenceCI(r, "model_greedy", "copy_input");
  assert(d.lo > 0, JSON.stringify(d));
  assertAlmostEquals(d.mean, 1 - r.systems.copy_input.mean.f1, 1e-12);
  assertMatch(
    verdict(r),
    /^The model beats copying the input \(F1 1\.000 vs 0\.\d{3}; paired 95% CI .* excludes 0\)\.$/,
  );
});

Deno.test("verdict() does not claim a win when the paired CI of the difference includes 0", () => {
  // the model copies the input except on one example where it is perfect: diffs are 0 x29 and one > 0
  const preds = ROWS30.map((e, i) => (i === 0 ? e.target : e.input));
  const r = evaluate(preds, undefined, { ...OPTS, bootstrap: 1000 }, ROWS30);
  assert(r.systems.model_greedy.mean.f1 > r.systems.copy_input.mean.f1);
  assertEquals(pairedDifferenceCI(r, "model_greedy", "copy_input").lo, 0);
  assertStringIncludes(verdict(r), "includes 0: it has not clearly learned the task");
  // bootstrap off: the verdict says there is no interval
  const off = evaluate(ROWS30.map((e) => e.target), undefined, { ...OPTS, bootstrap: 0 }, ROWS30);
  assertStringIncludes(verdict(off), "no confidence interval");
});

Deno.test("metricsJson() has exactly the shape tools read: split, n, systems x {f1, rouge1, rouge2, rougeL}", () => {
  const r = evaluate(ROWS30.map((e) => e.target), ROWS30.map((e) => e.input), OPTS, ROWS30);
  const j = JSON.parse(JSON.stringify(metricsJson(r)));
  assertEquals(Object.keys(j), ["split", "n", "systems"]);
  assertEquals(j.split, "test");
  assertEquals(j.n, 30);
  assertEquals(Object.keys(j.systems), [
    "model_greedy",
    "model_beam",
    "copy_input",
    "lead_words",
    "first_sentence",
    "label_rule",
  ]);
  for (const [name, s] of Object.entries(j.systems as Record<string, Record<string, unknown>>)) {
    for (const m of ["f1", "rouge1", "rouge2", "rougeL"]) {
      assertEquals(typeof s[m], "number", `${name}.${m}`);
      assertEquals(s[m], r.systems[name].mean[m as "f1"]);
    }
  }
  // model_beam copies the input here, so it scores exactly like copy_input
  assertEquals(j.systems.model_beam.f1, j.systems.copy_input.f1);
  assertEquals(metricsJson(r, { split: "val" }).split, "val");
  // with the bootstrap off, intervals are null rather than NaN, and ci_note says why
  const off = evaluate(ROWS30.map((e) => e.target), undefined, { ...OPTS, bootstrap: 0 }, ROWS30);
  const jOff = JSON.parse(JSON.stringify(metricsJson(off)));
  assertEquals(jOff.systems.model_greedy.ci.f1, [null, null]);
  assertEquals(jOff.ci_note, "bootstrap is off (bootstrap=0)");
});

Deno.test("bestAndWorst() orders examples by greedy F1, ties in example order", () => {
  // perfect on examples 3 and 5, empty elsewhere
  const r = evaluate(EXAMPLES.map((e, i) => (i === 2 || i === 4 ? e.target : "")));
  const bw = bestAndWorst(r, 3);
  assertEquals(bw.system, "model_greedy");
  assertEquals(bw.best.map((e) => e.id), [3, 5, 1]);
  assertEquals(bw.worst.map((e) => e.id), [1, 2, 4]);
  assertEquals(bw.best[0].f1, 1);
  assertEquals(bw.best[0].reference, EXAMPLES[2].target);
});

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("writeEvalReport() writes metrics.json, predictions.csv, examples.json and report.md that parse back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const quoted: Example = {
      ...EXAMPLES[0],
      id: 7,
      input: 'he said, "it is warm"\nnext line',
      target: "it, is",
    };
    const examples = [...EXAMPLES, quoted];
    const greedy = examples.map((e) => e.target);
    greedy[1] = "storm hit";
    const r = evaluateSystems(
      examples,
      { model_greedy: greedy, model_beam: examples.map((e) => e.input) },
      OPTS,
    );
    const out = `${dir}/run-1`;
    const paths = await writeEvalReport(out, r, { decodeSpeed: { model_greedy: 812.5, model_beam: 41 } });
    assertEquals(await listDir(out), ["examples.json", "metrics.json", "predictions.csv", "report.md"]);

    const metrics = JSON.parse(await Deno.readTextFile(paths.metrics));
    assertEquals(
      metrics,
      JSON.parse(JSON.stringify(metricsJson(r, { decodeSpeed: { model_greedy: 812.5, model_beam: 41 } }))),
    );
    assertEquals(metrics.systems.model_greedy.summaries_per_s, 812.5);
    assertEquals(metrics.n, 7);

    const rows = parse(await Deno.readTextFile(paths.predictions));
    assertEquals(rows, predictionRows(r));
    assertEquals(rows[0], [
      "id",
      "input",
      "reference",
      "prediction",
      "f1",
      "rougeL",
      "prediction_beam",
      "f1_beam",
      "rougeL_beam",
    ]);
    assertEquals(rows.length, 8);
    // row of example 2: "storm hit" vs "the storm hit florida": P = 1, R = 1/2, F = 2/3
    assertEquals(rows[2].slice(0, 4), ["2", EXAMPLES[1].input, "the storm hit florida", "storm hit"]);
    assertAlmostEquals(Number(rows[2][4]), 2 / 3, 1e-12);
    assertEquals(rows[7][1], 'he said, "it is warm"\nnext line');

    const ex = JSON.parse(await Deno.readTextFile(paths.examples));
    assertEquals(ex.system, "model_greedy");
    assertEquals(ex.best.length, 5);
    assertEquals(ex.worst.length, 5);
    assertEquals(ex.worst[0].id, 2);
    assertEquals(ex.worst[0].prediction_beam, EXAMPLES[1].input);

    const md = await Deno.readTextFile(paths.report);
    assertStringIncludes(md, "# Evaluation on the test split (n = 7)");
    assertStringIncludes(md, verdict(r));
    for (const name of Object.keys(r.systems)) assertStringIncludes(md, `| ${name.replaceAll("_", "\\_")} |`);
    assertStringIncludes(md, "| model\\_greedy | 812.5 |");
    assertStringIncludes(md, "## Worst examples (by model\\_greedy F1)");

    // a custom verdict replaces the computed one; rewriting leaves no temporary files
    await writeEvalReport(out, r, { verdict: "Custom verdict." });
    assertStringIncludes(await Deno.readTextFile(paths.report), "**Verdict.** Custom verdict.");
    assertEquals(await listDir(out), ["examples.json", "metrics.json", "predictions.csv", "report.md"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startsLike() compares the first k words; the first-word shares count predictions that start like the reference", () => {
  assert(startsLike("polar bears are alive", "polar bears are happy", 3));
  assert(!startsLike("polar bears", "polar bears are happy", 3), "a shorter prediction cannot match 3 words");
  assert(startsLike("ice", "ice", 3), "a reference shorter than k: all of its words");
  assert(!startsLike("we love polar bears", "polar bears are happy", 1));
  assert(startsLike("", "", 1));
  const ex = (target: string): Example => ({
    id: 0,
    station: "CNN",
    date: "2015-03-07",
    snippet: "",
    cleaned: target,
    input: target,
    target,
  });
  const r = evaluateSystems([ex("a b c d"), ex("e f g"), ex("h i")], {
    model_greedy: ["a b c x", "e x", "z"],
  }, { bootstrap: 0, seed: 1, leadWords: 20, labelSentences: 1 });
  assertAlmostEquals(r.systems.model_greedy.firstWord, 2 / 3, 1e-12);
  assertAlmostEquals(r.systems.model_greedy.firstThree, 1 / 3, 1e-12);
  assertEquals(r.systems.copy_input.firstWord, 1);
  const m = metricsJson(r, { teacherForced: { epoch: 2, valAcc: 0.9, valAcc1: 0.4, valAccRest: 0.93 } });
  assertEquals(m.systems.model_greedy.first_word, 2 / 3);
  assertEquals(m.teacher_forced, { epoch: 2, acc: 0.9, acc1: 0.4, accRest: 0.93 });
  const d = m.systems.model_greedy.f1_minus!.copy_input;
  assertAlmostEquals(d.mean, r.systems.model_greedy.mean.f1 - r.systems.copy_input.mean.f1, 1e-12);
  assertEquals(d.ci, [null, null], "bootstrap off: no interval");
  assertEquals(m.systems.copy_input.f1_minus, undefined, "baselines carry no differences");
});
