import { assertEquals, assertRejects } from "@std/assert";
import { listRuns, readRun } from "../lib/run/folder.ts";
import { runsTable, runSummary } from "../lib/plot/runs.ts";

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

Deno.test("listRuns() finds folders with a history, oldest first, keeping the most recent `limit`", async () => {
  const root = await Deno.makeTempDir({ prefix: "list-runs-" });
  try {
    await writeRun(root, "b-new", { history: [epoch(1, 3)] }, new Date("2026-01-03T00:00:00Z"));
    await writeRun(root, "a-old", { history: [epoch(1, 4)] }, new Date("2026-01-01T00:00:00Z"));
    await writeRun(root, "c-mid", { history: [epoch(1, 5)] }, new Date("2026-01-02T00:00:00Z"));
    await writeRun(root, "empty", { history: [] });
    await writeRun(root, "notebooks", {}); // no history.json: not a run
    await Deno.writeTextFile(`${root}/file.txt`, "not a folder");
    assertEquals((await listRuns(root)).map((r) => r.id), ["a-old", "c-mid", "b-new"]);
    assertEquals((await listRuns(root, { limit: 2 })).map((r) => r.id), ["c-mid", "b-new"]);
    assertEquals((await listRuns(root, { filter: (id) => id.startsWith("a") })).map((r) => r.id), ["a-old"]);
    assertEquals(await listRuns(`${root}/missing`), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readRun() reads history, config and metrics, and names a malformed file", async () => {
  const root = await Deno.makeTempDir({ prefix: "read-run-" });
  try {
    await writeRun(root, "r1", {
      history: [epoch(1, 3), epoch(2, 2.5), epoch(3, 2.7)],
      metrics: metrics(0.4, 0.5),
      config: { profile: "tiny", units: 32, encoderLayers: 1, vocabSize: 500 },
    });
    const run = await readRun(`${root}/r1`);
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

    await writeRun(root, "bare", { history: [epoch(1, 3)] });
    const bare = await readRun(`${root}/bare`);
    assertEquals([bare.config, bare.metrics], [null, null]);
    assertEquals(runsTable([bare])[0].f1, null);

    await Deno.mkdir(`${root}/bad`);
    await Deno.writeTextFile(`${root}/bad/history.json`, "[{");
    await assertRejects(() => readRun(`${root}/bad`), Error, `${root}/bad/history.json: not valid JSON`);
    await Deno.writeTextFile(`${root}/bad/history.json`, JSON.stringify([{ epoch: 1, loss: 1 }]));
    await assertRejects(() => readRun(`${root}/bad`), Error, 'entry 0 has no number "acc"');
    await assertRejects(() => readRun(`${root}/none`), Error, "history.json does not exist");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
