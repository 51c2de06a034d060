/**
 * Our WebAssembly SIMD kernels (./source.ts, built into ./kernels_wasm.ts) instantiated on the tfjs `wasm` backend's
 * own memory, once per memory, so that a kernel reads its inputs and writes its outputs in place; and which build
 * this runtime runs (relaxed-SIMD FMA or not).
 *
 * @module
 */
import type { BackendWasm } from "../kernel_registry.ts";
import { decodeBase64 } from "../../util/base64.ts";
import {
  KERNELS_FMA_WASM_BASE64,
  KERNELS_SHARED_FMA_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from "./kernels_wasm.ts";
import type { GemmExports } from "./gemm_threads.ts";

/** The exports of the kernels module. */
export interface SimdExports extends GemmExports {
  tanh(x: number, y: number, n: number): void;
  sum_rows(x: number, out: number, rows: number, cols: number): void;
  rmsprop(
    v: number,
    ms: number,
    mom: number,
    g: number,
    n: number,
    lr: number,
    decay: number,
    oneMinusDecay: number,
    momentum: number,
    eps: number,
  ): void;
  gemv_rows(a: number, b: number, c: number, k: number, n: number, beta: number): void;
  argmax_rows(x: number, rows: number, cols: number, idx: number, val: number): void;
  ce_forward(x: number, tgt: number, rows: number, cols: number, mx: number, sum: number, idx: number): void;
  ce_backward(x: number, lse: number, w: number, rows: number, cols: number, out: number): void;
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
/** Calls of the SIMD GEMM and of the fused attention kernels since start (for tests and benchmarks). */
export const simdStats = { gemm: 0, attention: 0 };

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

/** The kernels' build on a shared memory (for the GEMM's second thread, ./gemm_threads.ts). */
export function sharedBinary(): Uint8Array<ArrayBuffer> {
  const b64 = simdFma() ? KERNELS_SHARED_FMA_WASM_BASE64 : KERNELS_SHARED_WASM_BASE64;
  return decodeBase64(b64) as Uint8Array<ArrayBuffer>;
}
