/**
 * The training loss from logits. The model's output layer is a Dense with a softmax (lib/model/seq2seq.ts), and the
 * training loop's loss (lib/train/loss.ts) reads the probabilities it gives; autodiff then goes back through the log,
 * the pick of the target's probability (a scatter into a dense `(B*T, V)` gradient) and tfjs's softmax gradient:
 * several passes over `(B*T, V)` numbers each way, and an arg-max for the accuracy. {@linkcode lossFromLogits} asks
 * the model for its logits instead ({@linkcode applyForLogits}: the same layers, the output Dense without its
 * softmax) and {@linkcode maskedCrossEntropy} computes from them, per position, the same `-log(p(target) + 1e-7)` and
 * the same hit: a fused kernel each way where the backend has them (`softmaxCrossEntropy`, lib/backend/simd/ops.ts).
 *
 * It attaches from outside, as the fast layers do: lib/experiment.ts hands {@linkcode fastBatchLoss}'s choice to the
 * training loop (`batchLoss` of `trainModel`, lib/train/loop.ts). Nothing saved changes: the model keeps its softmax
 * Dense, `model.json` records it, inference and `model.apply` get probabilities. A model whose first output is not
 * that Dense's (copy attention mixes it with the attention over the input: lib/model/pointer.ts) keeps the loss from
 * probabilities ({@linkcode fusedLossBlocker} says why).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq, modelOutputs } from "../model/seq2seq.ts";
 * import { maskedLoss } from "../train/loss.ts";
 * import { fastBatchLoss, fusedLossBlocker, lossFromLogits } from "./fused_loss.ts";
 * const cfg = resolveConfig("tiny", { vocabSize: 30, maxInputLen: 5, maxOutputLen: 4 });
 * const model = buildSeq2Seq(cfg);
 * assertEquals(fastBatchLoss(model), lossFromLogits); // the output is the softmax Dense's
 * const inputs = [tf.tensor2d([[5, 6, 7, 0, 0]], undefined, "int32"), tf.tensor2d([[2, 5, 6, 0]], undefined, "int32")];
 * const target = tf.tensor2d([[5, 6, 3, 0]], undefined, "int32"); // the last position is padding
 * const { nll } = lossFromLogits(model, inputs, target, false);
 * const probs = modelOutputs(model.apply(inputs) as tf.Tensor[]).probs; // the model itself still gives probabilities
 * assertAlmostEquals(tf.sum(nll).dataSync()[0] / 3, maskedLoss(probs, target).dataSync()[0], 1e-5);
 * const copy = buildSeq2Seq({ ...cfg, copy: true });
 * assertEquals([fastBatchLoss(copy), fusedLossBlocker(copy)], [undefined, "copy attention mixes the softmax with the attention"]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { softmaxCrossEntropy } from "../backend/simd/ops.ts";
import { isCopyModel, LAYER, modelOutputs } from "../model/seq2seq.ts";

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

/** The softmax Dense inside `model`'s first output layer, or null with why not. */
function outputDense(model: tf.LayersModel): { dense: { activation: ActivationFn } | null; why: string } {
  if (isCopyModel(model)) return { dense: null, why: "copy attention mixes the softmax with the attention" };
  const layer = model.outputs[0].sourceLayer as tf.layers.Layer;
  if (layer.name !== LAYER.output || layer.getClassName() !== "TimeDistributed") {
    return { dense: null, why: `the first output is ${layer.name}'s, not ${LAYER.output}'s` };
  }
  const inner = (layer as unknown as { layer: tf.layers.Layer }).layer;
  const activation = (inner as unknown as { activation?: ActivationFn }).activation;
  if (inner.getClassName() !== "Dense" || activation?.getClassName() !== "softmax") {
    return { dense: null, why: `${LAYER.output} is not a Dense with a softmax` };
  }
  return { dense: inner as unknown as { activation: ActivationFn }, why: "" };
}

/** Why `model`'s loss cannot be computed from logits ("" when it can). */
export function fusedLossBlocker(model: tf.LayersModel): string {
  return outputDense(model).why;
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
  const { dense, why } = outputDense(model);
  if (!dense) throw new Error(`applyForLogits: ${why}`);
  const softmax = dense.activation;
  dense.activation = LINEAR;
  try {
    const { probs: logits, coverageLoss } = modelOutputs(
      model.apply(inputs, kwargs) as tf.Tensor | tf.Tensor[],
    );
    return { logits, coverageLoss };
  } finally {
    dense.activation = softmax;
  }
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
 * The training loop's per-position loss terms (a `BatchLoss`, lib/train/loop.ts) from the logits: `model` applied to
 * `inputs` (dropout when `training`) without its output softmax, then {@linkcode maskedCrossEntropy}; the coverage loss
 * of a model with coverage as the model gives it. Throws for a model that {@linkcode fusedLossBlocker} refuses.
 */
export function lossFromLogits(
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  target: tf.Tensor2D,
  training: boolean,
): { nll: tf.Tensor2D; hits: tf.Tensor2D; coverageLoss: tf.Tensor2D | null } {
  const { logits, coverageLoss } = applyForLogits(model, inputs, { training });
  return { ...maskedCrossEntropy(logits, target), coverageLoss };
}

/**
 * {@linkcode lossFromLogits} where `model` allows it, else undefined (the training loop then keeps its loss from
 * probabilities): what lib/experiment.ts passes to `trainModel`.
 */
export function fastBatchLoss(model: tf.LayersModel): typeof lossFromLogits | undefined {
  return fusedLossBlocker(model) === "" ? lossFromLogits : undefined;
}
