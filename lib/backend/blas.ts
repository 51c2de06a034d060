/**
 * Optional native BLAS for the `wasm` backend: OpenBLAS's `cblas_sgemm` through Deno FFI as the {@link Gemm} of the
 * `BatchMatMul`/`_FusedMatMul` kernels (./matmul.ts) and of the LSTM kernels (./lstm_sequence.ts), reading and
 * writing the wasm heap in place (no copies); ./table.ts puts them first in the matmul chains when it is loaded.
 *
 * Used only when the process has FFI permission (`--allow-ffi` or `-A`) and the library loads
 * (Debian/Ubuntu: `apt-get install libopenblas0`; macOS: `brew install openblas`, then set
 * `SEQ2SEQ_BLAS_LIB` to the dylib). Otherwise {@link openBlas} says why, and matmuls run on our SIMD GEMM
 * (./simd/gemm.ts; XNNPACK with `SEQ2SEQ_GEMM=xnnpack`).
 *
 * @module
 */
import type { Gemm } from "./matmul.ts";
import { heapF32 } from "./kernel_registry.ts";
import { envVar } from "../util/env.ts";

/** Whether the native BLAS path is available / in use, and why. */
export interface BlasStatus {
  enabled: boolean;
  why: string;
  /** The library file that was loaded. */
  lib?: string;
  /** OpenBLAS threads in use. */
  threads?: number;
}

/** Library names tried in order when neither an explicit path nor `SEQ2SEQ_BLAS_LIB` is given. */
export const BLAS_CANDIDATES: readonly string[] = [
  "libopenblas.so.0",
  "libopenblas.so",
  "libopenblas.dylib",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
} as const;

type BlasLib = Deno.DynamicLibrary<typeof SYMBOLS>;

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

let lib: BlasLib | null = null;
let libPath = "";

/** Calls and milliseconds spent in sgemm since start. */
export const blasStats = { calls: 0, ms: 0 };

/**
 * Load OpenBLAS (once) and set its thread count (when loading, or when `threads` is given; other
 * calls just report). Never throws: returns `enabled: false` with the reason when FFI permission
 * is missing or no library loads. `lib`: an explicit path or name
 * (default: `SEQ2SEQ_BLAS_LIB`, then {@link BLAS_CANDIDATES}); `threads`: OpenBLAS threads
 * (default: `OPENBLAS_NUM_THREADS` if set, else one per core: on 2 idle cores two threads took the
 * full-size training step from 1.37 s to 0.95 s and the default profile's from 129 to 135 ms; on a machine
 * busy with other work a second thread can slow the small per-time-step products 2-3x, so set
 * `OPENBLAS_NUM_THREADS=1` there).
 */
export function openBlas(opts: { lib?: string; threads?: number } = {}): BlasStatus {
  let ffi: Deno.PermissionState;
  try {
    ffi = Deno.permissions.querySync({ name: "ffi" }).state;
  } catch {
    ffi = "denied";
  }
  if (ffi !== "granted") {
    return { enabled: false, why: "no FFI permission (run deno with --allow-ffi or -A to use OpenBLAS)" };
  }
  const explicit = opts.lib ?? envVar("SEQ2SEQ_BLAS_LIB");
  let loaded = false;
  if (!lib || (explicit && explicit !== libPath)) {
    const candidates = explicit ? [explicit] : BLAS_CANDIDATES;
    const errors: string[] = [];
    let opened: BlasLib | null = null;
    for (const c of candidates) {
      try {
        opened = Deno.dlopen(c, SYMBOLS);
        libPath = c;
        break;
      } catch (e) {
        errors.push(`${c}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
      }
    }
    if (!opened) {
      return {
        enabled: false,
        why: `OpenBLAS not found (${explicit ? errors[0] : "tried " + candidates.join(", ")}); ` +
          "install it with `apt-get install libopenblas0` (Debian/Ubuntu) or set SEQ2SEQ_BLAS_LIB",
      };
    }
    const old = lib;
    lib = opened;
    old?.close();
    loaded = true;
  }
  if (loaded || opts.threads !== undefined) {
    const envThreads = Number(envVar("OPENBLAS_NUM_THREADS"));
    const threads = opts.threads ??
      (Number.isInteger(envThreads) && envThreads > 0
        ? envThreads
        : Math.max(1, navigator.hardwareConcurrency || 1));
    if (!Number.isInteger(threads) || threads < 1) {
      return { enabled: false, why: `bad BLAS thread count ${threads}: expected an integer >= 1` };
    }
    lib.symbols.openblas_set_num_threads(threads);
  }
  return {
    enabled: true,
    why: "OpenBLAS sgemm via Deno FFI on the wasm heap",
    lib: libPath,
    threads: lib.symbols.openblas_get_num_threads(),
  };
}

/**
 * `C = alpha * op(A) . op(B) + beta * C` (row-major) on Float32Array views, through OpenBLAS.
 * Call {@link openBlas} first. `A` is M x K after op, `B` K x N, `C` M x N.
 */
export function sgemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  beta = 0,
  alpha = 1,
): void {
  if (!lib) throw new Error("sgemm: OpenBLAS is not loaded (call openBlas() first)");
  const t0 = performance.now();
  lib.symbols.cblas_sgemm(
    ROW_MAJOR,
    transA ? TRANS : NO_TRANS,
    transB ? TRANS : NO_TRANS,
    M,
    N,
    K,
    alpha,
    A,
    transA ? M : K,
    B,
    transB ? K : N,
    beta,
    C,
    N,
  );
  blasStats.calls++;
  blasStats.ms += performance.now() - t0;
}

/** OpenBLAS as the {@link Gemm} of the shared matmul kernels (./matmul.ts) and of the LSTM sequence kernel. */
export const blasGemm: Gemm = (backend, tA, tB, M, N, K, a, b, c, beta) =>
  sgemm(
    tA,
    tB,
    M,
    N,
    K,
    heapF32(backend, a.t, a.offset, M * K),
    heapF32(backend, b.t, b.offset, K * N),
    heapF32(backend, c.t, c.offset, M * N),
    beta,
  );

/** Whether OpenBLAS is loaded now (by {@link openBlas}): the kernel table (./table.ts) then offers its matmuls. */
export function blasLoaded(): boolean {
  return lib !== null;
}
