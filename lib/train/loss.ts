/**
 * Sparse categorical cross-entropy and accuracy with padding masked out.
 *
 * Positions whose target id is 0 (padding) contribute nothing: the loss is the mean of `-log p(target)` over
 * real target tokens only, and accuracy counts only those positions. The log is taken of `p + 1e-7` (so a
 * zero probability costs 16.1, not infinity); unlike clipping (what Keras does), this lets a NaN produced by
 * the model reach the loss, where the training loop detects it instead of training on garbage.
 *
 * These functions take probabilities and are the reference. lib/speed/fused_loss.ts computes the same numbers from
 * the model's logits (and, with copy attention, its gate and attention) with fused kernels; runs with the fast layers
 * train on it (lib/experiment.ts).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { maskedLoss } from "./loss.ts";
 * const probs = tf.tensor3d([[[0.1, 0.9], [0.5, 0.5]]]); // (B=1, T=2, V=2)
 * const target = tf.tensor2d([[1, 0]], [1, 2], "int32"); // the second position is padding
 * // only the first position counts: -log(0.9 + 1e-7) = 0.10536
 * assertAlmostEquals(maskedLoss(probs, target).dataSync()[0], -Math.log(0.9 + 1e-7), 1e-6);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** What {@linkcode maskedLoss} adds to every probability before the log: a zero probability costs 16.1. */
export const PROB_EPSILON = 1e-7;

/**
 * The probability each position gives its target: (B, T, V) x (B, T) -> (B, T). A gather at flat indices
 * `row * V + target`: its gradient scatters B*T values, where a one-hot product would build and multiply
 * B*T*V numbers in both directions.
 */
function targetProbs(probs: tf.Tensor3D, target: tf.Tensor2D): tf.Tensor2D {
  const [b, t, v] = probs.shape;
  const rows = tf.mul(tf.range(0, b * t, 1, "int32"), tf.scalar(v, "int32"));
  const idx = tf.add(rows, tf.reshape(tf.cast(target, "int32"), [b * t]));
  return tf.reshape(tf.gather(tf.reshape(probs, [b * t * v]), idx), [b, t]) as tf.Tensor2D;
}

/** Float mask (B, T): 1 where the target is a real token, 0 at padding. */
export function targetMask(target: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(tf.notEqual(target, 0), "float32") as tf.Tensor2D;
}

/** `-log(p(target) + 1e-7)` at every position, (B, T). */
function targetNll(probs: tf.Tensor3D, target: tf.Tensor2D): tf.Tensor2D {
  return tf.neg(tf.log(tf.add(targetProbs(probs, target), PROB_EPSILON)));
}

/** `-log(p(target) + 1e-7)` at real target positions, 0 at padding (B, T): the terms of {@linkcode maskedLossSum}. */
export function maskedNll(probs: tf.Tensor3D, target: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(targetNll(probs, target), targetMask(target)));
}

/** Sum of `-log p(target)` over unmasked positions (a scalar), for accumulating over batches. */
export function maskedLossSum(probs: tf.Tensor3D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(maskedNll(probs, target)) as tf.Scalar);
}

/** Mean masked cross-entropy over the real target tokens of the batch. */
export function maskedLoss(probs: tf.Tensor3D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => maskedMean(targetNll(probs, target), target));
}

/**
 * Mean of per-position values `(B, T)` over the real target tokens (the cross-entropy of {@linkcode maskedLoss},
 * the coverage loss of each decoder position, lib/model/attention.ts): padded positions count for nothing.
 */
export function maskedMean(values: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const mask = targetMask(target);
    return tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/** Weight of the coverage loss added to the cross-entropy when a model has coverage (See et al. use 1). */
export const COVERAGE_LOSS_WEIGHT = 1;

/** 1 at real target positions where argmax(probs) is the target, else 0 (B, T): the terms of {@linkcode maskedCorrect}. */
export function maskedHits(probs: tf.Tensor3D, target: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const hit = tf.cast(tf.equal(tf.argMax(probs, -1), tf.cast(target, "int32")), "float32");
    return tf.mul(hit, targetMask(target)) as tf.Tensor2D;
  });
}

/** Number of unmasked positions where argmax(probs) equals the target (a scalar). */
export function maskedCorrect(probs: tf.Tensor3D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(maskedHits(probs, target)) as tf.Scalar);
}
