/**
 * Replace and restore TensorFlow.js kernels, keeping the backend's own implementation at hand.
 *
 * Kernel registration in tfjs is global to the process. Every replacement made here goes through
 * {@link replaceKernel}, which remembers the backend's native kernel the first time a name is
 * replaced, re-registers with the native `setupFunc` (so the native kernel still gets its wasm
 * bindings when the backend initialises later) and can put the native kernel back with
 * {@link restoreKernel}. Also: narrow types for the wasm backend's internals used by our kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

export type { BackendWasm };

/** A registered kernel's function (what `tf.registerKernel` takes). */
export type KernelFunc = tf.KernelFunc;
/** The arguments every kernel function receives. */
export type KernelArgs = Parameters<KernelFunc>[0];

interface Replacement {
  /** The kernel the backend had before any replacement (null: the backend had none). */
  native: tf.KernelConfig | null;
  /** Short label of the replacement now registered (e.g. "fast", "blas", "fill-in"). */
  tag: string;
}

const replaced = new Map<string, Replacement>();
const key = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

/**
 * The kernel `backendName` registered for `kernelName` before we replaced anything
 * (null if it has none). Use it as the reference in tests and as a fallback in overrides.
 */
export function nativeKernel(kernelName: string, backendName: string): tf.KernelConfig | null {
  const r = replaced.get(key(kernelName, backendName));
  if (r) return r.native;
  return tf.getKernel(kernelName, backendName) ?? null;
}

/**
 * Register `kernelFunc` for (`kernelName`, `backendName`) in place of whatever is registered now.
 * `make` receives the kernel registered right now (possibly an earlier replacement, or null) and
 * returns the new kernel function; the native kernel's `setupFunc`/`disposeFunc` are kept.
 * Returns the previous kernel config (null if none).
 */
export function replaceKernel(
  kernelName: string,
  backendName: string,
  tag: string,
  make: (current: tf.KernelConfig | null) => KernelFunc,
): tf.KernelConfig | null {
  const k = key(kernelName, backendName);
  const current = tf.getKernel(kernelName, backendName) ?? null;
  if (!replaced.has(k)) replaced.set(k, { native: current, tag });
  const native = replaced.get(k)!.native;
  const kernelFunc = make(current);
  if (current) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc,
    setupFunc: native?.setupFunc,
    disposeFunc: native?.disposeFunc,
  });
  replaced.get(k)!.tag = tag;
  return current;
}

/** Put the native kernel back (or unregister a fill-in the backend never had). No-op if not replaced. */
export function restoreKernel(kernelName: string, backendName: string): void {
  const k = key(kernelName, backendName);
  const r = replaced.get(k);
  if (!r) return;
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  if (r.native) tf.registerKernel(r.native);
  replaced.delete(k);
}

/** The tag of our replacement currently registered for the kernel, or null if it is the native one. */
export function replacementTag(kernelName: string, backendName: string): string | null {
  return replaced.get(key(kernelName, backendName))?.tag ?? null;
}

/** Every replacement now in place, as `"<backend>/<kernel>:<tag>"` strings, sorted. */
export function listReplacements(): string[] {
  return [...replaced.entries()].map(([k, r]) => `${k}:${r.tag}`).sort();
}

/** View a kernel's backend argument as the wasm backend (our wasm kernels only run on it). */
export function asWasm(backend: unknown): BackendWasm {
  return backend as BackendWasm;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The wasm module's current heap (emscripten's HEAPU8; replaced when the heap grows). */
export function wasmHeap(backend: BackendWasm): Uint8Array {
  // the emscripten module type is not resolved through the package's declarations: narrow it here
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

/**
 * A Float32Array view of a float32 tensor on the wasm heap, `len` elements from element `offset`.
 * Take views only after the last allocation of the kernel: heap growth detaches older views.
 */
export function heapF32(backend: BackendWasm, t: tf.TensorInfo, offset = 0, len?: number): Float32Array {
  return new Float32Array(
    wasmHeap(backend).buffer,
    heapOffset(backend, t, offset),
    len ?? sizeOf(t.shape) - offset,
  );
}

/**
 * The byte offset in the wasm heap of element `offset` of a tensor with 4-byte elements (float32, int32), for
 * kernels that pass pointers into wasm or copy inside the heap. Offsets stay valid when the heap grows.
 */
export function heapOffset(backend: BackendWasm, t: tf.TensorInfo, offset = 0): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error(`wasm backend: no data for tensor of shape [${t.shape}]`);
  return data.memoryOffset + 4 * offset;
}
