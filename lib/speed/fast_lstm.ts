/**
 * {@linkcode FastLSTM}: tfjs's LSTM layer with a faster `call`, for the model's LSTMs (tanh, sigmoid gates; other
 * configurations keep tfjs's implementation). Same weights (kernel `[in, 4u]`, recurrentKernel `[u, 4u]`, bias
 * `[4u]`, gate order i, f, c, o) and the same input dropout (one mask per call, drawn exactly as tfjs draws it, so a
 * seeded run gives the same numbers). tfjs runs an LSTM as ~30 small ops per time step, forward and backward, each
 * with its own slicing, bias add and gate activation. Here the input projections of all time steps are one matmul
 * before the recurrence, the gate activation is one op on all four gates, the whole recurrence is one kernel where
 * the backend has it (lib/backend/lstm_sequence.ts), and a hand-written backward pass (`tf.customGrad`) runs only
 * the recurrent part per step and computes the weight gradients as three big matmuls over all time steps.
 *
 * The class adds no state to tfjs's: `accelerate` (./accelerate.ts) turns a built `LSTM` into one in
 * place, and it saves as `LSTM`, so a saved model loads with lib/model alone.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { fastLstm } from "./fast_lstm.ts";
 * const lstm = fastLstm({ units: 8, recurrentActivation: "sigmoid", returnSequences: true, returnState: true });
 * const [seq, h, c] = lstm.apply(tf.ones([2, 5, 3])) as tf.Tensor[];
 * assertEquals([seq.shape, h.shape, c.shape], [[2, 5, 8], [2, 8], [2, 8]]);
 * // the last output of the sequence is the final hidden state
 * assertEquals(tf.squeeze(tf.slice(seq, [0, 4, 0], [2, 1, 8]), [1]).arraySync(), h.arraySync());
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  LSTM_SEQUENCE,
  lstmBackwardSteps,
  lstmCell,
  lstmSequenceInference,
  lstmSequenceTrain,
} from "../backend/simd/ops.ts";

/** Arguments of {@linkcode FastLSTM}: exactly those of `tf.layers.lstm`. */
export type FastLSTMArgs = Parameters<typeof tf.layers.lstm>[0];
type StockLSTM = ReturnType<typeof tf.layers.lstm>;
type Kwargs = Parameters<StockLSTM["call"]>[1];

/** The registered class of a stock tfjs-layers layer (tfjs does not export the class itself as a value). */
export function stockClass<T>(className: string): T {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new Error(`lib/speed: tfjs-layers has no registered class '${className}'`);
  return entry[0] as unknown as T;
}

const LSTMBase = stockClass<new (args: FastLSTMArgs) => StockLSTM>("LSTM");

/** The parts of tfjs's LSTMCell this layer reads (the class is not exported with these fields typed). */
interface LSTMCellLike {
  units: number;
  dropout: number;
  recurrentDropout: number;
  useBias: boolean;
  activation: { getClassName(): string };
  recurrentActivation: { getClassName(): string };
  dropoutFunc?: unknown;
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
}

/**
 * The whole LSTM recurrence as one differentiable op: `(x (B, T, D), kernel (D, 4u), recurrentKernel (u, 4u),
 * bias (4u), h0 (B, u), c0 (B, u))` -> `(B, T + 1, u)`: the hidden states h_1..h_T, then the last cell state c_T
 * (one output tensor because `tf.customGrad` returns one). Gate order i, f, c, o; activation tanh; sigmoid gates.
 * The input is used as given (apply dropout before).
 */
export function lstmSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const u = recurrentKernel.shape[0];
  if (kernel.shape[0] !== d || kernel.shape[1] !== 4 * u || recurrentKernel.shape[1] !== 4 * u) {
    throw new Error(
      `lstmSequence: kernel [${kernel.shape}] and recurrentKernel [${recurrentKernel.shape}] do not fit ` +
        `input [${x.shape}] (expected [${d}, ${4 * u}] and [${u}, ${4 * u}])`,
    );
  }
  if (t < 1) throw new Error(`lstmSequence: the input has no time steps (shape [${x.shape}])`);
  for (const [name, s] of [["h0", h0.shape], ["c0", c0.shape]] as const) {
    if (s[0] !== b || s[1] !== u) {
      throw new Error(`lstmSequence: ${name} has shape [${s}], expected [${b}, ${u}]`);
    }
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, ui, bi, h0i, c0i] = args as tf.Tensor[];
    const save = args[6] as tf.GradSaveFunc;
    return lstmForward(
      xi as tf.Tensor3D,
      wi as tf.Tensor2D,
      ui as tf.Tensor2D,
      bi as tf.Tensor1D,
      h0i as tf.Tensor2D,
      c0i as tf.Tensor2D,
      save,
    );
  });
  return op(x, kernel, recurrentKernel, bias, h0, c0) as tf.Tensor3D;
}

/**
 * The forward steps of an LSTM outside any gradient tape, in one kernel where the active backend has it
 * (lib/backend/lstm_sequence.ts): every hidden state h_1..h_T, time-major (T, B, u), the last one, and the last
 * cell state. Null without the kernel: the caller then runs the same steps through {@linkcode lstmSequence}.
 */
function lstmInference(
  x: tf.Tensor3D,
  cell: LSTMCellLike,
  bias: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): { hsTimeMajor: tf.Tensor3D; hT: tf.Tensor2D; c: tf.Tensor2D } | null {
  if (tf.getKernel(LSTM_SEQUENCE, tf.getBackend()) === undefined) return null;
  const [b, t, d] = x.shape;
  const xt = tf.reshape(tf.transpose(x, [1, 0, 2]), [t * b, d]) as tf.Tensor2D;
  const xw = tf.fused.matMul({ a: xt, b: cell.kernel.read() as tf.Tensor2D, bias }) as tf.Tensor2D; // (T*B, 4u)
  const whole = lstmSequenceInference(xw, cell.recurrentKernel.read() as tf.Tensor2D, h0, c0);
  return whole ? { hsTimeMajor: whole[0], hT: whole[1], c: whole[2] } : null;
}

/**
 * Whether a gradient tape is recording (inside `tf.grad*` / `variableGrads`). The engine's state is not part of
 * the public typings; when it cannot be read, assume it is (saving for backprop is then merely wasted work).
 */
function recordingGradients(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return typeof state?.gradientDepth !== "number" || state.gradientDepth > 0;
}

/**
 * One LSTM step from its pre-activations `z (B, 4u)` and `cPrev (B, u)`, composed from tfjs ops:
 * `[a (gate activations; the c slot is unused), g, c, tanh(c), h]`.
 */
function cellStep(z: tf.Tensor, cPrev: tf.Tensor, u: number): tf.Tensor[] {
  const a = tf.sigmoid(z);
  const [ig, fg, , og] = tf.split(a, 4, 1);
  const g = tf.tanh(tf.slice(z, [0, 2 * u], [z.shape[0]!, u]));
  const cNew = tf.add(tf.mul(fg, cPrev), tf.mul(ig, g));
  const tc = tf.tanh(cNew);
  return [a, g, cNew, tc, tf.mul(og, tc)];
}

function lstmForward(
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  rw: tf.Tensor2D,
  bias: tf.Tensor1D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  save: tf.GradSaveFunc,
): { value: tf.Tensor3D; gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => tf.Tensor[] } {
  const [b, t, d] = x.shape;
  const u = rw.shape[0];
  // time-major rows: step s is rows [s*b, (s+1)*b)
  const xt = tf.reshape(tf.transpose(x, [1, 0, 2]), [t * b, d]) as tf.Tensor2D;
  const xw = tf.fused.matMul({ a: xt, b: w, bias });
  const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]) => lstmBackward(dy, saved, { b, t, d, u });

  // every step in one kernel on wasm (lib/backend/lstm_sequence.ts), keeping what the backward pass needs
  const whole = lstmSequenceTrain(xw as tf.Tensor2D, rw, h0, c0);
  if (whole) {
    const [hsT, , cT, aAll, gAll, cAll, tcAll] = whole;
    const value = tf.concat([tf.transpose(hsT, [1, 0, 2]), tf.expandDims(cT, 1)], 1) as tf.Tensor3D;
    if (recordingGradients()) {
      const cPrev = t > 1
        ? tf.concat([tf.expandDims(c0, 0), tf.slice(cAll, [0, 0, 0], [t - 1, b, u])], 0)
        : tf.expandDims(c0, 0);
      save([xt, w, rw, aAll, gAll, cPrev, tcAll, value, h0]);
    }
    return { value, gradFunc };
  }
  const steps = forwardSteps(xw as tf.Tensor2D, rw, h0, c0, b, t);
  const value = tf.stack([...steps.hs, steps.c], 1) as tf.Tensor3D; // (B, T+1, u)
  if (recordingGradients()) {
    // c_{s-1} for every step, time-major
    const cPrev = tf.stack([c0, ...steps.cs.slice(0, t - 1)]);
    save([xt, w, rw, tf.stack(steps.as), tf.stack(steps.gs), cPrev, tf.stack(steps.tcs), value, h0]);
  }
  return { value, gradFunc };
}

/**
 * The forward steps one at a time, where the backend has no sequence kernel: per step the gate activations (the
 * c-gate slot holds junk), g, c, tanh(c) and h, kept for the backward pass.
 */
function forwardSteps(
  xw: tf.Tensor2D,
  rw: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  b: number,
  t: number,
) {
  const u = rw.shape[0];
  const as: tf.Tensor[] = [],
    gs: tf.Tensor[] = [],
    cs: tf.Tensor[] = [],
    tcs: tf.Tensor[] = [],
    hs: tf.Tensor[] = [];
  let h: tf.Tensor = h0, c: tf.Tensor = c0;
  for (let s = 0; s < t; s++) {
    const hPrev = h, cPrev = c;
    const [a, g, cNew, tc, hNew] = tf.tidy(() => {
      const hw = tf.matMul(hPrev, rw) as tf.Tensor2D;
      // one SIMD kernel on wasm (lib/backend/simd) reading step s's rows of xw in place; the formulas otherwise
      const fused = lstmCell(xw, hw, cPrev as tf.Tensor2D, s * b);
      if (fused) return fused;
      return cellStep(tf.add(tf.slice(xw, [s * b, 0], [b, 4 * u]), hw), cPrev, u);
    });
    as.push(a);
    gs.push(g);
    cs.push(cNew);
    tcs.push(tc);
    hs.push(hNew);
    h = hNew;
    c = cNew;
  }
  return { as, gs, cs, tcs, hs, c };
}

function lstmBackward(
  dy: tf.Tensor3D,
  saved: tf.Tensor[],
  dims: { b: number; t: number; d: number; u: number },
): tf.Tensor[] {
  const { b, t, d, u } = dims;
  const [xt, w, rw, aAll, gAll, cPrev, tcAll, value, h0] = saved as [
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor2D,
  ];
  const dyT = tf.transpose(dy, [1, 0, 2]) as tf.Tensor3D; // (T+1, B, u)
  // the whole recurrence in one kernel on wasm (lib/backend/lstm_sequence.ts); step by step otherwise
  const { dz, dh0, dc0 } = backwardRecurrence(dyT, rw, aAll, gAll, cPrev, tcAll, b, t);
  const dx = tf.transpose(tf.reshape(tf.matMul(dz, w, false, true), [t, b, d]), [1, 0, 2]);
  const hPrev = t > 1
    ? tf.concat([
      h0,
      tf.reshape(tf.transpose(tf.slice(value, [0, 0, 0], [b, t - 1, u]), [1, 0, 2]), [(t - 1) * b, u]),
    ], 0)
    : h0;
  const dw = tf.matMul(xt, dz, true, false);
  const drw = tf.matMul(hPrev, dz, true, false);
  // the column sums as a product with ones: a BLAS call instead of a reduction over the leading axis
  const db = tf.reshape(tf.matMul(tf.ones([1, t * b]), dz), [4 * u]);
  return [dx, dw, drw, db, dh0, dc0];
}

/**
 * Per-step factors of the backward recurrence for all steps at once (T, B, .), from what the forward pass kept:
 *   dz = [dc, dc, dc, dh] * P,  P = [g * a'_i, c_prev * a'_f, i * (1 - g^2), tanh(c) * a'_o]
 *   dc = dh * Q + dc_next * f_next,  Q = o * (1 - tanh(c)^2)
 * where a' = a (1 - a) is the sigmoid gate's derivative. (The wasm kernel computes the same inside its steps.)
 */
function stepFactors(aAll: tf.Tensor3D, gAll: tf.Tensor3D, cPrev: tf.Tensor3D, tcAll: tf.Tensor3D) {
  return tf.tidy(() => {
    const [ia, fa, , oa] = tf.split(aAll, 4, 2);
    const deriv = (a: tf.Tensor) => tf.mul(a, tf.sub(1, a));
    const p = tf.concat([
      tf.mul(gAll, deriv(ia)),
      tf.mul(cPrev, deriv(fa)),
      tf.mul(ia, tf.sub(1, tf.square(gAll))),
      tf.mul(tcAll, deriv(oa)),
    ], 2) as tf.Tensor3D;
    const q = tf.mul(oa, tf.sub(1, tf.square(tcAll))) as tf.Tensor3D;
    return { p, q, fa: fa as tf.Tensor3D };
  });
}

/**
 * The backward recurrence: `dz (T*B, 4u)` time-major and the gradients of the initial states, from the outputs'
 * gradients `dyT (T+1, B, u)` and what the forward pass kept: the gates, g, the previous cell states and tanh(c)
 * (see {@linkcode stepFactors}).
 */
function backwardRecurrence(
  dyT: tf.Tensor3D,
  rw: tf.Tensor2D,
  aAll: tf.Tensor3D,
  gAll: tf.Tensor3D,
  cPrev: tf.Tensor3D,
  tcAll: tf.Tensor3D,
  b: number,
  t: number,
): { dz: tf.Tensor2D; dh0: tf.Tensor; dc0: tf.Tensor } {
  const u = rw.shape[0];
  const steps = lstmBackwardSteps(dyT, rw, aAll, gAll, cPrev, tcAll);
  if (steps) {
    const dz = tf.reshape(steps[0], [t * b, 4 * u]) as tf.Tensor2D; // time-major
    const dh0 = tf.matMul(tf.slice(dz, [0, 0], [b, 4 * u]), rw, false, true);
    const f0 = tf.reshape(tf.slice(aAll, [0, 0, u], [1, b, u]), [b, u]); // step 0's forget gate
    return { dz, dh0, dc0: tf.mul(steps[1], f0) };
  }
  const { p, q, fa } = stepFactors(aAll, gAll, cPrev, tcAll);
  const [ps, qs, fs] = [tf.unstack(p) as tf.Tensor2D[], tf.unstack(q) as tf.Tensor2D[], tf.unstack(fa)];
  const dys = tf.unstack(dyT) as tf.Tensor2D[]; // T+1 of (B, u)
  const dzs: tf.Tensor2D[] = new Array(t);
  let dzNext: tf.Tensor2D | null = null;
  let dcNext = dys[t]; // gradient of the returned c_T
  for (let s = t - 1; s >= 0; s--) {
    const dzN = dzNext, dcN = dcNext, fN = s < t - 1 ? fs[s + 1] : null;
    const [dzS, dc] = tf.tidy(() => {
      const dh = dzN ? tf.add(dys[s], tf.matMul(dzN, rw, false, true)) : dys[s];
      const carry = fN ? tf.mul(dcN, fN) : dcN;
      const dc = tf.add(tf.mul(dh, qs[s]), carry) as tf.Tensor2D;
      const dzS = tf.mul(tf.concat([dc, dc, dc, dh], 1), ps[s]) as tf.Tensor2D;
      return [dzS, dc];
    });
    dzs[s] = dzS;
    dzNext = dzS;
    dcNext = dc;
  }
  return {
    dz: tf.concat(dzs, 0) as tf.Tensor2D, // (T*B, 4u), time-major
    dh0: tf.matMul(dzs[0], rw, false, true),
    dc0: tf.mul(dcNext, fs[0]),
  };
}

/** Why an LSTM's configuration is not the one {@linkcode FastLSTM} implements ("" when it is). */
export function fastPathBlocker(layer: tf.layers.Layer): string {
  const cell = (layer as unknown as { cell?: LSTMCellLike }).cell;
  const self = layer as unknown as { stateful: boolean; goBackwards: boolean };
  if (!cell?.recurrentActivation) return "not an LSTM";
  if (self.stateful) return "stateful";
  if (self.goBackwards) return "goBackwards";
  if (cell.recurrentDropout > 0) return "recurrentDropout";
  if (cell.dropoutFunc != null) return "dropoutFunc";
  if (cell.activation.getClassName() !== "tanh") return `activation ${cell.activation.getClassName()}`;
  const ra = cell.recurrentActivation.getClassName();
  if (ra !== "sigmoid") return `recurrentActivation ${ra}`;
  return "";
}

/**
 * tfjs's LSTM with a fast `call` (see the module documentation). Same constructor arguments, weights, config and
 * outputs as `tf.layers.lstm`, and it saves as `LSTM`. Cases the fast path does not cover (masking, stateful,
 * goBackwards, recurrent dropout, a custom dropout function, activations other than tanh with sigmoid gates)
 * run tfjs's own implementation.
 */
export class FastLSTM extends LSTMBase {
  /** Saved as the stock class: the weights and the numbers are tfjs's LSTM's. */
  override getClassName(): string {
    return "LSTM";
  }

  /** Why the fast path does not apply to this layer's configuration ("" when it does). */
  fastPathBlocker(): string {
    return fastPathBlocker(this);
  }

  /**
   * One decode step from the weights (see {@linkcode lstmStep}); lib/infer's `decodeStep` calls it when the
   * layer has it, and applies the layer otherwise. Null where this configuration is not implemented.
   */
  step(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } | null {
    return lstmStep(this, x, h, c);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const mask = kwargs?.["mask"];
    if (mask != null || this.fastPathBlocker() !== "") return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      if (Array.isArray(inputs) && inputs.length !== 1) {
        throw new Error(
          `${this.name}: expected one input tensor (initial states go in kwargs.initialState), got ${inputs.length}`,
        );
      }
      const cell = this.cell as unknown as LSTMCellLike;
      const u = cell.units;
      const b = x.shape[0];
      const init = kwargs?.["initialState"] as tf.Tensor[] | undefined;
      if (init != null && init.length !== 2) {
        throw new Error(
          `${this.name}: an LSTM has 2 states (h, c) but was passed ${init.length} initial state(s)`,
        );
      }
      const h0 = (init ? init[0] : tf.zeros([b, u])) as tf.Tensor2D;
      const c0 = (init ? init[1] : tf.zeros([b, u])) as tf.Tensor2D;
      const xd = inputDropout(x, cell.dropout, kwargs?.["training"] === true);
      const bias = cell.useBias && cell.bias
        ? cell.bias.read() as tf.Tensor1D
        : tf.zeros([4 * u]) as tf.Tensor1D;
      // inference: the same steps without the gradient op's one-output packing (and the slices undoing it)
      const inference = recordingGradients() ? null : lstmInference(xd, cell, bias, h0, c0);
      if (inference) {
        const { hsTimeMajor, hT, c: cT } = inference;
        const output = this.returnSequences ? tf.transpose(hsTimeMajor, [1, 0, 2]) : hT;
        return this.returnState ? [output, hT, cT] : output;
      }
      const kernel = cell.kernel.read() as tf.Tensor2D,
        recurrent = cell.recurrentKernel.read() as tf.Tensor2D;
      const value = lstmSequence(xd, kernel, recurrent, bias, h0, c0);
      const t = value.shape[1] - 1;
      const hT = tf.reshape(tf.slice(value, [0, t - 1, 0], [b, 1, u]), [b, u]);
      const output = this.returnSequences ? tf.slice(value, [0, 0, 0], [b, t, u]) : hT;
      if (!this.returnState) return output;
      const cT = tf.reshape(tf.slice(value, [0, t, 0], [b, 1, u]), [b, u]);
      return [output, hT, cT];
    });
  }
}

/**
 * tfjs's input dropout of an LSTM in training: it draws four masks of the step input's shape (B, D) per call
 * and uses the first, the same for every step; drawn the same way here, so a seeded run matches the stock layer.
 */
function inputDropout(x: tf.Tensor3D, rate: number, training: boolean): tf.Tensor3D {
  if (!(rate > 0 && rate < 1 && training)) return x;
  const [b, , d] = x.shape;
  const masks = [0, 1, 2, 3].map(() => tf.dropout(tf.ones([b, d]), rate));
  return tf.mul(x, tf.expandDims(masks[0], 1));
}

/**
 * One time step of an LSTM layer (tfjs's `LSTM` or {@linkcode FastLSTM}: the same weights) on `x (B, D)` from
 * `(h, c)`, computed from the layer's weights without the layer's `apply` (whose per-call bookkeeping, and the
 * unstack/stack of a one-step sequence, cost more than the step at decode time). Inference only (no dropout).
 * Returns null where the layer's configuration is not the one implemented here (activation tanh, sigmoid
 * gates); the caller then applies the layer.
 */
export function lstmStep(
  layer: tf.layers.Layer,
  x: tf.Tensor2D,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
): { h: tf.Tensor2D; c: tf.Tensor2D } | null {
  const cell = (layer as unknown as { cell?: LSTMCellLike }).cell;
  if (!cell?.kernel || !cell.recurrentKernel || cell.activation.getClassName() !== "tanh") return null;
  if (cell.recurrentActivation.getClassName() !== "sigmoid") return null;
  return tf.tidy(() => {
    const bias = cell.useBias && cell.bias ? cell.bias.read() : undefined;
    const xw = tf.fused.matMul({ a: x, b: cell.kernel.read() as tf.Tensor2D, bias }) as tf.Tensor2D;
    const hw = tf.matMul(h, cell.recurrentKernel.read() as tf.Tensor2D) as tf.Tensor2D;
    const fused = lstmCell(xw, hw, c); // one SIMD kernel on wasm
    if (fused) return { h: fused[4], c: fused[2] };
    const [, , c2, , h2] = cellStep(tf.add(xw, hw), c, cell.units);
    return { h: h2 as tf.Tensor2D, c: c2 as tf.Tensor2D };
  });
}

/** Create a {@linkcode FastLSTM} (arguments as `tf.layers.lstm`). */
export function fastLstm(args: FastLSTMArgs): FastLSTM {
  return new FastLSTM(args);
}
