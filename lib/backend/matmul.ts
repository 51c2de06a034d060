/**
 * `BatchMatMul` and `_FusedMatMul` kernels for the `wasm` backend over any GEMM that reads and writes the wasm
 * heap in place: OpenBLAS through FFI (./blas.ts) or our WebAssembly SIMD GEMM (./simd/kernels.ts). Transposes are
 * the GEMM's business (no copies), a batch of `a` against a shared `b` is folded into rows (one call), and a batch
 * on both sides is one call per item. Anything else (broadcast batches, other dtypes, prelu activations) goes to
 * the kernel registered before.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { matMulDims } from "./wasm_fast.ts";
import { asWasm, type BackendWasm, heapF32, type KernelArgs, sizeOf } from "./kernel_registry.ts";

/** A matrix operand: a tensor on the wasm heap and the element offset of the matrix inside it. */
export interface HeapMatrix {
  t: tf.TensorInfo;
  offset: number;
}

/**
 * `C = op(A) . op(B) + beta * C` (row-major, `beta` 0 or 1), op(A) `M x K`, op(B) `K x N`, C `M x N`; A is stored
 * `K x M` when `tA`, B `N x K` when `tB`.
 */
export type Gemm = (
  backend: BackendWasm,
  tA: boolean,
  tB: boolean,
  M: number,
  N: number,
  K: number,
  a: HeapMatrix,
  b: HeapMatrix,
  c: HeapMatrix,
  beta: number,
) => void;

/** `c (1 x N) = a (1 x K) . b (K x N) (+ c when beta is 1)`, neither transposed: for batches of one-row products. */
export type Gemv = (
  backend: BackendWasm,
  K: number,
  N: number,
  a: HeapMatrix,
  b: HeapMatrix,
  c: HeapMatrix,
  beta: number,
) => void;

/**
 * `out = op(a) . op(b) (+ beta * out)` for tensors on the wasm heap; false if the batch layout is one we do not
 * handle (broadcast of two different batch shapes): the caller falls back.
 */
function matMulInto(
  gemm: Gemm,
  gemv: Gemv | undefined,
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  tA: boolean,
  tB: boolean,
  out: tf.TensorInfo,
  beta: number,
): boolean {
  const { M, K, N, batchA, batchB, outShape } = matMulDims(a.shape, b.shape, tA, tB);
  const batch = sizeOf(outShape.slice(0, -2));
  const at = (t: tf.TensorInfo, offset: number): HeapMatrix => ({ t, offset });
  if (batchB === 1 && !tA) {
    // fold a's batch into rows: one call
    gemm(backend, false, tB, batchA * M, N, K, at(a, 0), at(b, 0), at(out, 0), beta);
    return true;
  }
  if (!(batchA === 1 || batchA === batch) || !(batchB === 1 || batchB === batch)) return false;
  // a batch of one-row products (the attention's context at decode time): one weighted sum of rows each
  const rowProducts = gemv !== undefined && M === 1 && !tA && !tB;
  for (let i = 0; i < batch; i++) {
    const ia = batchA === 1 ? 0 : i, ib = batchB === 1 ? 0 : i;
    if (rowProducts) gemv(backend, K, N, at(a, ia * K), at(b, ib * K * N), at(out, i * N), beta);
    else gemm(backend, tA, tB, M, N, K, at(a, ia * M * K), at(b, ib * K * N), at(out, i * M * N), beta);
  }
  return true;
}

/**
 * A `BatchMatMul` kernel function computing float32 products with `gemm` (batches of one-row products with `gemv`
 * when given), else calling `prev`.
 */
export function gemmBatchMatMul(gemm: Gemm, prev: tf.KernelFunc, gemv?: Gemv): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, attrs, backend } = args;
    const a = inputs.a!, b = inputs.b!;
    if (a.dtype !== "float32" || b.dtype !== "float32") return prev(args);
    const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
    const { outShape } = matMulDims(a.shape, b.shape, tA, tB);
    const wb = asWasm(backend);
    const out = wb.makeOutput(outShape, "float32");
    if (sizeOf(outShape) === 0) return out;
    if (!matMulInto(gemm, gemv, wb, a, b, tA, tB, out, 0)) {
      wb.disposeData(out.dataId);
      return prev(args);
    }
    return out;
  };
}

/**
 * A `_FusedMatMul` kernel function (bias, linear or relu activation) computing float32 products with `gemm`, else
 * calling `prev`.
 */
export function gemmFusedMatMul(gemm: Gemm, prev: tf.KernelFunc, gemv?: Gemv): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, attrs, backend } = args;
    const { a, b, bias, preluActivationWeights } = inputs;
    const activation = (attrs!.activation as string | undefined) ?? "linear";
    if (
      a!.dtype !== "float32" || b!.dtype !== "float32" || preluActivationWeights ||
      (activation !== "linear" && activation !== "relu")
    ) return prev(args);
    const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
    const { N, outShape } = matMulDims(a!.shape, b!.shape, tA, tB);
    const biasSize = bias ? sizeOf(bias.shape) : 0;
    const rowBias = bias && biasSize === N && bias.shape[bias.shape.length - 1] === N;
    if (bias && !(rowBias || biasSize === 1)) return prev(args);
    const wb = asWasm(backend);
    const out = wb.makeOutput(outShape, "float32");
    const total = sizeOf(outShape);
    if (total === 0) return out;
    if (bias) {
      // C starts as the broadcast bias, then C = A.B + C
      const bv = heapF32(wb, bias), ov = heapF32(wb, out);
      if (biasSize === 1) ov.fill(bv[0]);
      else for (let r = 0; r < total; r += N) ov.set(bv, r);
    }
    if (!matMulInto(gemm, gemv, wb, a!, b!, tA, tB, out, bias ? 1 : 0)) {
      wb.disposeData(out.dataId);
      return prev(args);
    }
    if (activation === "relu") {
      const ov = heapF32(wb, out);
      for (let i = 0; i < total; i++) if (ov[i] < 0) ov[i] = 0;
    }
    return out;
  };
}
