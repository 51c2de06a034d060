import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig } from "../lib/config.ts";
import { prepareData } from "../lib/data/prep.ts";
import { evaluateExamples, evaluateModel } from "../lib/eval/evaluate.ts";
import { evaluateSystems, unseenTargetsLine, verdict } from "../lib/eval/score.ts";
import { metricsJson, writeEvalReport } from "../lib/eval/report.ts";
import { buildModelFor } from "../lib/experiment.ts";

await tf.setBackend("cpu"); // importing lib/experiment.ts registers wasm first

const cfg = resolveConfig("tiny", {
  evalExamples: 0,
  bootstrap: 50,
  embeddedSnippets: 400,
  seed: 3,
  beamWidth: 2,
  testFraction: 0.25,
});

Deno.test("evaluateExamples() scores again the examples whose target is not a training target, and logs the verdict on them", async () => {
  const data = await prepareData(cfg, undefined, { useEnv: false });
  const model = buildModelFor(cfg, data);
  try {
    const test = data.splits.test;
    const n = test.length;
    // as if the first third of the test targets were training targets too
    const trainTargets = new Set(test.slice(0, Math.floor(n / 3)).map((e) => e.target));
    const lines: string[] = [];
    const out = await evaluateExamples(cfg, model, data.tokenizer, test, data.encoded.test.encIn, {
      log: (l) => void lines.push(l),
      trainTargets,
    });
    const keep = test.flatMap((e, i) => (trainTargets.has(e.target) ? [] : [i]));
    assert(keep.length > 30 && keep.length < n, `${keep.length} of ${n} kept`);
    const sub = out.unseenTargets!;
    assertEquals(sub.examples.map((e) => e.id), keep.map((i) => test[i].id));
    // the same predictions, scored on these examples alone, as evaluateSystems scores them directly
    const pick = (name: string) => keep.map((i) => out.result.systems[name].predictions[i]);
    const direct = evaluateSystems(
      keep.map((i) => test[i]),
      { model_greedy: pick("model_greedy"), model_beam: pick("model_beam") },
      {
        bootstrap: cfg.bootstrap,
        seed: cfg.seed,
        leadWords: cfg.leadWords,
        labelSentences: cfg.labelSentences,
      },
    );
    for (const name of ["model_greedy", "model_beam", "copy_input", "lead_words"]) {
      assertEquals(sub.systems[name].mean, direct.systems[name].mean, name);
      assertEquals(sub.systems[name].ci, direct.systems[name].ci, name);
    }
    const line = `on the ${keep.length} of ${n} evaluated examples whose target no training example has: ` +
      verdict(direct);
    assertEquals(unseenTargetsLine(out.result, sub), line);
    assertStringIncludes(lines.join("\n"), line);
  } finally {
    model.dispose();
  }
});

Deno.test("evaluateModel() gives the training split's targets: unseenTargets holds exactly the test examples without one", async () => {
  const prepared = await prepareData(cfg, undefined, { useEnv: false });
  // a training split that holds every third test example too: those targets are training targets
  const { train, test } = prepared.splits;
  const data = {
    ...prepared,
    splits: { ...prepared.splits, train: [...train, ...test.filter((_, i) => i % 3 === 0)] },
  };
  const model = buildModelFor(cfg, data);
  try {
    const out = await evaluateModel(cfg, model, data, () => {});
    const unseen = test.filter((_, i) => i % 3 !== 0);
    assertEquals(out.unseenTargets?.examples.map((e) => e.id), unseen.map((e) => e.id));
    // in metrics.json and report.md, with the verdict on these examples
    const dir = await Deno.makeTempDir({ prefix: "unseen_report_" });
    try {
      await writeEvalReport(dir, out.result, { unseenTargets: out.unseenTargets! });
      const m = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
      assertEquals(m.unseen_targets.n, unseen.length);
      assertEquals(m.unseen_targets.split, "test, targets not in training");
      assertEquals(m.unseen_targets.verdict, verdict(out.unseenTargets!));
      assertEquals(m.unseen_targets.systems.model_greedy.f1, out.unseenTargets!.systems.model_greedy.mean.f1);
      const report = await Deno.readTextFile(`${dir}/report.md`);
      assertStringIncludes(
        report,
        `**Targets not seen in training.** on the ${unseen.length} of ${test.length}`,
      );
      // unknown training targets: no key at all; every target seen: null
      assertFalse("unseen_targets" in metricsJson(out.result));
      assertEquals(metricsJson(out.result, { unseenTargets: null }).unseen_targets, null);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    model.dispose();
  }
});
