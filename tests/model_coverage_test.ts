// Coverage (lib/model/attention.ts): the sequential attention against a plain-JavaScript computation of the
// formulas, its gradient against finite differences, the training loss it adds, and the decoders (batched,
// loop, beam) agreeing on models with coverage and copy attention without leaking tensors.
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertGreater } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { beamSearch, modelStepper } from "../lib/infer/beam.ts";
import { greedyDecodeBatch, greedyDecodeLoop } from "../lib/infer/greedy.ts";
import { extractInferenceModels } from "../lib/infer/models.ts";
import { BahdanauAttention } from "../lib/model/attention.ts";
import { loadModelDir, saveModelDir } from "../lib/model/io.ts";
import { expectedParamCounts, LAYER, modelOutputs } from "../lib/model/seq2seq.ts";
import { disposeBatch, makeBatch } from "../lib/train/batches.ts";
import { makeOptimizer, makeTrainStep } from "../lib/train/loop.ts";
import { maskedLoss } from "../lib/train/loss.ts";
import { SMALL, smallData } from "./fixtures/seq2seq_subject.ts";
import {
  encoderRows,
  randomTensor,
  shiftOutputBias,
  tinyConfig,
  tinyModel,
} from "./fixtures/tiny_seq2seq.ts";
import { EOS } from "../lib/data/tokenizer.ts";

await initBackend({ backend: "cpu" });

Deno.test("coverage attention equals the formulas computed in plain JavaScript (weights, coverage loss, coverage)", async () => {
  const [b, td, te, ud, ue, a] = [2, 3, 4, 3, 5, 4];
  const layer = new BahdanauAttention({ units: a, coverage: true });
  const dec = randomTensor([b, td, ud], 1), enc = randomTensor([b, te, ue], 2);
  const tokens = tf.tensor2d([[5, 6, 7, 0], [8, 9, 10, 11]], [b, te], "int32");
  const [ctx, w, covLoss, covEnd] = layer.apply([dec, enc, tokens]) as tf.Tensor[];
  assertEquals([ctx.shape, w.shape, covLoss.shape, covEnd.shape], [[b, td, ue], [b, td, te], [b, td], [
    b,
    te,
  ]]);
  const [W1, W2, v, wc] = await Promise.all(layer.getWeights().map((x) => x.array())) as number[][][];
  const D = await dec.array() as number[][][], E = await enc.array() as number[][][];
  const T = await tokens.array() as number[][];
  const got = { w: await w.array() as number[][][], loss: await covLoss.array() as number[][] };
  const gotCov = await covEnd.array() as number[][];
  for (let i = 0; i < b; i++) {
    const cov = new Array(te).fill(0);
    for (let t = 0; t < td; t++) {
      const scores = Array.from({ length: te }, (_, s) => {
        let sum = 0;
        for (let k = 0; k < a; k++) {
          let x = wc[0][k] * cov[s];
          for (let j = 0; j < ud; j++) x += D[i][t][j] * W1[j][k];
          for (let j = 0; j < ue; j++) x += E[i][s][j] * W2[j][k];
          sum += v[k][0] * Math.tanh(x);
        }
        return T[i][s] === 0 ? -Infinity : sum;
      });
      const m = Math.max(...scores);
      const ex = scores.map((x) => Math.exp(x - m));
      const z = ex.reduce((p, q) => p + q, 0);
      const alpha = ex.map((x) => x / z);
      let loss = 0;
      for (let s = 0; s < te; s++) {
        assertAlmostEquals(got.w[i][t][s], alpha[s], 1e-5, `alpha ${i},${t},${s}`);
        loss += Math.min(alpha[s], cov[s]);
        cov[s] += alpha[s];
      }
      assertAlmostEquals(got.loss[i][t], loss, 1e-5, `coverage loss ${i},${t}`);
    }
    for (let s = 0; s < te; s++) assertAlmostEquals(gotCov[i][s], cov[s], 1e-5, `coverage ${i},${s}`);
  }
  // the first position has nothing to cover yet; later ones do
  assertEquals(got.loss[0][0], 0);
  assertGreater(got.loss[0][2], 0);
  tf.dispose([dec, enc, tokens, ctx, w, covLoss, covEnd]);
  layer.dispose();
});

Deno.test("the coverage weight's gradient matches central finite differences", async () => {
  const layer = new BahdanauAttention({ units: 3, coverage: true });
  const dec = randomTensor([2, 4, 3], 5), enc = randomTensor([2, 5, 4], 6);
  const tokens = tf.tensor2d([[5, 6, 7, 8, 0], [8, 9, 10, 11, 12]], [2, 5], "int32");
  const r = randomTensor([2, 4, 5], 7);
  layer.apply([dec, enc, tokens]);
  const wc = layer.trainableWeights.find((w) => w.name.includes("w_coverage"))!.read() as tf.Variable;
  tf.tidy(() => wc.assign(randomTensor(wc.shape, 8, 2)));
  // both paths of w_coverage: through the weights (weighted by r) and through the coverage loss
  const f = () =>
    tf.tidy(() => {
      const [, w, loss] = layer.apply([dec, enc, tokens]) as tf.Tensor[];
      return tf.add(tf.sum(tf.mul(w, r)), tf.sum(loss)) as tf.Scalar;
    });
  const { grads } = tf.variableGrads(f, [wc]);
  const g = await grads[wc.name].data();
  const base = await wc.data() as Float32Array;
  const eps = 1e-3;
  for (let k = 0; k < base.length; k++) {
    const at = (delta: number) => {
      const moved = base.slice();
      moved[k] += delta;
      wc.assign(tf.tensor(moved, wc.shape));
      const y = f();
      const value = y.dataSync()[0];
      y.dispose();
      return value;
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    wc.assign(tf.tensor(base, wc.shape));
    assertAlmostEquals(g[k], numeric, 2e-2 * Math.max(1, Math.abs(numeric)), `w_coverage[${k}]`);
  }
  tf.dispose([dec, enc, tokens, r, ...Object.values(grads)]);
  layer.dispose();
});

Deno.test("a training step with coverage reports the cross-entropy and descends on cross-entropy + coverage loss", async () => {
  const cfg = { ...SMALL, coverage: true, dropout: 0 };
  const model = tinyModel(cfg, 4, 0.5);
  assertEquals(model.countParams(), Object.values(expectedParamCounts(cfg)).reduce((s, n) => s + n, 0));
  const batch = makeBatch(
    smallData(cfg),
    Int32Array.from({ length: cfg.batchSize }, (_, i) => i),
    cfg.maxInputLen,
    cfg.maxOutputLen,
  );
  const ce = tf.tidy(() =>
    maskedLoss(modelOutputs(model.apply([batch.encoder, batch.decoder]) as tf.Tensor[]).probs, batch.target)
  );
  const step = makeTrainStep(model, makeOptimizer(cfg), cfg);
  const { loss, correct } = step(batch);
  assertAlmostEquals(
    (await loss.data())[0],
    (await ce.data())[0],
    1e-5,
    "the loss returned is the cross-entropy before the update",
  );
  tf.dispose([loss, correct]);
  // the first step creates RMSprop's accumulators; later steps leave nothing behind
  const n0 = tf.memory().numTensors;
  tf.dispose(Object.values(step(batch)));
  assertEquals(tf.memory().numTensors, n0, "a step leaves no tensor behind");
  const total = () =>
    tf.tidy(() => {
      const out = modelOutputs(model.apply([batch.encoder, batch.decoder]) as tf.Tensor[]);
      const mask = tf.cast(tf.notEqual(batch.target, 0), "float32");
      return tf.add(
        maskedLoss(out.probs, batch.target),
        tf.div(tf.sum(tf.mul(out.coverageLoss!, mask)), tf.sum(mask)),
      ).dataSync()[0];
    });
  const before = total();
  for (let i = 0; i < 5; i++) tf.dispose(Object.values(step(batch)));
  assert(total() < before, "five steps lower cross-entropy + coverage loss");
  tf.dispose([ce]);
  disposeBatch(batch);
  model.dispose();
});

// seeds and eostok bias shifts that give outputs of several lengths (0 to 6 tokens) for these inputs
const DECODER_CASES: [{ coverage: boolean; copy?: boolean }, number, number][] = [
  [{ coverage: true }, 4, 2],
  [{ coverage: true, copy: true }, 17, 4],
];

for (const [overrides, seed, eosShift] of DECODER_CASES) {
  Deno.test(`batched greedy, the loop and beam width 1 agree and leak nothing (${JSON.stringify(overrides)})`, async () => {
    const cfg = tinyConfig(overrides);
    const model = tinyModel(cfg, seed, 1);
    shiftOutputBias(model, EOS, eosShift);
    const inf = extractInferenceModels(model);
    const tin = cfg.maxInputLen, n = 9;
    const rows = encoderRows(n, cfg, 5);
    const ext = rows.map((id, k) => (k % 3 === 1 && id !== 0 ? cfg.vocabSize + (k % tin) : id));
    const row = (m: Int32Array, i: number) => m.subarray(i * tin, (i + 1) * tin);
    const beam1 = async (i: number) => {
      const stepper = modelStepper(inf, row(rows, i), row(ext, i));
      try {
        return await beamSearch(stepper, { beamWidth: 1, lengthPenalty: 0, maxLen: 6 });
      } finally {
        stepper.dispose();
      }
    };
    await greedyDecodeBatch(inf, row(rows, 0), 1, { maxLen: 2, extended: row(ext, 0) }); // warm-up (see model_pointer_test)
    await greedyDecodeLoop(inf, row(rows, 0), 2, row(ext, 0));
    await beam1(0);
    const before = tf.memory().numTensors;
    const batched = await greedyDecodeBatch(inf, rows, n, { maxLen: 6, batchSize: 4, extended: ext });
    for (let i = 0; i < n; i++) {
      const loop = await greedyDecodeLoop(inf, row(rows, i), 6, row(ext, i));
      const beam = await beam1(i);
      assertEquals(loop.ids, batched[i].ids, `loop, input ${i}`);
      assertEquals(beam.ids, batched[i].ids, `beam width 1, input ${i}`);
      assertAlmostEquals(loop.logProb, batched[i].logProb, 1e-4);
    }
    assertEquals(tf.memory().numTensors, before);
    // not a trivial case: outputs of several lengths; with copy attention, some copied (extended) ids
    assertGreater(new Set(batched.map((d) => d.ids.length)).size, 1);
    if (overrides.copy) {
      assert(batched.some((d) => d.ids.some((id) => id >= cfg.vocabSize)), "something was copied");
    }
    model.dispose();
  });
}

Deno.test("a saved model with coverage and copy attention loads with both and decodes the same", async () => {
  const cfg = tinyConfig({ coverage: true, copy: true });
  const model = tinyModel(cfg, 23, 1.5);
  const dir = await Deno.makeTempDir();
  try {
    await saveModelDir(model, `${dir}/m`);
    const loaded = await loadModelDir(`${dir}/m`);
    assert((loaded.getLayer(LAYER.attention) as BahdanauAttention).coverage);
    const rows = encoderRows(6, cfg, 9);
    const a = await greedyDecodeBatch(extractInferenceModels(model), rows, 6, { maxLen: 5 });
    const b = await greedyDecodeBatch(extractInferenceModels(loaded), rows, 6, { maxLen: 5 });
    assertEquals(b.map((d) => d.ids), a.map((d) => d.ids));
    loaded.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    model.dispose();
  }
});
