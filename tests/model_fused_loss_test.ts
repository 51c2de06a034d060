// The loss from logits (lib/speed/fused_loss.ts) against the loss from probabilities (lib/train/loss.ts), the
// reference: values, accuracy counts and gradients (w.r.t. the logits and w.r.t. every weight of a model) on cpu (tfjs
// ops) and wasm (the fused kernels), padding, NaN, memory, a copy-attention model (given the copy loss:
// tests/model_fused_copy_loss_test.ts), and the training step's loss trajectory against the old one.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLessOrEqual, assertNotEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { COPY_CE, SOFTMAX_CE } from "../lib/backend/simd/ops.ts";
import { kernelUsage } from "../lib/backend/usage.ts";
import type { Config } from "../lib/config.ts";
import { resolveConfig } from "../lib/config.ts";
import { buildSeq2Seq, modelOutputs } from "../lib/model/seq2seq.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import {
  applyForLogits,
  fastBatchLoss,
  fusedLossBlocker,
  LOSS_EPSILON,
  lossFromCopyLogits,
  lossFromLogits,
  maskedCrossEntropy,
  realRowStats,
} from "../lib/speed/fused_loss.ts";
import { batchInputs, disposeBatch, makeBatch } from "../lib/train/batches.ts";
import { evaluateLoss, makeOptimizer, makeTrainStep, trainModel } from "../lib/train/loop.ts";
import { maskedCorrect, maskedLoss, maskedMean, PROB_EPSILON } from "../lib/train/loss.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { closeness, seedMathRandom, valuesOnBackends } from "./fixtures/equivalence.ts";
import { disposeDropoutMasks, SMALL, smallData } from "./fixtures/seq2seq_subject.ts";

await initBackend({ backend: "wasm", blas: false }); // installs the fused kernels

/** Calls the fused forward kernel served on wasm so far. */
const fusedCalls = () =>
  kernelUsage().find((u) => u.backend === "wasm" && u.kernel === SOFTMAX_CE)?.calls.simd ?? 0;
/** Calls of the copy-attention one (lib/backend/simd/ops.ts `copyCrossEntropy`). */
const copyCalls = () =>
  kernelUsage().find((u) => u.backend === "wasm" && u.kernel === COPY_CE)?.calls.simd ?? 0;

const rand = (shape: number[], seed: number, scale = 1) => {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale), shape);
};

/** Targets (B, T) with ids in 1..v-1 and the last `b % T` positions of row b padded. */
function targets(b: number, t: number, v: number, seed: number): tf.Tensor2D {
  const r = mulberry32(seed);
  const ids = Array.from(
    { length: b },
    (_, i) => Array.from({ length: t }, (_, j) => j < t - (i % t) ? 1 + Math.floor(r() * (v - 1)) : 0),
  );
  return tf.tensor2d(ids, [b, t], "int32");
}

/** The old path on logits: the softmax, then the loss and the count of lib/train/loss.ts. */
const probsOf = (logits: tf.Tensor) => tf.softmax(logits) as tf.Tensor3D;
const fusedLoss = (logits: tf.Tensor, y: tf.Tensor2D) =>
  maskedMean(maskedCrossEntropy(logits as tf.Tensor3D, y).nll, y);

for (const v of [37, 64]) {
  Deno.test(`the loss from logits, its correct count and its gradient w.r.t. the logits equal maskedLoss and maskedCorrect of the softmax, padding included, on cpu and wasm (V=${v})`, async () => {
    const before = fusedCalls();
    const results = await valuesOnBackends(() => {
      const logits = rand([4, 6, v], v, 4), y = targets(4, 6, v, v + 1);
      return [
        fusedLoss(logits, y),
        maskedLoss(probsOf(logits), y),
        tf.sum(maskedCrossEntropy(logits as tf.Tensor3D, y).hits),
        maskedCorrect(probsOf(logits), y),
        tf.grad((l: tf.Tensor) => fusedLoss(l, y))(logits),
        tf.grad((l: tf.Tensor) => maskedLoss(probsOf(l), y))(logits),
      ];
    });
    for (
      const [backend, [loss, lossRef, hits, hitsRef, grad, gradRef]] of [["cpu", results[0]], [
        "wasm",
        results[1],
      ]] as const
    ) {
      assertLessOrEqual(closeness(loss, lossRef, 1e-5, 0), 1, `${backend} loss ${loss} vs ${lossRef}`);
      assertEquals(hits, hitsRef, `${backend} correct`);
      assertLessOrEqual(closeness(grad, gradRef, 1e-4, 1e-7), 1, `${backend} gradient`);
    }
    assert(fusedCalls() > before, "wasm ran the fused kernel");
  });
}

Deno.test("a tie between the largest logits counts as a hit only for the first of them, as tf.argMax picks", () => {
  const logits = tf.tensor3d([[[0, 2, 2, 1], [3, 1, 3, 3], [1, 1, 1, 1]]]);
  const y = tf.tensor2d([[2, 0, 0]], [1, 3], "int32"); // row 0: tie at 1 and 2, target 2: a miss
  const y2 = tf.tensor2d([[1, 0, 1]], [1, 3], "int32"); // row 0: target 1, a hit; row 2: all equal, target 1: a miss
  for (const backend of ["wasm", "cpu"]) {
    tf.setBackend(backend);
    assertEquals([...maskedCrossEntropy(logits, y).hits.dataSync()], [0, 0, 0], backend);
    assertEquals([...maskedCrossEntropy(logits, y2).hits.dataSync()], [1, 0, 0], backend);
    assertEquals(maskedCorrect(probsOf(logits), y2).dataSync()[0], 1, backend);
  }
  tf.setBackend("wasm");
  tf.dispose([logits, y, y2]);
});

Deno.test("an all-padding batch has loss 0, 0 correct and a zero gradient from logits (no NaN), on cpu and wasm", async () => {
  for (
    const values of await valuesOnBackends(() => {
      const logits = rand([2, 3, 37], 5, 3), y = tf.zeros([2, 3], "int32") as tf.Tensor2D;
      return [
        fusedLoss(logits, y),
        tf.sum(maskedCrossEntropy(logits as tf.Tensor3D, y).hits),
        tf.grad((l) => fusedLoss(l, y))(logits),
      ];
    })
  ) {
    assertEquals([values[0][0], values[1][0]], [0, 0]);
    assert(values[2].every((g) => g === 0));
  }
});

Deno.test("a NaN logit makes the loss from logits NaN, at a real token and at a padded one, on cpu and wasm", async () => {
  for (const position of [[0, 0, 5], [1, 2, 5]]) { // (0, 0) is a real token, (1, 2) is padding
    for (
      const [loss] of await valuesOnBackends(() => {
        const y = tf.tensor2d([[4, 7, 9], [3, 0, 0]], [2, 3], "int32");
        const logits = tf.tensorScatterUpdate(rand([2, 3, 37], 6), [position], [NaN]);
        return fusedLoss(logits, y);
      })
    ) {
      assert(Number.isNaN(loss[0]), `NaN at ${position} gives ${loss[0]}`);
    }
  }
});

Deno.test("the loss from logits keeps the 1e-7 of the loss from probabilities: a probability far below it costs 16.1", async () => {
  assertEquals(LOSS_EPSILON, PROB_EPSILON);
  // p(target) = e^-40 / (1 + ...) ~ 4e-18: -log(p + 1e-7) = 16.118 on both paths (an exact cross-entropy would give 40)
  for (
    const [loss, ref] of await valuesOnBackends(() => {
      const logits = tf.tensor3d([[[40, 0, 0, 0, 0]]]), y = tf.tensor2d([[2]], [1, 1], "int32");
      return [fusedLoss(logits, y), maskedLoss(probsOf(logits), y)];
    })
  ) {
    assertLessOrEqual(closeness(loss, ref, 1e-6, 0), 1);
    assertLessOrEqual(Math.abs(loss[0] - -Math.log(1e-7)), 1e-4);
  }
});

/** A small config (lib's SMALL: vocabulary 64, padded targets) without dropout, so that gradients compare exactly. */
const NO_DROPOUT: Config = { ...SMALL, dropout: 0 };

/** The batch of `smallData(cfg)`, all its rows. */
function smallBatch(cfg: Config) {
  const rows = Int32Array.from({ length: cfg.batchSize }, (_, i) => i);
  return makeBatch(smallData(cfg), rows, cfg.maxInputLen, cfg.maxOutputLen, cfg.copy);
}

for (
  const [name, cfg] of [["", NO_DROPOUT], [" with coverage", { ...NO_DROPOUT, coverage: true }]] as const
) {
  Deno.test(`gradients w.r.t. every weight of a small model${name} agree between the loss from logits and from probabilities (fast layers, cpu and wasm)`, async () => {
    const before = fusedCalls();
    const results = await valuesOnBackends(() => {
      const restore = seedMathRandom(11);
      const model = accelerate(buildSeq2Seq(cfg));
      restore();
      const b = smallBatch(cfg);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const viaLogits = tf.variableGrads(() => {
        const { logits } = applyForLogits(model, batchInputs(b), { training: true });
        return fusedLoss(logits, b.target);
      }, vars);
      const viaProbs = tf.variableGrads(() => {
        const { probs } = modelOutputs(model.apply(batchInputs(b), { training: true }) as tf.Tensor[]);
        return maskedLoss(probs, b.target);
      }, vars);
      const out = [
        viaLogits.value,
        viaProbs.value,
        ...vars.flatMap((v) => [viaLogits.grads[v.name], viaProbs.grads[v.name]]),
      ];
      disposeBatch(b);
      model.dispose();
      return out;
    });
    for (const [backend, values] of [["cpu", results[0]], ["wasm", results[1]]] as const) {
      assertLessOrEqual(closeness(values[0], values[1], 1e-5, 0), 1, `${backend} loss`);
      for (let i = 2; i < values.length; i += 2) {
        // float32 sums in other orders; atol for the attention's gradients, ~1e-12 at initialisation (cancellations)
        assertLessOrEqual(
          closeness(values[i], values[i + 1], 1e-4, 1e-7),
          1,
          `${backend} weight ${i / 2 - 1}`,
        );
      }
    }
    assert(fusedCalls() > before, "wasm ran the fused kernel");
  });
}

Deno.test("evaluateLoss() from logits gives the loss and accuracies it gives from probabilities", async () => {
  const model = accelerate(buildSeq2Seq(NO_DROPOUT));
  const data = smallData(NO_DROPOUT);
  const before = fusedCalls();
  const fused = await evaluateLoss(model, data, NO_DROPOUT, lossFromLogits);
  assert(fusedCalls() > before, "the fused kernel ran");
  const old = await evaluateLoss(model, data, NO_DROPOUT);
  assertLessOrEqual(closeness([fused.loss], [old.loss], 1e-5, 0), 1);
  assertEquals([fused.acc, fused.acc1, fused.accRest, fused.tokens], [
    old.acc,
    old.acc1,
    old.accRest,
    old.tokens,
  ]);
  model.dispose();
});

/** `steps` training steps of a model built from `seed`, each with its own dropout seed: the losses and the weights. */
async function trajectory(cfg: Config, steps: number, fusedLoss: boolean, fast: boolean) {
  const restore = seedMathRandom(7);
  const model = accelerate(buildSeq2Seq(cfg), { layers: fast });
  const optimizer = makeOptimizer(cfg);
  const step = makeTrainStep(model, optimizer, cfg, fusedLoss ? lossFromLogits : undefined);
  const b = smallBatch(cfg);
  const losses: number[] = [], correct: number[] = [];
  for (let s = 0; s < steps; s++) {
    Math.random = mulberry32(1009 + s); // dropout draws
    const out = step(b);
    losses.push((await out.loss.data())[0]);
    correct.push((await out.correct.data())[0]);
    tf.dispose([out.loss, out.correct]);
  }
  restore();
  const weights = await Promise.all(model.getWeights().map((w) => w.data()));
  disposeBatch(b);
  optimizer.dispose();
  disposeDropoutMasks(model);
  model.dispose();
  return { losses, correct, weights };
}

Deno.test("makeTrainStep() from logits follows the loss trajectory of the loss from probabilities (tiny profile, 4 steps, same seed: wasm with fast layers, cpu with tfjs's)", async () => {
  const cfg = resolveConfig("tiny", { batchSize: 8 });
  for (const [backend, fast] of [["wasm", true], ["cpu", false]] as const) {
    await tf.setBackend(backend);
    const fused = await trajectory(cfg, 4, true, fast);
    const old = await trajectory(cfg, 4, false, fast);
    assertLessOrEqual(
      closeness(fused.losses, old.losses, 1e-4, 0),
      1,
      `${backend}: ${fused.losses} vs ${old.losses}`,
    );
    assertEquals(fused.correct, old.correct, backend);
    assertNotEquals(old.losses[0], old.losses[3], "the steps trained");
    fused.weights.forEach((w, i) => {
      const scale = Math.max(...old.weights[i].map(Math.abs));
      assertLessOrEqual(closeness(w, old.weights[i], 1e-3, 1e-4 * scale), 1, `${backend} weight ${i}`);
    });
  }
  await tf.setBackend("wasm");
});

Deno.test("a training step from logits leaves tf.memory().numTensors flat across steps (wasm), and validation does too", async () => {
  const model = accelerate(buildSeq2Seq(SMALL));
  const optimizer = makeOptimizer(SMALL);
  const step = makeTrainStep(model, optimizer, SMALL, lossFromLogits);
  const b = smallBatch(SMALL);
  tf.dispose(Object.values(step(b))); // the first step creates RMSprop's accumulators
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(Object.values(step(b)));
  await evaluateLoss(model, smallData(SMALL), SMALL, lossFromLogits);
  assertEquals(tf.memory().numTensors, n0);
  disposeBatch(b);
  optimizer.dispose();
  disposeDropoutMasks(model);
  model.dispose();
});

Deno.test("a copy-attention model gets the copy loss: fastBatchLoss() gives lossFromCopyLogits, lossFromLogits() refuses it, and its training step runs the copy kernel, not this one (tests/model_fused_copy_loss_test.ts checks its numbers)", async () => {
  const cfg: Config = { ...NO_DROPOUT, copy: true };
  const model = accelerate(buildSeq2Seq(cfg));
  assertEquals(fastBatchLoss(model), lossFromCopyLogits); // what lib/experiment.ts passes to trainModel
  assertEquals(fusedLossBlocker(model), "");
  const b = smallBatch(cfg);
  assertThrows(() => lossFromLogits(model, batchInputs(b), b.target, false), Error, "applyForCopyParts");
  const step = makeTrainStep(model, makeOptimizer(cfg), cfg, fastBatchLoss(model));
  const [before, copyBefore] = [fusedCalls(), copyCalls()];
  const ref = tf.tidy(() =>
    maskedLoss(modelOutputs(model.apply(batchInputs(b)) as tf.Tensor[]).probs, b.target).dataSync()[0]
  );
  const out = step(b);
  assertLessOrEqual(
    closeness([(await out.loss.data())[0]], [ref], 1e-6, 0),
    1,
    "maskedLoss of the probabilities",
  );
  assertEquals([fusedCalls() - before, copyCalls() - copyBefore], [0, 1]);
  tf.dispose([out.loss, out.correct]);
  disposeBatch(b);
  model.dispose();
});

Deno.test("with the fast output layer the loss from logits computes the real target positions only, and gives the loss of all positions; without the fast layer, all of them", () => {
  for (const copy of [false, true]) {
    const cfg: Config = { ...NO_DROPOUT, copy };
    const loss = copy ? lossFromCopyLogits : lossFromLogits;
    for (const fast of [true, false]) {
      const model = accelerate(buildSeq2Seq(cfg), { layers: fast });
      const b = smallBatch(cfg);
      const real = tf.tidy(() => tf.sum(tf.notEqual(b.target, 0)).dataSync()[0]);
      assert(real < b.target.size, "the batch has padding");
      const before = { ...realRowStats };
      const [got, want] = tf.tidy(() => {
        const out = loss(model, batchInputs(b), b.target, false);
        const probs = modelOutputs(model.apply(batchInputs(b)) as tf.Tensor[]).probs;
        return [maskedMean(out.nll, b.target).dataSync()[0], maskedLoss(probs, b.target).dataSync()[0]];
      });
      assertLessOrEqual(closeness([got], [want], 1e-5, 0), 1, `copy ${copy}, fast ${fast}`);
      const rows = realRowStats.rows - before.rows, positions = realRowStats.positions - before.positions;
      assertEquals([rows, positions], fast ? [real, b.target.size] : [0, 0], `copy ${copy}, fast ${fast}`);
      disposeBatch(b);
      model.dispose();
    }
  }
});

Deno.test("fusedLossBlocker() says why a model whose first output is not the softmax Dense keeps the loss from probabilities", () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: "softmax", name: "probs" })],
  });
  assertEquals(fastBatchLoss(model), undefined);
  assertEquals(fusedLossBlocker(model), "the first output is probs's, not output_softmax's");
  model.dispose();
});

Deno.test("trainModel() with the loss from logits gives the history of trainModel() with the loss from probabilities (2 epochs)", async () => {
  const cfg: Config = { ...SMALL, epochs: 2, batchSize: 2 };
  const run = async (batchLoss?: typeof lossFromLogits) => {
    const restore = seedMathRandom(3);
    const model = accelerate(buildSeq2Seq(cfg));
    const data = smallData({ ...cfg, batchSize: 4 });
    const { history } = await trainModel({ cfg, model, train: data, val: data, log: () => {}, batchLoss });
    restore();
    disposeDropoutMasks(model);
    model.dispose();
    return history;
  };
  const before = fusedCalls();
  const fused = await run(lossFromLogits);
  assert(fusedCalls() > before, "the fused kernel ran");
  const old = await run();
  for (const key of ["loss", "valLoss"] as const) {
    assertLessOrEqual(closeness(fused.map((h) => h[key]), old.map((h) => h[key]), 1e-4, 0), 1, key);
  }
  assertEquals(fused.map((h) => [h.acc, h.valAcc]), old.map((h) => [h.acc, h.valAcc]));
});
