/**
 * `BatchMatMul` and `_FusedMatMul` kernels for the `wasm` backend over any GEMM that reads and writes the wasm
 * heap in place: OpenBLAS through FFI (./blas.ts) or our WebAssembly SIMD GEMM (./simd/gemm.ts). Transposes are
 * the GEMM's business (no copies), a batch of `a` against a shared `b` is folded into rows (one call), and a batch
 * on both sides is one call per item. Anything else (broadcast batches, other dtypes, prelu activations) is refused
 * by the guards ({@linkcode gemmMatMulGuard}, {@linkcode gemmFusedGuard}): the chain (./table.ts) passes it on.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { asWasm, type BackendWasm, heapF32, type KernelArgs, sizeOf } from "./kernel_registry.ts";

/** Shapes of a (possibly transposed, batched) matmul; throws tfjs's message when the inner dimensions differ. */
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

/** Why the batch layout is one the GEMM kernels do not handle (two different batch shapes broadcast), or null. */
function layoutRefusal(a: tf.TensorInfo, b: tf.TensorInfo, tA: boolean, tB: boolean): string | null {
  const { batchA, batchB, outShape } = matMulDims(a.shape, b.shape, tA, tB);
  if (batchB === 1 && !tA) return null;
  const batch = sizeOf(outShape.slice(0, -2));
  return (batchA === 1 || batchA === batch) && (batchB === 1 || batchB === batch)
    ? null
    : "batches broadcast on both sides";
}

/** `out = op(a) . op(b) (+ beta * out)` for tensors on the wasm heap, in a layout {@linkcode layoutRefusal} admits. */
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
): void {
  const { M, K, N, batchA, batchB, outShape } = matMulDims(a.shape, b.shape, tA, tB);
  const batch = sizeOf(outShape.slice(0, -2));
  const at = (t: tf.TensorInfo, offset: number): HeapMatrix => ({ t, offset });
  if (batchB === 1 && !tA) {
    // fold a's batch into rows: one call
    gemm(backend, false, tB, batchA * M, N, K, at(a, 0), at(b, 0), at(out, 0), beta);
    return;
  }
  // a batch of one-row products (the attention's context at decode time): one weighted sum of rows each
  const rowProducts = gemv !== undefined && M === 1 && !tA && !tB;
  for (let i = 0; i < batch; i++) {
    const ia = batchA === 1 ? 0 : i, ib = batchB === 1 ? 0 : i;
    if (rowProducts) gemv(backend, K, N, at(a, ia * K), at(b, ib * K * N), at(out, i * N), beta);
    else gemm(backend, tA, tB, M, N, K, at(a, ia * M * K), at(b, ib * K * N), at(out, i * M * N), beta);
  }
}

/** The guard of the GEMM `BatchMatMul` kernels: float32 operands in a batch layout they handle. */
export function gemmMatMulGuard({ inputs, attrs }: KernelArgs): string | null {
  const a = inputs.a!, b = inputs.b!;
  if (a.dtype !== "float32" || b.dtype !== "float32") return "not float32";
  return layoutRefusal(a, b, !!attrs!.transposeA, !!attrs!.transposeB);
}

/**
 * A `BatchMatMul` kernel function computing float32 products with `gemm` (batches of one-row products with `gemv`
 * when given), for the calls {@linkcode gemmMatMulGuard} admits.
 */
export function gemmBatchMatMul(gemm: Gemm, gemv?: Gemv): tf.KernelFunc {
  return ({ inputs, attrs, backend }: KernelArgs) => {
    const a = inputs.a!, b = inputs.b!;
    const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
    const { outShape } = matMulDims(a.shape, b.shape, tA, tB);
    const wb = asWasm(backend);
    const out = wb.makeOutput(outShape, "float32");
    if (sizeOf(outShape) > 0) matMulInto(gemm, gemv, wb, a, b, tA, tB, out, 0);
    return out;
  };
}

/** The guard of the GEMM `_FusedMatMul` kernels: float32, no prelu, linear or relu, a row or scalar bias. */
export function gemmFusedGuard({ inputs, attrs }: KernelArgs): string | null {
  const { a, b, bias, preluActivationWeights } = inputs;
  const activation = (attrs!.activation as string | undefined) ?? "linear";
  if (a!.dtype !== "float32" || b!.dtype !== "float32") return "not float32";
  if (preluActivationWeights) return "prelu activation";
  if (activation !== "linear" && activation !== "relu") return `activation ${activation}`;
  const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
  if (bias) {
    const { N } = matMulDims(a!.shape, b!.shape, tA, tB);
    const biasSize = sizeOf(bias.shape);
    const rowBias = biasSize === N && bias.shape[bias.shape.length - 1] === N;
    if (!(rowBias || biasSize === 1)) return "bias neither a row nor a scalar";
  }
  return layoutRefusal(a!, b!, tA, tB);
}

/**
 * A `_FusedMatMul` kernel function (bias, linear or relu activation) computing float32 products with `gemm`, for
 * the calls {@linkcode gemmFusedGuard} admits.
 */
export function gemmFusedMatMul(gemm: Gemm, gemv?: Gemv): tf.KernelFunc {
  return ({ inputs, attrs, backend }: KernelArgs) => {
    const { a, b, bias } = inputs;
    const activation = (attrs!.activation as string | undefined) ?? "linear";
    const tA = !!attrs!.transposeA, tB = !!attrs!.transposeB;
    const { N, outShape } = matMulDims(a!.shape, b!.shape, tA, tB);
    const wb = asWasm(backend);
    const out = wb.makeOutput(outShape, "float32");
    const total = sizeOf(outShape);
    if (total === 0) return out;
    if (bias) {
      // C starts as the broadcast bias, then C = A.B + C
      const bv = heapF32(wb, bias), ov = heapF32(wb, out);
      if (sizeOf(bias.shape) === 1) ov.fill(bv[0]);
      else for (let r = 0; r < total; r += N) ov.set(bv, r);
    }
    matMulInto(gemm, gemv, wb, a!, b!, tA, tB, out, bias ? 1 : 0);
    if (activation === "relu") {
      const ov = heapF32(wb, out);
      for (let i = 0; i < total; i++) if (ov[i] < 0) ov[i] = 0;
    }
    return out;
  };
}
