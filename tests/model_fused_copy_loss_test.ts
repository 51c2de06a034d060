// The loss from logits of a copy-attention model (lib/speed/fused_loss.ts: lossFromCopyLogits, with the
// copyCrossEntropy kernels of lib/backend/simd/ops.ts) against the loss from probabilities (lib/train/loss.ts, the
// model's own (B, T, V + Tin) distribution), the reference: per-position losses and hits, gradients w.r.t. every weight,
// a few training steps, memory, coverage, and the model left as it was.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLessOrEqual, assertNotEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { COPY_CE } from "../lib/backend/simd/ops.ts";
import { kernelUsage } from "../lib/backend/usage.ts";
import { type Config, resolveConfig } from "../lib/config.ts";
import { PointerGenerator } from "../lib/model/pointer.ts";
import { buildSeq2Seq, LAYER, modelOutputs } from "../lib/model/seq2seq.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import {
  applyForCopyParts,
  applyForLogits,
  fastBatchLoss,
  fusedLossBlocker,
  lossFromCopyLogits,
  lossFromLogits,
} from "../lib/speed/fused_loss.ts";
import { batchInputs, disposeBatch, makeBatch, type SeqData } from "../lib/train/batches.ts";
import { evaluateLoss, lossFromProbs, makeOptimizer, makeTrainStep } from "../lib/train/loop.ts";
import { maskedMean } from "../lib/train/loss.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { closeness, seedMathRandom, valuesOnBackends } from "./fixtures/equivalence.ts";
import { disposeDropoutMasks } from "./fixtures/seq2seq_subject.ts";

await initBackend({ backend: "wasm", blas: false }); // installs the fused kernels

/** Calls of the fused copy kernel served on wasm so far. */
const fusedCalls = () =>
  kernelUsage().find((u) => u.backend === "wasm" && u.kernel === COPY_CE)?.calls.simd ?? 0;

/** The tiny profile with copy attention, shrunk: V = 20, Tin = 6 (extended ids up to 25), Tout = 5, no dropout. */
const CFG: Config = resolveConfig("tiny", {
  vocabSize: 20,
  maxInputLen: 6,
  maxOutputLen: 5,
  embeddingDim: 8,
  units: 8,
  attentionUnits: 8,
  batchSize: 5,
  dropout: 0,
  clipNorm: 1,
  copy: true,
});

/**
 * Five rows that cover the cases: words outside the vocabulary (id 1 in the encoder's and decoder's input, `V + i` of
 * their first position `i` in the extended ids) that the target copies, a word and an unknown one each twice in the
 * input (their attention adds up), a target id outside the vocabulary that is not in the input (probability 0), a
 * target that is the padding id's own column elsewhere, padded inputs and targets, and a row that is all padding.
 */
function copyData(): SeqData {
  const V = CFG.vocabSize;
  const encExt = [
    [5, 7, 5, V + 3, 9, V + 3], // 5 twice, an unknown word (id V + 3) twice
    [6, V + 1, 8, 0, 0, 0], // an unknown word at position 1, then padding
    [V, V, V, 4, 6, 4], // an unknown word three times (the copying model's arg-max), a known one twice
    [11, 12, 0, 0, 0, 0], // the all-padding target row
    [13, V + 1, 14, V + 3, 15, 16], // two unknown words
  ];
  const decOutExt = [
    [5, V + 3, 7, 3, 0],
    [V + 1, 6, V + 4, 3, 0], // V + 4: outside the vocabulary and not in this input
    [V, 4, 3, 0, 0],
    [0, 0, 0, 0, 0],
    [V + 3, 13, V + 1, 16, 3],
  ];
  const inVocab = (id: number) => (id >= V ? 1 : id); // unknown words read as OOV (1)
  const decIn = decOutExt.map((row) => [2, ...row.slice(0, -1).map(inVocab)]);
  return {
    n: encExt.length,
    encIn: Int32Array.from(encExt.flat().map(inVocab)),
    decIn: Int32Array.from(decIn.flat()),
    decOut: Int32Array.from(decOutExt.flat().map(inVocab)),
    encExt: Int32Array.from(encExt.flat()),
    decOutExt: Int32Array.from(decOutExt.flat()),
  };
}

const allRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const copyBatch = (cfg: Config = CFG) =>
  makeBatch(copyData(), allRows(cfg.batchSize), cfg.maxInputLen, cfg.maxOutputLen, true);

/** The copy model built from seed 11 with the fast layers; `gateBias` sets the pointer's bias (the gate's logit). */
function copyModel(cfg: Config = CFG, gateBias?: number): tf.LayersModel {
  const restore = seedMathRandom(11);
  const model = accelerate(buildSeq2Seq(cfg));
  restore();
  if (gateBias !== undefined) {
    const b = model.getLayer(LAYER.pointer).weights.find((w) => /\/b(_\d+)?$/.test(w.name))!; // tfjs numbers a name taken
    b.write(tf.tensor1d([gateBias]));
  }
  return model;
}

for (
  const [name, bias] of [
    ["as built", undefined],
    ["copying: gate bias -4", -4],
    ["generating: gate bias +2", 2],
  ] as const
) {
  Deno.test(`the copy loss from logits gives lossFromProbs's per-position nll and hits, copied and unknown targets, duplicate input words and padding included, on cpu and wasm (${name})`, async () => {
    const before = fusedCalls();
    const results = await valuesOnBackends(() => {
      const model = copyModel(CFG, bias);
      const b = copyBatch();
      const fused = lossFromCopyLogits(model, batchInputs(b), b.target, false);
      const ref = lossFromProbs(model, batchInputs(b), b.target, false);
      const out = [fused.nll, ref.nll, fused.hits, ref.hits];
      disposeBatch(b);
      model.dispose();
      return out;
    });
    for (
      const [backend, [nll, nllRef, hits, hitsRef]] of [["cpu", results[0]], ["wasm", results[1]]] as const
    ) {
      assertLessOrEqual(closeness(nll, nllRef, 1e-5, 1e-6), 1, `${backend} nll ${nll} vs ${nllRef}`);
      assertEquals([...hits], [...hitsRef], `${backend} hits`);
      // the all-padding row and the padded positions are 0; the unknown id not in the input costs -log(1e-7)
      assert(nll.slice(15, 20).every((x) => x === 0), `${backend} all-padding row`);
      assertLessOrEqual(Math.abs(nll[7] - -Math.log(1e-7)), 1e-4, `${backend} a target with probability 0`);
      if (bias === -4) assertEquals(hits[10], 1, `${backend}: the copying model hits the unknown word`);
    }
    assert(fusedCalls() > before, "wasm ran the fused kernel");
  });
}

for (
  const [name, cfg] of [["", CFG], [" with coverage", { ...CFG, coverage: true }]] as const
) {
  Deno.test(`gradients w.r.t. every weight of a small copy model${name} agree between the copy loss from logits and the loss from probabilities (fast layers, cpu and wasm)`, async () => {
    const before = fusedCalls();
    const results = await valuesOnBackends(() => {
      const model = copyModel(cfg);
      const b = copyBatch(cfg);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      // the training step's objective: the mean cross-entropy, plus the coverage loss where the model has it
      const objective = (out: ReturnType<typeof lossFromProbs>) => {
        const ce = maskedMean(out.nll, b.target);
        return out.coverageLoss ? tf.add(ce, maskedMean(out.coverageLoss, b.target)) as tf.Scalar : ce;
      };
      const viaLogits = tf.variableGrads(
        () => objective(lossFromCopyLogits(model, batchInputs(b), b.target, true)),
        vars,
      );
      const viaProbs = tf.variableGrads(
        () => objective(lossFromProbs(model, batchInputs(b), b.target, true)),
        vars,
      );
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

/** `steps` training steps of the copy model, each with its own dropout seed: the losses, counts and weights. */
async function trajectory(cfg: Config, steps: number, fused: boolean) {
  const model = copyModel(cfg);
  const optimizer = makeOptimizer(cfg);
  const step = makeTrainStep(model, optimizer, cfg, fused ? lossFromCopyLogits : undefined);
  const b = copyBatch(cfg);
  const losses: number[] = [], correct: number[] = [];
  const restore = seedMathRandom(5);
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

Deno.test("makeTrainStep() with the copy loss from logits follows the loss from probabilities for 3 steps (dropout 0.1, clipping; wasm and cpu)", async () => {
  const cfg: Config = { ...CFG, dropout: 0.1 };
  for (const backend of ["wasm", "cpu"]) {
    await tf.setBackend(backend);
    const before = fusedCalls();
    const fused = await trajectory(cfg, 3, true);
    if (backend === "wasm") assert(fusedCalls() > before, "the fused kernel ran");
    const old = await trajectory(cfg, 3, false);
    assertLessOrEqual(
      closeness(fused.losses, old.losses, 1e-5, 0),
      1,
      `${backend}: ${fused.losses} vs ${old.losses}`,
    );
    assertEquals(fused.correct, old.correct, backend);
    assertNotEquals(old.losses[0], old.losses[2], "the steps trained");
    fused.weights.forEach((w, i) => {
      const scale = Math.max(...old.weights[i].map(Math.abs));
      assertLessOrEqual(closeness(w, old.weights[i], 1e-5, 1e-5 * scale), 1, `${backend} weight ${i}`);
    });
  }
  await tf.setBackend("wasm");
});

Deno.test("a training step with the copy loss from logits leaves tf.memory().numTensors flat across steps (wasm and cpu), and validation does too", async () => {
  for (const backend of ["wasm", "cpu"]) {
    await tf.setBackend(backend);
    const cfg: Config = { ...CFG, dropout: 0.1 };
    const model = copyModel(cfg);
    const optimizer = makeOptimizer(cfg);
    const step = makeTrainStep(model, optimizer, cfg, lossFromCopyLogits);
    const b = copyBatch(cfg);
    tf.dispose(Object.values(step(b))); // the first step creates RMSprop's accumulators
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(Object.values(step(b)));
    assertEquals(tf.memory().numTensors, n0, `${backend}: training steps`);
    await evaluateLoss(model, copyData(), cfg, lossFromCopyLogits);
    assertEquals(tf.memory().numTensors, n0, `${backend}: validation`);
    disposeBatch(b);
    optimizer.dispose();
    disposeDropoutMasks(model);
    model.dispose();
  }
  await tf.setBackend("wasm");
});

Deno.test("evaluateLoss() with the copy loss from logits gives the loss and accuracies it gives from probabilities", async () => {
  const model = copyModel(CFG, -2);
  const before = fusedCalls();
  const fused = await evaluateLoss(model, copyData(), CFG, lossFromCopyLogits);
  assert(fusedCalls() > before, "the fused kernel ran");
  const old = await evaluateLoss(model, copyData(), CFG);
  assertLessOrEqual(closeness([fused.loss], [old.loss], 1e-5, 0), 1);
  assertEquals([fused.acc, fused.acc1, fused.accRest, fused.tokens], [
    old.acc,
    old.acc1,
    old.accRest,
    old.tokens,
  ]);
  model.dispose();
});

Deno.test("fastBatchLoss() gives a copy model, with or without coverage, the copy loss from logits; fusedLossBlocker() has no objection; the plain model keeps lossFromLogits", () => {
  for (const cfg of [CFG, { ...CFG, coverage: true }]) {
    const model = buildSeq2Seq(cfg);
    assertEquals(fastBatchLoss(model), lossFromCopyLogits);
    assertEquals(fusedLossBlocker(model), "");
    model.dispose();
  }
  const plain = buildSeq2Seq({ ...CFG, copy: false });
  assertEquals(fastBatchLoss(plain), lossFromLogits);
  plain.dispose();
});

Deno.test("the copy loss from logits leaves the model as it was: model.apply() gives the (B, T, V + Tin) probabilities, also after a call that threw; each path refuses the other kind of model", () => {
  const model = copyModel();
  const b = copyBatch();
  const probs = () =>
    tf.tidy(() => modelOutputs(model.apply(batchInputs(b)) as tf.Tensor[]).probs.arraySync());
  const before = probs();
  const n0 = tf.memory().numTensors;
  tf.tidy(() => {
    const parts = applyForCopyParts(model, batchInputs(b), { training: false });
    assertEquals(parts.logits.shape, [5, 5, 20]);
    assertEquals([parts.pGen.shape, parts.attention.shape, parts.extended.shape], [[5, 5, 1], [5, 5, 6], [
      5,
      6,
    ]]);
    tf.dispose([parts.pGen, parts.attention, parts.extended]); // the caller's to dispose
  });
  assertEquals(tf.memory().numTensors, n0, "nothing left behind");
  assertEquals(probs(), before);
  // a call that throws inside model.apply (a decoder batch of another size: the attention fails) puts it all back
  const bad = [b.encoder, tf.slice(b.decoder, 0, 4), b.extended!];
  assertThrows(() => applyForCopyParts(model, bad, { training: false }));
  assertEquals(probs(), before);
  assertEquals(tf.memory().numTensors, n0 + 1, "only the bad input made here");
  const pointer = model.getLayer(LAYER.pointer) as PointerGenerator;
  assertThrows(() => pointer.collectParts(() => 0), Error, "ran 0 times");
  assertThrows(() => applyForLogits(model, batchInputs(b), { training: false }), Error, "applyForCopyParts");
  assertThrows(() => lossFromLogits(model, batchInputs(b), b.target, false), Error, "applyForCopyParts");
  const plain = buildSeq2Seq({ ...CFG, copy: false });
  assertThrows(() => applyForCopyParts(plain, [b.encoder, b.decoder], { training: false }), Error, "no copy");
  tf.dispose(bad[1]);
  plain.dispose();
  disposeBatch(b);
  model.dispose();
});
