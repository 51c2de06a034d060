// Run discovery (lib/run/discover.ts): what the notebooks and the web page's run picker list and pick from.
// Run folders are made by hand with known values; one real tiny run checks the status of what the experiment writes.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { resolveConfig } from "../lib/config.ts";
import { runExperiment } from "../lib/experiment.ts";
import { configDiff, latestRun, listRuns, pairRuns, selectRuns, timeOfRunId } from "../lib/run/discover.ts";
import { acquireOwner } from "../lib/run/owner.ts";
import { makeRun, withResults } from "./fixtures/run_folder.ts";

const PREFIX = "run-discover-";

const epoch = (e: number, valLoss: number) => ({
  epoch: e,
  loss: 2 / e,
  acc: 0.1 * e,
  valLoss,
  valAcc: 0.05 * e,
});

const metrics = (f1: number, copy: number) => ({
  split: "test",
  n: 30,
  systems: {
    model_greedy: { f1, rouge1: f1, rouge2: 0.1, rougeL: f1, ci: { f1: [null, null] } },
    copy_input: { f1: copy, rouge1: copy, rouge2: 0.5, rougeL: copy, ci: { f1: [null, null] } },
  },
});

Deno.test("listRuns() lists runs newest first by the time in their id, later -2 ids first, others by config.json's time", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "20261201-080000Z-tiny", { config: {} });
    await makeRun(root, "20261203-080000Z-tiny", { config: {} });
    await makeRun(root, "20261203-080000Z-tiny-2", { config: {} });
    const named = await makeRun(root, "notebook-tiny", { config: {} });
    const t = new Date("2026-12-02T12:00:00Z");
    await Deno.utime(`${named}/config.json`, t, t);
    const { runs, skipped } = await listRuns(root);
    assertEquals(skipped, []);
    assertEquals(runs.map((r) => r.id), [
      "20261203-080000Z-tiny-2",
      "20261203-080000Z-tiny",
      "notebook-tiny",
      "20261201-080000Z-tiny",
    ]);
    assertEquals(runs[2].created, t);
    assertEquals(runs[0].created, new Date("2026-12-03T08:00:00Z"));
  });
});

Deno.test("listRuns() skips a folder without config.json and says why; a file and a missing results folder give nothing", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "run", { config: {}, history: [epoch(1, 2)] });
    await makeRun(root, "notebooks", { history: [epoch(1, 2)] });
    await Deno.writeTextFile(`${root}/notes.txt`, "not a folder");
    const { runs, skipped } = await listRuns(root);
    assertEquals(runs.map((r) => r.id), ["run"]);
    assertEquals(skipped, [{
      id: "notebooks",
      dir: `${root}/notebooks`,
      reason: "no config.json: not a run folder",
    }]);
    assertEquals(await listRuns(`${root}/missing`), { runs: [], skipped: [] });
  });
});

Deno.test("listRuns() skips half-written and broken folders naming the file, and still lists the good runs", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "good", { config: {}, history: [epoch(1, 2)] });
    await makeRun(root, "cut-config", { config: '{"profile": "ti' });
    await makeRun(root, "unknown-key", { config: { unitz: 3 } });
    await makeRun(root, "cut-history", { config: {}, history: "[{" });
    await makeRun(root, "bad-epoch", { config: {}, history: [{ epoch: 1, loss: 1 }] });
    await makeRun(root, "bad-metrics", { config: {}, history: [epoch(1, 2)], metrics: { n: 3 } });
    const badState = await makeRun(root, "bad-state", { config: {}, history: [epoch(1, 2)], stopped: "" });
    await Deno.writeTextFile(`${badState}/checkpoint/state.json`, "{}");
    const { runs, skipped } = await listRuns(root);
    assertEquals(runs.map((r) => r.id), ["good"]);
    const why = Object.fromEntries(skipped.map((s) => [s.id, s.reason]));
    assertEquals(Object.keys(why).sort(), [
      "bad-epoch",
      "bad-metrics",
      "bad-state",
      "cut-config",
      "cut-history",
      "unknown-key",
    ]);
    assertStringIncludes(why["cut-config"], "config.json is not valid JSON");
    assertStringIncludes(why["unknown-key"], "unitz");
    assertStringIncludes(why["cut-history"], "history.json");
    assertStringIncludes(why["bad-epoch"], 'entry 0 has no number "acc"');
    assertStringIncludes(why["bad-metrics"], 'metrics.json: expected an object with "systems"');
    assertStringIncludes(why["bad-state"], "checkpoint/state.json is not a training state");
    assert(skipped.every((s) => !s.reason.includes(root)), "reasons name the file within the run folder");
  });
});

Deno.test("listRuns() reads epochs, the best epoch, test F1, data and times of each run", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "20261201-080000Z-envnews", {
      config: { profile: "envnews", data: "../shared/data/envnews" },
      history: [epoch(1, 3), epoch(2, 2.5), epoch(3, 2.7)],
      metrics: metrics(0.41, 0.69),
      stopped: "early_stopping",
    });
    const [run] = (await listRuns(root)).runs;
    assertEquals(
      [run.profile, run.epochs, run.bestEpoch, run.bestValLoss, run.testF1, run.copyInputF1, run.data],
      ["envnews", 3, 2, 2.5, 0.41, 0.69, "../shared/data/envnews"],
    );
    assertEquals(
      run.config.units,
      resolveConfig("envnews").units,
      "the config is validated, defaults filled in",
    );
    assertEquals(run.history[1].valLoss, 2.5);
    assert(run.modified instanceof Date);
    await makeRun(root, "fresh", { config: {} });
    const fresh = (await listRuns(root)).runs.find((r) => r.id === "fresh")!;
    assertEquals([fresh.epochs, fresh.bestEpoch, fresh.bestValLoss, fresh.testF1, fresh.data], [
      0,
      null,
      null,
      null,
      null,
    ]);
    assertEquals(fresh.modified, null);
  });
});

Deno.test("listRuns() tells runs being written, unfinished, trained and evaluated apart", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "paused", { config: {}, history: [epoch(1, 2)], stopped: "" });
    await makeRun(root, "interrupted", { config: {}, history: [epoch(1, 2)] }); // no checkpoint, no metrics
    await makeRun(root, "trained", { config: {}, history: [epoch(1, 2)], stopped: "completed" });
    await makeRun(root, "evaluated", {
      config: {},
      history: [epoch(1, 2)],
      stopped: "early_stopping",
      metrics: metrics(0.5, 0.4),
    });
    await makeRun(root, "old-evaluated", { config: {}, history: [epoch(1, 2)], metrics: metrics(0.5, 0.4) });
    const writing = await makeRun(root, "writing", { config: {}, history: [epoch(1, 2)], stopped: "" });
    // a live process swapping its checkpoint: the state read half-way is not a broken folder
    const swapping = await makeRun(root, "swapping", { config: {}, history: [epoch(1, 2)], stopped: "" });
    await Deno.writeTextFile(`${swapping}/checkpoint/state.json`, '{"epoch": 1, "be');
    const locks = [await acquireOwner(writing, "training"), await acquireOwner(swapping, "training")];
    try {
      const { runs, skipped } = await listRuns(root);
      assertEquals(skipped, []);
      const status = Object.fromEntries(runs.map((r) => [r.id, [r.status, r.finished, r.stopped]]));
      assertEquals(status, {
        paused: ["unfinished", false, ""],
        interrupted: ["unfinished", false, ""],
        trained: ["trained", true, "completed"],
        evaluated: ["evaluated", true, "early_stopping"],
        "old-evaluated": ["evaluated", true, ""],
        writing: ["writing", false, ""],
        swapping: ["writing", false, ""],
      });
    } finally {
      for (const lock of locks) await lock.release();
    }
    // once no process holds it, the same broken state names its file
    assertEquals((await listRuns(root)).skipped.map((s) => [s.id, s.reason.split(" ")[0]]), [
      ["swapping", "checkpoint/state.json"],
    ]);
    assertEquals((await listRuns(root)).runs.find((r) => r.id === "writing")?.status, "unfinished");
  });
});

Deno.test("listRuns({ nested: true }) also lists the runs of a folder of runs, each run id once", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "20261201-080000Z-tiny", { config: {} });
    await makeRun(`${root}/real-copy`, "20261202-080000Z-envnews", { config: { profile: "envnews" } });
    await makeRun(`${root}/real-copy`, "20261201-080000Z-tiny", { config: {} }); // a copy of the run above
    await Deno.mkdir(`${root}/screenshots`);
    const flat = await listRuns(root);
    assertEquals(flat.runs.map((r) => r.id), ["20261201-080000Z-tiny"]);
    assertEquals(flat.skipped.map((s) => s.id).sort(), ["real-copy", "screenshots"]);
    const nested = await listRuns(root, { nested: true });
    assertEquals(nested.runs.map((r) => [r.id, r.dir]), [
      ["20261202-080000Z-envnews", `${root}/real-copy/20261202-080000Z-envnews`],
      ["20261201-080000Z-tiny", `${root}/20261201-080000Z-tiny`],
    ]);
    assertEquals(nested.skipped.map((s) => s.id), ["screenshots"]);
  });
});

Deno.test("latestRun() picks the newest run of the first preference any run meets; selectRuns() keeps every match", async () => {
  await withResults(PREFIX, async (root) => {
    const done = { history: [epoch(1, 2)], stopped: "completed" as const, metrics: metrics(0.5, 0.4) };
    await makeRun(root, "20261201-080000Z-envnews", {
      config: { profile: "envnews", data: "/data/a", copy: false },
      ...done,
    });
    await makeRun(root, "20261202-080000Z-envnews", {
      config: { profile: "envnews", data: "/data/b", copy: true },
    });
    await makeRun(root, "20261203-080000Z-tiny", { config: { copy: true }, ...done });
    await makeRun(root, "20261204-080000Z-tiny", { config: {}, history: [epoch(1, 2)], stopped: "" });
    const { runs } = await listRuns(root);
    assertEquals(latestRun(runs)?.id, "20261204-080000Z-tiny");
    assertEquals(latestRun(runs, { finished: true })?.id, "20261203-080000Z-tiny");
    assertEquals(latestRun(runs, { profile: "envnews", realData: true })?.id, "20261202-080000Z-envnews");
    assertEquals(latestRun(runs, { profile: "envnews", evaluated: true })?.id, "20261201-080000Z-envnews");
    // preferences in order: a copy run on real data that was evaluated (none), else any evaluated copy run
    const pref = [{ config: { copy: true }, realData: true, evaluated: true }, {
      config: { copy: true },
      evaluated: true,
    }];
    assertEquals(latestRun(runs, ...pref)?.id, "20261203-080000Z-tiny");
    assertEquals(latestRun(runs, { profile: "paper" }), undefined);
    assertEquals(selectRuns(runs, { config: { copy: true } }).map((r) => r.id), [
      "20261203-080000Z-tiny",
      "20261202-080000Z-envnews",
    ]);
    assertEquals(selectRuns(runs, { status: ["unfinished", "writing"] }).map((r) => r.id), [
      "20261204-080000Z-tiny",
      "20261202-080000Z-envnews",
    ]);
    assertEquals(selectRuns(runs, { id: "20261201-080000Z-envnews" }).length, 1);
  });
});

Deno.test("configDiff() names the keys whose values differ, a key missing on one side included", () => {
  assertEquals(configDiff({ a: 1, b: [1, 2], c: "x" }, { a: 1, b: [1, 3], d: true }), ["b", "c", "d"]);
  assertEquals(configDiff({ a: { x: 1 } }, { a: { x: 1 } }), []);
});

Deno.test("pairRuns() pairs runs that differ in exactly the given keys, ignoring where and how long they trained", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "20261201-080000Z-envnews", {
      config: { profile: "envnews", sentenceBoundaries: true },
    });
    await makeRun(root, "20261202-080000Z-envnews", {
      config: {
        profile: "envnews",
        sentenceBoundaries: false,
        epochs: 3,
        resultsDir: "elsewhere",
        fastLayers: false,
      },
    });
    await makeRun(root, "20261203-080000Z-envnews", {
      config: { profile: "envnews", sentenceBoundaries: false, units: 64 },
    });
    await makeRun(root, "20261204-080000Z-envnews", { config: { profile: "envnews", units: 64 } });
    const { runs } = await listRuns(root);
    const ids = (ps: ReturnType<typeof pairRuns>) =>
      ps.map((p) => [p.a.id.slice(6, 8), p.b.id.slice(6, 8), p.differ]);
    assertEquals(ids(pairRuns(runs, "sentenceBoundaries")), [
      ["04", "03", ["sentenceBoundaries"]],
      ["02", "01", ["sentenceBoundaries"]], // epochs, resultsDir and fastLayers differ too: ignored
    ]);
    assertEquals(ids(pairRuns(runs, "units")), [["04", "01", ["units"]], ["03", "02", ["units"]]]);
    assertEquals(ids(pairRuns(runs, ["units", "sentenceBoundaries"])), [["04", "02", [
      "sentenceBoundaries",
      "units",
    ]], [
      "03",
      "01",
      ["sentenceBoundaries", "units"],
    ]]);
    // asked for, an incidental key counts; told to ignore nothing, every difference counts
    assertEquals(ids(pairRuns(runs, "epochs")), []);
    assertEquals(ids(pairRuns(runs, "fastLayers")), []);
    assertEquals(ids(pairRuns(runs, "sentenceBoundaries", { ignore: [] })), [["04", "03", [
      "sentenceBoundaries",
    ]]]);
  });
});

Deno.test("timeOfRunId() reads the start time of a generated run id and nothing else", () => {
  assertEquals(timeOfRunId("20261128-074831Z-envnews-2"), new Date("2026-11-28T07:48:31Z"));
  assertEquals(timeOfRunId("20261128-074831Z"), new Date("2026-11-28T07:48:31Z"));
  assertEquals(timeOfRunId("notebook-tiny"), null);
  assertEquals(timeOfRunId("20261399-074831Z-x"), null);
});

Deno.test("a run made by the experiment is listed as evaluated, with the scores of its metrics.json", async () => {
  await withResults(PREFIX, async (root) => {
    const cfg = resolveConfig("tiny", { resultsDir: root, epochs: 1, evalExamples: 5, bootstrap: 0 });
    const made = await runExperiment(cfg, { log: () => {} });
    made.model.dispose();
    const { runs, skipped } = await listRuns(root);
    assertEquals(skipped, []);
    assertEquals(runs.length, 1);
    const [run] = runs;
    assertEquals([run.id, run.dir, run.status, run.finished, run.epochs], [
      made.id,
      made.dir,
      "evaluated",
      true,
      1,
    ]);
    assertEquals(run.testF1, made.metrics.systems.model_greedy.f1);
    assertEquals(run.bestValLoss, made.train.bestValLoss);
    assertEquals(run.config, cfg);
  });
});
