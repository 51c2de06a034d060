/**
 * The WebGPU backend (`@tensorflow/tfjs-backend-webgpu`) on Deno's built-in `navigator.gpu`.
 *
 * - {@linkcode probeWebGpu} asks for the adapter the backend would get (high-performance) and says
 *   whether it is hardware or software (Mesa llvmpipe/lavapipe, SwiftShader, WARP: these run the
 *   shaders on the CPU, ~10x slower than wasm here). Importing nothing, it is cheap to call in the
 *   automatic backend order.
 * - {@linkcode initWebGpu} imports the backend package (only then: it registers itself with a
 *   higher priority than wasm), activates it and installs a clear error for synchronous reads.
 *
 * Synchronous reads (`dataSync()`, `arraySync()`, `print()`) of a tensor that lives on the GPU cannot
 * work in Deno: tfjs-backend-webgpu reads synchronously through a 2D OffscreenCanvas, which Deno
 * lacks (the read fails with "Cannot read properties of null (reading 'clearRect')"). Tensors whose
 * values are still on the CPU (fresh from `tf.tensor`, small results computed on the CPU, or
 * already read once with `await data()`) read synchronously as usual. {@linkcode initWebGpu}
 * replaces the cryptic failure by a {@linkcode WebGpuSyncReadError} that says what to use instead.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { describeAdapter, probeWebGpu } from "./webgpu.ts";
 * // Mesa's llvmpipe is a software rasteriser: usable when forced, never picked automatically
 * const sw = describeAdapter({ vendor: "mesa", description: "llvmpipe (LLVM 15.0.6, 256 bits)" });
 * assertEquals([sw.software, sw.description], [true, "llvmpipe (LLVM 15.0.6, 256 bits)"]);
 * const probe = await probeWebGpu(); // e.g. why: "software adapter only: llvmpipe (LLVM 15.0.6, 256 bits)"
 * assert(probe.why.length > 0);
 * assert(!probe.hardware || !probe.adapter?.software); // hardware only with a hardware adapter
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelArgs } from "./kernel_registry.ts";

/** The npm package providing the backend; its version must match `@tensorflow/tfjs`. */
export const WEBGPU_PACKAGE = "@tensorflow/tfjs-backend-webgpu@4.22.0";

/** What the adapter says about itself (WebGPU `GPUAdapterInfo`), plus our verdict. */
export interface WebGpuAdapterInfo {
  /** Human-readable name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or "NVIDIA GeForce RTX 4090". */
  description: string;
  vendor: string;
  architecture: string;
  device: string;
  /** The adapter says it is a fallback adapter (`isFallbackAdapter`). */
  isFallbackAdapter: boolean;
  /** Fallback, or a known software rasteriser by name: usable, but not worth it automatically. */
  software: boolean;
}

/** Result of {@linkcode probeWebGpu}. */
export interface WebGpuProbe {
  /** A hardware adapter exists (the automatic order uses webgpu only then). */
  hardware: boolean;
  /** One line: the adapter, or why there is none. */
  why: string;
  /** The adapter, when one was found (hardware or software). */
  adapter?: WebGpuAdapterInfo;
}

/** Result of {@linkcode initWebGpu}. */
export interface WebGpuInit {
  ok: boolean;
  /** One line: the adapter in use, or why webgpu could not be used. */
  why: string;
  adapter?: WebGpuAdapterInfo;
}

/** A synchronous read of a tensor held on the GPU, which the webgpu backend cannot do in Deno. */
export class WebGpuSyncReadError extends Error {
  override name = "WebGpuSyncReadError";
}

/** Names of adapters that run on the CPU; matched against description, vendor, architecture, device. */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|swrast|microsoft basic render|\bwarp\b/i;

/** The narrow part of `GPUAdapterInfo` we read (older runtimes put `isFallbackAdapter` on the adapter). */
interface AdapterInfoLike {
  description?: string;
  vendor?: string;
  architecture?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(o?: { powerPreference?: "high-performance" | "low-power" }): Promise<AdapterLike | null>;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].trim();
}

/**
 * Describe an adapter from its `GPUAdapterInfo`: software when it says it is a fallback adapter or
 * its name is a known software rasteriser (llvmpipe, lavapipe, softpipe, SwiftShader, WARP).
 */
export function describeAdapter(info: AdapterInfoLike, isFallbackAdapter = false): WebGpuAdapterInfo {
  const vendor = String(info.vendor ?? ""), architecture = String(info.architecture ?? "");
  const device = String(info.device ?? "");
  const description = String(info.description ?? "").trim() ||
    [vendor && `vendor ${vendor}`, device && `device ${device}`, architecture].filter(Boolean).join(" ") ||
    "unnamed adapter";
  const fallback = Boolean(info.isFallbackAdapter ?? isFallbackAdapter);
  const software = fallback || SOFTWARE_NAMES.test([description, vendor, architecture, device].join(" "));
  return { description, vendor, architecture, device, isFallbackAdapter: fallback, software };
}

let probeCache: Promise<WebGpuProbe> | null = null;

/**
 * Mesa prints "error: XDG_RUNTIME_DIR is invalid or not set" at every adapter request when the variable is
 * missing (CI, containers, notebook kernels). Point it at a private temporary folder for this process only,
 * when it is unset or not a folder, and when the process may write the environment.
 */
function ensureRuntimeDir(): void {
  try {
    if (Deno.permissions.querySync({ name: "env" }).state !== "granted") return;
    const cur = Deno.env.get("XDG_RUNTIME_DIR");
    if (cur) {
      try {
        if (Deno.statSync(cur).isDirectory) return;
      } catch { /* missing: replace it */ }
    }
    const dir = Deno.makeTempDirSync({ prefix: "xdg-runtime-" });
    Deno.chmodSync(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already gone */ }
    });
  } catch { /* no permission to write files or the environment: Mesa's warning is harmless */ }
}

/**
 * Which WebGPU adapter would the backend get (`powerPreference: "high-performance"`, as
 * tfjs-backend-webgpu asks), and is it hardware? Cached; gives up after `timeoutMs` (default 3 s).
 * Imports nothing.
 */
export function probeWebGpu(timeoutMs = 3000): Promise<WebGpuProbe> {
  probeCache ??= (async (): Promise<WebGpuProbe> => {
    const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
    if (!gpu) return { hardware: false, why: "no WebGPU in this runtime (navigator.gpu is missing)" };
    ensureRuntimeDir();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<"timeout">((resolve) =>
        timer = setTimeout(() => resolve("timeout"), timeoutMs)
      );
      const adapter = await Promise.race([
        gpu.requestAdapter({ powerPreference: "high-performance" }),
        timeout,
      ]);
      if (adapter === "timeout") return { hardware: false, why: `no adapter within ${timeoutMs} ms` };
      if (!adapter) {
        return {
          hardware: false,
          why: "no adapter (no GPU driver; Debian `mesa-vulkan-drivers` gives a software one)",
        };
      }
      const info = describeAdapter(adapter.info ?? {}, adapter.isFallbackAdapter ?? false);
      if (info.software) {
        return { hardware: false, why: `software adapter only: ${info.description}`, adapter: info };
      }
      return { hardware: true, why: `hardware adapter (${info.description})`, adapter: info };
    } catch (e) {
      return { hardware: false, why: `adapter request failed: ${firstLine(e)}` };
    } finally {
      clearTimeout(timer);
    }
  })();
  return probeCache;
}

/** Forget the cached probe (tests; or after installing a driver in a long-running kernel). */
export function resetWebGpuProbe(): void {
  probeCache = null;
}

/** The parts of tfjs-backend-webgpu's `WebGPUBackend` that the read guard touches. */
interface WebGpuBackendInternals {
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): { values?: unknown; dtype?: string; shape?: number[] } | undefined };
  hasReadSyncWarned?: boolean;
  seq2seqReadGuard?: boolean;
}

/** Can this runtime read a GPU buffer synchronously the way tfjs-backend-webgpu does (2D OffscreenCanvas)? */
function canvasReadsWork(): boolean {
  try {
    const C =
      (globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(k: string): unknown } })
        .OffscreenCanvas;
    return C !== undefined && new C(1, 1).getContext("2d") != null;
  } catch {
    return false;
  }
}

/**
 * Make a synchronous read of a GPU-resident tensor on the active webgpu backend throw a
 * {@linkcode WebGpuSyncReadError} that says to use `await data()`, instead of failing deep inside
 * tfjs (and printing a performance warning first). Reads of values still on the CPU pass through.
 * Does nothing where synchronous canvas reads work (browsers). Idempotent; returns whether the guard
 * is installed.
 */
export function guardSyncReads(backend: unknown = tf.findBackend("webgpu")): boolean {
  const b = backend as WebGpuBackendInternals | null;
  if (!b || typeof b.readSync !== "function" || !b.tensorMap) return false;
  if (b.seq2seqReadGuard) return true;
  if (canvasReadsWork()) return false;
  const original = b.readSync.bind(b);
  b.readSync = (dataId: object) => {
    const d = b.tensorMap.get(dataId);
    if (d && d.values == null && d.dtype !== "string" && d.dtype !== "complex64") {
      throw new WebGpuSyncReadError(
        `webgpu: a synchronous read (dataSync/arraySync/print) of a ${d.dtype} tensor of shape ` +
          `[${d.shape ?? ""}] held on the GPU is not possible in Deno (no 2D OffscreenCanvas); ` +
          "read it with `await tensor.data()` or `await tensor.array()`",
      );
    }
    return original(dataId);
  };
  b.hasReadSyncWarned = true; // its "poor performance" warning would precede our error
  b.seq2seqReadGuard = true;
  return true;
}

let loading: Promise<string | null> | null = null;

/** Inputs the webgpu AddN kernel sums correctly (tfjs-backend-webgpu 4.22 ignores inputs past the 4th). */
export const ADDN_MAX_INPUTS = 4;

/** The guard of {@linkcode addNGroups}: more inputs than the native kernel sums. */
export function addNGuard(args: KernelArgs): string | null {
  return Object.keys(args.inputs).length > ADDN_MAX_INPUTS ? null : `at most ${ADDN_MAX_INPUTS} inputs`;
}

/**
 * tfjs-backend-webgpu 4.22's `AddN` silently sums only its first four inputs (`tf.addN` of 16 tensors returns
 * the sum of 4), which broke gradient clipping by global norm. This kernel sums groups of at most four with the
 * `native` kernel and then sums the partial results the same way (registered through ./table.ts).
 */
export function addNGroups(native: tf.KernelFunc): tf.KernelFunc {
  // tfjs passes AddN its inputs as an array (typed as a named map)
  const sum = (inputs: tf.TensorInfo[], backend: KernelArgs["backend"]): tf.TensorInfo => {
    if (inputs.length <= ADDN_MAX_INPUTS) {
      return native({
        inputs: inputs as unknown as tf.NamedTensorInfoMap,
        backend,
        attrs: {},
      }) as tf.TensorInfo;
    }
    const partial: tf.TensorInfo[] = [];
    for (let i = 0; i < inputs.length; i += ADDN_MAX_INPUTS) {
      partial.push(sum(inputs.slice(i, i + ADDN_MAX_INPUTS), backend));
    }
    const out = sum(partial, backend);
    for (const t of partial) {
      (backend as unknown as { disposeData(id: unknown): void }).disposeData(t.dataId);
    }
    return out;
  };
  return ({ inputs, backend }) => sum(Object.values(inputs) as tf.TensorInfo[], backend);
}

/** Import the backend package once; returns null or why it failed. */
function loadPackage(): Promise<string | null> {
  loading ??= import("@tensorflow/tfjs-backend-webgpu").then(
    () => null,
    (e) => {
      loading = null;
      return `could not load ${WEBGPU_PACKAGE}: ${firstLine(e)}`;
    },
  );
  return loading;
}

/**
 * Activate the webgpu backend when an adapter exists: hardware always, software only with
 * `allowSoftware` (a forced backend). Imports `@tensorflow/tfjs-backend-webgpu` only when an
 * adapter qualifies, activates it, and installs {@linkcode guardSyncReads}. Never throws: returns
 * why not. On failure the previously active backend stays active.
 */
export async function initWebGpu(opts: { allowSoftware: boolean }): Promise<WebGpuInit> {
  const probe = await probeWebGpu();
  const adapter = probe.adapter;
  if (!adapter) return { ok: false, why: probe.why };
  if (adapter.software && !opts.allowSoftware) return { ok: false, why: probe.why, adapter };
  const failed = await loadPackage();
  if (failed) return { ok: false, why: failed, adapter };
  if (!tf.findBackendFactory("webgpu")) {
    return {
      ok: false,
      why: `${WEBGPU_PACKAGE} registered no 'webgpu' backend (navigator.gpu missing?)`,
      adapter,
    };
  }
  // the engine's current backend name, read without initialising one (tf.getBackend() would)
  const previous = (tf.engine() as unknown as { backendName?: string | null }).backendName ?? null;
  try {
    if (!(await tf.setBackend("webgpu"))) {
      if (previous) await tf.setBackend(previous);
      return { ok: false, why: `${adapter.description}: the webgpu backend failed to initialise`, adapter };
    }
  } catch (e) {
    if (previous) await tf.setBackend(previous);
    return { ok: false, why: `${adapter.description}: failed to initialise: ${firstLine(e)}`, adapter };
  }
  guardSyncReads(tf.backend()); // (the AddN fix is in the kernel table: ./table.ts)
  return {
    ok: true,
    why: adapter.software ? `${adapter.description}, a software adapter (slow)` : adapter.description,
    adapter,
  };
}
