/**
 * Our SIMD GEMM (./source.ts) as the {@link Gemm} and {@link Gemv} of the shared matmul kernels (../matmul.ts): the
 * matmul path without OpenBLAS, and the recurrent products of the LSTM kernels (../lstm_sequence.ts) then. Packed
 * B operands of small products are cached; big products run on two threads (./gemm_threads.ts).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type BackendWasm, heapOffset, wasmHeap } from "../kernel_registry.ts";
import type { Gemm, Gemv, HeapMatrix } from "../matmul.ts";
import { startGemmThreads, threadedGemm } from "./gemm_threads.ts";
import { sharedBinary, simdExports, simdStats } from "./module.ts";
import { GEMM_NR } from "./source.ts";

/** Byte offset of a tensor's data in the wasm heap. */
const ptr = (backend: BackendWasm, t: tf.TensorInfo) => heapOffset(backend, t);

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
  return startGemmThreads(sharedBinary());
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
