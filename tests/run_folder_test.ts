// Issue 20, "nothing silently wrong": run ids that never collide, one writer per run folder, saved models proved
// whole before anything is decoded from them, evaluations written whole, one-line failures, Ctrl-C, and a failed
// checkpoint that leaves best/ and state.json agreeing. Each test failed on the code before this change.
import {
  assert,
  assertEquals,
  assertFalse,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { resolveConfig } from "../lib/config.ts";
import { writeEmbeddedCsv } from "../lib/data/embedded.ts";
import { prepareData } from "../lib/data/prep.ts";
import { runExperiment } from "../lib/experiment.ts";
import { saveModelDir } from "../lib/model/io.ts";
import { buildSeq2Seq } from "../lib/model/seq2seq.ts";
import { listRuns } from "../lib/run/discover.ts";
import { openRun, RunError, RunFolder } from "../lib/run/folder.ts";
import { acquireOwner, OWNER_FILE } from "../lib/run/owner.ts";
import { ResumeError, trainModel } from "../lib/train/loop.ts";
import { runDeno } from "./fixtures/child_stderr.ts";

const task = (script: string, args: string[]) =>
  runDeno(script, args, { env: { OPENBLAS_NUM_THREADS: "1" } });

/** Exit 1, exactly one `error:` line holding `includes`, no stack trace. */
function failsInOneLine(r: { code: number; stderr: string }, includes: string) {
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(r.stderr, includes);
  assertFalse(/^\s+at /m.test(r.stderr), `no stack trace:\n${r.stderr}`);
  assertEquals(r.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).length, 1, r.stderr);
}

async function copyDir(from: string, to: string, skip: string[] = []): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (skip.includes(e.name)) continue;
    if (e.isDirectory) await copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

const quiet = { log: () => {} };
const tiny = (resultsDir: string, over: Record<string, unknown> = {}) =>
  resolveConfig("tiny", { resultsDir, epochs: 1, evalExamples: 5, bootstrap: 0, ...over });

// one tiny run that the read-only tests below copy before breaking it
const resultsDir = await Deno.makeTempDir({ prefix: "run_folder_test_" });
const base = await runExperiment(tiny(resultsDir), quiet);
base.model.dispose();
const fresh = async (name: string) => {
  await copyDir(base.dir, `${resultsDir}/${name}`);
  return name;
};

Deno.test("two runs started in the same second get two folders, each whole", async () => {
  const dir = await Deno.makeTempDir();
  const now = () => new Date("2026-12-02T10:00:00.250Z");
  const a = await runExperiment(tiny(dir, { units: 16 }), { ...quiet, now });
  const b = await runExperiment(tiny(dir, { units: 24 }), { ...quiet, now });
  a.model.dispose();
  b.model.dispose();
  assertEquals(a.id, "20261202-100000Z-tiny");
  assertEquals(b.id, "20261202-100000Z-tiny-2");
  assertEquals(
    JSON.parse(await Deno.readTextFile(`${a.dir}/config.json`)).units,
    16,
    "the first run is intact",
  );
  assertEquals(JSON.parse(await Deno.readTextFile(`${b.dir}/config.json`)).units, 24);
  await openRun(a.dir); // each folder's model, config and tokenizer agree
  await openRun(b.dir);
  assertFalse(await Deno.stat(`${a.dir}/${OWNER_FILE}`).then(() => true, () => false), "released when done");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("overlapping runs in one results folder never share a folder (started together, same clock)", async () => {
  const dir = await Deno.makeTempDir();
  const now = () => new Date("2026-12-02T11:00:00Z");
  const runs = await Promise.all([0, 1, 2].map(() => RunFolder.create(dir, "tiny", { now })));
  assertEquals(new Set(runs.map((r) => r.folder.dir)).size, 3);
  for (const r of runs) await r.lock.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a second writer of a run folder is refused in one line while the first one lives", async () => {
  const id = await fresh("locked");
  const dir = `${resultsDir}/${id}`;
  // another live process owns the folder
  const sleeper = new Deno.Command("sleep", { args: ["60"] }).spawn();
  const procStart = (await Deno.readTextFile(`/proc/${sleeper.pid}/stat`).catch(() => "")).split(") ")[1]
    ?.split(" ")[19] ?? null;
  await Deno.writeTextFile(
    `${dir}/${OWNER_FILE}`,
    JSON.stringify({
      pid: sleeper.pid,
      host: Deno.hostname(),
      procStart,
      since: new Date().toISOString(),
      purpose: "training",
      token: "x",
    }),
  );
  try {
    const r = await task("main.ts", ["--resume", id, `--resultsDir=${resultsDir}`, "--epochs=2"]);
    failsInOneLine(r, `is being written by process ${sleeper.pid}`);
    await assertRejects(
      () => RunFolder.create(resultsDir, "tiny", { id, replace: true }),
      RunError,
      "is being written by process",
    );
    const hist = JSON.parse(await Deno.readTextFile(`${dir}/history.json`));
    assertEquals(hist.length, 1, "the refused writer changed nothing");
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
  // the owner is gone now: its file is stale and the folder can be taken
  const lock = await acquireOwner(dir, "test");
  await lock.release();
});

Deno.test("an explicit run id that exists is refused unless the caller asks to replace it", async () => {
  const id = await fresh("named");
  await assertRejects(
    () => runExperiment(tiny(resultsDir), { ...quiet, runId: id }),
    RunError,
    "exists already",
  );
  const r = await runExperiment(tiny(resultsDir, { units: 20 }), { ...quiet, runId: id, replace: true });
  r.model.dispose();
  assertEquals(JSON.parse(await Deno.readTextFile(`${r.dir}/config.json`)).units, 20);
  await openRun(r.dir); // replaced whole: nothing of the old run is mixed in
});

Deno.test("a weights file a few bytes short or long, or changed, is refused before anything is decoded", async () => {
  for (
    const [name, edit, says] of [
      ["short", (b: Uint8Array) => b.subarray(0, b.length - 3), "truncated"],
      ["long", (b: Uint8Array) => new Uint8Array([...b, 1, 2, 3, 4]), "extra bytes"],
      ["flipped", (b: Uint8Array) => b.map((x, i) => (i === 100 ? x ^ 1 : x)), "SHA-256 differs"],
    ] as const
  ) {
    const id = await fresh(`weights-${name}`);
    const path = `${resultsDir}/${id}/best/weights.bin`;
    await Deno.writeFile(path, edit(await Deno.readFile(path)));
    const err = await assertRejects(() => openRun(resultsDir, id), RunError);
    assertStringIncludes(err.message, path);
    assertStringIncludes(err.message, says);
    failsInOneLine(
      await task("cli/summarize.ts", [
        `--run=${id}`,
        `--resultsDir=${resultsDir}`,
        "Seas rise. Storms grow.",
      ]),
      says,
    );
  }
});

Deno.test("a model of another vocabulary than its tokenizer is refused in one line, not decoded", async () => {
  const id = await fresh("vocab");
  const cfg = resolveConfig("tiny");
  // a whole, self-consistent model folder, built for 400 ids where the tokenizer has more
  const other = buildSeq2Seq({ ...cfg, vocabSize: 400 });
  await saveModelDir(other, `${resultsDir}/${id}/best`, { epoch: 1 });
  other.dispose();
  const err = await assertRejects(() => openRun(resultsDir, id), RunError);
  assertStringIncludes(err.message, "tokenizer.json has");
  assertStringIncludes(err.message, "has 400 rows");
  failsInOneLine(
    await task("cli/summarize.ts", [`--run=${id}`, `--resultsDir=${resultsDir}`, "Seas rise. Storms grow."]),
    "do not belong together",
  );
  failsInOneLine(
    await task("cli/evaluate.ts", [`--run=${id}`, `--resultsDir=${resultsDir}`]),
    "has 400 rows",
  );
});

Deno.test("a config.json edited after training is refused by evaluate and by --resume, which rewrites nothing", async () => {
  const id = await fresh("edited");
  const dir = `${resultsDir}/${id}`;
  const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...cfg, units: cfg.units * 2 }));
  const summaryBefore = await Deno.readTextFile(`${dir}/summary.txt`);
  failsInOneLine(
    await task("cli/evaluate.ts", [`--run=${id}`, `--resultsDir=${resultsDir}`]),
    "is not the one the model was trained with",
  );
  const r = await task("main.ts", ["--resume", id, `--resultsDir=${resultsDir}`, "--epochs=2"]);
  failsInOneLine(r, "cannot resume");
  assertStringIncludes(r.stderr, "config.json");
  assertEquals(await Deno.readTextFile(`${dir}/summary.txt`), summaryBefore, "summary.txt not rewritten");
  assertFalse(
    await Deno.stat(`${dir}/${OWNER_FILE}`).then(() => true, () => false),
    "the folder is released",
  );
});

Deno.test("two data folders of the same name get two evaluations; the same folder keeps its name", async () => {
  const parent = await Deno.makeTempDir();
  const [a, b] = [`${parent}/x/month`, `${parent}/y/month`];
  await Deno.mkdir(a, { recursive: true });
  await Deno.mkdir(b, { recursive: true });
  await writeEmbeddedCsv(a, 40, 11);
  await writeEmbeddedCsv(b, 40, 12);
  const [na, nb] = [await RunFolder.evalName(a), await RunFolder.evalName(b)];
  assertNotEquals(na, nb);
  assert(na.startsWith("month-") && nb.startsWith("month-"));
  assertEquals(await RunFolder.evalName(`${a}/`), na);
  const id = await fresh("two-months");
  for (const d of [a, b]) {
    const r = await task("cli/evaluate.ts", [`--run=${id}`, `--resultsDir=${resultsDir}`, `--data=${d}`]);
    assertEquals(r.code, 0, r.stderr);
  }
  const ma = JSON.parse(await Deno.readTextFile(`${resultsDir}/${id}/eval/${na}/metrics.json`));
  const mb = JSON.parse(await Deno.readTextFile(`${resultsDir}/${id}/eval/${nb}/metrics.json`));
  assertEquals([ma.provenance.data, mb.provenance.data], [a, b], "neither replaced the other");
  await Deno.remove(parent, { recursive: true });
});

Deno.test("an evaluation that fails while writing leaves the previous one whole and nothing half-written", async () => {
  const id = await fresh("eval-fail");
  const folder = new RunFolder(resultsDir, id);
  await folder.writeEval("test", async (d) => {
    await Deno.writeTextFile(`${d}/metrics.json`, '{"n":30}');
    await Deno.writeTextFile(`${d}/report.md`, "n=30");
  });
  await assertRejects(
    () =>
      folder.writeEval("test", async (d) => {
        await Deno.writeTextFile(`${d}/report.md`, "n=5");
        throw new Error("No space left on device (os error 28)");
      }),
    RunError,
    "No space left on device",
  );
  assertEquals(await Deno.readTextFile(folder.path("eval/test/metrics.json")), '{"n":30}');
  assertEquals(await Deno.readTextFile(folder.path("eval/test/report.md")), "n=30");
  const left = [...Deno.readDirSync(folder.path("eval"))].map((e) => e.name);
  assertEquals(left, ["test"], "no temporary folder left behind");
});

/** A tmpfs of `kib` KiB at a fresh mount point, or null where mounting is not allowed (not root, no tmpfs). */
async function smallDisk(kib: number): Promise<string | null> {
  const at = await Deno.makeTempDir({ prefix: "full_disk_" });
  const r = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", at] })
    .output().catch(() => null);
  if (!r || r.code !== 0) {
    await Deno.remove(at);
    return null;
  }
  return at;
}
const canMount = Deno.build.os === "linux" && (Deno.uid?.() ?? -1) === 0;

Deno.test({
  name: "evaluate on a full disk fails in one line and leaves the earlier evaluation whole",
  // mounting a tmpfs needs root on Linux; elsewhere the injected write error above covers the same path
  ignore: !canMount,
  fn: async () => {
    const disk = await smallDisk(2048);
    if (disk === null) throw new Error("mount -t tmpfs failed although running as root on Linux");
    try {
      const id = "full";
      await copyDir(base.dir, `${disk}/${id}`, ["figures"]);
      const first = await task("cli/evaluate.ts", [
        `--run=${id}`,
        `--resultsDir=${disk}`,
        "--evalExamples=10",
      ]);
      assertEquals(first.code, 0, first.stderr);
      const before = await Deno.readTextFile(`${disk}/${id}/eval/test/metrics.json`);
      // fill the disk
      const fill = await Deno.open(`${disk}/filler`, { write: true, create: true });
      try {
        const chunk = new Uint8Array(16384);
        while (true) await fill.write(chunk);
      } catch {
        /* full */
      } finally {
        fill.close();
      }
      const r = await task("cli/evaluate.ts", [`--run=${id}`, `--resultsDir=${disk}`, "--evalExamples=30"]);
      failsInOneLine(r, "No space left on device");
      assertEquals(
        await Deno.readTextFile(`${disk}/${id}/eval/test/metrics.json`),
        before,
        "n=10 still whole",
      );
      const left = [...Deno.readDirSync(`${disk}/${id}/eval`)].map((e) => e.name);
      assertEquals(left, ["test"]);
    } finally {
      await new Deno.Command("umount", { args: [disk] }).output();
      await Deno.remove(disk, { recursive: true });
    }
  },
});

Deno.test("a full disk while writing figures fails in one line after the scores were printed", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const originals = { writeFile: Deno.writeFile, writeTextFile: Deno.writeTextFile, open: Deno.open };
  const full = (path: string | URL) => {
    if (String(path).includes("/figures")) throw new Error("No space left on device (os error 28)");
  };
  const D = Deno as unknown as Record<string, unknown>;
  type Fn = (...a: unknown[]) => unknown;
  for (const k of ["writeFile", "writeTextFile", "open"] as const) {
    D[k] = (p: string | URL, ...rest: unknown[]) => {
      full(p);
      return (originals[k] as unknown as Fn)(p, ...rest);
    };
  }
  try {
    const err = await assertRejects(
      () => runExperiment(tiny(dir), { log: (l) => lines.push(l) }),
      RunError,
      "No space left on device",
    );
    assertStringIncludes(err.message, "/figures");
    assertStringIncludes(err.message, "deno task evaluate --run=");
  } finally {
    Object.assign(D, originals);
  }
  assert(
    lines.some((l) => l.includes("model_greedy")),
    "the score table was printed before the failing write",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a checkpoint that cannot be written leaves best/ and state.json naming the same best epoch", async () => {
  const dir = await Deno.makeTempDir();
  const cfg = resolveConfig("tiny", { epochs: 3, patience: 5, resultsDir: dir });
  const data = await prepareData(cfg);
  const model = buildSeq2Seq({ ...cfg, vocabSize: data.tokenizer.size });
  const originalOpen = Deno.open;
  let epochs = 0;
  const D = Deno as unknown as Record<string, unknown>;
  D.open = (p: string | URL, ...rest: unknown[]) => {
    if (epochs >= 1 && String(p).includes("checkpoint.tmp")) {
      return Promise.reject(new Error("No space left on device (os error 28)"));
    }
    return (originalOpen as (...a: unknown[]) => Promise<Deno.FsFile>)(p, ...rest);
  };
  try {
    await assertRejects(
      () =>
        trainModel({
          cfg,
          model,
          train: data.encoded.train,
          val: data.encoded.val,
          runDir: dir,
          log: () => {},
          onEpochEnd: () => void epochs++,
        }),
      Error,
      "No space left on device",
    );
  } finally {
    D.open = originalOpen;
    model.dispose();
  }
  assertEquals(epochs, 1, "epoch 2's checkpoint failed");
  const state = JSON.parse(await Deno.readTextFile(`${dir}/checkpoint/state.json`));
  const best = JSON.parse(await Deno.readTextFile(`${dir}/best/model.json`)).userDefinedMetadata;
  assertEquals([state.epoch, state.bestEpoch], [1, 1]);
  assertEquals(best.epoch, state.bestEpoch, "best/ holds the epoch state.json calls best");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a run stopped between its checkpoint and best/ is read from the checkpoint and repaired on resume", async () => {
  const id = await fresh("between");
  const dir = `${resultsDir}/${id}`;
  // make best/ claim an older epoch than the checkpoint's best, as a kill between the two writes would
  const json = JSON.parse(await Deno.readTextFile(`${dir}/best/model.json`));
  const state = JSON.parse(await Deno.readTextFile(`${dir}/checkpoint/state.json`));
  json.userDefinedMetadata.epoch = state.bestEpoch - 1;
  await Deno.writeTextFile(`${dir}/best/model.json`, JSON.stringify(json));
  const opened = await openRun(resultsDir, id);
  assertEquals(opened.bestDir, `${dir}/checkpoint`, "the checkpoint holds the best epoch's weights");
  // a best/ of an epoch the state cannot explain is an error, not a silent mix
  state.epoch += 1;
  await Deno.writeTextFile(`${dir}/checkpoint/state.json`, JSON.stringify(state));
  await assertRejects(() => openRun(resultsDir, id), RunError, "was the best");
  await assertRejects(
    () => runExperiment(resolveConfig("tiny", { resultsDir }), { ...quiet, resume: id }),
    ResumeError,
  );
});

Deno.test("a run stopped after its first checkpoint but before best/ existed is read from the checkpoint and resumes", async () => {
  const id = await fresh("no-best-yet");
  const dir = `${resultsDir}/${id}`;
  await Deno.remove(`${dir}/best`, { recursive: true });
  const opened = await openRun(resultsDir, id);
  assertEquals(opened.bestDir, `${dir}/checkpoint`);
  const r = await runExperiment(resolveConfig("tiny", { resultsDir }), {
    ...quiet,
    resume: id,
    resumeOverrides: { epochs: 1 },
  });
  r.model.dispose();
  const best = JSON.parse(await Deno.readTextFile(`${dir}/best/model.json`)).userDefinedMetadata;
  assertEquals(best.epoch, 1, "best/ rewritten from the checkpoint");
});

Deno.test("owner.json: concurrent takers get it once; a stale file (a dead process, this pid reused, debris) is taken over", async () => {
  for (let i = 0; i < 30; i++) {
    const dir = await Deno.makeTempDir();
    if (i % 2 === 1) {
      // a dead owner: this very pid, but another process start (a restarted container reuses small pids)
      await Deno.writeTextFile(
        `${dir}/${OWNER_FILE}`,
        JSON.stringify({
          pid: Deno.pid,
          host: Deno.hostname(),
          procStart: "1",
          since: "",
          purpose: "x",
          token: "t",
        }),
      );
    }
    if (i === 2) await Deno.writeTextFile(`${dir}/${OWNER_FILE}`, "{ not json"); // debris, not an owner
    const got = await Promise.allSettled([acquireOwner(dir, "a"), acquireOwner(dir, "b")]);
    const ok = got.filter((g) => g.status === "fulfilled") as PromiseFulfilledResult<
      { release(): Promise<void> }
    >[];
    assertEquals(ok.length, 1, `trial ${i}: exactly one owner`);
    await ok[0].value.release();
    assertEquals([...Deno.readDirSync(dir)].length, 0, "no file left behind");
    await Deno.remove(dir);
  }
});

/**
 * Start `main.ts` with `args` in `dir`, wait (up to `timeoutMs`) for a stdout line matching `until`, send SIGINT,
 * and return what it printed before and after the signal, its exit code and its stderr.
 */
async function interruptRun(dir: string, args: string[], until: RegExp, timeoutMs: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args, `--resultsDir=${dir}`],
    env: { NO_COLOR: "1", OPENBLAS_NUM_THREADS: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let before = "";
  const t0 = Date.now();
  while (!until.test(before) && Date.now() - t0 < timeoutMs) {
    const { value, done } = await reader.read();
    if (done) break;
    before += value;
  }
  child.kill("SIGINT");
  let after = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) after += r.value;
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  return { before, after, code: status.code, stderr };
}

Deno.test("Ctrl-C prints how far the run got and how to continue, and releases the folder", async () => {
  const dir = await Deno.makeTempDir();
  const r = await interruptRun(
    dir,
    ["--profile=tiny", "--epochs=40", "--patience=40"],
    /epoch\s+2\/40/,
    120_000,
  );
  assertEquals(r.code, 1, r.stderr);
  const id = [...Deno.readDirSync(dir)][0].name;
  const last = r.stderr.trim().split("\n").at(-1)!;
  assert(/^interrupted after epoch \d+ of run /.test(last), last);
  assertStringIncludes(last, `continue with: deno task experiment --resume ${id}`);
  assertFalse(await Deno.stat(`${dir}/${id}/${OWNER_FILE}`).then(() => true, () => false));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Ctrl-C in the middle of the first epoch stops the run there and keeps nothing", async () => {
  const dir = await Deno.makeTempDir();
  // 9,000 snippets: about 220 steps an epoch, so the step lines are printed (one every 10%)
  const r = await interruptRun(
    dir,
    ["--profile=tiny", "--embeddedSnippets=9000", "--epochs=1"],
    /epoch 1 step \d+\//,
    180_000,
  );
  assertStringIncludes(r.before, "epoch 1 step ");
  assertEquals(r.code, 1, r.stderr);
  const last = r.stderr.trim().split("\n").at(-1)!;
  // the signal is heard in the middle of the epoch, not at its end as when the training loop never gives the
  // event loop a turn: then the epoch would end (its line printed, its checkpoint saved) and the line would say
  // "interrupted after epoch 1". How many progress lines come after the signal depends on how soon this process
  // is scheduled to send it, so it is not counted.
  assertFalse(/^epoch 1\/1 /m.test(r.after), `the epoch ran to its end after Ctrl-C:\n${r.after}`);
  assert(/^interrupted before the first epoch of run \S+ was saved: nothing kept$/.test(last), last);
  assertEquals([...Deno.readDirSync(dir)].length, 0, "nothing kept");
  await Deno.remove(dir, { recursive: true });
});

// What binds a model to its run's config and tokenizer (modelBinding, checked by checkModelMatches): keys that
// do not change a layer's shape, and a vocabulary of the same size, were not compared before.
Deno.test("a config.json whose learning rate was edited after training is refused by evaluate and --resume, naming the key", async () => {
  const id = await fresh("edited-lr");
  const dir = `${resultsDir}/${id}`;
  const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ ...cfg, learningRate: cfg.learningRate * 2 }),
  );
  const err = await assertRejects(() => openRun(resultsDir, id), RunError);
  assertStringIncludes(err.message, `config.json sets learningRate ${cfg.learningRate * 2}`);
  assertStringIncludes(err.message, `was trained with ${cfg.learningRate}`);
  await assertRejects(
    () => runExperiment(resolveConfig("default", { resultsDir }), { ...quiet, resume: id }),
    ResumeError,
    "learningRate",
  );
  // the keys a resume or an evaluation may change are not bound: the run opens with them changed
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ ...cfg, epochs: 9, beamWidth: 2, data: "/elsewhere", resultsDir: "/other" }),
  );
  assertEquals((await openRun(resultsDir, id)).cfg.epochs, 9);
});

Deno.test("a tokenizer.json of the same size with two words swapped is refused: its SHA-256 is not the model's", async () => {
  const id = await fresh("swapped-words");
  const path = `${resultsDir}/${id}/tokenizer.json`;
  const tok = JSON.parse(await Deno.readTextFile(path));
  [tok.words[0], tok.words[1]] = [tok.words[1], tok.words[0]];
  await Deno.writeTextFile(path, JSON.stringify(tok));
  await assertRejects(() => openRun(resultsDir, id), RunError, "is not the vocabulary");
});

Deno.test("a model folder saved before bindings were recorded still opens (sizes and shapes checked as before)", async () => {
  const id = await fresh("unbound");
  const dir = `${resultsDir}/${id}`;
  const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  for (const d of ["best", "checkpoint"]) {
    const json = JSON.parse(await Deno.readTextFile(`${dir}/${d}/model.json`));
    assertEquals(typeof json.userDefinedMetadata.tokenizerSha256, "string", `${d} records the binding`);
    delete json.userDefinedMetadata.tokenizerSha256;
    delete json.userDefinedMetadata.trainedWith;
    await Deno.writeTextFile(`${dir}/${d}/model.json`, JSON.stringify(json));
  }
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ ...cfg, learningRate: cfg.learningRate * 2 }),
  );
  assertEquals((await openRun(resultsDir, id)).cfg.learningRate, cfg.learningRate * 2);
});

/** `--resume ID --epochs=2` in this process, as main.ts does it. */
const resumeTwoEpochs = (id: string) =>
  runExperiment(resolveConfig("default", { resultsDir }), {
    ...quiet,
    resume: id,
    resumeOverrides: { epochs: 2 },
  });

Deno.test("--resume of a run with a checkpoint but no readable tokenizer.json is refused naming the file, which is not rewritten", async () => {
  const id = await fresh("no-tokenizer");
  const dir = `${resultsDir}/${id}`;
  await Deno.writeTextFile(`${dir}/tokenizer.json`, "{not json");
  await assertRejects(
    () => resumeTwoEpochs(id),
    ResumeError,
    `${dir}/tokenizer.json`,
  );
  assertEquals(await Deno.readTextFile(`${dir}/tokenizer.json`), "{not json");
});

Deno.test("a checkpoint with a broken state.json, optimizer.json or optimizer.bin is refused on --resume naming the file", async () => {
  const breaks: [string, (dir: string) => Promise<void>, string][] = [
    [
      "state.json",
      (d) => Deno.writeTextFile(`${d}/state.json`, '{"epoch": 1, "hi'),
      "is missing or not JSON",
    ],
    ["optimizer.json", (d) => Deno.writeTextFile(`${d}/optimizer.json`, "{}"), "lists no optimizer entries"],
    ["optimizer.bin", async (d) => {
      const bytes = await Deno.readFile(`${d}/optimizer.bin`);
      await Deno.writeFile(`${d}/optimizer.bin`, bytes.subarray(0, bytes.length - 2));
    }, "not whole float32 values"],
    ["optimizer.bin", async (d) => {
      const bytes = await Deno.readFile(`${d}/optimizer.bin`);
      await Deno.writeFile(`${d}/optimizer.bin`, bytes.subarray(0, bytes.length - 4));
    }, "optimizer.json describes"],
  ];
  for (const [i, [file, breakIt, says]] of breaks.entries()) {
    const id = await fresh(`broken-checkpoint-${i}`);
    const ck = `${resultsDir}/${id}/checkpoint`;
    await breakIt(ck);
    const err = await assertRejects(
      () => resumeTwoEpochs(id),
      ResumeError,
    );
    assertStringIncludes(err.message, `cannot resume: ${ck}/${file}`);
    assertStringIncludes(err.message, says);
  }
});

Deno.test("a run resumed with fewer epochs, or less patience, than it has used ends at once and records how", async () => {
  const cases = [
    { name: "fewer-epochs", state: { stopped: "" }, over: { epochs: 1 }, ended: "completed" },
    {
      name: "less-patience",
      state: { stopped: "", wait: 1 },
      over: { epochs: 5, patience: 1 },
      ended: "early_stopping",
    },
  ];
  for (const c of cases) {
    const id = await fresh(c.name);
    const path = `${resultsDir}/${id}/checkpoint/state.json`;
    // as if interrupted after epoch 1 (of more), before the loop recorded an ending
    await Deno.writeTextFile(
      path,
      JSON.stringify({ ...JSON.parse(await Deno.readTextFile(path)), ...c.state }),
    );
    const lines: string[] = [];
    const r = await runExperiment(resolveConfig("default", { resultsDir }), {
      log: (l) => lines.push(l),
      resume: id,
      resumeOverrides: c.over,
    });
    r.model.dispose();
    assertEquals(r.train.history.length, 1, `${c.name}: no epoch trained`);
    assertEquals(r.train.stopped, c.ended);
    assertEquals(JSON.parse(await Deno.readTextFile(path)).stopped, c.ended, `${c.name}: recorded`);
    assert(lines.some((l) => l.startsWith(`the run has ended (${c.ended})`)), lines.join("\n"));
    assertEquals(
      (await listRuns(resultsDir)).runs.find((x) => x.id === id)?.status,
      "evaluated",
      `${c.name}: listed as ended`,
    );
  }
});
