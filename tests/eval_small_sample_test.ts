// Statistics on too few rows: scores, but no confidence intervals and no verdict, and a stated reason.
import { assert, assertEquals, assertFalse, assertMatch, assertStringIncludes } from "@std/assert";
import type { Example } from "../lib/data/prep.ts";
import { metricsJson, writeEvalReport } from "../lib/eval/report.ts";
import {
  evaluateSystems,
  MIN_ROWS_FOR_CI,
  noCIReason,
  pairedDifferenceCI,
  verdict,
} from "../lib/eval/score.ts";
import { METRICS } from "../lib/eval/metrics.ts";
import { scoreTable } from "../lib/eval/report.ts";

const SENTENCES = [
  ["storms hit the coast", "thousands lost power overnight"],
  ["ice sheets melt faster", "greenland loses ice every summer"],
  ["wildfires burn in california", "smoke reaches nevada and utah"],
  ["coal plants close", "solar grows quickly in texas"],
  ["seas rise along the coast", "cities must adapt their ports"],
];

/** `n` examples whose target is the first sentence of a two-sentence input. */
function rows(n: number): Example[] {
  return Array.from({ length: n }, (_, i) => {
    const [a, b] = SENTENCES[i % SENTENCES.length];
    const input = `${a} ${b} ${i}`;
    return {
      id: i,
      station: "CNN",
      date: "2019-01-01",
      snippet: `${a}. ${b} ${i}.`,
      cleaned: `${a}. ${b} ${i}.`,
      input,
      target: a,
    };
  });
}

const OPTS = { bootstrap: 1000, seed: 7, leadWords: 3, labelSentences: 1 };

/** A model that is wrong on every example: it writes the second sentence. */
function evaluateWrongModel(n: number) {
  const ex = rows(n);
  return evaluateSystems(ex, { model_greedy: ex.map((e) => e.input.split(" ").slice(-4).join(" ")) }, OPTS);
}

Deno.test("MIN_ROWS_FOR_CI is 30 scored rows", () => {
  assertEquals(MIN_ROWS_FOR_CI, 30);
  assertEquals(noCIReason(29, 1000), noCIReason(29, 0), "too few rows is the reason, whatever the bootstrap");
  assertEquals(noCIReason(30, 1000), null);
});

Deno.test("evaluateSystems() gives no CI and no verdict on fewer than 30 rows, and says why", () => {
  for (const n of [1, 5, 29]) {
    const r = evaluateWrongModel(n);
    assertEquals(r.n, n);
    const reason = `n=${n} is fewer than 30 scored rows: too few for confidence intervals or a verdict; ` +
      `score more rows`;
    assertEquals(r.ciNote, reason);
    for (const s of Object.values(r.systems)) {
      for (const m of METRICS) {
        assert(Number.isFinite(s.mean[m]), `${s.name}.${m}: the score is still there`);
        assert(Number.isNaN(s.ci[m].lo) && Number.isNaN(s.ci[m].hi), `${s.name}.${m}: no interval`);
      }
    }
    const d = pairedDifferenceCI(r, "model_greedy", "copy_input");
    assert(Number.isNaN(d.lo) && Number.isNaN(d.hi), "no paired interval either");
    const v = verdict(r);
    assertEquals(
      v,
      `No verdict: ${reason} (model_greedy F1 ${r.systems.model_greedy.mean.f1.toFixed(3)}, ` +
        `copy_input F1 ${r.systems.copy_input.mean.f1.toFixed(3)}).`,
    );
    assertFalse(v.includes("has not learned the task"), "no firm verdict");
    assertFalse(v.includes("CI ["), "no interval in the verdict");
  }
});

Deno.test("evaluateSystems() on 30 rows or more has CIs and a verdict as before", () => {
  for (const n of [30, 45]) {
    const r = evaluateWrongModel(n);
    assertEquals(r.ciNote, null);
    for (const s of Object.values(r.systems)) {
      assert(s.ci.f1.lo <= s.mean.f1 && s.mean.f1 <= s.ci.f1.hi, `${s.name}: ${JSON.stringify(s.ci.f1)}`);
    }
    assert(Number.isFinite(pairedDifferenceCI(r, "model_greedy", "copy_input").lo));
    assertMatch(
      verdict(r),
      /^The model does NOT beat copying the input \(F1 0\.\d{3} vs 0\.\d{3}; paired 95% CI/,
    );
  }
});

Deno.test("metrics.json records why there are no CIs: null bounds and ci_note (fewer than 30 rows, or bootstrap off)", () => {
  const small = JSON.parse(JSON.stringify(metricsJson(evaluateWrongModel(5))));
  assertEquals(Object.keys(small).slice(0, 3), ["split", "n", "ci_note"]);
  assertEquals(small.ci_note, noCIReason(5, OPTS.bootstrap));
  assertStringIncludes(small.ci_note, "n=5 is fewer than 30 scored rows");
  for (const s of Object.values(small.systems as Record<string, { ci: Record<string, unknown> }>)) {
    for (const m of METRICS) assertEquals(s.ci[m], [null, null]);
  }
  assertEquals(small.systems.model_greedy.f1_minus.copy_input.ci, [null, null]);
  // enough rows: intervals and no note
  const enough = JSON.parse(JSON.stringify(metricsJson(evaluateWrongModel(30))));
  assertFalse("ci_note" in enough);
  assert(enough.systems.model_greedy.ci.f1.every((x: unknown) => typeof x === "number"));
  // enough rows with the bootstrap off: the note says so
  const ex = rows(30);
  const off = evaluateSystems(ex, { model_greedy: ex.map((e) => e.target) }, { ...OPTS, bootstrap: 0 });
  assertEquals(metricsJson(off).ci_note, "bootstrap is off (bootstrap=0)");
});

Deno.test("report.md and its verdict say there are no CIs and no verdict on fewer than 30 rows, and why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_small_" });
  try {
    const r = evaluateWrongModel(5);
    const paths = await writeEvalReport(dir, r);
    const md = await Deno.readTextFile(paths.report);
    assertStringIncludes(md, "**Verdict.** No verdict: n=5 is fewer than 30 scored rows");
    assertStringIncludes(
      md,
      "Means over examples, without confidence intervals: n=5 is fewer than 30 scored rows: too few for " +
        "confidence intervals or a verdict; score more rows.",
    );
    assertFalse(md.includes("percentile-bootstrap CIs"));
    assertFalse(/\d\.\d{3} \[\d/.test(md), "no interval in a table cell");
    const metrics = JSON.parse(await Deno.readTextFile(paths.metrics));
    assertStringIncludes(metrics.ci_note, "n=5 is fewer than 30 scored rows");

    const big = evaluateWrongModel(30);
    const mdBig = await Deno.readTextFile((await writeEvalReport(`${dir}/big`, big)).report);
    assertStringIncludes(mdBig, "Means over examples with 95% percentile-bootstrap CIs (1000 resamples");
    assertMatch(mdBig, /\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/);
    assertStringIncludes(mdBig, "**Verdict.** The model does NOT beat copying the input");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scoreTable() prints the scores but no CI on fewer than 30 rows, and the reason", () => {
  const small = scoreTable(metricsJson(evaluateWrongModel(5)));
  assertMatch(small, /model_greedy\s+0\.\d{4}/, "the scores are printed");
  assertStringIncludes(small, "model_greedy F1 - copy_input: ");
  assertStringIncludes(small, "(paired no CI)");
  assertStringIncludes(
    small,
    "no CI: n=5 is fewer than 30 scored rows: too few for confidence intervals or a verdict; score more rows",
  );
  assertFalse(small.includes("95% CI"));
  const big = scoreTable(metricsJson(evaluateWrongModel(30)));
  assertMatch(big, /model_greedy F1 - copy_input: -0\.\d{4} \(paired 95% CI \[-0\.\d{4}, -0\.\d{4}\]\)/);
  assertFalse(big.includes("no CI"));
});
