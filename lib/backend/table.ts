/**
 * Every kernel we register, on every backend, as one table: for each (backend, kernel) its implementations in
 * order, each with a name, the options that select it (`when`) and the guard that admits a call; the backend's
 * native kernel comes last (where it has one). ./install.ts builds each registered kernel function from its row:
 * the first selected implementation whose guard admits the call runs it; a refused call goes down the chain and is
 * counted with the guard's reason (./usage.ts).
 *
 * Implementation names are the tags the backend report has always shown: `blas` (OpenBLAS through FFI), `simd-gemm`
 * (our WebAssembly SIMD GEMM), `fast` (the wasm speed overrides of ./wasm_fast.ts; for `BatchMatMul` the XNNPACK
 * fold), `simd` (our SIMD kernels), `simd-blas` (the LSTM kernels with OpenBLAS recurrent products), `fill-in`,
 * `scatter-add`, `addn-groups`, and `native`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KERNEL_TABLE, selectOptions } from "./table.ts";
 * const row = KERNEL_TABLE.find((r) => r.backend === "wasm" && r.kernel === "BatchMatMul")!;
 * const o = selectOptions({ blas: false });
 * assertEquals(row.impls.filter((i) => i.when?.(o) ?? true).map((i) => i.name), ["simd-gemm", "fast"]);
 * ```
 * @module
 */
import "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs, KernelFunc } from "./kernel_registry.ts";
import { gemmBatchMatMul, gemmFusedGuard, gemmFusedMatMul, gemmMatMulGuard } from "./matmul.ts";
import { blasGemm } from "./blas.ts";
import {
  fastBatchMatMul,
  fastGather,
  fastGatherGuard,
  fastIdentity,
  fastMatMulGuard,
  fastSlice,
  fastSplitV,
  fastUnpack,
  notStringGuard,
  type WasmFastOptions,
} from "./wasm_fast.ts";
import {
  attScores,
  attScoresGrad,
  copyCeGradKernel,
  copyCeKernel,
  float32Guard,
  lstmCellKernel,
  rowArgMaxKernel,
  simdSum,
  simdSumGuard,
  simdTanh,
  softmaxArgMaxKernel,
  softmaxCeGradKernel,
  softmaxCeKernel,
} from "./simd/kernels.ts";
import { simdGemm, simdGemv } from "./simd/gemm.ts";
import {
  ATT_SCORES,
  ATT_SCORES_GRAD,
  COPY_CE,
  COPY_CE_GRAD,
  LSTM_BACKWARD,
  LSTM_CELL,
  LSTM_SEQUENCE,
  ROW_ARGMAX,
  SOFTMAX_ARGMAX,
  SOFTMAX_CE,
  SOFTMAX_CE_GRAD,
} from "./simd/ops.ts";
import { lstmBackwardKernel, lstmSequenceKernel } from "./lstm_sequence.ts";
import { cpuUnsortedSegmentSum, wasmUnsortedSegmentSum } from "./wasm_kernels.ts";
import { addNGroups, addNGuard } from "./webgpu.ts";

/** The backends the table covers. */
export type TableBackend = "wasm" | "cpu" | "webgpu";

/** What selects implementations: the override groups of {@link WasmFastOptions}, OpenBLAS, our GEMM. */
export interface KernelOptions extends WasmFastOptions {
  /** OpenBLAS matmuls (and LSTM recurrent products) when the library is loaded (`openBlas()`); default true. */
  blas?: boolean;
  /** Without OpenBLAS, matmuls on our SIMD GEMM rather than XNNPACK (default true). */
  gemm?: boolean;
  /** The cpu backend's `UnsortedSegmentSum` as a scatter-add (default true). */
  scatterAdd?: boolean;
}

/** {@link KernelOptions} with every default filled in (and `blas` true only when OpenBLAS is loaded). */
export type KernelSelection = Required<KernelOptions>;

/** Fill in the defaults of `opts` (every group on); `blasLoaded`: whether OpenBLAS is loaded now. */
export function selectOptions(opts: KernelOptions = {}, blasLoaded = true): KernelSelection {
  const on = (v: boolean | undefined) => v ?? true;
  return {
    blas: on(opts.blas) && blasLoaded,
    gemm: on(opts.gemm),
    matmul: on(opts.matmul),
    identity: on(opts.identity),
    slice: on(opts.slice),
    tanh: on(opts.tanh),
    gather: on(opts.gather),
    attention: on(opts.attention),
    lstm: on(opts.lstm),
    sum: on(opts.sum),
    argmax: on(opts.argmax),
    crossEntropy: on(opts.crossEntropy),
    scatterAdd: on(opts.scatterAdd),
  };
}

/** One implementation of a kernel. */
export interface Impl {
  name: string;
  /** Whether the options select it (absent: always). */
  when?: (o: KernelSelection) => boolean;
  /** Null admits the call; otherwise the reason it goes to the next implementation (absent: admits every call). */
  guard?: (args: KernelArgs) => string | null;
  /** The kernel function, given the backend's native kernel function (null where the backend has none). */
  make: (native: KernelFunc | null) => KernelFunc;
}

/** A row of the table: one kernel on one backend. */
export interface TableRow {
  backend: TableBackend;
  kernel: string;
  /** Ours, in order; the native kernel follows them (where the backend has one). */
  impls: Impl[];
  /** A kernel the backend lacks: registered only while it still has no native one (a later tfjs may). */
  fillIn?: boolean;
  /** A kernel of our own (no tfjs op has it): registered only while an implementation is selected. */
  own?: boolean;
}

const k = (f: unknown) => () => f as KernelFunc;
const withNative = (f: (native: KernelFunc) => KernelFunc) => (native: KernelFunc | null) => f(native!);
const noBlasGemm = (o: KernelSelection) => !o.blas && o.gemm && o.matmul;

/** The matmul chains: OpenBLAS, or our GEMM, then the XNNPACK fold (BatchMatMul only), then native. */
const MATMUL: TableRow[] = [
  {
    backend: "wasm",
    kernel: "BatchMatMul",
    impls: [
      {
        name: "blas",
        when: (o) => o.blas,
        guard: gemmMatMulGuard,
        make: k(gemmBatchMatMul(blasGemm, simdGemv)),
      },
      {
        name: "simd-gemm",
        when: noBlasGemm,
        guard: gemmMatMulGuard,
        make: k(gemmBatchMatMul(simdGemm, simdGemv)),
      },
      { name: "fast", when: (o) => o.matmul, guard: fastMatMulGuard, make: withNative(fastBatchMatMul) },
    ],
  },
  {
    backend: "wasm",
    kernel: "_FusedMatMul",
    impls: [
      {
        name: "blas",
        when: (o) => o.blas,
        guard: gemmFusedGuard,
        make: k(gemmFusedMatMul(blasGemm, simdGemv)),
      },
      {
        name: "simd-gemm",
        when: noBlasGemm,
        guard: gemmFusedGuard,
        make: k(gemmFusedMatMul(simdGemm, simdGemv)),
      },
    ],
  },
];

/** A wasm kernel with one implementation of ours in front of the native one. */
const wasmRow = (
  kernel: string,
  when: Impl["when"],
  guard: Impl["guard"],
  f: unknown,
  name = "fast",
): TableRow => ({
  backend: "wasm",
  kernel,
  impls: [{ name, when, guard, make: k(f) }],
});

/** An LSTM sequence kernel: its recurrent products on OpenBLAS when it is loaded, else on our GEMM. */
function lstmRow(kernel: string, factory: (gemm: typeof simdGemm) => KernelFunc): TableRow {
  return {
    backend: "wasm",
    kernel,
    own: true,
    impls: [
      { name: "simd-blas", when: (o) => o.lstm && o.blas, make: k(factory(blasGemm)) },
      { name: "simd", when: (o) => o.lstm && !o.blas, make: k(factory(simdGemm)) },
    ],
  };
}

/** Kernels of our own (no native one): the LSTM's on OpenBLAS when it is loaded, else on our GEMM. */
const OWN: TableRow[] = [
  { ...wasmRow(ATT_SCORES, (o) => o.attention, undefined, attScores, "simd"), own: true },
  { ...wasmRow(ATT_SCORES_GRAD, (o) => o.attention, undefined, attScoresGrad, "simd"), own: true },
  { ...wasmRow(LSTM_CELL, (o) => o.lstm, undefined, lstmCellKernel, "simd"), own: true },
  { ...wasmRow(ROW_ARGMAX, (o) => o.argmax, undefined, rowArgMaxKernel, "simd"), own: true },
  { ...wasmRow(SOFTMAX_ARGMAX, (o) => o.argmax, undefined, softmaxArgMaxKernel, "simd"), own: true },
  { ...wasmRow(SOFTMAX_CE, (o) => o.crossEntropy, undefined, softmaxCeKernel, "simd"), own: true },
  { ...wasmRow(SOFTMAX_CE_GRAD, (o) => o.crossEntropy, undefined, softmaxCeGradKernel, "simd"), own: true },
  { ...wasmRow(COPY_CE, (o) => o.crossEntropy, undefined, copyCeKernel, "simd"), own: true },
  { ...wasmRow(COPY_CE_GRAD, (o) => o.crossEntropy, undefined, copyCeGradKernel, "simd"), own: true },
  lstmRow(LSTM_SEQUENCE, lstmSequenceKernel),
  lstmRow(LSTM_BACKWARD, lstmBackwardKernel),
];

/** The table: every kernel we register, on every backend. */
export const KERNEL_TABLE: readonly TableRow[] = [
  ...MATMUL,
  wasmRow("Identity", (o) => o.identity, notStringGuard, fastIdentity),
  wasmRow("Slice", (o) => o.slice, notStringGuard, fastSlice),
  wasmRow("Unpack", (o) => o.slice, notStringGuard, fastUnpack),
  wasmRow("SplitV", (o) => o.slice, notStringGuard, fastSplitV),
  wasmRow("GatherV2", (o) => o.gather, fastGatherGuard, fastGather),
  wasmRow("Tanh", (o) => o.tanh, float32Guard, simdTanh),
  wasmRow("Sum", (o) => o.sum, simdSumGuard, simdSum, "simd"),
  ...OWN,
  { ...wasmRow("UnsortedSegmentSum", undefined, undefined, wasmUnsortedSegmentSum, "fill-in"), fillIn: true },
  {
    backend: "cpu",
    kernel: "UnsortedSegmentSum",
    impls: [{ name: "scatter-add", when: (o) => o.scatterAdd, make: k(cpuUnsortedSegmentSum) }],
  },
  {
    backend: "webgpu",
    kernel: "AddN",
    impls: [{ name: "addn-groups", guard: addNGuard, make: withNative(addNGroups) }],
  },
];
