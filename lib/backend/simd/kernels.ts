/**
 * Our WebAssembly SIMD kernels (./source.ts) on the tfjs `wasm` backend. The module is instantiated once per
 * backend on the backend's own memory, so a kernel reads its inputs and writes its outputs in place.
 *
 * - {@linkcode simdTanh}: a `Tanh` kernel function (one pass, rational approximation; the native kernel is
 *   scalar libm, and `2 sigmoid(2x) - 1` on XNNPACK took four passes).
 * - `AdditiveAttentionScores` and its gradient `AdditiveAttentionScoresGrad`: kernels of our own (no tfjs op has
 *   them), registered for `wasm` by {@linkcode installSimdKernels}. lib/model/attention.ts calls them through
 *   `additiveScores` (./ops.ts) when the active backend has them, and composes tfjs ops otherwise.
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
import "@tensorflow/tfjs-backend-wasm";
import {
  asWasm,
  type BackendWasm,
  heapOffset,
  type KernelArgs,
  replaceKernel,
  replacementTag,
  restoreKernel,
  sizeOf,
  wasmHeap,
} from "../kernel_registry.ts";
import { decodeBase64 } from "../../util/base64.ts";
import {
  KERNELS_FMA_WASM_BASE64,
  KERNELS_SHARED_FMA_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from "./kernels_wasm.ts";
import { type GemmExports, startGemmThreads, threadedGemm } from "./gemm_threads.ts";
import { type Gemm, gemmBatchMatMul, gemmFusedMatMul, type Gemv, type HeapMatrix } from "../matmul.ts";
import { GEMM_NR } from "./source.ts";

import { ATT_SCORES, ATT_SCORES_GRAD, LSTM_CELL, ROW_ARGMAX } from "./ops.ts";
export { ATT_SCORES, ATT_SCORES_GRAD, LSTM_CELL, ROW_ARGMAX };

interface SimdExports extends GemmExports {
  tanh(x: number, y: number, n: number): void;
  sum_rows(x: number, out: number, rows: number, cols: number): void;
  gemv_rows(a: number, b: number, c: number, k: number, n: number, beta: number): void;
  argmax_rows(x: number, rows: number, cols: number, idx: number, val: number): void;
  lstm_cell(
    z: number,
    z2: number,
    cp: number,
    a: number,
    g: number,
    c: number,
    tc: number,
    h: number,
    b: number,
    u: number,
    hard: number,
  ): void;
  att_fwd(q: number, k: number, v: number, out: number, b: number, td: number, te: number, a: number): void;
  att_bwd(
    g: number,
    q: number,
    k: number,
    v: number,
    dq: number,
    dk: number,
    dv: number,
    b: number,
    td: number,
    te: number,
    a: number,
  ): void;
}

let compiled: WebAssembly.Module | null = null;
let fmaBuild: boolean | null = null;

/**
 * Whether this runtime has relaxed SIMD, so that the GEMM runs on `f32x4.relaxed_madd` (one fused multiply-add
 * where the CPU has FMA; V8 has had it on by default since 2023). Otherwise the GEMM multiplies and adds.
 */
export function simdFma(): boolean {
  fmaBuild ??= WebAssembly.validate(decodeBase64(KERNELS_FMA_WASM_BASE64) as Uint8Array<ArrayBuffer>);
  return fmaBuild;
}
const instances = new WeakMap<WebAssembly.Memory, SimdExports>();

/** The tfjs wasm backend's WebAssembly memory. */
function backendMemory(backend: BackendWasm): WebAssembly.Memory {
  const mem = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(mem instanceof WebAssembly.Memory)) {
    throw new Error(
      "simd kernels: the tfjs wasm backend does not expose its WebAssembly memory (asm.memory)",
    );
  }
  return mem;
}

/** The kernels instantiated on `backend`'s memory (once per memory). */
export function simdExports(backend: BackendWasm): SimdExports {
  const mem = backendMemory(backend);
  let e = instances.get(mem);
  if (!e) {
    compiled ??= new WebAssembly.Module(
      decodeBase64(simdFma() ? KERNELS_FMA_WASM_BASE64 : KERNELS_WASM_BASE64) as Uint8Array<ArrayBuffer>,
    );
    e = new WebAssembly.Instance(compiled, { env: { memory: mem } }).exports as unknown as SimdExports;
    instances.set(mem, e);
  }
  return e;
}

/** Byte offset of a tensor's data in the wasm heap. */
const ptr = (backend: BackendWasm, t: tf.TensorInfo) => heapOffset(backend, t);

/** A `Tanh` kernel function for `wasm` on float32 (other dtypes go to `fallback`). */
export function simdTanh(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x!;
    if (x.dtype !== "float32") return fallback(args);
    const backend = asWasm(args.backend);
    const out = backend.makeOutput(x.shape, "float32");
    const n = sizeOf(x.shape);
    if (n > 0) simdExports(backend).tanh(ptr(backend, x), ptr(backend, out), n);
    return out;
  };
}

function attScores({ inputs, backend: b }: KernelArgs): tf.TensorInfo {
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

function attScoresGrad({ inputs, backend: b }: KernelArgs): tf.TensorInfo[] {
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

/**
 * A `Sum` kernel function for `wasm`: float32 sums over leading axes (e.g. axis 0 of a matrix, a bias gradient) in
 * one pass (`sum_rows`); any other reduction goes to `fallback`.
 */
export function simdSum(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims?: boolean };
    if (x.dtype !== "float32" || x.shape.length === 0) return fallback(args);
    const axes = tf.util.parseAxisParam(axis, x.shape).slice().sort((a, b) => a - b);
    // leading axes only: 0, 1, ..., k-1
    if (axes.length === 0 || axes.some((a, i) => a !== i)) return fallback(args);
    const k = axes.length;
    const rows = sizeOf(x.shape.slice(0, k)), cols = sizeOf(x.shape.slice(k));
    const backend = asWasm(args.backend);
    const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
    const out = backend.makeOutput(outShape, "float32");
    if (cols > 0) simdExports(backend).sum_rows(ptr(backend, x), ptr(backend, out), rows, cols);
    return out;
  };
}

function lstmCellKernel({ inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo[] {
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
    attrs!.hard ? 1 : 0,
  );
  return outs;
}

function rowArgMaxKernel({ inputs, backend: b }: KernelArgs): tf.TensorInfo[] {
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
  hard: boolean,
): void {
  simdExports(backend).lstm_cell(z1, z2, c, a, g, cOut, tc, h, B, u, hard ? 1 : 0);
}

/**
 * Register our kernels for `wasm`: the fused attention scores and their gradient, the LSTM cell, the row arg-max, and
 * `Sum` over leading axes (`Tanh` is installed with the other speed overrides, by ../wasm_fast.ts). Idempotent;
 * returns the kernel names installed.
 */
export function installSimdKernels(): string[] {
  const kernels: [string, tf.KernelFunc][] = [
    [ATT_SCORES, attScores],
    [ATT_SCORES_GRAD, attScoresGrad as unknown as tf.KernelFunc],
    [LSTM_CELL, lstmCellKernel as unknown as tf.KernelFunc],
    [ROW_ARGMAX, rowArgMaxKernel as unknown as tf.KernelFunc],
  ];
  for (const [name, fn] of kernels) {
    if (replacementTag(name, "wasm") !== "simd") replaceKernel(name, "wasm", "simd", () => fn);
  }
  if (replacementTag("Sum", "wasm") !== "simd") {
    replaceKernel("Sum", "wasm", "simd", (cur) => simdSum(cur!.kernelFunc));
  }
  return [ATT_SCORES, ATT_SCORES_GRAD, LSTM_CELL, ROW_ARGMAX, "Sum"];
}

/**
 * Our SIMD GEMM as the {@link Gemm} of the shared matmul kernels (../matmul.ts): op(B) is packed into panels of
 * `GEMM_NR` columns in a scratch tensor, then the micro-kernel runs over op(A) through strides (a transposed A is
 * not copied).
 */
export const simdGemm: Gemm = (backend, tA, tB, M, N, K, a, b, c, beta) => {
  simdStats.gemm++;
  const aPtr = heapOffset(backend, a.t, a.offset);
  const bPtr = heapOffset(backend, b.t, b.offset);
  const cPtr = heapOffset(backend, c.t, c.offset);
  // big enough, and the worker is up: on two threads (./gemm_threads.ts)
  const heap = wasmHeap(backend).buffer as ArrayBuffer;
  if (threadedGemm(heap, tA, tB, M, N, K, aPtr, bPtr, cPtr, beta, GEMM_NR)) return;
  const e = simdExports(backend);
  const npad = Math.ceil(N / GEMM_NR) * GEMM_NR;
  const cached = M <= PACK_CACHE_MAX_M && K * npad <= PACK_CACHE_MAX_SIZE;
  let packed = cached ? packCache.find((p) => p.matches(backend, b, tB, K, N)) : undefined;
  let scratch: tf.TensorInfo | null = null;
  if (!packed) {
    // packed B, then 32 bytes of scratch for the micro-kernel's partial panels
    scratch = backend.makeOutput([K * npad + GEMM_NR], "float32");
    // op(B)(k, j): B is K x N (k stride 4N, j stride 4 bytes), or N x K when transposed
    e.gemm_pack_b(bPtr, tB ? 4 : 4 * N, tB ? 4 * K : 4, K, N, ptr(backend, scratch));
    if (cached) {
      packed = new PackedB(backend, b, tB, K, N, scratch);
      packCache.unshift(packed);
      for (const old of packCache.splice(PACK_CACHE_ENTRIES)) old.dispose();
      scratch = null;
    }
  }
  try {
    // offsets stay valid when the heap grows (only views detach)
    const pb = ptr(backend, packed ? packed.t : scratch!);
    // op(A)(i, k): A is M x K (row stride 4K, k stride 4 bytes), or K x M when transposed
    e.gemm(aPtr, tA ? 4 : 4 * K, tA ? 4 * M : 4, pb, cPtr, M, N, K, beta ? 1 : 0, pb + 4 * K * npad, N);
  } finally {
    if (scratch) backend.disposeData(scratch.dataId);
  }
};

/**
 * A packed B kept for the next products with the same B: a recurrent step multiplies by the same recurrent kernel
 * at every time step, and a decoder by the same output layer, and for a few rows of A packing B costs as much as
 * the product. Keyed by the tensor's data id (tfjs never writes into a tensor's data: updated weights get a new id).
 */
class PackedB {
  /** The data id and offset at packing time (a Variable is the same object after `assign`, with a new data id). */
  readonly dataId: object;
  readonly offset: number;
  constructor(
    readonly backend: BackendWasm,
    b: HeapMatrix,
    readonly tB: boolean,
    readonly K: number,
    readonly N: number,
    readonly t: tf.TensorInfo,
  ) {
    this.dataId = b.t.dataId;
    this.offset = b.offset;
  }
  matches(backend: BackendWasm, b: HeapMatrix, tB: boolean, K: number, N: number): boolean {
    return backend === this.backend && b.t.dataId === this.dataId && b.offset === this.offset &&
      tB === this.tB && K === this.K && N === this.N;
  }
  dispose(): void {
    this.backend.disposeData(this.t.dataId);
  }
}

/** Products with at most this many rows of A use the cache (for more, packing is a small part of the work). */
const PACK_CACHE_MAX_M = 128;
/** Packed Bs larger than this many floats are not kept. */
const PACK_CACHE_MAX_SIZE = 1 << 20;
const PACK_CACHE_ENTRIES = 4;
const packCache: PackedB[] = [];

/**
 * Start the GEMM's second thread (./gemm_threads.ts) on the kernels' shared-memory build; resolves to the threads
 * it will use. Called by initBackend when the GEMM path is installed.
 */
export function startSimdGemmThreads(): Promise<number> {
  const b64 = simdFma() ? KERNELS_SHARED_FMA_WASM_BASE64 : KERNELS_SHARED_WASM_BASE64;
  return startGemmThreads(decodeBase64(b64) as Uint8Array<ArrayBuffer>);
}

/** One-row products for the shared matmul kernels (../matmul.ts): `gemv_rows`, no packing. */
export const simdGemv: Gemv = (backend, K, N, a, b, c, beta) => {
  simdExports(backend).gemv_rows(
    heapOffset(backend, a.t, a.offset),
    heapOffset(backend, b.t, b.offset),
    heapOffset(backend, c.t, c.offset),
    K,
    N,
    beta ? 1 : 0,
  );
};

/** Calls of the SIMD GEMM and of the fused attention kernels since start (for tests and benchmarks). */
export const simdStats = { gemm: 0, attention: 0 };

/** Kernels {@linkcode installSimdGemm} replaces on `wasm`. */
export const GEMM_KERNELS: readonly string[] = ["BatchMatMul", "_FusedMatMul"];

/**
 * Route the wasm matmul kernels through our SIMD GEMM (the path without OpenBLAS), in front of whatever is
 * registered now (the XNNPACK override of ../wasm_fast.ts stays as the fallback). Idempotent.
 */
export function installSimdGemm(): string[] {
  if (replacementTag("BatchMatMul", "wasm") !== "simd-gemm") {
    replaceKernel(
      "BatchMatMul",
      "wasm",
      "simd-gemm",
      (cur) => gemmBatchMatMul(simdGemm, cur!.kernelFunc, simdGemv),
    );
  }
  if (replacementTag("_FusedMatMul", "wasm") !== "simd-gemm") {
    replaceKernel(
      "_FusedMatMul",
      "wasm",
      "simd-gemm",
      (cur) => gemmFusedMatMul(simdGemm, cur!.kernelFunc, simdGemv),
    );
  }
  return [...GEMM_KERNELS];
}

/** Put back the matmul kernels {@linkcode installSimdGemm} replaced. */
export function uninstallSimdGemm(): void {
  for (const k of GEMM_KERNELS) if (replacementTag(k, "wasm") === "simd-gemm") restoreKernel(k, "wasm");
}

/** Unregister the fused attention-score kernels (lib/model/attention.ts then composes tfjs ops). */
export function uninstallSimdKernels(): void {
  for (const name of [ATT_SCORES, ATT_SCORES_GRAD]) {
    if (replacementTag(name, "wasm") === "simd") restoreKernel(name, "wasm");
  }
}
