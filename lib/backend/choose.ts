/**
 * Pick, initialise and report the TensorFlow.js compute backend.
 *
 * Order unless forced (config `backend`, or env `SEQ2SEQ_BACKEND` when the config says "auto"):
 * `tensorflow` through `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (each only when
 * already installed with its native addon: never fetched), then `webgpu` (only with a hardware
 * adapter; a forced webgpu also runs on a software one such as Mesa llvmpipe, see ./webgpu.ts), then
 * `wasm` with the missing training kernels filled in, the speed overrides and optionally OpenBLAS
 * matmuls, then `cpu`. Every kernel we register, on every backend, comes from one table (./table.ts, installed by
 * ./install.ts); the report names each kernel's implementation chain (`chains`), and {@linkcode kernelUsage} /
 * {@linkcode formatKernelUsage} say afterwards which implementations served the calls and which fallbacks were
 * taken, with their reasons.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { formatBackendReport, initBackend } from "./choose.ts";
 * const report = await initBackend({ backend: "cpu" }); // "auto" follows the order in the module doc
 * assertEquals([report.name, tf.getBackend()], ["cpu", "cpu"]);
 * // the one line every run prints, here from a report made by hand
 * const line = formatBackendReport({
 *   name: "wasm",
 *   reason: "automatic order",
 *   tried: [
 *     { name: "tfjs-node", ok: false, why: "not installed" },
 *     { name: "wasm", ok: true, why: "" },
 *   ],
 *   kernels: [],
 *   chains: {},
 *   blas: { enabled: true, why: "", lib: "libopenblas.so.0", threads: 2 },
 * });
 * assertEquals(line, "backend: wasm (tfjs-node not installed) + OpenBLAS matmul (libopenblas.so.0, 2 threads)");
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { type BackendName, BACKENDS } from "../config.ts";
import { openBlas } from "./blas.ts";
import type { BlasStatus } from "./blas.ts";
import { activeChains, installKernels } from "./install.ts";
import type { KernelOptions } from "./table.ts";
import type { WasmFastOptions } from "./wasm_fast.ts";
import { simdFma, startSimdGemmThreads } from "./simd/kernels.ts";
import { initWebGpu, probeWebGpu, type WebGpuAdapterInfo, type WebGpuProbe } from "./webgpu.ts";
import { envVar } from "../util/env.ts";
import { gemmThreadsStatus } from "./simd/gemm_threads.ts";
import { formatKernelUsage, type KernelUsage, kernelUsage, resetKernelUsage } from "./usage.ts";
import {
  type BackendAttempt,
  defaultNodeModules,
  probeTfjsNode,
  TFJS_VERSION,
  type TfjsNodeProbe,
  tryTensorflow,
} from "./tfjs_node.ts";

export type {
  BackendName,
  BlasStatus,
  KernelOptions,
  KernelUsage,
  WasmFastOptions,
  WebGpuAdapterInfo,
  WebGpuProbe,
};
export type { BackendAttempt, TfjsNodeProbe };
export { defaultNodeModules, formatKernelUsage, kernelUsage, probeTfjsNode, probeWebGpu, resetKernelUsage };

/** What {@link initBackend} picked and why. */
export interface BackendReport {
  /** The tfjs backend now active. */
  name: Exclude<BackendName, "auto">;
  /** Why this one: forced (and by what) or the automatic order. */
  reason: string;
  /** Every candidate tried, in order. */
  tried: BackendAttempt[];
  /** Kernel fill-ins and overrides installed for the active backend, e.g. "BatchMatMul (blas)": each chain's head. */
  kernels: string[];
  /**
   * Every kernel we registered for the active backend and its implementation chain, tried in order, e.g.
   * `BatchMatMul: ["blas", "fast", "native"]` (./table.ts names them).
   */
  chains: Record<string, string[]>;
  /** Native BLAS status (only ever enabled on wasm). */
  blas: BlasStatus;
  /** The WebGPU adapter in use (only when the active backend is webgpu). */
  adapter?: WebGpuAdapterInfo;
}

/** A backend that was asked for cannot be used; the message says what is missing and how to get it. */
export class BackendError extends Error {
  override name = "BackendError";
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Backend to use; "auto" (default) follows `SEQ2SEQ_BACKEND` if set, else the automatic order. */
  backend?: BackendName;
  /** Route wasm matmuls through OpenBLAS when possible (default true). */
  blas?: boolean;
  /** OpenBLAS threads (default: `OPENBLAS_NUM_THREADS`, else one per core). */
  blasThreads?: number;
  /** OpenBLAS library path or name (default: `SEQ2SEQ_BLAS_LIB`, then the usual names). */
  blasLib?: string;
  /**
   * Without OpenBLAS, run wasm matmuls on our WebAssembly SIMD GEMM (./simd/gemm.ts) rather than tfjs's XNNPACK
   * (default true; env `SEQ2SEQ_GEMM=xnnpack` turns it off).
   */
  gemm?: boolean;
  /**
   * wasm overrides and kernels of our own, by group (./table.ts): true (default) = all, false = none, or a selection
   * (e.g. `{ lstm: false }`: FastLSTM composes tfjs ops).
   */
  fast?: boolean | WasmFastOptions;
  /** Folders searched for `@tensorflow/tfjs-node*` (default: the project's and the cwd's node_modules). */
  nodeModules?: string[];
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].trim();
}

async function tryWebGpu(allowSoftware: boolean): Promise<BackendAttempt & { adapter?: WebGpuAdapterInfo }> {
  const r = await initWebGpu({ allowSoftware });
  return { name: "webgpu", ok: r.ok, why: r.why, adapter: r.ok ? r.adapter : undefined };
}

/** Silence the cpu backend's one-time "install tfjs-node" banner: the backend report says it. */
function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

/** The kernel options of `opts`: the override groups, OpenBLAS wanted, our GEMM (env `SEQ2SEQ_GEMM=xnnpack`: off). */
function kernelOptions(opts: InitBackendOptions): KernelOptions {
  const fast = opts.fast ?? true;
  const groups: WasmFastOptions = fast === true ? {} : fast === false
    ? {
      matmul: false,
      identity: false,
      slice: false,
      tanh: false,
      gather: false,
      attention: false,
      lstm: false,
      sum: false,
      argmax: false,
      crossEntropy: false,
    }
    : fast;
  return { ...groups, blas: opts.blas ?? true, gemm: opts.gemm ?? envVar("SEQ2SEQ_GEMM") !== "xnnpack" };
}

async function tryWasm(opts: InitBackendOptions): Promise<{ attempt: BackendAttempt; blas: BlasStatus }> {
  const off: BlasStatus = { enabled: false, why: "off (blas=false)" };
  try {
    if (!(await tf.setBackend("wasm"))) {
      return { attempt: { name: "wasm", ok: false, why: "the wasm module failed to initialise" }, blas: off };
    }
  } catch (e) {
    return { attempt: { name: "wasm", ok: false, why: `failed to initialise: ${firstLine(e)}` }, blas: off };
  }
  const kopts = kernelOptions(opts);
  const blas = kopts.blas ? openBlas({ lib: opts.blasLib, threads: opts.blasThreads }) : off;
  const chains = installKernels({ ...kopts, blas: blas.enabled });
  // our GEMM on two threads where the product is big enough
  if (chains.wasm?.BatchMatMul?.[0] === "simd-gemm") await startSimdGemmThreads();
  return { attempt: { name: "wasm", ok: true, why: "wasm (XNNPACK, SIMD)" }, blas };
}

async function tryCpu(): Promise<BackendAttempt> {
  if (!(await tf.setBackend("cpu"))) return { name: "cpu", ok: false, why: "failed to initialise" };
  return { name: "cpu", ok: true, why: "pure JS" };
}

function howToGet(name: Exclude<BackendName, "auto">): string {
  switch (name) {
    case "tensorflow":
      return `It needs @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node ${TFJS_VERSION} installed in ` +
        "node_modules with its native addon, e.g. `npm install @tensorflow/tfjs-node@" + TFJS_VERSION +
        "` (its install script downloads libtensorflow, blocked upstream today: tensorflow/tfjs#8742). " +
        "Use --backend=wasm or --backend=auto meanwhile.";
    case "webgpu":
      return "It needs a WebGPU adapter: a GPU driver (Vulkan on Linux), or Mesa's software adapter " +
        "(Debian: `apt-get install mesa-vulkan-drivers`; slow), and @tensorflow/tfjs-backend-webgpu " +
        `${TFJS_VERSION} from npm. Use --backend=wasm or --backend=auto meanwhile.`;
    case "wasm":
      return "The wasm backend comes with @tensorflow/tfjs-backend-wasm (in deno.json); reinstall the " +
        "dependencies (`deno install`) or use --backend=cpu.";
    case "cpu":
      return "The cpu backend is part of @tensorflow/tfjs; reinstall the dependencies (`deno install`).";
  }
}

/** The chain heads of `backend`, as the report's `kernels` lists them: "BatchMatMul (blas)". */
function kernelsFor(chains: Record<string, string[]>): string[] {
  return Object.entries(chains).map(([k, chain]) => `${k} (${chain[0]})`).sort();
}

/** The backend asked for (config `backend`, else env `SEQ2SEQ_BACKEND` when the config says "auto") and by what. */
function wantedBackend(opts: InitBackendOptions): { wanted: BackendName; source: string } {
  const wanted: BackendName = opts.backend ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(wanted)) {
    throw new BackendError(`unknown backend "${wanted}": expected one of ${BACKENDS.join(", ")}`);
  }
  const env = wanted === "auto" ? envVar("SEQ2SEQ_BACKEND")?.trim() : undefined;
  if (!env) return { wanted, source: "config" };
  if (!(BACKENDS as readonly string[]).includes(env)) {
    throw new BackendError(
      `SEQ2SEQ_BACKEND="${env}" is not a backend: expected one of ${BACKENDS.join(", ")}`,
    );
  }
  return { wanted: env as BackendName, source: "SEQ2SEQ_BACKEND" };
}

/**
 * Pick and initialise the backend (see the module doc for the order), install the kernels it
 * needs, and report what was picked and why. A forced backend that cannot be used throws a
 * {@link BackendError} naming what is missing and how to get it. Safe to call again (e.g. with
 * another backend): kernel installs are idempotent.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendReport> {
  const { wanted, source } = wantedBackend(opts);
  const dirs = opts.nodeModules ?? defaultNodeModules();
  const tried: BackendAttempt[] = [];
  let blas: BlasStatus = { enabled: false, why: "only used with the wasm backend" };
  let adapter: WebGpuAdapterInfo | undefined;
  const kopts = kernelOptions(opts);
  installKernels({ ...kopts, blas: false }); // cpu's (and wasm's until tryWasm knows whether OpenBLAS loads)
  quietCpuBanner();

  const attempt = async (name: Exclude<BackendName, "auto">): Promise<boolean> => {
    if (name === "tensorflow") {
      for (const pkg of ["tfjs-node-gpu", "tfjs-node"] as const) {
        const a = await tryTensorflow(pkg, dirs);
        tried.push(a);
        if (a.ok) return true;
      }
      return false;
    }
    if (name === "webgpu") {
      // automatic: hardware adapters only; forced (config or SEQ2SEQ_BACKEND): software ones too
      const { adapter: a, ...t } = await tryWebGpu(wanted === "webgpu");
      tried.push(t);
      adapter = a;
      if (t.ok) installKernels({ ...kopts, blas: false }); // the package is loaded now: its rows too
      return t.ok;
    }
    if (name === "wasm") {
      const r = await tryWasm(opts);
      tried.push(r.attempt);
      if (r.attempt.ok) blas = r.blas;
      return r.attempt.ok;
    }
    const a = await tryCpu();
    tried.push(a);
    return a.ok;
  };

  const order: Exclude<BackendName, "auto">[] = wanted === "auto"
    ? ["tensorflow", "webgpu", "wasm", "cpu"]
    : [wanted];
  for (const name of order) {
    if (await attempt(name)) {
      const active = tf.getBackend() as Exclude<BackendName, "auto">;
      const reason = wanted === "auto"
        ? (tried.length === 1 ? "first in the automatic order" : "first available in the automatic order")
        : `forced by ${source}`;
      const chains = activeChains(active);
      const report: BackendReport = {
        name: active,
        reason,
        tried,
        kernels: kernelsFor(chains),
        chains,
        blas,
      };
      if (active === "webgpu" && adapter) report.adapter = adapter;
      return report;
    }
  }
  if (wanted !== "auto") {
    const why = tried.map((t) => `${t.name}: ${t.why}`).join("; ");
    throw new BackendError(
      `backend "${wanted}" (forced by ${source}) cannot be used: ` +
        `${why}. ${howToGet(wanted)}`,
    );
  }
  throw new BackendError(
    `no backend could be initialised: ${tried.map((t) => `${t.name}: ${t.why}`).join("; ")}`,
  );
}

/** What the wasm matmuls run on, named by the head of BatchMatMul's chain, then the chain and how many others. */
function matmulNote(r: BackendReport): string {
  const chain = r.chains?.BatchMatMul ?? [];
  const head = chain[0] ?? (r.blas.enabled ? "blas" : "native");
  const path = head === "blas"
    ? ` + OpenBLAS matmul (${r.blas.lib}${r.blas.threads ? `, ${r.blas.threads} threads` : ""})`
    : head === "simd-gemm"
    ? ` + SIMD GEMM matmul (WebAssembly${simdFma() ? ", relaxed-SIMD FMA" : ""}, ${gemmThreadsStatus()}; ` +
      `no OpenBLAS: ${r.blas.why})`
    : ` + XNNPACK matmul (no OpenBLAS: ${r.blas.why})`;
  const others = Object.keys(r.chains ?? {}).length - (chain.length ? 1 : 0);
  return chain.length ? `${path} [BatchMatMul: ${chain.join(" > ")}; ${others} more kernels]` : path;
}

/**
 * One line for logs, e.g. `backend: wasm (tfjs-node-gpu not installed; tfjs-node not installed;
 * webgpu: software adapter only (llvmpipe)) + OpenBLAS matmul`, or `backend: webgpu (forced by
 * config) on llvmpipe (LLVM 15.0.6, 256 bits), a software adapter (slow)`.
 */
export function formatBackendReport(r: BackendReport): string {
  const failed = r.tried.filter((t) => !t.ok).map((t) =>
    t.why.startsWith("not installed") ? `${t.name} ${t.why}` : `${t.name}: ${t.why}`
  );
  const forced = r.reason.startsWith("forced") ? [r.reason] : [];
  const notes = [...forced, ...failed];
  let s = `backend: ${r.name}${notes.length ? ` (${notes.join("; ")})` : ""}`;
  if (r.name === "wasm") s += matmulNote(r);
  if (r.name === "webgpu" && r.adapter) {
    s += ` on ${r.adapter.description}${r.adapter.software ? ", a software adapter (slow)" : ""}`;
  }
  return s;
}
