/**
 * Speed overrides for training on the tfjs `wasm` backend: for each, a guard (which calls it takes; the others go
 * down the kernel's chain to the native kernel, see ./table.ts) and a factory given the native kernel function:
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
 * - (`Tanh`: the native kernel is scalar libm; ./simd/kernels.ts has one SIMD pass of our own.)
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
  sizeOf,
} from "./kernel_registry.ts";
import { matMulDims } from "./matmul.ts";

export { matMulDims };

/** Which override groups to install (all default to true); ./table.ts says which kernels each switches. */
export interface WasmFastOptions {
  matmul?: boolean;
  identity?: boolean;
  slice?: boolean;
  tanh?: boolean;
  gather?: boolean;
  /** The fused additive-attention scores and their gradient (./simd/kernels.ts). */
  attention?: boolean;
  /** The LSTM kernels: the cell (./simd/kernels.ts), the layer's forward and backward steps (./lstm_sequence.ts). */
  lstm?: boolean;
  /** `Sum` over leading axes in one SIMD pass (./simd/kernels.ts). */
  sum?: boolean;
  /** The row arg-max of greedy decoding (./simd/kernels.ts). */
  argmax?: boolean;
  /** The fused cross-entropies of the training step (softmax, and copy attention's) and their gradients (./simd/kernels.ts). */
  crossEntropy?: boolean;
}

/** Names of the kernels the groups of this module replace. */
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

type TI = tf.TensorInfo;

function native(name: string): tf.KernelFunc {
  const k = nativeKernel(name, "wasm");
  if (!k) throw new Error(`wasm backend has no '${name}' kernel (is @tensorflow/tfjs-backend-wasm loaded?)`);
  return k.kernelFunc;
}

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

/** The guard of {@linkcode fastBatchMatMul}: float32 products that transpose or batch, in a layout it handles. */
export function fastMatMulGuard({ inputs, attrs }: KernelArgs): string | null {
  const a = inputs.a!, b = inputs.b!;
  if (a.dtype !== "float32" || b.dtype !== "float32") return "not float32";
  const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
  const { batchA, batchB, outShape } = matMulDims(a.shape, b.shape, tA, tB);
  if (!tA && !tB && batchA === 1 && batchB === 1) return "no transposes, batch 1 (XNNPACK natively)";
  if (batchB === 1 || batchA === 1 || (batchA === batchB && sizeOf(outShape.slice(0, -2)) === batchA)) {
    return null;
  }
  count("bmm-native");
  return "batches broadcast on both sides";
}

/**
 * `BatchMatMul` with transposes materialised by the wasm `Transpose` kernel and batches folded into rows, so that
 * the product runs on XNNPACK (`nativeBmm` without transposes), for the calls {@linkcode fastMatMulGuard} admits.
 */
export function fastBatchMatMul(nativeBmm: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, attrs, backend }: KernelArgs) => {
    const a = inputs.a!, b = inputs.b!;
    const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
    const { M, K, N, batchA, batchB, outShape } = matMulDims(a.shape, b.shape, tA, tB);
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
    } else {
      // True batched product (the guard admits no other): the native kernel's batched loop, unit-stride operands.
      out = plain(R(tA ? T(a) : a, [batchA, M, K]), R(tB ? T(b) : b, [batchB, K, N]));
      count("bmm-batched");
    }
    for (const t of tmp) wb.disposeData(t.dataId);
    return { dataId: out.dataId, shape: outShape, dtype: out.dtype };
  };
}

/** Not a string tensor (the guard of the Identity and slicing overrides: strings are not on the heap). */
export function notStringGuard(args: KernelArgs): string | null {
  return Object.values(args.inputs)[0]?.dtype === "string" ? "string tensor" : null;
}

/** `Identity` sharing the input's buffer (reference-counted), as `cpu` does. */
export function fastIdentity(args: KernelArgs): TI {
  const x = args.inputs.x!;
  asWasm(args.backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
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

/** `Slice` copied from heap views. */
export function fastSlice({ inputs, attrs, backend }: KernelArgs): TI {
  const x = inputs.x!;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as tf.Tensor,
    attrs!.begin as number | number[],
    attrs!.size as number | number[],
  );
  return sliceFromHeap(asWasm(backend), x, begin, size);
}

/** `Unpack`: one slice from heap views per part. */
export function fastUnpack({ inputs, attrs, backend }: KernelArgs): TI[] {
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
}

/** `SplitV`: one slice from heap views per part. */
export function fastSplitV({ inputs, attrs, backend }: KernelArgs): TI[] {
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
}

/** The guard of {@linkcode fastGather}: axis 0, no batch dims, float32 or int32 rows, int32 indices in range. */
export function fastGatherGuard({ inputs, attrs, backend }: KernelArgs): string | null {
  const x = inputs.x!, indices = inputs.indices!;
  if (x.shape.length === 0) return "scalar input";
  if (tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0] !== 0) return "axis not 0";
  if (((attrs!.batchDims as number | undefined) ?? 0) !== 0) return "batch dims";
  if ((x.dtype !== "float32" && x.dtype !== "int32") || indices.dtype !== "int32") return "dtype";
  const wb = asWasm(backend), rows = x.shape[0];
  const heap = (wb.wasm as unknown as { HEAP32: Int32Array }).HEAP32;
  const at = heapOffset(wb, indices) / 4;
  for (const i of heap.subarray(at, at + sizeOf(indices.shape))) {
    if (i < 0 || i >= rows) return "index out of range (the native kernel's error)";
  }
  return null;
}

/**
 * `GatherV2` along axis 0 (embedding lookups, the loss's pick of target probabilities): row copies inside the heap.
 * The native kernel computes every element's source index (10 ms to look up 3,200 rows of 100 floats).
 */
export function fastGather({ inputs, backend }: KernelArgs): TI {
  const x = inputs.x!, indices = inputs.indices!;
  const wb = asWasm(backend);
  const row = sizeOf(x.shape.slice(1));
  const out = wb.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  // views after the allocation (heap growth detaches older ones); float32 and int32 are both 4 bytes
  const heap = (wb.wasm as unknown as { HEAP32: Int32Array }).HEAP32;
  const idxAt = heapOffset(wb, indices) / 4;
  const idx = heap.subarray(idxAt, idxAt + sizeOf(indices.shape));
  const src = heapOffset(wb, x) / 4;
  let dst = heapOffset(wb, out) / 4;
  if (row <= 8) {
    // short rows (a gather of single numbers, e.g. copy attention's gradient): copyWithin's call costs more than
    // the copy (163,840 single floats took 11.7 ms of the envnews step)
    for (const i of idx) {
      for (let k = 0, s = src + i * row; k < row; k++) heap[dst++] = heap[s + k];
    }
    return out;
  }
  for (const i of idx) {
    heap.copyWithin(dst, src + i * row, src + (i + 1) * row);
    dst += row;
  }
  return out;
}
