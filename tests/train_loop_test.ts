import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { resolveConfig } from "../lib/config.ts";
import { loadModelDir } from "../lib/model/io.ts";
import { buildSeq2Seq } from "../lib/model/seq2seq.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import { readCheckpoint, type TrainState } from "../lib/train/checkpoint.ts";
import { evaluateLoss, TrainingDivergedError, trainModel } from "../lib/train/loop.ts";
import { seedEverything } from "../lib/train/seed.ts";
import { syntheticPairs } from "./fixtures/synthetic.ts";
import { pathExists } from "../lib/io/exists.ts";

await initBackend({ backend: "wasm", blas: false });

const small = (over: Record<string, unknown> = {}) =>
  resolveConfig("tiny", {
    vocabSize: 30,
    maxInputLen: 8,
    maxOutputLen: 6,
    embeddingDim: 16,
    units: 32,
    attentionUnits: 16,
    batchSize: 12,
    dropout: 0,
    seed: 3,
    ...over,
  });

const quiet = () => {};

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => m = Math.max(m, Math.abs(v - b[i][j]))));
  return m;
}

Deno.test("trainModel() overfits a few dozen pairs: masked training accuracy near 1", async () => {
  const cfg = small({ epochs: 60, patience: 60, learningRate: 0.01, clipNorm: 5 });
  const data = syntheticPairs(36, cfg, 11);
  seedEverything(cfg.seed, 0);
  const model = accelerate(buildSeq2Seq(cfg), { layers: cfg.fastLayers });
  const r = await trainModel({ cfg, model, train: data, val: data, log: quiet });
  const fit = await evaluateLoss(model, data, cfg);
  assert(fit.acc > 0.95, `masked accuracy after overfitting was ${fit.acc}`);
  assert(r.history[0].loss > 2 * fit.loss, `loss fell from ${r.history[0].loss} to ${fit.loss}`);
  model.dispose();
});

Deno.test("trainModel() leaves tf.memory().numTensors the same after epoch 2 as after epoch 1", async () => {
  const cfg = small({ epochs: 3, patience: 5 });
  const data = syntheticPairs(30, cfg, 5);
  seedEverything(cfg.seed, 0);
  const model = accelerate(buildSeq2Seq(cfg), { layers: cfg.fastLayers });
  const counts: number[] = [];
  await trainModel({
    cfg,
    model,
    train: data,
    val: data,
    log: quiet,
    onEpochEnd: () => {
      counts.push(tf.memory().numTensors);
    },
  });
  assertEquals(counts.length, 3);
  assertEquals(counts[1], counts[0], `tensors after each epoch: ${counts.join(", ")}`);
  assertEquals(counts[2], counts[1], `tensors after each epoch: ${counts.join(", ")}`);
  model.dispose();
});

Deno.test("trainModel() stops early on validation loss and restores the best epoch's weights", async () => {
  // validation pairs unrelated to the training pairs: validation loss turns up once the model memorises
  const cfg = small({ epochs: 40, patience: 2, learningRate: 0.02 });
  const train = syntheticPairs(24, cfg, 21), val = syntheticPairs(24, cfg, 22);
  const runDir = await Deno.makeTempDir({ prefix: "early-" });
  seedEverything(cfg.seed, 0);
  const model = accelerate(buildSeq2Seq(cfg), { layers: cfg.fastLayers });
  const r = await trainModel({ cfg, model, train, val, runDir, log: quiet });
  assertEquals(r.stopped, "early_stopping");
  const losses = r.history.map((h) => h.valLoss);
  const argmin = losses.indexOf(Math.min(...losses)) + 1;
  assertEquals(r.bestEpoch, argmin);
  assertEquals(r.history.length, r.bestEpoch + cfg.patience);
  const best = await loadModelDir(`${runDir}/best`);
  assertEquals(maxAbsDiff(await weightsOf(model), await weightsOf(best)), 0);
  const again = await evaluateLoss(model, val, cfg);
  assertAlmostEquals(again.loss, r.bestValLoss, 1e-5);
  best.dispose();
  model.dispose();
  await Deno.remove(runDir, { recursive: true });
});

Deno.test("trainModel() stops on a NaN loss with a clear error and keeps the last good checkpoint", async () => {
  const cfg = small({ epochs: 5, patience: 5 });
  const data = syntheticPairs(24, cfg, 8);
  const runDir = await Deno.makeTempDir({ prefix: "nan-" });
  seedEverything(cfg.seed, 0);
  const model = accelerate(buildSeq2Seq(cfg), { layers: cfg.fastLayers });
  const err = await assertRejects(
    () =>
      trainModel({
        cfg,
        model,
        train: data,
        val: data,
        runDir,
        log: quiet,
        onEpochEnd: (log) => {
          // corrupt one weight after epoch 1: epoch 2's first step produces NaN
          if (log.epoch === 1) {
            const w = model.getLayer("output_softmax").getWeights();
            model.getLayer("output_softmax").setWeights(w.map((t, i) => i === 0 ? tf.fill(t.shape, NaN) : t));
          }
        },
      }),
    TrainingDivergedError,
  );
  assert(/epoch 2, step 1\//.test(err.message), err.message);
  assert(err.message.includes("last good checkpoint (epoch 1)"), err.message);
  const ck = await readCheckpoint(`${runDir}/checkpoint`);
  assertEquals(ck?.state.epoch, 1);
  const w = await weightsOf(ck!.model);
  assert(w.every((a) => a.every(Number.isFinite)), "the checkpoint holds finite weights");
  ck!.model.dispose();
  model.dispose();
  await Deno.remove(runDir, { recursive: true });
});

/** tests/fixtures/train_child.ts on `runDir`; `haltAt` ("E:S") makes it wait after step S of epoch E to be killed. */
function runChild(runDir: string, resume: boolean, haltAt = ""): Deno.ChildProcess {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tests/fixtures/train_child.ts", runDir, ...(resume ? ["--resume"] : [])],
    env: { HALT_AT: haltAt, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  return cmd.spawn();
}

async function finish(child: Deno.ChildProcess): Promise<string> {
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(out.success, `child failed:\n${text}`);
  return text;
}

Deno.test("a training run killed mid-epoch resumes from its last checkpoint and ends with the same weights and history", async () => {
  const base = await Deno.makeTempDir({ prefix: "resume-" });
  // the uninterrupted reference
  await finish(runChild(`${base}/full`, false));
  // the same run, killed after step 2 of epoch 3 (it waits there, having written `halted`)
  const killed = runChild(`${base}/killed`, false, "3:2");
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !(await pathExists(`${base}/killed/halted`))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assertEquals(
    await Deno.readTextFile(`${base}/killed/halted`),
    "3 2",
    "the child reached step 2 of epoch 3",
  );
  killed.kill("SIGKILL");
  await killed.output();
  const afterKill = JSON.parse(await Deno.readTextFile(`${base}/killed/checkpoint/state.json`)) as TrainState;
  assertEquals(afterKill.epoch, 2, "the last checkpoint is epoch 2's");
  const log = await finish(runChild(`${base}/killed`, true));
  assert(log.includes(`resumed from ${base}/killed/checkpoint after epoch ${afterKill.epoch}`), log);

  const full = await readCheckpoint(`${base}/full/checkpoint`);
  const resumed = await readCheckpoint(`${base}/killed/checkpoint`);
  const strip = (s: TrainState) => s.history.map(({ seconds: _s, ...rest }) => rest);
  assertEquals(strip(resumed!.state), strip(full!.state));
  const a = await loadModelDir(`${base}/full/final`), b = await loadModelDir(`${base}/killed/final`);
  assertEquals(maxAbsDiff(await weightsOf(a), await weightsOf(b)), 0);
  for (const m of [a, b, full!.model, resumed!.model]) m.dispose();
  await Deno.remove(base, { recursive: true });
});

Deno.test("a run paused after its best epoch and resumed in a new process's model still ends on the best weights", async () => {
  // as in the early-stopping test: validation turns up, so the best epoch comes before the end
  const cfg = small({ epochs: 40, patience: 2, learningRate: 0.02 });
  const train = syntheticPairs(24, cfg, 21), val = syntheticPairs(24, cfg, 22);
  const fresh = () => {
    seedEverything(cfg.seed, 0);
    return accelerate(buildSeq2Seq(cfg), { layers: cfg.fastLayers });
  };
  const base = await Deno.makeTempDir({ prefix: "resume-best-" });
  const whole = fresh();
  const ref = await trainModel({ cfg, model: whole, train, val, runDir: `${base}/whole`, log: quiet });
  assertEquals(ref.stopped, "early_stopping");

  // pause right after the best epoch, then resume with a new model object (what --resume does)
  const first = fresh();
  const paused = await trainModel({
    cfg,
    model: first,
    train,
    val,
    runDir: `${base}/sliced`,
    log: quiet,
    maxEpochsThisCall: ref.bestEpoch,
  });
  assertEquals(paused.stopped, "paused");
  first.dispose();
  const second = fresh();
  const lines: string[] = [];
  const resumed = await trainModel({
    cfg,
    model: second,
    train,
    val,
    runDir: `${base}/sliced`,
    resume: true,
    log: (l) => lines.push(l),
  });
  assert(
    lines[0].startsWith(`resumed from ${base}/sliced/checkpoint after epoch ${ref.bestEpoch}`),
    lines[0],
  );
  assertEquals(resumed.stopped, "early_stopping");
  assertEquals(resumed.bestEpoch, ref.bestEpoch);
  assertEquals(resumed.history.map((h) => h.valLoss), ref.history.map((h) => h.valLoss));
  assertEquals(maxAbsDiff(await weightsOf(second), await weightsOf(whole)), 0);
  const history = JSON.parse(await Deno.readTextFile(`${base}/sliced/history.json`));
  assertEquals(history.length, ref.history.length);
  whole.dispose();
  second.dispose();
  await Deno.remove(base, { recursive: true });
});
