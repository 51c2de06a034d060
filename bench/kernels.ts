/**
 * Micro-benchmarks of the wasm kernel overrides against the native wasm kernels (and OpenBLAS where
 * available), on shapes from the paper-size model's training step, plus the machine's sgemm peak.
 * Prints one JSON line per measurement, e.g.
 * `{"bench":"kernel","kernel":"BatchMatMul","variant":"fast","case":"dW = x^T.dz","ms":1.2,"gflops":25.1}`.
 *
 * Run alone: `deno run -A bench/kernels.ts`. Kernels are called directly on the wasm backend
 * (no engine, no autodiff), so the numbers are the kernels' own cost.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { openBlas, sgemm } from "../lib/backend/blas.ts";
import { type BackendWasm, nativeKernel } from "../lib/backend/kernel_registry.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { chainOf } from "../lib/backend/install.ts";
import { startSimdGemmThreads } from "../lib/backend/simd/kernels.ts";
import { threadOptions } from "../lib/backend/simd/gemm_threads.ts";

/** One measurement. */
export interface KernelBenchRow {
  bench: "kernel" | "sgemm_peak";
  kernel: string;
  /**
   * "native" (tfjs's wasm kernel), "fast" (our override), "blas" (OpenBLAS via FFI), "simd-1-thread" and "simd" (our
   * WebAssembly SIMD GEMM on one thread, and on two where the product is big enough: lib/backend/simd).
   */
  variant: string;
  case: string;
  /** Median milliseconds per call. */
  ms: number;
  gflops?: number;
  /** Bytes moved per second (memory-bound kernels), GB/s. */
  gbps?: number;
  threads?: number;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Median ms of `f` after one warm-up call, with as many repeats as fit in ~`budgetMs` (1 to 15); when the warm-up is
 * slower than the budget, one more call is the measurement (a first call can include growing the wasm heap).
 */
function timeIt(f: () => void, budgetMs = 400): number {
  let t0 = performance.now();
  f();
  const first = performance.now() - t0;
  if (first > budgetMs) { // slow: one call after the warm-up is measurement enough
    t0 = performance.now();
    f();
    return performance.now() - t0;
  }
  const reps = Math.max(1, Math.min(15, Math.floor(budgetMs / Math.max(first, 0.01))));
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function randomData(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

/** The wasm backend instance, initialised (async) if needed. */
async function wasmBackend(): Promise<BackendWasm> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend failed to initialise");
  const b = tf.backend() as unknown as BackendWasm;
  if (previous && previous !== "wasm") await tf.setBackend(previous);
  return b;
}

/** A float32 tensor written straight to the wasm backend (outside the engine). */
function input(b: BackendWasm, shape: number[], seed: number): tf.TensorInfo {
  const n = shape.reduce((x, y) => x * y, 1);
  return { dataId: b.write(randomData(n, seed), shape, "float32"), shape, dtype: "float32" };
}

/** Run a kernel function on the wasm backend and free its outputs. */
function runAndFree(
  b: BackendWasm,
  k: tf.KernelFunc,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): void {
  const out = k({ inputs, attrs, backend: b });
  for (const o of Array.isArray(out) ? out : [out]) b.disposeData(o.dataId);
}

/**
 * GFLOP/s of one 1024^3 sgemm through each available path: OpenBLAS (at its current thread count
 * and at one thread per core, when FFI and the library are available) and XNNPACK (when the wasm
 * backend is initialised). Synchronous; the BLAS thread count is restored afterwards.
 */
export function measureSgemm(n = 1024): KernelBenchRow[] {
  const rows: KernelBenchRow[] = [];
  const flop = 2 * n * n * n;
  const blas = openBlas();
  if (blas.enabled) {
    const A = randomData(n * n, 1), B = randomData(n * n, 2), C = new Float32Array(n * n);
    const original = blas.threads ?? 1;
    const counts = [...new Set([original, 1, navigator.hardwareConcurrency || 1])];
    for (const threads of counts) {
      openBlas({ threads });
      const ms = timeIt(() => sgemm(false, false, n, n, n, A, B, C), 600);
      rows.push({
        bench: "sgemm_peak",
        kernel: "sgemm",
        variant: "blas",
        case: `${n}^3`,
        ms,
        gflops: flop / ms / 1e6,
        threads,
      });
    }
    openBlas({ threads: original });
  }
  const wasm = tf.findBackend("wasm") as unknown as BackendWasm | null;
  const bmm = nativeKernel("BatchMatMul", "wasm");
  if (wasm && bmm) {
    const a = input(wasm, [1, n, n], 3), b = input(wasm, [1, n, n], 4);
    const ms = timeIt(
      () => runAndFree(wasm, bmm.kernelFunc, { a, b }, { transposeA: false, transposeB: false }),
      600,
    );
    rows.push({
      bench: "sgemm_peak",
      kernel: "sgemm",
      variant: "xnnpack",
      case: `${n}^3`,
      ms,
      gflops: flop / ms / 1e6,
    });
    wasm.disposeData(a.dataId);
    wasm.disposeData(b.dataId);
  }
  return rows;
}

/**
 * The machine's sgemm peak in GFLOP/s: the fastest path of {@link measureSgemm} for a 1024^3
 * product (0 if neither OpenBLAS nor an initialised wasm backend is available).
 */
export function measureSgemmPeak(): number {
  return Math.max(0, ...measureSgemm().map((r) => r.gflops ?? 0));
}

/** Matmul cases from a paper-size (B=60, U=256, T_in=50, T_out=20) training step. */
const MATMULS: { case: string; a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
  { case: "output layer z = h.W (paper)", a: [1, 1200, 512], b: [1, 512, 10000], tA: false, tB: false },
  { case: "decoder LSTM gates z = x.W", a: [1, 1200, 256], b: [1, 256, 1024], tA: false, tB: false },
  { case: "decoder LSTM dx = dz.W^T", a: [1, 1200, 1024], b: [1, 256, 1024], tA: false, tB: true },
  { case: "decoder LSTM dW = x^T.dz", a: [1, 1200, 256], b: [1, 1200, 1024], tA: true, tB: false },
  { case: "recurrent dU = h^T.dz (one step)", a: [1, 60, 256], b: [1, 60, 1024], tA: true, tB: false },
  { case: "attention context = a.e (batched)", a: [60, 20, 50], b: [60, 50, 256], tA: false, tB: false },
  { case: "attention d(a) = dc.e^T (batched)", a: [60, 20, 256], b: [60, 50, 256], tA: false, tB: true },
  { case: "score dv = s^T.dscore", a: [1, 60000, 256], b: [1, 60000, 1], tA: true, tB: false },
];

/**
 * Benchmark every override against the native wasm kernel (and OpenBLAS for matmuls when
 * available). Prints each row as a JSON line unless `quiet`; returns the rows.
 */
export async function benchKernels(opts: { quiet?: boolean } = {}): Promise<KernelBenchRow[]> {
  const b = await wasmBackend();
  const rows: KernelBenchRow[] = [];
  const emit = (r: KernelBenchRow) => {
    rows.push(r);
    if (!opts.quiet) console.log(JSON.stringify(r));
  };
  const blas = openBlas();
  const native = (name: string) => nativeKernel(name, "wasm")!.kernelFunc;
  await startSimdGemmThreads();

  for (const m of MATMULS) {
    const a = input(b, m.a, 11), bb = input(b, m.b, 12);
    const M = m.tA ? m.a[2] : m.a[1], K = m.tA ? m.a[1] : m.a[2], N = m.tB ? m.b[1] : m.b[2];
    const flop = 2 * Math.max(m.a[0], m.b[0]) * M * N * K;
    // each implementation of the kernel table (lib/backend/table.ts) in front of the native kernel
    const impl = (name: string) => chainOf("wasm", "BatchMatMul", [name, "native"]);
    const variants: [string, tf.KernelFunc][] = [["native", native("BatchMatMul")], ["fast", impl("fast")]];
    const simd = impl("simd-gemm");
    // our SIMD GEMM (the path without OpenBLAS) on one thread, then on two where the product is big enough
    variants.push(["simd-1-thread", simd], ["simd", simd]);
    if (blas.enabled) variants.push(["blas", impl("blas")]);
    for (const [variant, k] of variants) {
      threadOptions.enabled = variant !== "simd-1-thread";
      const ms = timeIt(() => runAndFree(b, k, { a, b: bb }, { transposeA: m.tA, transposeB: m.tB }));
      emit({ bench: "kernel", kernel: "BatchMatMul", variant, case: m.case, ms, gflops: flop / ms / 1e6 });
    }
    threadOptions.enabled = true;
    b.disposeData(a.dataId);
    b.disposeData(bb.dataId);
  }

  const memoryBound: {
    kernel: string;
    case: string;
    shape: number[];
    attrs: tf.NamedAttrMap;
    bytes: number;
  }[] = [
    {
      kernel: "Identity",
      case: "clone [3000,1024]",
      shape: [3000, 1024],
      attrs: {},
      bytes: 2 * 4 * 3000 * 1024,
    },
    {
      kernel: "Unpack",
      case: "unstack [50,60,256] over time",
      shape: [50, 60, 256],
      attrs: { axis: 0 },
      bytes: 2 * 4 * 50 * 60 * 256,
    },
    {
      kernel: "SplitV",
      case: "gates [60,1024] in 4",
      shape: [60, 1024],
      attrs: { numOrSizeSplits: 4, axis: 1 },
      bytes: 2 * 4 * 60 * 1024,
    },
    {
      kernel: "Slice",
      case: "step t of [60,50,256]",
      shape: [60, 50, 256],
      attrs: { begin: [0, 25, 0], size: [60, 1, 256] },
      bytes: 2 * 4 * 60 * 256,
    },
    {
      kernel: "Tanh",
      case: "attention tanh [60,20,50,64]",
      shape: [60, 20, 50, 64],
      attrs: {},
      bytes: 2 * 4 * 60 * 20 * 50 * 64,
    },
  ];
  for (const c of memoryBound) {
    const x = input(b, c.shape, 21);
    const name = c.kernel === "Unpack" ? "value" : "x";
    const fast = chainOf("wasm", c.kernel, ["fast", "native"]);
    for (const [variant, k] of [["native", native(c.kernel)], ["fast", fast]] as const) {
      const ms = timeIt(() => runAndFree(b, k, { [name]: x }, c.attrs));
      emit({ bench: "kernel", kernel: c.kernel, variant, case: c.case, ms, gbps: c.bytes / ms / 1e6 });
    }
    b.disposeData(x.dataId);
  }

  for (const r of measureSgemm()) emit(r);
  return rows;
}

if (import.meta.main) {
  await benchKernels();
}
