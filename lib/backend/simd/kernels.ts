/**
 * Our WebAssembly SIMD kernels (./source.ts) on the tfjs `wasm` backend, as kernel functions (with their guards
 * where they take only some calls) for the kernel table (../table.ts). The module is instantiated once per backend
 * on the backend's own memory (./module.ts), so a kernel reads its inputs and writes its outputs in place.
 *
 * - {@linkcode simdTanh}: `Tanh` in one pass (rational approximation; the native kernel is scalar libm, and
 *   `2 sigmoid(2x) - 1` on XNNPACK took four passes); {@linkcode simdSum}: `Sum` over leading axes.
 * - `AdditiveAttentionScores` and its gradient `AdditiveAttentionScoresGrad`, `LstmCellForward`, `RowArgMax`,
 *   `SoftmaxCrossEntropy` and its gradient `SoftmaxCrossEntropyGrad`, `CopyCrossEntropy` and its gradient
 *   `CopyCrossEntropyGrad` (the softmax kernels' passes, then per row over the input's copy attention): kernels of
 *   our own (no tfjs op has them). lib/speed's fast layers call them through ./ops.ts where the backend has them, and
 *   compose tfjs ops otherwise.
 * - The GEMM (./gemm.ts) and the module's build (./module.ts) are re-exported here.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { initBackend } from "../choose.ts";
 * import { additiveScores } from "./ops.ts";
 * await initBackend({ backend: "wasm", blas: false }); // installs the kernels
 * const q = tf.tensor3d([[[0.5, -1, 0, 2]]]); // (B=1, Td=1, A=4)
 * const k = tf.tensor3d([[[0, 1, 0.25, -2], [1, 1, 1, 1]]]); // (1, Te=2, 4)
 * const v = tf.tensor1d([1, 2, 3, 4]);
 * const s = additiveScores(q, k, v).arraySync()[0][0]; // sum_a v[a] tanh(q[a] + k[s, a])
 * assertAlmostEquals(s[0], Math.tanh(0.5) + 2 * Math.tanh(0) + 3 * Math.tanh(0.25) + 4 * Math.tanh(0), 1e-6);
 * assertAlmostEquals(s[1], Math.tanh(1.5) + 2 * Math.tanh(0) + 3 * Math.tanh(1) + 4 * Math.tanh(3), 1e-6);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasm, type BackendWasm, heapOffset, type KernelArgs, sizeOf } from "../kernel_registry.ts";
import { simdExports, simdFma, simdStats } from "./module.ts";
import { simdGemm, simdGemv, startSimdGemmThreads } from "./gemm.ts";

import {
  ATT_SCORES,
  ATT_SCORES_GRAD,
  COPY_CE,
  COPY_CE_GRAD,
  LSTM_CELL,
  ROW_ARGMAX,
  SOFTMAX_ARGMAX,
  SOFTMAX_CE,
  SOFTMAX_CE_GRAD,
} from "./ops.ts";
export {
  ATT_SCORES,
  ATT_SCORES_GRAD,
  COPY_CE,
  COPY_CE_GRAD,
  LSTM_CELL,
  ROW_ARGMAX,
  SOFTMAX_ARGMAX,
  SOFTMAX_CE,
  SOFTMAX_CE_GRAD,
};
export { simdExports, simdFma, simdGemm, simdGemv, simdStats, startSimdGemmThreads };

/** Byte offset of a tensor's data in the wasm heap. */
const ptr = (backend: BackendWasm, t: tf.TensorInfo) => heapOffset(backend, t);

/** The first input is float32 (the guard of `Tanh`). */
export function float32Guard(args: KernelArgs): string | null {
  return Object.values(args.inputs)[0]?.dtype === "float32" ? null : "not float32";
}

/** A `Tanh` kernel function for `wasm` on float32 ({@linkcode float32Guard}). */
export function simdTanh(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x!;
  const backend = asWasm(args.backend);
  const out = backend.makeOutput(x.shape, "float32");
  const n = sizeOf(x.shape);
  if (n > 0) simdExports(backend).tanh(ptr(backend, x), ptr(backend, out), n);
  return out;
}

/** The fused additive-attention scores (inputs q, k, v). */
export function attScores({ inputs, backend: b }: KernelArgs): tf.TensorInfo {
  const { q, k, v } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [B, td, a] = q.shape, te = k.shape[1];
  const out = backend.makeOutput([B, td, te], "float32");
  simdStats.attention++;
  if (B * td * te > 0) {
    simdExports(backend).att_fwd(
      ptr(backend, q),
      ptr(backend, k),
      ptr(backend, v),
      ptr(backend, out),
      B,
      td,
      te,
      a,
    );
  }
  return out;
}

/** Their gradient (inputs dy, q, k, v; outputs dq, dk, dv). */
export function attScoresGrad({ inputs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { dy, q, k, v } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [B, td, a] = q.shape, te = k.shape[1];
  const outs = [backend.makeOutput(q.shape, "float32"), backend.makeOutput(k.shape, "float32")];
  outs.push(backend.makeOutput(v.shape, "float32"));
  // zero the accumulators (views taken after the last allocation: heap growth detaches older ones)
  const heap = (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
  for (const o of outs) heap.fill(0, ptr(backend, o) / 4, ptr(backend, o) / 4 + sizeOf(o.shape));
  const [dq, dk, dv] = outs.map((o) => ptr(backend, o));
  simdExports(backend).att_bwd(
    ptr(backend, dy),
    ptr(backend, q),
    ptr(backend, k),
    ptr(backend, v),
    dq,
    dk,
    dv,
    B,
    td,
    te,
    a,
  );
  return outs;
}

/** The guard of {@linkcode simdSum}: a float32 sum over leading axes (e.g. axis 0 of a matrix, a bias gradient). */
export function simdSumGuard(args: KernelArgs): string | null {
  const x = args.inputs.x!;
  if (x.dtype !== "float32") return "not float32";
  if (x.shape.length === 0) return "scalar input";
  const axes = tf.util.parseAxisParam(args.attrs!.axis as number | number[], x.shape).slice().sort((a, b) =>
    a - b
  );
  return axes.length > 0 && axes.every((a, i) => a === i) ? null : "not the leading axes";
}

/** A `Sum` kernel function for `wasm`: a sum over leading axes in one pass (`sum_rows`; {@linkcode simdSumGuard}). */
export function simdSum(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x!;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims?: boolean };
  const k = tf.util.parseAxisParam(axis, x.shape).length;
  const rows = sizeOf(x.shape.slice(0, k)), cols = sizeOf(x.shape.slice(k));
  const backend = asWasm(args.backend);
  const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
  const out = backend.makeOutput(outShape, "float32");
  if (cols === 0) return out;
  // few columns (a sum of everything, e.g. a gradient's sum of squares for clipping: cols 1): one row at a time
  // is a chain of scalar adds (5.3 ms for the envnews output kernel's 1.5 M numbers); instead sum blocks of `g`
  // rows as rows of g * cols numbers in SIMD, then the g partial sums of each column and the last rows here
  const g = cols < 64 ? Math.floor(256 / cols) : 1, blocks = Math.floor(rows / g);
  if (g === 1 || blocks < 4) {
    simdExports(backend).sum_rows(ptr(backend, x), ptr(backend, out), rows, cols);
    return out;
  }
  const partial = backend.makeOutput([g * cols], "float32");
  try {
    simdExports(backend).sum_rows(ptr(backend, x), ptr(backend, partial), blocks, g * cols);
    const f = heapViews(backend).f, [xp, pp, op] = [x, partial, out].map((t) => ptr(backend, t) / 4);
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      for (let j = 0; j < g; j++) sum += f[pp + j * cols + c];
      for (let r = blocks * g; r < rows; r++) sum += f[xp + r * cols + c];
      f[op + c] = sum;
    }
  } finally {
    backend.disposeData(partial.dataId);
  }
  return out;
}

/** One LSTM step after its products, sigmoid gates (see `lstmCell` in ./ops.ts). */
export function lstmCellKernel({ inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { z1, z2, c } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [B, u] = c.shape;
  const outs = [backend.makeOutput(z2.shape, "float32")];
  for (let i = 0; i < 4; i++) outs.push(backend.makeOutput(c.shape, "float32"));
  const [a, g, cn, tc, h] = outs.map((o) => ptr(backend, o));
  simdExports(backend).lstm_cell(
    ptr(backend, z1) + 16 * u * ((attrs!.z1Row as number | undefined) ?? 0),
    ptr(backend, z2),
    ptr(backend, c),
    a,
    g,
    cn,
    tc,
    h,
    B,
    u,
  );
  return outs;
}

/** The row arg-max (see `rowArgMax` in ./ops.ts). */
export function rowArgMaxKernel({ inputs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const x = inputs.x!;
  const backend = asWasm(b);
  const [rows, cols] = x.shape;
  const outs = [backend.makeOutput([rows], "int32"), backend.makeOutput([rows], "float32")];
  if (rows > 0 && cols > 0) {
    simdExports(backend).argmax_rows(
      ptr(backend, x),
      rows,
      cols,
      ptr(backend, outs[0]),
      ptr(backend, outs[1]),
    );
  }
  return outs;
}

/**
 * The softmax arg-max (see `softmaxArgMax` in ./ops.ts): `ce_forward` with every row counted as a real token gives
 * each row's max, `sum exp(x - max)` and first arg-max; the probability there is `exp(0) / sum`. `ce_forward`'s
 * arg-max passes over NaN; `tf.argMax` keeps its first value while nothing is greater, so a row that starts with NaN
 * gets index 0 there: set the same here.
 */
export function softmaxArgMaxKernel({ inputs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const x = inputs.x!;
  const backend = asWasm(b);
  const [rows, cols] = x.shape;
  const outs = [backend.makeOutput([rows], "int32"), backend.makeOutput([rows], "float32")];
  const scratch = backend.makeOutput([4 * rows], "float32"); // per row: a target (1: count it), max, sum, arg-max
  try {
    if (rows > 0 && cols > 0) {
      const s = ptr(backend, scratch);
      heapViews(backend).i.fill(1, s / 4, s / 4 + rows);
      simdExports(backend).ce_forward(
        ptr(backend, x),
        s,
        rows,
        cols,
        s + 4 * rows,
        s + 8 * rows,
        s + 12 * rows,
      );
      const { f, i } = heapViews(backend);
      const [idx, val, at, xp] = [
        ptr(backend, outs[0]) / 4,
        ptr(backend, outs[1]) / 4,
        s / 4,
        ptr(backend, x) / 4,
      ];
      for (let r = 0; r < rows; r++) {
        i[idx + r] = Number.isNaN(f[xp + r * cols]) ? 0 : i[at + 3 * rows + r];
        f[val + r] = 1 / f[at + 2 * rows + r];
      }
    }
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return outs;
}

/** The wasm heap as float32 and int32 views (take them after the kernel's last allocation). */
function heapViews(backend: BackendWasm): { f: Float32Array; i: Int32Array } {
  const m = backend.wasm as unknown as { HEAPF32: Float32Array; HEAP32: Int32Array };
  return { f: m.HEAPF32, i: m.HEAP32 };
}

/** Throw a RangeError, before anything is allocated, for a target id outside `[0, cols)`. */
function checkTargets(backend: BackendWasm, target: tf.TensorInfo, cols: number): void {
  const { i } = heapViews(backend);
  const at = ptr(backend, target) / 4;
  for (const t of i.subarray(at, at + sizeOf(target.shape))) {
    if (t < 0 || t >= cols) throw new RangeError(`SoftmaxCrossEntropy: target id ${t} outside [0, ${cols})`);
  }
}

/**
 * The fused softmax cross-entropy (see `softmaxCrossEntropy` in ./ops.ts): inputs logits (R, V) float32, target (R)
 * int32, attr epsilon; outputs nll, hits and the log-sum-exp lse (R). `ce_forward` makes one pass for the arg-max and
 * the max and one for `sum exp(x - max)` over the rows of real tokens, one pass for the max over the padding rows;
 * the rest is per row, in float64: `lse = max + log(sum)`, `p = exp(x[target] - lse)`, `nll = -log(p + epsilon)`.
 */
export function softmaxCeKernel({ inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { logits, target } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [rows, cols] = logits.shape;
  const eps = attrs!.epsilon as number;
  checkTargets(backend, target, cols);
  const outs = [0, 1, 2].map(() => backend.makeOutput([rows], "float32"));
  const scratch = backend.makeOutput([3 * rows], "float32"); // per row: the max, sum exp(x - max), the arg-max
  try {
    const at = (t: tf.TensorInfo) => ptr(backend, t);
    if (rows > 0) {
      const s = at(scratch);
      simdExports(backend).ce_forward(at(logits), at(target), rows, cols, s, s + 4 * rows, s + 8 * rows);
    }
    const { f, i } = heapViews(backend);
    const [x, tg, s, nll, hits, lse] = [logits, target, scratch, ...outs].map((t) => at(t) / 4);
    for (let r = 0; r < rows; r++) {
      const t = i[tg + r], m = f[s + r];
      if (t === 0) {
        // padding: 0, or NaN where the row's max is not finite (NaN, +inf, or a row of -inf)
        [f[nll + r], f[hits + r], f[lse + r]] = [Number.isFinite(m) ? 0 : NaN, 0, m];
        continue;
      }
      const l = m + Math.log(f[s + rows + r]);
      f[nll + r] = -Math.log(Math.exp(f[x + r * cols + t] - l) + eps);
      f[hits + r] = i[s + 2 * rows + r] === t ? 1 : 0;
      f[lse + r] = l;
    }
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return outs;
}

/**
 * Its gradient: inputs dy, logits, lse, target (the forward's lse), attr epsilon; output `dlogits (R, V)`, per row
 * `w (softmax - onehot(target))` with `w = dy p/(p + epsilon)` at real tokens, 0 at padding: `ce_backward` writes
 * `w exp(x - lse)` in one pass (zeros at padding), then `w` is taken off at each row's target.
 */
export function softmaxCeGradKernel({ inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo {
  const { dy, logits, lse, target } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [rows, cols] = logits.shape;
  const eps = attrs!.epsilon as number;
  const out = backend.makeOutput([rows, cols], "float32");
  const w = backend.makeOutput([rows], "float32");
  try {
    const at = (t: tf.TensorInfo) => ptr(backend, t) / 4;
    const [x, l, d, tg, wp, o] = [logits, lse, dy, target, w, out].map(at);
    let { f, i } = heapViews(backend);
    for (let r = 0; r < rows; r++) {
      const t = i[tg + r];
      const p = t === 0 ? 0 : Math.exp(f[x + r * cols + t] - f[l + r]);
      f[wp + r] = t === 0 ? 0 : f[d + r] * (eps > 0 ? p / (p + eps) : 1);
    }
    if (rows > 0 && cols > 0) simdExports(backend).ce_backward(4 * x, 4 * l, 4 * wp, rows, cols, 4 * o);
    ({ f, i } = heapViews(backend));
    for (let r = 0; r < rows; r++) {
      const t = i[tg + r];
      if (t !== 0) f[o + r * cols + t] -= f[wp + r];
    }
  } finally {
    backend.disposeData(w.dataId);
  }
  return out;
}

/** Throw a RangeError, before anything is allocated, for an id of `ids` outside `[0, width)` (`what` names them). */
function checkIds(backend: BackendWasm, ids: tf.TensorInfo, width: number, what: string): void {
  const { i } = heapViews(backend);
  const at = ptr(backend, ids) / 4;
  for (const t of i.subarray(at, at + sizeOf(ids.shape))) {
    if (t < 0 || t >= width) throw new RangeError(`CopyCrossEntropy: ${what} ${t} outside [0, ${width})`);
  }
}

/**
 * Per row of a copy-attention batch (see `copyCrossEntropy` in ./ops.ts), the copy mass of each distinct id among
 * the row's input ids: `ids` lists them, `mass[id]` holds the sum of the attention on the positions holding the id,
 * valid where `seen[id]` is the row's stamp. Reused from row to row (a stamp per row, nothing cleared).
 */
class CopyMass {
  readonly mass: Float64Array;
  readonly seen: Int32Array;
  readonly ids: Int32Array;
  n = 0;
  stamp = 0;
  constructor(width: number, tin: number) {
    this.mass = new Float64Array(width);
    this.seen = new Int32Array(width);
    this.ids = new Int32Array(tin);
  }
  /** Gather the row whose attention starts at float index `att` and ids at int index `ext` (`tin` of each). */
  gather(f: Float32Array, i: Int32Array, att: number, ext: number, tin: number): void {
    const stamp = ++this.stamp;
    this.n = 0;
    for (let k = 0; k < tin; k++) {
      const d = i[ext + k];
      if (this.seen[d] !== stamp) {
        this.seen[d] = stamp;
        this.mass[d] = 0;
        this.ids[this.n++] = d;
      }
      this.mass[d] += f[att + k];
    }
  }
  /** The copy mass of `id` in the row last gathered (0 where no position holds it). */
  of(id: number): number {
    return this.seen[id] === this.stamp ? this.mass[id] : 0;
  }
}

/**
 * The fused copy-attention cross-entropy (see `copyCrossEntropy` in ./ops.ts): inputs logits (R, V), gate (R),
 * attention (R, Tin) float32, extended (B, Tin) and target (R) int32, attr epsilon; outputs nll, hits and the
 * log-sum-exp lse (R). The `(R, V)` passes are `ce_forward`'s (per row the max, and at real tokens the sum of
 * exponentials and the first column holding the max); the rest per row, in float64: `lse`, the target's softmax share
 * `s`, the copy masses of the row's input ids, `nll = -log(g s + (1 - g) c + epsilon)`, and the hit: the arg-max of
 * the extended distribution among its only candidates, the logits' arg-max and the input's ids.
 */
export function copyCeKernel({ inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { logits, gate, attention, extended, target } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [rows, v] = logits.shape;
  const [batch, tin] = extended.shape;
  const width = v + tin, steps = batch === 0 ? 0 : rows / batch;
  const eps = attrs!.epsilon as number;
  checkIds(backend, target, width, "target id");
  checkIds(backend, extended, width, "input id");
  const outs = [0, 1, 2].map(() => backend.makeOutput([rows], "float32"));
  const scratch = backend.makeOutput([3 * rows], "float32"); // per row: the max, sum exp(x - max), the arg-max
  try {
    const at = (t: tf.TensorInfo) => ptr(backend, t);
    if (rows > 0) {
      const s = at(scratch);
      simdExports(backend).ce_forward(at(logits), at(target), rows, v, s, s + 4 * rows, s + 8 * rows);
    }
    const { f, i } = heapViews(backend);
    const [x, gp, ap, ep, tg, s, nll, hits, lse] = [
      logits,
      gate,
      attention,
      extended,
      target,
      scratch,
      ...outs,
    ]
      .map((t) => at(t) / 4);
    const copy = new CopyMass(width, tin);
    const { mass, ids } = copy;
    for (let r = 0; r < rows; r++) {
      const t = i[tg + r], m = f[s + r], g = f[gp + r];
      if (t === 0) {
        // padding: 0, or NaN where the row's max is not finite (NaN, +inf, or a row of -inf) or the gate is NaN
        f[nll + r] = Number.isFinite(m) && !Number.isNaN(g) ? 0 : NaN;
        f[hits + r] = 0;
        f[lse + r] = m;
        continue;
      }
      const row = x + r * v, l = m + Math.log(f[s + rows + r]), keep = 1 - g;
      const none = Number.isFinite(l) ? 0 : NaN; // the softmax share of an id outside the vocabulary
      copy.gather(f, i, ap + r * tin, ep + Math.floor(r / steps) * tin, tin);
      f[nll + r] = -Math.log((t < v ? g * Math.exp(f[row + t] - l) : none) + keep * copy.of(t) + eps);
      // the arg-max: the logits' first (no word outside the input's ids comes near it), then the input's ids; an id's
      // value is at most the logits' arg-max's share plus its copy mass, so an id whose bound is below the best so
      // far is passed over without its exponential
      let best = i[s + 2 * rows + r];
      const topShare = g * Math.exp(m - l); // m is logits[best]: the same number as the arg-max's share below
      let top = topShare + keep * copy.of(best);
      for (let k = 0; k < copy.n; k++) {
        const d = ids[k], copied = keep * mass[d];
        let p: number;
        if (d < v) {
          if (topShare + copied < top) continue;
          p = g * Math.exp(f[row + d] - l) + copied;
        } else p = none + copied;
        if (p > top || (p === top && d < best)) {
          best = d;
          top = p;
        }
      }
      f[hits + r] = best === t && !Number.isNaN(top) ? 1 : 0;
      f[lse + r] = l;
    }
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return outs;
}

/**
 * Its gradient: inputs dy, logits, lse (the forward's), gate, attention, extended, target, attr epsilon; outputs
 * `dlogits (R, V)`, `dgate (R)`, `dattention (R, Tin)` (see `copyCrossEntropy` in ./ops.ts). Per row in float64: the
 * target's shares `s` and `c`, `w = dy / (g s + (1 - g) c + epsilon)` (0 at padding), the gate's and the attention's
 * gradients; then `ce_backward` writes `W exp(x - lse)` with `W = w g s` (a row of zeros where W is 0: padding, a
 * target outside the vocabulary) and `W` is taken off at each row's target.
 */
export function copyCeGradKernel({ inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { dy, logits, lse, gate, attention, extended, target } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [rows, v] = logits.shape;
  const [batch, tin] = extended.shape;
  const steps = batch === 0 ? 0 : rows / batch;
  const eps = attrs!.epsilon as number;
  const outs = [
    backend.makeOutput([rows, v], "float32"),
    backend.makeOutput([rows], "float32"),
    backend.makeOutput([rows, tin], "float32"),
  ];
  const w = backend.makeOutput([rows], "float32");
  try {
    const at = (t: tf.TensorInfo) => ptr(backend, t) / 4;
    const [x, l, d, gp, ap, ep, tg, wp, o, dg, da] = [
      logits,
      lse,
      dy,
      gate,
      attention,
      extended,
      target,
      w,
      ...outs,
    ]
      .map(at);
    let { f, i } = heapViews(backend);
    for (let r = 0; r < rows; r++) {
      const t = i[tg + r], arow = ap + r * tin, erow = ep + Math.floor(r / steps) * tin, darow = da + r * tin;
      if (t === 0) {
        f[wp + r] = f[dg + r] = 0;
        f.fill(0, darow, darow + tin);
        continue;
      }
      const g = f[gp + r];
      const s = t < v ? Math.exp(f[x + r * v + t] - f[l + r]) : 0;
      let c = 0;
      for (let k = 0; k < tin; k++) if (i[erow + k] === t) c += f[arow + k];
      const wr = f[d + r] / (g * s + (1 - g) * c + eps);
      f[wp + r] = wr * g * s;
      f[dg + r] = -wr * (s - c);
      const da1 = -wr * (1 - g);
      for (let k = 0; k < tin; k++) f[darow + k] = i[erow + k] === t ? da1 : 0;
    }
    if (rows > 0 && v > 0) simdExports(backend).ce_backward(4 * x, 4 * l, 4 * wp, rows, v, 4 * o);
    ({ f, i } = heapViews(backend));
    for (let r = 0; r < rows; r++) {
      const t = i[tg + r];
      if (t !== 0 && t < v) f[o + r * v + t] -= f[wp + r];
    }
  } finally {
    backend.disposeData(w.dataId);
  }
  return outs;
}

/** The LSTM cell kernel on raw heap byte offsets (for ../lstm_sequence.ts, which owns its buffers). */
export function lstmCellRaw(
  backend: BackendWasm,
  z1: number,
  z2: number,
  c: number,
  a: number,
  g: number,
  cOut: number,
  tc: number,
  h: number,
  B: number,
  u: number,
): void {
  simdExports(backend).lstm_cell(z1, z2, c, a, g, cOut, tc, h, B, u);
}
