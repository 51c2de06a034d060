/**
 * Speed overrides for training on the tfjs `wasm` backend. Each replaces an existing wasm kernel,
 * keeps its `setupFunc` (see `kernel_registry.ts`) and falls back to it where the fix does not apply:
 *
 * - `BatchMatMul`: the native kernel takes XNNPACK only for rank-3 inputs with batch 1 and no
 *   transposes; every matmul gradient transposes and fell to a scalar loop (0.4-2.3 GFLOP/s).
 *   Here transposes are materialised by the wasm `Transpose` kernel and batches folded into rows,
 *   so the product runs on the XNNPACK path.
 * - `Identity`: the native kernel copies; `engine.clone()` (every tensor kept for backprop) goes
 *   through it, so memory doubled. Here the buffer is shared with a reference count, as `cpu` does.
 * - `Slice`, `Unpack`, `SplitV`: the native `Slice` copies the WHOLE input out of the heap on every
 *   call, so unstacking a sequence is O(T^2). Here slices are copied from heap views.
 * - `GatherV2` on axis 0: row copies instead of a per-element index computation.
 * - `Tanh`: the native kernel is scalar libm; here one SIMD pass of our own (./simd/kernels.ts; before it,
 *   `2 * sigmoid(2x) - 1` on XNNPACK's `Sigmoid` took four passes).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {
  asWasm,
  type BackendWasm,
  heapOffset,
  type KernelArgs,
  nativeKernel,
  replaceKernel,
  replacementTag,
  restoreKernel,
  sizeOf,
} from "./kernel_registry.ts";
import { simdTanh } from "./simd/kernels.ts";

/** Which overrides to install (all default to true). */
export interface WasmFastOptions {
  matmul?: boolean;
  identity?: boolean;
  slice?: boolean;
  tanh?: boolean;
  gather?: boolean;
  /**
   * The fused additive-attention scores and their gradient (./simd/kernels.ts; installed by initBackend in
   * ../choose.ts, not by {@linkcode installWasmFast}).
   */
  attention?: boolean;
}

/** Names of the kernels each option replaces. */
export const FAST_KERNELS = {
  matmul: ["BatchMatMul"],
  identity: ["Identity"],
  slice: ["Slice", "Unpack", "SplitV"],
  tanh: ["Tanh"],
  gather: ["GatherV2"],
} as const;

/** Counts of the BatchMatMul strategies taken (for benchmarks and tests). */
export const fastStats: Record<string, number> = {};
const count = (k: string) => fastStats[k] = (fastStats[k] ?? 0) + 1;

function native(name: string): tf.KernelFunc {
  const k = nativeKernel(name, "wasm");
  if (!k) throw new Error(`wasm backend has no '${name}' kernel (is @tensorflow/tfjs-backend-wasm loaded?)`);
  return k.kernelFunc;
}

type TI = tf.TensorInfo;

/** Small wrappers around native wasm kernels used to build the overrides. */
function wasmOps(backend: BackendWasm) {
  const transposeK = native("Transpose"), reshapeK = native("Reshape");
  return {
    reshape: (x: TI, shape: number[]) => reshapeK({ inputs: { x }, attrs: { shape }, backend }) as TI,
    swapLast2: (x: TI) => {
      const r = x.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return transposeK({ inputs: { x }, attrs: { perm }, backend }) as TI;
    },
  };
}

/** Shapes of a (possibly transposed, batched) matmul. */
export function matMulDims(aShape: number[], bShape: number[], tA: boolean, tB: boolean) {
  const ra = aShape.length, rb = bShape.length;
  const M = tA ? aShape[ra - 1] : aShape[ra - 2];
  const K = tA ? aShape[ra - 2] : aShape[ra - 1];
  const kB = tB ? bShape[rb - 1] : bShape[rb - 2];
  const N = tB ? bShape[rb - 2] : bShape[rb - 1];
  if (K !== kB) {
    throw new Error(
      `matMul: inner dimensions ${K} and ${kB} of shapes [${aShape}] and [${bShape}] ` +
        `(transposeA=${tA}, transposeB=${tB}) must match`,
    );
  }
  const batchA = sizeOf(aShape.slice(0, -2)), batchB = sizeOf(bShape.slice(0, -2));
  const outBatchDims = tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  return { M, K, N, batchA, batchB, outShape: [...outBatchDims, M, N] };
}

function fastBatchMatMul(nativeBmm: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, attrs, backend } = args;
    const a = inputs.a!, b = inputs.b!;
    const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
    if (a.dtype !== "float32" || b.dtype !== "float32") return nativeBmm(args);
    const { M, K, N, batchA, batchB, outShape } = matMulDims(a.shape, b.shape, tA, tB);
    if (!tA && !tB && batchA === 1 && batchB === 1) return nativeBmm(args);
    const wb = asWasm(backend);
    const ops = wasmOps(wb);
    const tmp: TI[] = [];
    const T = (x: TI) => keep(ops.swapLast2(x));
    const R = (x: TI, shape: number[]) => keep(ops.reshape(x, shape));
    const keep = (x: TI) => {
      tmp.push(x);
      return x;
    };
    const plain = (x: TI, y: TI) =>
      nativeBmm({ inputs: { a: x, b: y }, attrs: { transposeA: false, transposeB: false }, backend }) as TI;
    let out: TI;
    if (batchB === 1) {
      // Shared b. XNNPACK packs its b operand for every new tensor (~2x the cost of a copy), so pick
      //  (i)  C   = op(A) . op(B)       packs K*N  (+ transposes of A if tA, of B if tB)
      //  (ii) C^T = op(B)^T . op(A)^T   packs K*M  (+ transposes of B if !tB, of A if !tA, and of C^T)
      // (ii) needs a's batch to be 1.
      const sizeA = batchA * M * K, sizeB = K * N;
      const c1 = (tA ? sizeA : 0) + (tB ? sizeB : 0) + 2 * K * N;
      const c2 = (tB ? 0 : sizeB) + (tA ? 0 : sizeA) + 2 * K * M + M * N;
      if (batchA === 1 && c2 < c1) {
        const ct = keep(plain(R(tB ? b : T(b), [1, N, K]), R(tA ? a : T(a), [1, K, M])));
        out = ops.swapLast2(ct);
        count("bmm-swap");
      } else {
        out = plain(R(tA ? T(a) : a, [1, batchA * M, K]), R(tB ? T(b) : b, [1, K, N]));
        count("bmm-fold");
      }
    } else if (batchA === 1) {
      // Shared a: C_i^T = op(B_i)^T . op(A)^T, b's batch folded into rows, then transposed back.
      const ct = keep(plain(R(tB ? b : T(b), [1, batchB * N, K]), R(tA ? a : T(a), [1, K, M])));
      out = ops.swapLast2(R(ct, [batchB, N, M]));
      count("bmm-shared-a");
    } else if (batchA === batchB && sizeOf(outShape.slice(0, -2)) === batchA) {
      // True batched product: the native kernel's batched loop, with unit-stride operands.
      out = plain(R(tA ? T(a) : a, [batchA, M, K]), R(tB ? T(b) : b, [batchB, K, N]));
      count("bmm-batched");
    } else {
      count("bmm-native");
      return nativeBmm(args);
    }
    for (const t of tmp) wb.disposeData(t.dataId);
    return { dataId: out.dataId, shape: outShape, dtype: out.dtype };
  };
}

function fastIdentity(nativeIdentity: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x!;
    if (x.dtype === "string") return nativeIdentity(args);
    asWasm(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Copy `x[begin : begin + size]` into a new wasm tensor, reading the input through heap views. */
export function sliceFromHeap(backend: BackendWasm, x: TI, begin: number[], size: number[]): TI {
  const out = backend.makeOutput(size, x.dtype);
  const n = sizeOf(size);
  if (n === 0) return out;
  // views only after the allocation above: heap growth detaches older views
  const xv = backend.typedArrayFromHeap(x), ov = backend.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const off = tf.slice_util.computeFlatOffset(begin, strides);
    ov.set(xv.subarray(off, off + n));
    return out;
  }
  const rank = x.shape.length, inner = size[rank - 1];
  const idx = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < n; o += inner) {
    let off = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) off += (begin[d] + idx[d]) * strides[d];
    ov.set(xv.subarray(off, off + inner), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

const notString = (orig: tf.KernelFunc, f: tf.KernelFunc): tf.KernelFunc => (args: KernelArgs) => {
  const first = Object.values(args.inputs)[0];
  return first?.dtype === "string" ? orig(args) : f(args);
};

function fastSlice(orig: tf.KernelFunc): tf.KernelFunc {
  return notString(orig, ({ inputs, attrs, backend }: KernelArgs) => {
    const x = inputs.x!;
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      attrs!.begin as number | number[],
      attrs!.size as number | number[],
    );
    return sliceFromHeap(asWasm(backend), x, begin, size);
  });
}

function fastUnpack(orig: tf.KernelFunc): tf.KernelFunc {
  return notString(orig, ({ inputs, attrs, backend }: KernelArgs) => {
    const value = inputs.value!;
    const rank = value.shape.length;
    const axis = (attrs!.axis as number) < 0 ? (attrs!.axis as number) + rank : attrs!.axis as number;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(rank).fill(0), size = value.shape.slice();
    size[axis] = 1;
    const outs: TI[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      begin[axis] = i;
      const o = sliceFromHeap(asWasm(backend), value, begin, size);
      outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape });
    }
    return outs;
  });
}

function fastSplitV(orig: tf.KernelFunc): tf.KernelFunc {
  return notString(orig, ({ inputs, attrs, backend }: KernelArgs) => {
    const x = inputs.x!;
    const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs!.numOrSizeSplits as number[], axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const o = sliceFromHeap(asWasm(backend), x, begin, size);
      begin[axis] += s;
      return o;
    });
  });
}

/**
 * `GatherV2` along axis 0 (embedding lookups, the loss's pick of target probabilities): row copies inside the heap.
 * The native kernel computes every element's source index (10 ms to look up 3,200 rows of 100 floats).
 */
function fastGather(orig: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x!, indices = inputs.indices!;
    const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
    if (
      axis !== 0 || ((attrs!.batchDims as number | undefined) ?? 0) !== 0 || x.shape.length === 0 ||
      (x.dtype !== "float32" && x.dtype !== "int32") || indices.dtype !== "int32"
    ) return orig(args);
    const wb = asWasm(backend);
    const rows = x.shape[0], row = sizeOf(x.shape.slice(1));
    const out = wb.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // views after the allocation (heap growth detaches older ones); float32 and int32 are both 4 bytes
    const heap = (wb.wasm as unknown as { HEAP32: Int32Array }).HEAP32;
    const idxAt = heapOffset(wb, indices) / 4;
    const idx = heap.subarray(idxAt, idxAt + sizeOf(indices.shape));
    for (const i of idx) {
      if (i < 0 || i >= rows) { // the native kernel's error for a bad index
        wb.disposeData(out.dataId);
        return orig(args);
      }
    }
    const src = heapOffset(wb, x) / 4;
    let dst = heapOffset(wb, out) / 4;
    for (const i of idx) {
      heap.copyWithin(dst, src + i * row, src + (i + 1) * row);
      dst += row;
    }
    return out;
  };
}

const FACTORIES: Record<string, (orig: tf.KernelFunc) => tf.KernelFunc> = {
  GatherV2: fastGather,
  BatchMatMul: fastBatchMatMul,
  Identity: fastIdentity,
  Slice: fastSlice,
  Unpack: fastUnpack,
  SplitV: fastSplitV,
  Tanh: simdTanh,
};

/**
 * The override kernel function for `kernelName` (one of {@link FAST_KERNELS}) wrapped around the
 * native wasm kernel, without registering it (for benchmarks and tests).
 */
export function makeFastKernel(kernelName: string): tf.KernelFunc {
  const factory = FACTORIES[kernelName];
  if (!factory) throw new Error(`no wasm fast override for '${kernelName}'`);
  return factory(native(kernelName));
}

/**
 * Install the wasm speed overrides selected by `opts` (all by default) and restore the native
 * kernel for the ones switched off. Idempotent. A BatchMatMul replaced by the BLAS path
 * (`blas.ts`) is left alone when `matmul` is on. Returns the kernel names now overridden here.
 */
export function installWasmFast(opts: WasmFastOptions = {}): string[] {
  const done: string[] = [];
  for (const [opt, names] of Object.entries(FAST_KERNELS) as [keyof WasmFastOptions, readonly string[]][]) {
    const on = opts[opt] ?? true;
    for (const name of names) {
      const tag = replacementTag(name, "wasm");
      if (on) {
        if (tag === null || tag === "fast") {
          if (tag === null) replaceKernel(name, "wasm", "fast", () => makeFastKernel(name));
          done.push(name);
        }
      } else if (tag === "fast") {
        restoreKernel(name, "wasm");
      }
    }
  }
  return done;
}

/** Restore every native kernel replaced by {@link installWasmFast}. */
export function uninstallWasmFast(): void {
  for (const names of Object.values(FAST_KERNELS)) {
    for (const name of names) if (replacementTag(name, "wasm") === "fast") restoreKernel(name, "wasm");
  }
}
