/**
 * Percentile bootstrap confidence intervals for a mean, seeded and deterministic.
 *
 * Each resample draws `n` values with replacement (indices from a seeded {@linkcode mulberry32}
 * stream) and takes their mean; the interval is the `(1 - level) / 2` and `(1 + level) / 2`
 * quantiles of the resampled means (linear interpolation between order statistics).
 *
 * The same seed and the same `n` give the same resampled indices, so intervals of several systems
 * scored on the same examples are paired. For a paired comparison of two systems, bootstrap the
 * per-example differences `a[i] - b[i]`.
 *
 * @example
 * ```ts
 * import { assert, assertAlmostEquals } from "@std/assert";
 * import { bootstrapCI } from "./bootstrap.ts";
 * const ci = bootstrapCI([0.2, 0.4, 0.9, 0.5], { resamples: 1000, seed: 42 });
 * assertAlmostEquals(ci.mean, 0.5); // (0.2 + 0.4 + 0.9 + 0.5) / 4
 * assert(0.2 <= ci.lo && ci.lo < ci.mean && ci.mean < ci.hi && ci.hi <= 0.9);
 * const again = bootstrapCI([0.2, 0.4, 0.9, 0.5], { resamples: 1000, seed: 42 });
 * assert(again.lo === ci.lo && again.hi === ci.hi); // same seed, same interval
 * ```
 * @module
 */

import { mulberry32 } from "../util/rng.ts";

/** A mean with the bounds of its confidence interval. */
export interface CI {
  mean: number;
  /** Lower bound; NaN when `resamples` is 0 (no interval computed). */
  lo: number;
  /** Upper bound; NaN when `resamples` is 0 (no interval computed). */
  hi: number;
}

/** Options of {@linkcode bootstrapCI}. */
export interface BootstrapOptions {
  /** Number of resamples (0 = no interval: `lo` and `hi` are NaN). */
  resamples: number;
  /** Seed of the resampling stream. */
  seed: number;
  /** Confidence level in (0, 1); default 0.95. */
  level?: number;
}

/** The arithmetic mean of a non-empty list. */
export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Quantile `q` in [0, 1] of an ascending-sorted array, interpolating linearly between neighbours. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new Error("quantileSorted: empty array");
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * Percentile bootstrap confidence interval of the mean of `values`. Deterministic for a given
 * seed. Throws on an empty list, a non-finite value (naming its index), a negative or fractional
 * `resamples`, or a level outside (0, 1).
 */
export function bootstrapCI(values: readonly number[], opts: BootstrapOptions): CI {
  return bootstrapCIMany([values], opts)[0];
}

/**
 * {@linkcode bootstrapCI} of several lists of the same length at once, drawing each resample's
 * indices once for all of them (paired intervals; each result equals `bootstrapCI(list, opts)`).
 * Throws like {@linkcode bootstrapCI}, naming the list, and when the lengths differ.
 */
export function bootstrapCIMany(lists: readonly (readonly number[])[], opts: BootstrapOptions): CI[] {
  const { resamples, seed, level = 0.95 } = opts;
  if (lists.length === 0) return [];
  const n = lists[0].length;
  if (n === 0) throw new Error("bootstrapCI: no values");
  lists.forEach((values, j) => {
    if (values.length !== n) {
      throw new Error(`bootstrapCI: list ${j} has ${values.length} values, list 0 has ${n}`);
    }
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const where = lists.length > 1 ? `list ${j} ` : "";
      throw new Error(`bootstrapCI: ${where}value ${bad} is not a finite number (${values[bad]})`);
    }
  });
  if (!Number.isInteger(resamples) || resamples < 0) {
    throw new Error(`bootstrapCI: resamples must be an integer >= 0 (got ${resamples})`);
  }
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapCI: level must be in (0, 1) (got ${level})`);
  const means = lists.map((values) => mean(values));
  if (resamples === 0) return means.map((m) => ({ mean: m, lo: NaN, hi: NaN }));
  const data = lists.map((values) => Float64Array.from(values));
  const resampled = lists.map(() => new Float64Array(resamples));
  const idx = new Uint32Array(n);
  const rng = mulberry32(seed);
  for (let b = 0; b < resamples; b++) {
    for (let k = 0; k < n; k++) idx[k] = Math.floor(rng() * n);
    for (let j = 0; j < data.length; j++) {
      const v = data[j];
      let s = 0;
      for (let k = 0; k < n; k++) s += v[idx[k]];
      resampled[j][b] = s / n;
    }
  }
  const alpha = (1 - level) / 2;
  return resampled.map((r, j) => {
    r.sort();
    return { mean: means[j], lo: quantileSorted(r, alpha), hi: quantileSorted(r, 1 - alpha) };
  });
}
