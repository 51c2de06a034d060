/**
 * Build every kernel chain of the table (./table.ts) and register it: {@linkcode installKernels} registers, for each
 * (backend, kernel), one kernel function that walks the selected implementations in order, the native kernel last,
 * and runs the first whose guard admits the call (a refusal is counted with its reason, ./usage.ts).
 * {@linkcode uninstallKernels} puts every native kernel back and unregisters the kernels the backends never had.
 * Each install rebuilds every chain from the table, so the result depends on the options only, not on what was
 * installed before.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { activeChains, installKernels, uninstallKernels } from "./install.ts";
 * import { nativeKernel } from "./kernel_registry.ts";
 * installKernels({ blas: false, gemm: false });
 * assertEquals(activeChains("wasm").BatchMatMul, ["fast", "native"]);
 * assertEquals(activeChains("cpu"), { UnsortedSegmentSum: ["scatter-add", "native"] });
 * uninstallKernels();
 * assertEquals(tf.getKernel("Tanh", "wasm"), nativeKernel("Tanh", "wasm")!);
 * assertEquals(tf.getKernel("AdditiveAttentionScores", "wasm"), undefined);
 * ```
 * @module
 */
import { blasLoaded } from "./blas.ts";
import {
  type KernelArgs,
  type KernelFunc,
  nativeKernel,
  registerOwn,
  restoreNative,
} from "./kernel_registry.ts";
import { KERNEL_TABLE, type KernelOptions, selectOptions, type TableRow } from "./table.ts";
import { countFallback, usageSlot } from "./usage.ts";

/** One link of a chain: an implementation's name, its guard, its kernel function. */
export interface ChainLink {
  name: string;
  guard?: (args: KernelArgs) => string | null;
  run: KernelFunc;
}

/** The chains now installed, per backend and kernel: implementation names in order. */
export type KernelChains = Record<string, Record<string, string[]>>;

const installed = new Map<string, { backend: string; kernel: string; chain: string[] }>();

/** A kernel function walking `links`: the first whose guard admits the call runs it; refusals are counted. */
export function chainKernel(backend: string, kernel: string, links: ChainLink[]): KernelFunc {
  const slots = links.map((l) => usageSlot(backend, kernel, l.name));
  return (args: KernelArgs) => {
    for (let i = 0; i < links.length; i++) {
      const why = links[i].guard ? links[i].guard!(args) : null;
      if (why === null) {
        slots[i].calls++;
        return links[i].run(args);
      }
      countFallback(slots[i], why, links[i + 1]?.name ?? "error");
    }
    const reasons = links.map((l) => `${l.name}: ${l.guard!(args)}`).join("; ");
    throw new Error(`${kernel} on ${backend}: no implementation takes this call (${reasons})`);
  };
}

/** The row's links under the selection, or null where the row registers nothing now. */
function linksOf(row: TableRow, names: (name: string) => boolean): ChainLink[] | null {
  const native = nativeKernel(row.kernel, row.backend)?.kernelFunc ?? null;
  if (!native && !row.own && !row.fillIn) return null; // that backend's package is not loaded (yet)
  if (row.fillIn && native) return null; // the backend has its own now
  const ours = row.impls.filter((i) => names(i.name));
  if (ours.length === 0) return null;
  const links: ChainLink[] = ours.map((i) => ({ name: i.name, guard: i.guard, run: i.make(native) }));
  if (native) links.push({ name: "native", run: native });
  return links;
}

function rowOf(backend: string, kernel: string): TableRow {
  const row = KERNEL_TABLE.find((r) => r.backend === backend && r.kernel === kernel);
  if (!row) throw new Error(`no row for ${kernel} on ${backend} in the kernel table`);
  return row;
}

/**
 * Register every chain of the table under `opts` (every group on by default; OpenBLAS only when loaded, see
 * `openBlas()` in ./blas.ts) and restore the native kernel where nothing of ours is selected. Rows of a backend whose
 * package is not loaded are left out (call again after loading it). Returns the chains now installed.
 */
export function installKernels(opts: KernelOptions = {}): KernelChains {
  const sel = selectOptions(opts, blasLoaded());
  for (const row of KERNEL_TABLE) {
    const key = `${row.backend}/${row.kernel}`;
    const chosen = new Set(row.impls.filter((i) => i.when?.(sel) ?? true).map((i) => i.name));
    const links = linksOf(row, (name) => chosen.has(name));
    if (!links) {
      if (installed.delete(key)) restoreNative(row.kernel, row.backend);
      continue;
    }
    registerOwn(row.kernel, row.backend, chainKernel(row.backend, row.kernel, links));
    installed.set(key, { backend: row.backend, kernel: row.kernel, chain: links.map((l) => l.name) });
  }
  return activeChains();
}

/** Put back every native kernel and unregister every kernel the backends never had. */
export function uninstallKernels(): void {
  for (const { backend, kernel } of installed.values()) restoreNative(kernel, backend);
  installed.clear();
}

/** The chains now installed: for one backend (kernel -> names), or for all (backend -> kernel -> names). */
export function activeChains(): KernelChains;
export function activeChains(backend: string): Record<string, string[]>;
export function activeChains(backend?: string): KernelChains | Record<string, string[]> {
  const all: KernelChains = {};
  const rows = [...installed.values()].sort((a, b) => a.kernel < b.kernel ? -1 : a.kernel > b.kernel ? 1 : 0);
  for (const r of rows) (all[r.backend] ??= {})[r.kernel] = [...r.chain];
  return backend === undefined ? all : all[backend] ?? {};
}

/**
 * A chain of the named implementations of (`backend`, `kernel`) from the table (`"native"` for the native kernel),
 * built but not registered: for benchmarks and tests, e.g. `chainOf("wasm", "BatchMatMul", ["fast", "native"])`.
 */
export function chainOf(backend: string, kernel: string, names: string[]): KernelFunc {
  const row = rowOf(backend, kernel);
  const links = linksOf(row, (name) => names.includes(name)) ?? [];
  const picked = names.map((n) => {
    const l = links.find((x) => x.name === n);
    if (!l) throw new Error(`${kernel} on ${backend}: no implementation '${n}' available`);
    return l;
  });
  return chainKernel(backend, kernel, picked);
}
