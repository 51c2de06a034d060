/**
 * Kernels that training needs and the `wasm` backend lacks, filled in with JS kernels that work
 * directly on the wasm heap; a fast scatter-add `UnsortedSegmentSum` for the `cpu` backend (both registered
 * through the kernel table, ./table.ts); and
 * {@link discoverMissingKernels}, which finds by running code which kernels a backend lacks.
 *
 * Discovery on the stand-in model (forward, backward, RMSprop update, clipping by global norm,
 * inference ops; its architecture is a fixture of `tests/backend_kernels_test.ts`) finds exactly one
 * missing kernel: `UnsortedSegmentSum`, the gradient of `Gather` (embedding lookups).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { asWasm, type KernelArgs, nativeKernel, sizeOf } from "./kernel_registry.ts";

/** Kernels the wasm backend lacks and training needs, each filled in by this module. */
export const WASM_FILL_INS: readonly string[] = ["UnsortedSegmentSum"];

/** Calls of the fill-in kernels since start (name -> count), for reports and tests. */
export const fillInCalls: Record<string, number> = {};

type NumArray = Float32Array | Int32Array | Uint8Array;

/**
 * Scatter-add: `out[ids[i], ...] += x[i, ...]` for ids in [0, numSegments); other ids are dropped
 * (as the cpu kernel does). `x` holds `ids.length * inner` values, `out` `numSegments * inner`.
 */
export function scatterAdd(
  x: NumArray,
  ids: NumArray,
  inner: number,
  numSegments: number,
  out: NumArray,
): void {
  out.fill(0);
  const n = ids.length;
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const o = s * inner, xi = i * inner;
    for (let j = 0; j < inner; j++) out[o + j] += x[xi + j];
  }
}

/** Output shape and inner size of UnsortedSegmentSum (segment ids index the leading dims of x). */
function segmentShapes(x: tf.TensorInfo, segmentIds: tf.TensorInfo, numSegments: number) {
  const idRank = segmentIds.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
      );
    }
  }
  const rest = x.shape.slice(idRank);
  return { outShape: [numSegments, ...rest], inner: sizeOf(rest) };
}

/**
 * The wasm fill-in `UnsortedSegmentSum`, a scatter-add on the heap. Never delegates to the cpu kernel (that one
 * loops over every segment: minutes per call for a 10k vocabulary).
 */
export function wasmUnsortedSegmentSum({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const b = asWasm(backend);
  const x = inputs.x!, segmentIds = inputs.segmentIds!;
  const numSegments = attrs!.numSegments as number;
  const { outShape, inner } = segmentShapes(x, segmentIds, numSegments);
  const out = b.makeOutput(outShape, x.dtype);
  // views only after the allocation above: heap growth detaches older views
  const ov = b.typedArrayFromHeap(out) as NumArray;
  const ids = b.typedArrayFromHeap(segmentIds) as NumArray;
  const xv = b.typedArrayFromHeap(x) as NumArray;
  scatterAdd(xv, ids, inner, numSegments, ov);
  fillInCalls.UnsortedSegmentSum = (fillInCalls.UnsortedSegmentSum ?? 0) + 1;
  return out;
}

/** The cpu backend's data access we use (its own `readSync` returns the stored array, no copy). */
interface CpuBackendLike {
  readSync(dataId: tf.DataId): tf.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
}

/**
 * The cpu backend's `UnsortedSegmentSum` as a scatter-add (O(n x inner)); the native one builds a mask per segment
 * (O(numSegments x n x inner)).
 */
export function cpuUnsortedSegmentSum({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as CpuBackendLike;
  const x = inputs.x!, segmentIds = inputs.segmentIds!;
  const numSegments = attrs!.numSegments as number;
  const { outShape, inner } = segmentShapes(x, segmentIds, numSegments);
  const xv = b.readSync(x.dataId) as NumArray;
  const ids = b.readSync(segmentIds.dataId) as NumArray;
  const out = x.dtype === "int32"
    ? new Int32Array(numSegments * inner)
    : new Float32Array(numSegments * inner);
  scatterAdd(xv, ids, inner, numSegments, out);
  return b.makeTensorInfo(outShape, x.dtype, out);
}

/**
 * A kernel function for `wasm` that runs the `cpu` backend's kernel on copies of the inputs.
 * Only for discovery and emergencies: each call copies every input and output across backends.
 */
export function cpuDelegate(kernelName: string, onCall?: (kernelName: string) => void): tf.KernelFunc {
  const cpuKernel = tf.getKernel(kernelName, "cpu");
  if (!cpuKernel) throw new Error(`no cpu kernel '${kernelName}' to delegate to`);
  return ({ inputs, attrs, backend }: KernelArgs) => {
    onCall?.(kernelName);
    const wasmB = asWasm(backend);
    const cpuB = tf.findBackend("cpu") as unknown as CpuBackendLike & tf.KernelBackend;
    const cpuInputs: Record<string, tf.TensorInfo> = {};
    const created: tf.DataId[] = [];
    for (const [k, t] of Object.entries(inputs)) {
      if (!t) continue;
      const dataId = cpuB.write(wasmB.readSync(t.dataId), t.shape, t.dtype);
      created.push(dataId);
      cpuInputs[k] = { dataId, shape: t.shape, dtype: t.dtype };
    }
    const res = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpuB });
    const outs = Array.isArray(res) ? res : [res];
    const moved = outs.map((o) => {
      const r = wasmB.makeOutput(o.shape, o.dtype, undefined, cpuB.readSync(o.dataId));
      cpuB.disposeData(o.dataId);
      return r;
    });
    for (const id of created) cpuB.disposeData(id);
    return Array.isArray(res) ? moved : moved[0];
  };
}

/** What {@link discoverMissingKernels} found. */
export interface KernelDiscovery {
  /** Kernels the run called that the backend has no native kernel for, sorted. */
  missing: string[];
  /** Calls per missing kernel. */
  calls: Record<string, number>;
  /** Kernels neither the backend nor `cpu` has (the run stopped at the first such error), if any. */
  error?: string;
}

/**
 * Run `run` on `backendName` (default `wasm`) with every kernel that `cpu` has and the backend
 * lacks natively temporarily registered as a recording cpu delegate (our own fill-ins are shadowed
 * too, so they are counted as missing). Returns which were called. Restores the kernel registry and
 * the previous backend afterwards.
 */
export async function discoverMissingKernels(
  run: () => void | Promise<void>,
  backendName = "wasm",
): Promise<KernelDiscovery> {
  const previous = tf.getBackend();
  await tf.setBackend(backendName);
  await tf.ready();
  const calls: Record<string, number> = {};
  const saved = new Map<string, tf.KernelConfig | null>();
  for (const k of tf.getKernelsForBackend("cpu")) {
    const name = k.kernelName;
    if (nativeKernel(name, backendName)) continue;
    saved.set(name, tf.getKernel(name, backendName) ?? null);
    if (saved.get(name)) tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: cpuDelegate(name, (n) => calls[n] = (calls[n] ?? 0) + 1),
    });
  }
  let error: string | undefined;
  try {
    await run();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    for (const [name, prev] of saved) {
      tf.unregisterKernel(name, backendName);
      if (prev) tf.registerKernel(prev);
    }
    if (previous && previous !== backendName) await tf.setBackend(previous);
  }
  return { missing: Object.keys(calls).sort(), calls, ...(error ? { error } : {}) };
}
