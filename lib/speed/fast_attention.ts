/**
 * {@linkcode FastBahdanauAttention}: lib/model's attention with its scores `v^T tanh(q[t] + k[s])` computed by one
 * fused kernel with its own gradient where the active backend has it (`AdditiveAttentionScores` on wasm, see
 * lib/backend/simd), instead of building and differentiating the `(B, Td, Te, A)` tensor of the composed ops.
 * Everything else (projections, mask, softmax, context, coverage) is the parent's. It adds no state and saves as
 * `BahdanauAttention`; `accelerate` (./accelerate.ts) turns a built attention layer into one.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { additiveScores } from "../backend/simd/ops.ts";
import { BahdanauAttention } from "../model/attention.ts";

/** The attention with fused scores (see the module documentation). */
export class FastBahdanauAttention extends BahdanauAttention {
  /** Saved as the stock class: the weights and the numbers are {@linkcode BahdanauAttention}'s. */
  override getClassName(): string {
    return BahdanauAttention.className;
  }

  override scores(query: tf.Tensor3D, keys: tf.Tensor3D): tf.Tensor3D {
    return additiveScores(query, keys, this.v!.read());
  }
}
