/**
 * The statistics of a sweep's summary: mean and spread across seeds, the seed-to-seed spread of a metric, and the
 * confidence interval of a difference between two settings over seeds and examples (a two-level bootstrap: seeds
 * drawn with replacement, then each drawn seed's examples with replacement; with one seed it is the paired
 * bootstrap of lib/eval/bootstrap.ts, the one `deno task evaluate` uses for `model_greedy - copy_input`).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { meanSd, seedSpread } from "./stats.ts";
 * const m = meanSd([0.5, 0.7]);
 * assertAlmostEquals(m.mean, 0.6);
 * assertAlmostEquals(m.sd, Math.SQRT2 * 0.1); // the sample SD (n - 1)
 * // the mean gap between two seeds of the same setting, pooled over settings
 * assertAlmostEquals(seedSpread([[0.5, 0.7], [0.2, 0.3]])!, (0.2 + 0.1) / 2);
 * ```
 * @module
 */
import { bootstrapCI, type CI, mean, quantileSorted } from "../eval/bootstrap.ts";
import { mulberry32 } from "../util/rng.ts";

/** A mean with its sample standard deviation (NaN for fewer than two values) and the number of values. */
export interface MeanSd {
  mean: number;
  sd: number;
  n: number;
}

/** Mean and sample standard deviation (n - 1) of `xs`; NaN mean for none, NaN sd for fewer than two. */
export function meanSd(xs: readonly number[]): MeanSd {
  const n = xs.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const m = mean(xs);
  if (n < 2) return { mean: m, sd: NaN, n };
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return { mean: m, sd: Math.sqrt(ss / (n - 1)), n };
}

/**
 * The seed-to-seed spread of a metric: the mean absolute difference between two seeds of the same setting, over
 * every pair of seeds of every setting (`groups`: one list of per-seed values per setting). What another seed
 * changes by chance; null when no setting has two seeds.
 */
export function seedSpread(groups: readonly (readonly number[])[]): number | null {
  let sum = 0, pairs = 0;
  for (const g of groups) {
    for (let i = 0; i < g.length; i++) {
      for (let j = i + 1; j < g.length; j++) {
        sum += Math.abs(g[i] - g[j]);
        pairs++;
      }
    }
  }
  return pairs === 0 ? null : sum / pairs;
}

/** Options of {@linkcode seedExampleCI}. */
export interface SeedBootstrapOptions {
  /** Resamples (0 = no interval: NaN bounds). */
  resamples: number;
  seed: number;
  /** Confidence level, default 0.95. */
  level?: number;
}

/**
 * Confidence interval of the mean of per-example differences measured under several seeds (`bySeed[s][i]`: the
 * difference on example i under seed s). The mean weighs seeds equally. Each resample draws the seeds with
 * replacement and, for each drawn seed, its examples with replacement, so the interval holds both the seed noise
 * and the sampling of test examples. One seed: exactly `bootstrapCI` of its differences (lib/eval/bootstrap.ts).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bootstrapCI } from "../eval/bootstrap.ts";
 * import { seedExampleCI } from "./stats.ts";
 * const one = [0.1, -0.2, 0.3, 0.05];
 * assertEquals(seedExampleCI([one], { resamples: 200, seed: 1 }), bootstrapCI(one, { resamples: 200, seed: 1 }));
 * const same = seedExampleCI([[0.1, 0.1], [0.1, 0.1]], { resamples: 50, seed: 1 });
 * assertEquals([same.lo, same.hi].map((x) => x.toFixed(6)), ["0.100000", "0.100000"]);
 * ```
 */
export function seedExampleCI(bySeed: readonly (readonly number[])[], opts: SeedBootstrapOptions): CI {
  if (bySeed.length === 0) throw new Error("seedExampleCI: no seeds");
  bySeed.forEach((xs, s) => {
    if (xs.length === 0) throw new Error(`seedExampleCI: seed ${s} has no values`);
    const bad = xs.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`seedExampleCI: seed ${s} value ${bad} is not a finite number`);
  });
  if (bySeed.length === 1) return bootstrapCI(bySeed[0], opts);
  const level = opts.level ?? 0.95;
  const m = mean(bySeed.map((xs) => mean(xs)));
  if (opts.resamples === 0) return { mean: m, lo: NaN, hi: NaN };
  const rng = mulberry32(opts.seed);
  const S = bySeed.length;
  const out = new Float64Array(opts.resamples);
  for (let b = 0; b < opts.resamples; b++) {
    let total = 0;
    for (let k = 0; k < S; k++) {
      const xs = bySeed[Math.floor(rng() * S)];
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += xs[Math.floor(rng() * xs.length)];
      total += s / xs.length;
    }
    out[b] = total / S;
  }
  out.sort();
  const alpha = (1 - level) / 2;
  return { mean: m, lo: quantileSorted(out, alpha), hi: quantileSorted(out, 1 - alpha) };
}
