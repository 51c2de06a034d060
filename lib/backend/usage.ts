/**
 * Counters of which implementation served each kernel call, and of every fallback taken with its reason: the chain
 * walker of ./install.ts counts its own (an implementation whose guard refused a call), the ops of ./simd/ops.ts
 * theirs (a shape the kernel does not take, or a backend without it, so tfjs ops are composed instead). Plain counters, cheap
 * enough for every kernel call; {@linkcode kernelUsage} reads them, {@linkcode formatKernelUsage} prints a few lines.
 * Imports nothing, so that every module of lib/backend may count.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { countFallback, kernelUsage, resetKernelUsage, usageSlot } from "./usage.ts";
 * resetKernelUsage();
 * const slot = usageSlot("wasm", "Tanh", "fast");
 * slot.calls++;
 * countFallback(slot, "not float32", "native");
 * assertEquals(kernelUsage(), [{
 *   backend: "wasm",
 *   kernel: "Tanh",
 *   calls: { fast: 1 },
 *   fallbacks: [{ from: "fast", to: "native", reason: "not float32", count: 1 }],
 * }]);
 * ```
 * @module
 */

/** The counters of one implementation of one kernel on one backend. */
export interface UsageSlot {
  readonly backend: string;
  readonly kernel: string;
  readonly impl: string;
  /** Calls this implementation served. */
  calls: number;
  /** Calls it refused, by reason, with where they went. */
  readonly fallbacks: Map<string, { to: string; count: number }>;
}

/** What {@linkcode kernelUsage} returns for one kernel on one backend. */
export interface KernelUsage {
  backend: string;
  kernel: string;
  /** Calls served, per implementation (only those that served any). */
  calls: Record<string, number>;
  /** Every fallback taken: from which implementation, to which, why, how often. */
  fallbacks: { from: string; to: string; reason: string; count: number }[];
}

/** What a fallback out of a kernel goes to when ./simd/ops.ts composes tfjs ops instead. */
export const COMPOSED = "composed tfjs ops";

const slots = new Map<string, UsageSlot>();

/** The counters of (`backend`, `kernel`, `impl`), created on first use; keep it to count without a lookup. */
export function usageSlot(backend: string, kernel: string, impl: string): UsageSlot {
  const key = `${backend}\u0000${kernel}\u0000${impl}`;
  let s = slots.get(key);
  if (!s) {
    s = { backend, kernel, impl, calls: 0, fallbacks: new Map() };
    slots.set(key, s);
  }
  return s;
}

/** Count one call that `slot`'s implementation refused for `reason` and passed to `to`. */
export function countFallback(slot: UsageSlot, reason: string, to: string): void {
  const f = slot.fallbacks.get(reason);
  if (f) f.count++;
  else slot.fallbacks.set(reason, { to, count: 1 });
}

/**
 * Count a call of one of ./simd/ops.ts's ops that did not run `kernel` on `backend` (`reason`, e.g. "units 6 not a
 * multiple of 4") and composed tfjs ops instead.
 */
export function countOpFallback(backend: string, kernel: string, reason: string): void {
  countFallback(usageSlot(backend, kernel, "kernel"), reason, COMPOSED);
}

/** Set every count to zero (a new run, a benchmark); the slots stay, as the installed chains hold them. */
export function resetKernelUsage(): void {
  for (const s of slots.values()) {
    s.calls = 0;
    s.fallbacks.clear();
  }
}

/** Per backend and kernel: the calls each implementation served and every fallback taken, sorted. */
export function kernelUsage(): KernelUsage[] {
  const byKernel = new Map<string, KernelUsage>();
  for (const s of slots.values()) {
    if (s.calls === 0 && s.fallbacks.size === 0) continue;
    const key = `${s.backend}/${s.kernel}`;
    let u = byKernel.get(key);
    if (!u) {
      u = { backend: s.backend, kernel: s.kernel, calls: {}, fallbacks: [] };
      byKernel.set(key, u);
    }
    if (s.calls > 0) u.calls[s.impl] = s.calls;
    for (const [reason, f] of s.fallbacks) {
      u.fallbacks.push({ from: s.impl, to: f.to, reason, count: f.count });
    }
  }
  return [...byKernel.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, u]) => u);
}

/**
 * A few readable lines: one per kernel that was called, e.g. `wasm BatchMatMul: simd-gemm 1200, fast 3` and one per
 * fallback, e.g. `  LstmCellForward: units 6 not a multiple of 4 -> composed tfjs ops (x40)`.
 */
export function formatKernelUsage(usage: KernelUsage[] = kernelUsage()): string {
  const lines: string[] = [];
  for (const u of usage) {
    const calls = Object.entries(u.calls).map(([impl, n]) => `${impl} ${n}`).join(", ");
    lines.push(`${u.backend} ${u.kernel}: ${calls || "no kernel calls"}`);
    for (const f of u.fallbacks) {
      const from = f.from === "kernel" ? u.kernel : `${u.kernel} ${f.from}`;
      lines.push(`  ${from}: ${f.reason} -> ${f.to} (x${f.count})`);
    }
  }
  return lines.join("\n");
}
