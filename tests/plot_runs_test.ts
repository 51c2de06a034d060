import { assertEquals } from "@std/assert";
import { readRunInfo } from "../lib/run/discover.ts";
import { runChoices, runsTable, runSummary } from "../lib/plot/runs.ts";

const epoch = (e: number, valLoss: number) => ({
  epoch: e,
  loss: 2 / e,
  acc: 0.1 * e,
  valLoss,
  valAcc: 0.05 * e,
  seconds: 1,
});

async function writeRun(
  root: string,
  id: string,
  files: { history?: unknown; metrics?: unknown; config?: unknown },
  mtime?: Date,
): Promise<void> {
  await Deno.mkdir(`${root}/${id}`, { recursive: true });
  if (files.history !== undefined) {
    await Deno.writeTextFile(`${root}/${id}/history.json`, JSON.stringify(files.history));
  }
  if (files.metrics !== undefined) {
    await Deno.writeTextFile(`${root}/${id}/metrics.json`, JSON.stringify(files.metrics));
  }
  if (files.config !== undefined) {
    await Deno.writeTextFile(`${root}/${id}/config.json`, JSON.stringify(files.config));
  }
  if (mtime && files.history !== undefined) await Deno.utime(`${root}/${id}/history.json`, mtime, mtime);
}

const metrics = (f1: number, copy: number) => ({
  split: "test",
  n: 30,
  systems: {
    model_greedy: { f1, rouge1: f1, rouge2: 0.1, rougeL: f1, ci: { f1: [f1 - 0.1, f1 + 0.1] } },
    copy_input: { f1: copy, rouge1: copy, rouge2: 0.5, rougeL: copy },
  },
});

Deno.test("runsTable() and runSummary() give a run's settings, best epoch and scores, null where it has none", async () => {
  const root = await Deno.makeTempDir({ prefix: "read-run-" });
  try {
    await writeRun(root, "r1", {
      history: [epoch(1, 3), epoch(2, 2.5), epoch(3, 2.7)],
      metrics: metrics(0.4, 0.5),
      config: { profile: "tiny", units: 32, encoderLayers: 1, vocabSize: 500 },
    });
    const run = await readRunInfo(`${root}/r1`);
    assertEquals(run.id, "r1");
    assertEquals(run.history.length, 3);
    assertEquals(run.history[1], { epoch: 2, loss: 1, acc: 0.2, valLoss: 2.5, valAcc: 0.1, seconds: 1 }); // epoch time kept
    assertEquals(run.config?.units, 32);
    assertEquals(runsTable([run]), [{
      run: "r1",
      profile: "tiny",
      units: 32,
      layers: 1,
      vocab: 500,
      epochs: 3,
      bestEpoch: 2,
      bestValLoss: 2.5,
      bestValAcc: 0.1,
      f1: 0.4,
      copyInputF1: 0.5,
      n: 30,
    }]);
    const s = runSummary(run);
    assertEquals(s.id, "r1");
    assertEquals(s.metrics?.f1, 0.4);
    assertEquals(runSummary(run, "model_beam").metrics, undefined);

    await writeRun(root, "bare", { history: [epoch(1, 3)], config: { profile: "tiny" } });
    const bare = await readRunInfo(`${root}/bare`);
    assertEquals(bare.metrics, null);
    assertEquals(runsTable([bare])[0].f1, null);
    await writeRun(root, "none", { config: { profile: "tiny" } });
    const none = runsTable([await readRunInfo(`${root}/none`)])[0];
    assertEquals([none.epochs, none.bestEpoch, none.bestValLoss, none.bestValAcc], [0, null, null, null]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runChoices() gives one picker row per run, marking the chosen one, with the corpus named when no data folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "run-choices-" });
  try {
    await writeRun(root, "20261128-074831Z-envnews", {
      history: [epoch(1, 3), epoch(2, 2.5)],
      metrics: metrics(0.4, 0.5),
      config: { profile: "envnews", data: "/data/envnews" },
    });
    await writeRun(root, "bare", { config: { profile: "tiny" } });
    const runs = [await readRunInfo(`${root}/20261128-074831Z-envnews`), await readRunInfo(`${root}/bare`)];
    const rows = runChoices(runs, "bare");
    assertEquals(rows[0], {
      run: "20261128-074831Z-envnews",
      status: "evaluated",
      profile: "envnews",
      data: "/data/envnews",
      epochs: 2,
      bestValLoss: 2.5,
      testF1: 0.4,
      copyInputF1: 0.5,
      started: "2026-11-28 07:48",
    });
    assertEquals([rows[1].run, rows[1].status, rows[1].data, rows[1].testF1], [
      "bare (shown)",
      "unfinished",
      "embedded corpus",
      null,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
