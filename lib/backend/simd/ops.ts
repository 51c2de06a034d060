/**
 * The ops our kernels implement (./kernels.ts, ../lstm_sequence.ts), as lib/speed's fast layers call them: each
 * runs the kernel where the active backend has registered it and the call is one the kernel takes (sizes a multiple
 * of 4; the LSTM kernels gate with sigmoid, as every LSTM of the model does), and otherwise composes tfjs ops or returns null for the caller to do so; every such fallback is
 * counted with its reason (see `kernelUsage` in ../usage.ts). This module imports tfjs only, not the wasm backend,
 * so that importing it does not make wasm the default backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { countOpFallback } from "../usage.ts";

/** Name of the fused additive-attention scores kernel (inputs q, k, v). */
export const ATT_SCORES = "AdditiveAttentionScores";
/** Name of its gradient kernel (inputs dy, q, k, v; outputs dq, dk, dv). */
export const ATT_SCORES_GRAD = "AdditiveAttentionScoresGrad";
/** Name of the LSTM cell kernel (inputs z1, z2, c; attr z1Row; outputs a, g, c, tanh(c), h): {@linkcode lstmCell}. */
export const LSTM_CELL = "LstmCellForward";
/** Name of the row arg-max kernel (input x (R, C); outputs the index (R) int32 and the value (R)). */
export const ROW_ARGMAX = "RowArgMax";
/**
 * Name of the softmax arg-max kernel (input logits (R, C); outputs the first arg-max (R) int32 and its softmax
 * probability (R)): {@linkcode softmaxArgMax}.
 */
export const SOFTMAX_ARGMAX = "SoftmaxArgMax";
/** Name of the LSTM layer's forward kernel, for inference and training (../lstm_sequence.ts). */
export const LSTM_SEQUENCE = "LstmSequence";
/** Name of the LSTM layer's backward recurrence kernel (../lstm_sequence.ts). */
export const LSTM_BACKWARD = "LstmSequenceBackward";
/**
 * Name of the fused softmax cross-entropy kernel (inputs logits (R, V), target (R) int32; attr epsilon; outputs nll,
 * hits and the log-sum-exp (R)): {@linkcode softmaxCrossEntropy}.
 */
export const SOFTMAX_CE = "SoftmaxCrossEntropy";
/** Name of its gradient kernel (inputs dy, logits, lse, target; attr epsilon; output dlogits (R, V)). */
export const SOFTMAX_CE_GRAD = "SoftmaxCrossEntropyGrad";
/**
 * Name of the fused copy-attention cross-entropy kernel (inputs logits (R, V), gate (R), attention (R, Tin), extended
 * (B, Tin) int32, target (R) int32; attr epsilon; outputs nll, hits and the log-sum-exp (R)): {@linkcode copyCrossEntropy}.
 */
export const COPY_CE = "CopyCrossEntropy";
/**
 * Name of its gradient kernel (inputs dy, logits, lse, gate, attention, extended, target; attr epsilon; outputs
 * dlogits (R, V), dgate (R), dattention (R, Tin)).
 */
export const COPY_CE_GRAD = "CopyCrossEntropyGrad";

/**
 * Why `kernel` does not run this call on the active backend (and count that fallback), or null when it does:
 * `refusal` is the call's own reason (a shape), checked once the kernel is known to be there.
 */
function skipKernel(kernel: string, refusal: () => string | null): string | null {
  const backend = tf.getBackend();
  const why = tf.getKernel(kernel, backend) === undefined ? `no kernel on ${backend}` : refusal();
  if (why !== null) countOpFallback(backend, kernel, why);
  return why;
}

/** `units` a multiple of 4 (the kernels' SIMD width), or why not. */
const unitsRefusal = (u: number) => u % 4 === 0 ? null : `units ${u} not a multiple of 4`;

/**
 * For each row of `x (R, C)` (C > 0) the first index of its largest value (int32) and that value: one pass on wasm,
 * `tf.argMax` and `tf.max` elsewhere. Not differentiable.
 */
export function rowArgMax(x: tf.Tensor2D): { index: tf.Tensor1D; value: tf.Tensor1D } {
  const refusal = () => x.dtype !== "float32" ? `dtype ${x.dtype}` : x.shape[1] === 0 ? "no columns" : null;
  if (skipKernel(ROW_ARGMAX, refusal) === null) {
    const [index, value] = tf.engine().runKernel(ROW_ARGMAX, { x }, {}) as tf.Tensor1D[];
    return { index, value };
  }
  return tf.tidy(() => ({
    index: tf.cast(tf.argMax(x, 1), "int32") as tf.Tensor1D,
    value: tf.max(x, 1) as tf.Tensor1D,
  }));
}

/**
 * For each row of logits `x (R, C)` (C > 0) the first index of its largest value (int32) and the softmax
 * probability there, `1 / sum_j exp(x_j - max)`, without the softmax: greedy decoding's choice and its probability
 * from the output layer's logits. On wasm two passes over each row (the fused cross-entropy's forward kernel),
 * elsewhere `tf.argMax`, `tf.max` and `tf.logSumExp`. NaN where the row holds a NaN (the index then is
 * `tf.argMax`'s: 0 for a row that starts with NaN, else the arg-max of the other values). Not differentiable.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { softmaxArgMax } from "./ops.ts";
 * const { index, value } = softmaxArgMax(tf.tensor2d([[1, 3, 3, 0]]));
 * assertEquals(index.dataSync()[0], 1); // the first of the two largest
 * const sum = Math.exp(1) + 2 * Math.exp(3) + Math.exp(0);
 * assertAlmostEquals(value.dataSync()[0], Math.exp(3) / sum, 1e-6);
 * ```
 */
export function softmaxArgMax(x: tf.Tensor2D): { index: tf.Tensor1D; value: tf.Tensor1D } {
  const refusal = () => x.dtype !== "float32" ? `dtype ${x.dtype}` : x.shape[1] === 0 ? "no columns" : null;
  if (skipKernel(SOFTMAX_ARGMAX, refusal) === null) {
    const [index, value] = tf.engine().runKernel(SOFTMAX_ARGMAX, { x }, {}) as tf.Tensor1D[];
    return { index, value };
  }
  return tf.tidy(() => ({
    index: tf.cast(tf.argMax(x, 1), "int32") as tf.Tensor1D,
    value: tf.exp(tf.sub(tf.max(x, 1), tf.logSumExp(x, 1))) as tf.Tensor1D,
  }));
}

/**
 * One LSTM step after its matrix products, in one kernel where the active backend has it (wasm, U a multiple of
 * 4): from the pre-activations `z = z1 + z2 (B, 4U)` (the input and the recurrent products, gate order i, f, c, o;
 * z1's rows are read from row `z1Row` on, so that one step of a time-major (T*B, 4U) product is used in place)
 * and the cell state `c (B, U)`, returns `[a (B, 4U), g, c', tanh(c'), h' (B, U)]`: the gate activations
 * (`sigmoid`; the c slot of `a` holds g), `g = tanh(z_c)`, `c' = f c + i g`, `h' = o tanh(c')`. Not differentiable
 * (the LSTM's own backward pass uses the outputs). Returns null where the kernel is not available, U is not a
 * multiple of 4; the caller composes tfjs ops.
 */
export function lstmCell(
  z1: tf.Tensor2D,
  z2: tf.Tensor2D,
  c: tf.Tensor2D,
  z1Row = 0,
): tf.Tensor2D[] | null {
  if (skipKernel(LSTM_CELL, () => unitsRefusal(c.shape[1])) !== null) return null;
  if (z1Row < 0 || z1Row + c.shape[0] > z1.shape[0]) {
    throw new RangeError(`lstmCell: rows ${z1Row}..${z1Row + c.shape[0] - 1} are outside z1 [${z1.shape}]`);
  }
  return tf.engine().runKernel(LSTM_CELL, { z1, z2, c }, { z1Row }) as tf.Tensor2D[];
}

/** The fused scores as a differentiable op: the kernel forward, its gradient kernel backward (built once). */
const fusedScores = tf.customGrad((qi, ki, vi, save) => {
  const args = { q: qi as tf.Tensor, k: ki as tf.Tensor, v: vi as tf.Tensor };
  (save as tf.GradSaveFunc)([args.q, args.k, args.v]);
  const value = tf.engine().runKernel(ATT_SCORES, args, {}) as tf.Tensor3D;
  return {
    value,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sq, sk, sv] = saved;
      return tf.engine().runKernel(
        ATT_SCORES_GRAD,
        { dy: dy as tf.Tensor, q: sq, k: sk, v: sv },
        {},
      ) as tf.Tensor[];
    },
  };
});

/**
 * Additive attention scores `out[b,t,s] = sum_a v[a] tanh(q[b,t,a] + k[b,s,a])` for q `(B, Td, A)`, k `(B, Te, A)`,
 * v `(A)` (or `(A, 1)`): one fused kernel with its own gradient where the active backend has it (wasm, A a
 * multiple of 4), otherwise composed from tfjs ops (the `(B, Td, Te, A)` tensor is then built). Differentiable.
 */
export function additiveScores(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor): tf.Tensor3D {
  const [b, td, a] = q.shape;
  const te = k.shape[1];
  const fused =
    skipKernel(ATT_SCORES, () => a % 4 === 0 ? null : `attention units ${a} not a multiple of 4`) === null;
  if (!fused) {
    return tf.tidy(() => {
      const hidden = tf.tanh(tf.add(tf.reshape(q, [b, td, 1, a]), tf.reshape(k, [b, 1, te, a])));
      return tf.reshape(tf.matMul(tf.reshape(hidden, [b * td * te, a]), tf.reshape(v, [a, 1])), [b, td, te]);
    });
  }
  return tf.tidy(() => fusedScores(q, k, tf.reshape(v, [a])) as tf.Tensor3D);
}

/** Why the sequence kernel does not take these operands, or null. */
function sequenceRefusal(xw: tf.Tensor2D, rw: tf.Tensor2D, h0: tf.Tensor2D): string | null {
  const [b, u] = h0.shape;
  if (xw.shape[0] === 0) return "no time steps";
  if (xw.shape[0] % b !== 0 || rw.size !== 4 * u * u) return "operand shapes do not fit";
  return unitsRefusal(u);
}

/**
 * The kernel's outputs `[hs (T, B, U) time-major, hT, cT]`, or null where the active backend lacks it, U is not a
 * multiple of 4, or there are no steps. Not differentiable: inference only.
 */
export function lstmSequenceInference(
  xw: tf.Tensor2D,
  rw: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D] | null {
  if (skipKernel(LSTM_SEQUENCE, () => sequenceRefusal(xw, rw, h0)) !== null) return null;
  return tf.engine().runKernel(LSTM_SEQUENCE, { xw, rw, h0, c0 }, {}) as [
    tf.Tensor3D,
    tf.Tensor2D,
    tf.Tensor2D,
  ];
}

/**
 * The LSTM layer's forward steps keeping what the backward pass needs: `[hs (T, B, U), hT, cT, a (T, B, 4U), g, c,
 * tanh(c) (T, B, U)]`, all time-major (c holds c_1..c_T), or null where the active backend lacks the kernel or the
 * call is not one it takes (as {@linkcode lstmSequenceInference}).
 */
export function lstmSequenceTrain(
  xw: tf.Tensor2D,
  rw: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): tf.Tensor[] | null {
  if (skipKernel(LSTM_SEQUENCE, () => sequenceRefusal(xw, rw, h0)) !== null) return null;
  return tf.engine().runKernel(LSTM_SEQUENCE, { xw, rw, h0, c0 }, { keep: true }) as tf.Tensor[];
}

/**
 * The LSTM's backward recurrence in one kernel (see LstmSequenceBackward in ../lstm_sequence.ts) from the outputs'
 * gradients and what the forward kernel kept (gates `a`, `g`, the previous cell states, `tanh(c)`): `[dz (T, B, 4U),
 * dc (B, U)]`, or null where the active backend lacks it.
 */
export function lstmBackwardSteps(
  dy: tf.Tensor3D,
  rw: tf.Tensor2D,
  a: tf.Tensor3D,
  g: tf.Tensor3D,
  cPrev: tf.Tensor3D,
  tc: tf.Tensor3D,
): [tf.Tensor3D, tf.Tensor2D] | null {
  if (skipKernel(LSTM_BACKWARD, () => null) !== null) return null;
  return tf.engine().runKernel(LSTM_BACKWARD, { dy, rw, a, g, cPrev, tc }, {}) as [tf.Tensor3D, tf.Tensor2D];
}

// the kernel's gradient (registered by kernel name, so it serves whichever backend ran the forward kernel): only the
// nll output carries one; the log-sum-exp is kept for it
tf.registerGradient({
  kernelName: SOFTMAX_CE,
  inputsToSave: ["logits", "target"],
  outputsToSave: [false, false, true],
  gradFunc: (dy, saved, attrs) => {
    const [logits, target, lse] = saved;
    const dNll = Array.isArray(dy) ? dy[0] : dy;
    return {
      logits: () =>
        tf.engine().runKernel(SOFTMAX_CE_GRAD, { dy: dNll, logits, lse, target }, attrs) as tf.Tensor,
    };
  },
});

/**
 * The cross-entropy of each row of `logits (R, V)` against its target id (`target (R)`, int32, 0 = padding), from the
 * logits: `nll = -log(p[target] + epsilon)` with `p = softmax(row)`, and `hits`, 1 where the row's first arg-max is
 * the target (as `tf.argMax` picks ties); both 0 at padding. A row holding a NaN (or +inf, or only -inf) has a NaN
 * nll, padding or not. Differentiable in `logits`: `d nll / d logits = w (p - onehot(target))` with
 * `w = p[target] / (p[target] + epsilon)` at real tokens, 0 at padding.
 *
 * Where the active backend has the kernels (wasm), one forward kernel gives both (a pass for the arg-max and the max,
 * one for the sum of exponentials, over the rows of real tokens only) and one backward kernel writes the gradient in
 * one pass, with no one-hot and no (R, V) softmax kept. Elsewhere the same formulas run in tfjs ops (the one-hot is
 * then built). A target id outside `[0, V)` throws a RangeError on wasm.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { softmaxCrossEntropy } from "./ops.ts";
 * const logits = tf.tensor2d([[2, 1, 0], [0, 0, 5]]);
 * const target = tf.tensor1d([1, 0], "int32"); // row 1 is padding
 * const { nll, hits } = softmaxCrossEntropy(logits, target, 1e-7);
 * const p = Math.exp(1) / (Math.exp(2) + Math.exp(1) + Math.exp(0)); // softmax of row 0 at its target
 * assertAlmostEquals(nll.dataSync()[0], -Math.log(p + 1e-7), 1e-5);
 * assertEquals([nll.dataSync()[1], ...hits.dataSync()], [0, 0, 0]); // row 0's arg-max is column 0, a miss
 * ```
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D,
  target: tf.Tensor1D,
  epsilon: number,
): { nll: tf.Tensor1D; hits: tf.Tensor1D } {
  const refusal = () =>
    logits.dtype !== "float32"
      ? `logits dtype ${logits.dtype}`
      : target.dtype !== "int32"
      ? `target dtype ${target.dtype}`
      : logits.shape[1] === 0
      ? "no columns"
      : null;
  if (skipKernel(SOFTMAX_CE, refusal) === null) {
    const [nll, hits, lse] = tf.engine().runKernel(SOFTMAX_CE, { logits, target }, {
      epsilon,
    }) as tf.Tensor1D[];
    lse.dispose(); // the gradient keeps its own reference
    return { nll, hits };
  }
  return composedCrossEntropy(logits, target, epsilon);
}

/** {@linkcode softmaxCrossEntropy} in tfjs ops, for backends without the kernels. */
function composedCrossEntropy(
  logits: tf.Tensor2D,
  target: tf.Tensor1D,
  epsilon: number,
): { nll: tf.Tensor1D; hits: tf.Tensor1D } {
  const [rows, v] = logits.shape;
  return tf.tidy(() => {
    const t = tf.cast(target, "int32");
    const real = tf.cast(tf.notEqual(t, 0), "float32");
    const nllOf = tf.customGrad((x, save) => {
      const lse = tf.logSumExp(x as tf.Tensor2D, 1, true); // (R, 1), max-shifted
      const at = tf.add(tf.mul(tf.range(0, rows, 1, "int32"), tf.scalar(v, "int32")), t);
      const p = tf.exp(
        tf.sub(tf.gather(tf.reshape(x as tf.Tensor, [rows * v]), at), tf.reshape(lse, [rows])),
      );
      const w = epsilon > 0 ? tf.mul(real, tf.div(p, tf.add(p, epsilon))) : real;
      (save as tf.GradSaveFunc)([x as tf.Tensor, lse, w, t]);
      return {
        value: tf.mul(tf.neg(tf.log(tf.add(p, epsilon))), real), // NaN * 0 stays NaN
        gradFunc: (dy: tf.Tensor | tf.Tensor[], [sx, slse, sw, st]: tf.Tensor[]) => {
          const softmax = tf.exp(tf.sub(sx, slse));
          const scale = tf.reshape(tf.mul(dy as tf.Tensor, sw), [rows, 1]);
          return tf.mul(tf.sub(softmax, tf.oneHot(st as tf.Tensor1D, v, 1, 0, "float32")), scale);
        },
      };
    });
    const hits = tf.mul(tf.cast(tf.equal(tf.argMax(logits, 1), t), "float32"), real);
    return { nll: nllOf(logits) as tf.Tensor1D, hits: hits as tf.Tensor1D };
  });
}

// the copy kernel's gradient, as the one above: only the nll output carries one; the three float inputs get theirs
// from one call of the gradient kernel (made when the tape reaches the node), the ids a zero one
tf.registerGradient({
  kernelName: COPY_CE,
  inputsToSave: ["logits", "gate", "attention", "extended", "target"],
  outputsToSave: [false, false, true],
  gradFunc: (dy, saved, attrs) => {
    const [logits, gate, attention, extended, target, lse] = saved;
    const dNll = Array.isArray(dy) ? dy[0] : dy;
    const [dLogits, dGate, dAttention] = tf.engine().runKernel(
      COPY_CE_GRAD,
      { dy: dNll, logits, lse, gate, attention, extended, target },
      attrs,
    ) as tf.Tensor[];
    return {
      logits: () => dLogits,
      gate: () => dGate,
      attention: () => dAttention,
      extended: () => tf.zeros(extended.shape),
      target: () => tf.zeros(target.shape),
    };
  },
});

/**
 * The cross-entropy of copy attention's final distribution (the pointer-generator, lib/model/pointer.ts) without
 * building it. Per row `r` of `logits (R, V)`, with the gate `g = gate[r]` (p_gen), the attention `a = attention[r]`
 * `(Tin)` over the input whose extended ids are `e = extended[floor(r / (R / B))]` `(Tin)` (ids in `[0, V + Tin)`;
 * the rows of a batch entry are consecutive, `R = B * T`) and the target `y = target[r]` (id in `[0, V + Tin)`, 0 =
 * padding):
 *
 *     P[j]  = g softmax(logits[r])[j] [j < V] + (1 - g) sum_{i : e[i] = j} a[i]     (the extended distribution)
 *     nll   = -log(P[y] + epsilon),   hits = 1 where the first arg-max of P is y    (both 0 at padding)
 *
 * Differentiable in `logits`, `gate` and `attention` (not in the ids): with `w = dy / (P[y] + epsilon)` at real
 * tokens (0 at padding), `s = softmax(logits[r])`, `c = sum_{i : e[i] = y} a[i]`:
 * `d logits[j] = w g s[y] (s[j] - [j = y])` (0 for an id `y >= V`), `d gate = -w (s[y] - c)`,
 * `d attention[i] = -w (1 - g) [e[i] = y]`.
 *
 * Where the active backend has the kernels (wasm), the `(R, V)` passes are those of {@linkcode softmaxCrossEntropy}'s
 * kernels (the max, arg-max and sum of exponentials forward; one pass writing the logits' gradient backward) and the
 * rest is per row over the `Tin` input positions: the arg-max of `P` is either the arg-max of the logits or one of the
 * ids in `e` (any other word has at most the arg-max's share `g s[j]` and no copy mass), so only those candidates are
 * compared (the larger value wins, the smaller id among equal ones, as `tf.argMax` picks). Degenerate cases, as in
 * {@linkcode softmaxCrossEntropy}: candidates are compared in float64 from the logits, so a near-tie that float32
 * rounding of the probabilities turns into a tie (or the other way round) can be decided differently than `tf.argMax`
 * of the materialised distribution decides it; a row whose logits hold a NaN (or +inf, or only -inf) has a NaN nll,
 * padding or not, and no hit. Elsewhere the formulas run in tfjs ops (the accuracy then builds the `(R, V + Tin)`
 * distribution, as the model does). An id outside `[0, V + Tin)` throws a RangeError on wasm.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { copyCrossEntropy } from "./ops.ts";
 * // V = 3, one input of Tin = 2 words: ids 2 and 3 (3 = V + 1, a word outside the vocabulary); two rows (T = 2)
 * const logits = tf.tensor2d([[0, 1, 2], [0, 0, 0]]);
 * const gate = tf.tensor1d([0.5, 0.25]);
 * const attention = tf.tensor2d([[0.9, 0.1], [0.2, 0.8]]);
 * const extended = tf.tensor2d([[2, 3]], [1, 2], "int32");
 * const target = tf.tensor1d([2, 3], "int32");
 * const { nll, hits } = copyCrossEntropy(logits, gate, attention, extended, target, 1e-7);
 * const s2 = Math.exp(2) / (1 + Math.exp(1) + Math.exp(2));
 * assertAlmostEquals(nll.dataSync()[0], -Math.log(0.5 * s2 + 0.5 * 0.9 + 1e-7), 1e-5); // generated and copied
 * assertAlmostEquals(nll.dataSync()[1], -Math.log(0.75 * 0.8 + 1e-7), 1e-5); // copied only
 * assertEquals([...hits.dataSync()], [1, 1]);
 * ```
 */
export function copyCrossEntropy(
  logits: tf.Tensor2D,
  gate: tf.Tensor1D,
  attention: tf.Tensor2D,
  extended: tf.Tensor2D,
  target: tf.Tensor1D,
  epsilon: number,
): { nll: tf.Tensor1D; hits: tf.Tensor1D } {
  const [rows, v] = logits.shape;
  const [batch, tin] = extended.shape;
  if (
    gate.shape[0] !== rows || attention.shape[0] !== rows || attention.shape[1] !== tin ||
    target.shape[0] !== rows || (batch === 0 ? rows !== 0 : rows % batch !== 0)
  ) {
    throw new Error(
      `copyCrossEntropy: shapes do not fit: logits [${logits.shape}], gate [${gate.shape}], attention ` +
        `[${attention.shape}], extended [${extended.shape}], target [${target.shape}]`,
    );
  }
  const refusal = () =>
    [logits, gate, attention].some((t) => t.dtype !== "float32")
      ? "logits, gate or attention not float32"
      : extended.dtype !== "int32" || target.dtype !== "int32"
      ? "ids not int32"
      : v === 0
      ? "no columns"
      : null;
  if (skipKernel(COPY_CE, refusal) === null) {
    const [nll, hits, lse] = tf.engine().runKernel(COPY_CE, { logits, gate, attention, extended, target }, {
      epsilon,
    }) as tf.Tensor1D[];
    lse.dispose(); // the gradient keeps its own reference
    return { nll, hits };
  }
  return composedCopyCrossEntropy(logits, gate, attention, extended, target, epsilon);
}

/**
 * {@linkcode copyCrossEntropy} in tfjs ops, for backends without the kernels: the nll from the target's two shares
 * (autodiff gives the gradient), the hits from the arg-max of the extended distribution, built as the model builds it.
 */
function composedCopyCrossEntropy(
  logits: tf.Tensor2D,
  gate: tf.Tensor1D,
  attention: tf.Tensor2D,
  extended: tf.Tensor2D,
  target: tf.Tensor1D,
  epsilon: number,
): { nll: tf.Tensor1D; hits: tf.Tensor1D } {
  const [rows, v] = logits.shape;
  const [batch, tin] = extended.shape;
  const width = v + tin;
  return tf.tidy(() => {
    const t = tf.cast(target, "int32");
    const real = tf.cast(tf.notEqual(t, 0), "float32");
    // each row's input ids (R, Tin), and where they are the target
    const ids = tf.reshape(
      tf.tile(tf.reshape(tf.cast(extended, "int32"), [batch, 1, tin]), [
        1,
        batch === 0 ? 0 : rows / batch,
        1,
      ]),
      [rows, tin],
    );
    const copied = tf.cast(tf.equal(ids, tf.reshape(t, [rows, 1])), "float32");
    // the target's softmax probability (0 for an id outside the vocabulary; NaN where the row's log-sum-exp is)
    const lse = tf.logSumExp(logits, 1);
    const at = tf.add(
      tf.mul(tf.range(0, rows, 1, "int32"), tf.scalar(v, "int32")),
      tf.minimum(t, tf.scalar(v - 1, "int32")),
    );
    const inVocab = tf.cast(tf.less(t, v), "float32");
    const sy = tf.mul(tf.exp(tf.sub(tf.gather(tf.reshape(logits, [rows * v]), at), lse)), inVocab);
    const cy = tf.sum(tf.mul(attention, copied), 1);
    const p = tf.add(tf.mul(gate, sy), tf.mul(tf.sub(1, gate), cy));
    const nll = tf.mul(tf.neg(tf.log(tf.add(p, epsilon))), real); // NaN * 0 stays NaN
    const g = tf.reshape(gate, [rows, 1]);
    const generated = tf.concat([tf.mul(g, tf.softmax(logits)), tf.zeros([rows, tin])], 1);
    const flat = tf.add(
      tf.reshape(tf.mul(tf.range(0, rows, 1, "int32"), tf.scalar(width, "int32")), [rows, 1]),
      ids,
    );
    const scattered = tf.scatterND(
      tf.reshape(flat, [rows * tin, 1]),
      tf.reshape(tf.mul(tf.sub(1, g), attention), [rows * tin]),
      [rows * width],
    );
    const dist = tf.add(generated, tf.reshape(scattered, [rows, width]));
    const hits = tf.mul(tf.cast(tf.equal(tf.argMax(dist, 1), t), "float32"), real);
    return { nll: nll as tf.Tensor1D, hits: hits as tf.Tensor1D };
  });
}
