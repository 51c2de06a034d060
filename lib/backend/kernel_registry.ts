/**
 * Register our kernel functions in tfjs's (process-global) kernel registry, keeping the backend's own kernel at
 * hand: {@link registerOwn} remembers the native kernel the first time a name is registered and keeps its
 * `setupFunc`, {@link restoreNative} puts it back. Only ./install.ts registers (it builds every chain from the
 * table in ./table.ts). Also: narrow types and heap views for the wasm backend's internals used by our kernels.
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

/** The kernel each backend had before we registered anything for it (null: none), per `backend/kernel`. */
const natives = new Map<string, tf.KernelConfig | null>();
const key = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

/**
 * The kernel `backendName` registered for `kernelName` before we registered anything for it (null if it has
 * none). Use it as the reference in tests and as the last link of a chain.
 */
export function nativeKernel(kernelName: string, backendName: string): tf.KernelConfig | null {
  const k = key(kernelName, backendName);
  if (natives.has(k)) return natives.get(k)!;
  return tf.getKernel(kernelName, backendName) ?? null;
}

/**
 * Register `kernelFunc` for (`kernelName`, `backendName`) in place of whatever is registered now, keeping the
 * native kernel's `setupFunc`/`disposeFunc` (so the native kernel still gets its wasm bindings when the backend
 * initialises later). The native kernel is remembered the first time a name is registered here.
 */
export function registerOwn(kernelName: string, backendName: string, kernelFunc: KernelFunc): void {
  const k = key(kernelName, backendName);
  const current = tf.getKernel(kernelName, backendName) ?? null;
  if (!natives.has(k)) natives.set(k, current);
  const native = natives.get(k)!;
  if (current) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc,
    setupFunc: native?.setupFunc,
    disposeFunc: native?.disposeFunc,
  });
}

/** Put the native kernel back (or unregister a kernel the backend never had). No-op if never registered here. */
export function restoreNative(kernelName: string, backendName: string): void {
  const k = key(kernelName, backendName);
  if (!natives.has(k)) return;
  const native = natives.get(k)!;
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  if (native) tf.registerKernel(native);
  natives.delete(k);
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
