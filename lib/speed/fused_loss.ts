/**
 * The training loss from logits. The model's output layer is a Dense with a softmax (lib/model/seq2seq.ts), and the
 * training loop's loss (lib/train/loss.ts) reads the probabilities it gives; autodiff then goes back through the log,
 * the pick of the target's probability (a scatter into a dense `(B*T, V)` gradient) and tfjs's softmax gradient:
 * several passes over `(B*T, V)` numbers each way, and an arg-max for the accuracy. {@linkcode lossFromLogits} asks
 * the model for its logits instead ({@linkcode applyForLogits}: the same layers, the output Dense without its
 * softmax) and {@linkcode maskedCrossEntropy} computes from them, per position, the same `-log(p(target) + 1e-7)` and
 * the same hit: a fused kernel each way where the backend has them (`softmaxCrossEntropy`, lib/backend/simd/ops.ts).
 *
 * A model with copy attention (lib/model/pointer.ts) mixes that softmax with the attention over the input into a
 * distribution over `V + Tin` extended ids, built whole: a concatenation, a scatter, then the loss's gather and an
 * arg-max over `V + Tin` columns, and their gradients. {@linkcode lossFromCopyLogits} asks it for the parts instead
 * ({@linkcode applyForCopyParts}: the logits, and the pointer-generator's gate, attention and extended ids, the layer
 * mixing nothing) and {@linkcode maskedCopyCrossEntropy} computes the same loss and hit from them
 * (`copyCrossEntropy`, lib/backend/simd/ops.ts: the logits' passes are the fused kernels', the rest is per position
 * over the input's `Tin` words).
 *
 * It attaches from outside, as the fast layers do: lib/experiment.ts hands {@linkcode fastBatchLoss}'s choice to the
 * training loop (`batchLoss` of `trainModel`, lib/train/loop.ts). Nothing saved changes: the model keeps its softmax
 * Dense and its pointer-generator, `model.json` records them, inference and `model.apply` get probabilities. A model
 * whose output is neither (another layer there) keeps the loss from probabilities ({@linkcode fusedLossBlocker} says
 * why).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq, modelOutputs } from "../model/seq2seq.ts";
 * import { maskedLoss } from "../train/loss.ts";
 * import { fastBatchLoss, fusedLossBlocker, lossFromCopyLogits, lossFromLogits } from "./fused_loss.ts";
 * const cfg = resolveConfig("tiny", { vocabSize: 30, maxInputLen: 5, maxOutputLen: 4 });
 * const model = buildSeq2Seq(cfg);
 * assertEquals(fastBatchLoss(model), lossFromLogits); // the output is the softmax Dense's
 * const inputs = [tf.tensor2d([[5, 6, 7, 0, 0]], undefined, "int32"), tf.tensor2d([[2, 5, 6, 0]], undefined, "int32")];
 * const target = tf.tensor2d([[5, 6, 3, 0]], undefined, "int32"); // the last position is padding
 * const { nll } = lossFromLogits(model, inputs, target, false);
 * const probs = modelOutputs(model.apply(inputs) as tf.Tensor[]).probs; // the model itself still gives probabilities
 * assertAlmostEquals(tf.sum(nll).dataSync()[0] / 3, maskedLoss(probs, target).dataSync()[0], 1e-5);
 * // copy attention: a third input, the encoder tokens in extended ids (30 + 1: the input's second word, unknown)
 * const copy = buildSeq2Seq({ ...cfg, copy: true });
 * assertEquals([fastBatchLoss(copy), fusedLossBlocker(copy)], [lossFromCopyLogits, ""]);
 * const copyInputs = [...inputs, tf.tensor2d([[5, 31, 7, 0, 0]], undefined, "int32")];
 * const copyTarget = tf.tensor2d([[5, 31, 3, 0]], undefined, "int32"); // the second word is copied
 * const copied = lossFromCopyLogits(copy, copyInputs, copyTarget, false).nll;
 * const copyProbs = modelOutputs(copy.apply(copyInputs) as tf.Tensor[]).probs; // (1, 4, 30 + 5)
 * assertAlmostEquals(tf.sum(copied).dataSync()[0] / 3, maskedLoss(copyProbs, copyTarget).dataSync()[0], 1e-5);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { copyCrossEntropy, softmaxCrossEntropy } from "../backend/simd/ops.ts";
import { PointerGenerator } from "../model/pointer.ts";
import { isCopyModel, LAYER, modelOutputs } from "../model/seq2seq.ts";
import { FastTimeDistributed } from "./fast_time_distributed.ts";

/**
 * What the loss adds to the target's probability before the log, as lib/train/loss.ts does (its `PROB_EPSILON`;
 * lib/speed does not import lib/train, and tests/model_fused_loss_test.ts checks that the two agree).
 */
export const LOSS_EPSILON = 1e-7;

/** What a Dense layer calls its activation (a private field of tfjs's Dense). */
interface ActivationFn {
  getClassName(): string;
  apply(x: tf.Tensor): tf.Tensor;
}

/** The identity, as Dense takes it: "linear" is one of the activations Dense fuses into its matmul. */
const LINEAR: ActivationFn = { getClassName: () => "linear", apply: (x) => x };

/** The softmax Dense inside `layer` (the TimeDistributed named {@linkcode LAYER.output}), or null with why not. */
function softmaxDense(layer: tf.layers.Layer): { dense: { activation: ActivationFn } | null; why: string } {
  const inner = layer.getClassName() === "TimeDistributed"
    ? (layer as unknown as { layer: tf.layers.Layer }).layer
    : null;
  const activation = (inner as unknown as { activation?: ActivationFn } | null)?.activation;
  if (inner?.getClassName() !== "Dense" || activation?.getClassName() !== "softmax") {
    return { dense: null, why: `${LAYER.output} is not a Dense with a softmax` };
  }
  return { dense: inner as unknown as { activation: ActivationFn }, why: "" };
}

/** What the loss from logits needs of a model: its softmax Dense, and the pointer-generator of a copy model. */
interface OutputLayers {
  dense: { activation: ActivationFn } | null;
  pointer: PointerGenerator | null;
  /** Why the loss from logits does not apply ("" when it does). */
  why: string;
}

/**
 * The layers of `model`'s first output: the softmax Dense named {@linkcode LAYER.output}, or for a copy-attention model
 * the pointer-generator that mixes that Dense's output with the attention.
 */
function outputLayers(model: tf.LayersModel): OutputLayers {
  const none = (why: string): OutputLayers => ({ dense: null, pointer: null, why });
  const layer = model.outputs[0].sourceLayer as tf.layers.Layer;
  // a copy model's output is the pointer-generator's, whose first input (the vocabulary distribution) is the Dense's
  const copy = isCopyModel(model);
  if (copy && !(layer instanceof PointerGenerator)) {
    return none(`the first output is ${layer.name}'s, not a ${PointerGenerator.className}'s`);
  }
  if (copy && layer.inboundNodes.length !== 1) return none(`${layer.name} is called more than once`);
  const output = copy ? layer.inboundNodes[0].inboundLayers[0] as tf.layers.Layer : layer;
  if (output.name !== LAYER.output) {
    return none(
      `the ${
        copy ? `${layer.name}'s first input` : "first output"
      } is ${output.name}'s, not ${LAYER.output}'s`,
    );
  }
  const { dense, why } = softmaxDense(output);
  return dense ? { dense, pointer: copy ? layer as PointerGenerator : null, why: "" } : none(why);
}

/** Why `model`'s loss cannot be computed from logits ("" when it can: {@linkcode fastBatchLoss}). */
export function fusedLossBlocker(model: tf.LayersModel): string {
  return outputLayers(model).why;
}

/**
 * Run `apply` with the softmax Dense's activation swapped for the identity, and put it back before returning (the
 * call is synchronous: nothing else sees the model meanwhile).
 */
function withoutSoftmax<T>(dense: { activation: ActivationFn }, apply: () => T): T {
  const softmax = dense.activation;
  dense.activation = LINEAR;
  try {
    return apply();
  } finally {
    dense.activation = softmax;
  }
}

/**
 * `model.apply(inputs, kwargs)` with the output Dense's softmax left out: the logits `(B, Tout, V)` where the model
 * gives probabilities, and its coverage loss per position (or null) as {@linkcode modelOutputs} gives it. The same
 * layers and the same calls (dropout draws included); the Dense's activation is swapped for the call and put back
 * before returning (the call is synchronous: nothing else sees the model meanwhile). Throws for a model that
 * {@linkcode fusedLossBlocker} refuses.
 */
export function applyForLogits(
  model: tf.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: { training: boolean },
): { logits: tf.Tensor3D; coverageLoss: tf.Tensor2D | null } {
  const { dense, pointer, why } = outputLayers(model);
  if (!dense) throw new Error(`applyForLogits: ${why}`);
  if (pointer) {
    throw new Error(
      "applyForLogits: copy attention mixes the logits with the attention: applyForCopyParts()",
    );
  }
  const { probs: logits, coverageLoss } = modelOutputs(
    withoutSoftmax(dense, () => model.apply(inputs, kwargs) as tf.Tensor | tf.Tensor[]),
  );
  return { logits, coverageLoss };
}

/** What {@linkcode applyForCopyParts} gives: the parts of a copy-attention model's distribution, unmixed. */
export interface CopyParts {
  /** The output Dense's logits `(B, T, V)`. */
  logits: tf.Tensor3D;
  /** The pointer-generator's gate `p_gen (B, T, 1)`, attention `(B, T, Tin)` and extended ids `(B, Tin)`. */
  pGen: tf.Tensor3D;
  attention: tf.Tensor3D;
  extended: tf.Tensor2D;
  /** The coverage loss per position of a model with coverage, as {@linkcode modelOutputs} gives it (else null). */
  coverageLoss: tf.Tensor2D | null;
}

/**
 * `model.apply(inputs, kwargs)` for a copy-attention model, with the output Dense's softmax left out and the
 * pointer-generator mixing nothing ({@linkcode PointerGenerator.collectParts}): the logits, the gate, the attention and
 * the extended ids it would have mixed, and the coverage loss (or null). The same layers and the same calls (dropout
 * draws included); both changes last the call only. `pGen`, `attention` and `extended` are the caller's to dispose
 * (no tidy scope owns them); they and the logits are on the gradient tape where `model.apply` is. Throws for a model
 * without copy attention, or one that {@linkcode fusedLossBlocker} refuses.
 */
export function applyForCopyParts(
  model: tf.LayersModel,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: { training: boolean },
): CopyParts {
  const { dense, pointer, why } = outputLayers(model);
  if (!dense) throw new Error(`applyForCopyParts: ${why}`);
  if (!pointer) throw new Error("applyForCopyParts: the model has no copy attention: applyForLogits()");
  const { out, parts } = pointer.collectParts(() =>
    withoutSoftmax(dense, () => model.apply(inputs, kwargs) as tf.Tensor | tf.Tensor[])
  );
  const { probs: logits, coverageLoss } = modelOutputs(out);
  return { logits, coverageLoss, ...parts };
}

/**
 * Per position of `logits (B, T, V)`: the cross-entropy `-log(softmax(logits)[target] + 1e-7)` and the hit (1 where the
 * first arg-max is the target), both `(B, T)` and 0 at padding (target 0). Their sums are `maskedLossSum` and
 * `maskedCorrect` of the probabilities (lib/train/loss.ts), to float rounding; a NaN logit anywhere makes the sum NaN.
 * Differentiable in `logits`.
 */
export function maskedCrossEntropy(
  logits: tf.Tensor3D,
  target: tf.Tensor2D,
): { nll: tf.Tensor2D; hits: tf.Tensor2D } {
  return tf.tidy(() => {
    const [b, t, v] = logits.shape;
    const rows = tf.reshape(logits, [b * t, v]) as tf.Tensor2D;
    const ids = tf.reshape(tf.cast(target, "int32"), [b * t]) as tf.Tensor1D;
    const { nll, hits } = softmaxCrossEntropy(rows, ids, LOSS_EPSILON);
    return { nll: tf.reshape(nll, [b, t]) as tf.Tensor2D, hits: tf.reshape(hits, [b, t]) as tf.Tensor2D };
  });
}

/**
 * Per position of a copy-attention model's parts (`logits (B, T, V)`, `pGen (B, T, 1)`, `attention (B, T, Tin)`,
 * `extended (B, Tin)`) and `target (B, T)` (extended ids): the cross-entropy `-log(P[target] + 1e-7)` of the
 * distribution the pointer-generator mixes from them, `P = p_gen softmax(logits) + (1 - p_gen) copy(attention)` over
 * `V + Tin` ids, and the hit (1 where its first arg-max is the target), both `(B, T)` and 0 at padding, without
 * building it. Their sums are `maskedLossSum` and `maskedCorrect` of the model's probabilities (lib/train/loss.ts), to
 * float rounding. Differentiable in the logits, the gate and the attention.
 */
export function maskedCopyCrossEntropy(
  parts: Pick<CopyParts, "logits" | "pGen" | "attention" | "extended">,
  target: tf.Tensor2D,
): { nll: tf.Tensor2D; hits: tf.Tensor2D } {
  return tf.tidy(() => {
    const [b, t, v] = parts.logits.shape;
    const tin = parts.attention.shape[2];
    const { nll, hits } = copyCrossEntropy(
      tf.reshape(parts.logits, [b * t, v]) as tf.Tensor2D,
      tf.reshape(parts.pGen, [b * t]) as tf.Tensor1D,
      tf.reshape(parts.attention, [b * t, tin]) as tf.Tensor2D,
      tf.cast(parts.extended, "int32") as tf.Tensor2D,
      tf.reshape(tf.cast(target, "int32"), [b * t]) as tf.Tensor1D,
      LOSS_EPSILON,
    );
    return { nll: tf.reshape(nll, [b, t]) as tf.Tensor2D, hits: tf.reshape(hits, [b, t]) as tf.Tensor2D };
  });
}

/**
 * Loss calls (training steps and validation batches) whose output layer ran at the real target positions only,
 * and their rows (tests, benchmarks).
 */
export const realRowStats = { steps: 0, rows: 0, positions: 0 };

/** The real (not padding) positions of a target `(B, T)`, as flat indices `b * T + t`. */
interface RealPositions {
  /** Their flat indices (N), and the batch row of each. */
  rows: Int32Array;
  batchRows: Int32Array;
  /** For every position, its index among them; N at padding (where {@linkcode spread} puts a zero). */
  back: Int32Array;
}

/**
 * The output layer of `model` when it can compute chosen rows (lib/speed's {@linkcode FastTimeDistributed}) and
 * `target` has padding, with the real positions; else null (every position is computed).
 */
function realPositions(model: tf.LayersModel, target: tf.Tensor2D) {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(LAYER.output);
  } catch {
    return null;
  }
  if (!(layer instanceof FastTimeDistributed)) return null;
  const [, t] = target.shape;
  const ids = target.dataSync();
  let n = 0;
  for (const id of ids) if (id !== 0) n++;
  if (n === 0 || n === ids.length) return null;
  const real: RealPositions = {
    rows: new Int32Array(n),
    batchRows: new Int32Array(n),
    back: new Int32Array(ids.length),
  };
  for (let i = 0, k = 0; i < ids.length; i++) {
    if (ids[i] === 0) {
      real.back[i] = n;
      continue;
    }
    real.rows[k] = i;
    real.batchRows[k] = Math.floor(i / t);
    real.back[i] = k++;
  }
  realRowStats.steps++;
  realRowStats.rows += n;
  realRowStats.positions += ids.length;
  return { layer, real };
}

/** The per-position terms a `BatchLoss` gives (lib/train/loop.ts). */
type LossTerms = { nll: tf.Tensor2D; hits: tf.Tensor2D; coverageLoss: tf.Tensor2D | null };

/** `tf.tidy` for {@linkcode LossTerms} (its typing refuses the null of a model without coverage). */
const tidyTerms = (f: () => LossTerms): LossTerms =>
  tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as LossTerms;

/** Per-position values of the real positions (N) spread over `(B, T)`, zeros at padding (a gather: differentiable). */
function spread(values: tf.Tensor, back: tf.Tensor1D, shape: [number, number]): tf.Tensor2D {
  const n = values.size;
  return tf.reshape(
    tf.gather(tf.concat([tf.reshape(values, [n]), tf.zeros([1])]), back),
    shape,
  ) as tf.Tensor2D;
}

/** `target (B, T)` at the real positions, as `(N, 1)` or `(1, N)`. */
function targetAt(target: tf.Tensor2D, rows: tf.Tensor1D, shape: [number, number]): tf.Tensor2D {
  return tf.reshape(tf.gather(tf.reshape(target, [target.size]), rows), shape) as tf.Tensor2D;
}

/**
 * The training loop's per-position loss terms (a `BatchLoss`, lib/train/loop.ts) from the logits: `model` applied to
 * `inputs` (dropout when `training`) without its output softmax, then {@linkcode maskedCrossEntropy}; the coverage loss
 * of a model with coverage as the model gives it. Where the output layer is lib/speed's {@linkcode FastTimeDistributed}
 * it computes the logits at the real target positions only (the padding's terms are 0 anyway, and so are their
 * gradients): the output layer's three products (forward, and both gradients) shrink with the padding, 8% of the
 * `paper` profile's target positions and 41% of `envnews`'s. Throws for a copy-attention model
 * ({@linkcode lossFromCopyLogits}) and for a model that {@linkcode fusedLossBlocker} refuses.
 */
export function lossFromLogits(
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  target: tf.Tensor2D,
  training: boolean,
): LossTerms {
  const at = realPositions(model, target);
  if (!at) {
    const { logits, coverageLoss } = applyForLogits(model, inputs, { training });
    return { ...maskedCrossEntropy(logits, target), coverageLoss };
  }
  return tidyTerms(() => {
    const [b, t] = target.shape, n = at.real.rows.length;
    const rows = tf.tensor1d(at.real.rows, "int32"), back = tf.tensor1d(at.real.back, "int32");
    const { logits, coverageLoss } = at.layer.onRows(rows, () => applyForLogits(model, inputs, { training }));
    const { nll, hits } = maskedCrossEntropy(logits, targetAt(target, rows, [1, n])); // logits (1, N, V)
    return { nll: spread(nll, back, [b, t]), hits: spread(hits, back, [b, t]), coverageLoss };
  });
}

/**
 * {@linkcode lossFromLogits} for a copy-attention model: its parts ({@linkcode applyForCopyParts}), then
 * {@linkcode maskedCopyCrossEntropy} (`target` in extended ids, as the batches of a copy model hold them); the
 * coverage loss of a model with coverage as the model gives it. As {@linkcode lossFromLogits}, at the real target
 * positions only where the output layer can. Throws for a model without copy attention and for one that
 * {@linkcode fusedLossBlocker} refuses.
 */
export function lossFromCopyLogits(
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  target: tf.Tensor2D,
  training: boolean,
): LossTerms {
  const at = realPositions(model, target);
  return tidyTerms(() => {
    const rows = at ? tf.tensor1d(at.real.rows, "int32") : null;
    const apply = () => applyForCopyParts(model, inputs, { training });
    const parts = at && rows ? at.layer.onRows(rows, apply) : apply();
    try {
      if (!at || !rows) return { ...maskedCopyCrossEntropy(parts, target), coverageLoss: parts.coverageLoss };
      // the real positions as N batch rows of one step each: logits (N, 1, V), the gate, attention and extended
      // ids of each position's own row
      const [b, t] = target.shape, n = at.real.rows.length, tin = parts.attention.shape[2];
      const v = parts.logits.shape[2];
      const { nll, hits } = maskedCopyCrossEntropy({
        logits: tf.reshape(parts.logits, [n, 1, v]) as tf.Tensor3D,
        pGen: tf.reshape(tf.gather(tf.reshape(parts.pGen, [b * t]), rows), [n, 1, 1]) as tf.Tensor3D,
        attention: tf.reshape(tf.gather(tf.reshape(parts.attention, [b * t, tin]), rows), [
          n,
          1,
          tin,
        ]) as tf.Tensor3D,
        extended: tf.gather(parts.extended, tf.tensor1d(at.real.batchRows, "int32")) as tf.Tensor2D,
      }, targetAt(target, rows, [n, 1]));
      const back = tf.tensor1d(at.real.back, "int32");
      return {
        nll: spread(nll, back, [b, t]),
        hits: spread(hits, back, [b, t]),
        coverageLoss: parts.coverageLoss,
      };
    } finally {
      // the gradient tape holds what it needs of them (its own saved copies)
      tf.dispose([parts.pGen, parts.attention, parts.extended]);
    }
  });
}

/**
 * The loss from logits where `model` allows it ({@linkcode lossFromCopyLogits} for a copy-attention model,
 * {@linkcode lossFromLogits} otherwise), else undefined (the training loop then keeps its loss from probabilities):
 * what lib/experiment.ts passes to `trainModel`.
 */
export function fastBatchLoss(model: tf.LayersModel): typeof lossFromLogits | undefined {
  const { dense, pointer } = outputLayers(model);
  return !dense ? undefined : pointer ? lossFromCopyLogits : lossFromLogits;
}
