/**
 * Reproducible randomness for tfjs. TensorFlow.js draws weight initialisers and dropout masks from
 * `Math.random` when no seed is passed, so the training loop replaces `Math.random` with a seeded generator
 * at fixed points (before building the model, at the start of every epoch). Re-seeding per epoch from
 * `(seed, epoch)` makes an epoch's randomness independent of what ran before it, which is what lets a
 * resumed run reproduce an uninterrupted one.
 *
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * import { seedEverything } from "./seed.ts";
 * seedEverything(42, 0);
 * const first = [Math.random(), Math.random()];
 * seedEverything(42, 0); // the same (seed, epoch): the same numbers
 * assertEquals([Math.random(), Math.random()], first);
 * seedEverything(42, 1); // another epoch: another stream
 * assertNotEquals(Math.random(), first[0]);
 * ```
 * @module
 */
import { mulberry32 } from "../util/rng.ts";

/** A 32-bit mix of a seed and a stream number (e.g. the epoch), so that streams do not overlap. */
export function mixSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Replace `Math.random` with a generator seeded from `(seed, stream)`. */
export function seedEverything(seed: number, stream = 0): void {
  Math.random = mulberry32(mixSeed(seed, stream));
}

/** A seeded Fisher-Yates permutation of `0..n-1`. */
export function permutation(n: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * The randomness of training epoch `epoch` (1-based) of a run seeded `seed`: re-seeds `Math.random` (tfjs dropout
 * masks, the fast layers' too) from `(seed, 1000 + epoch)` and returns the order of the `n` training rows
 * (batches are consecutive slices of it). The initial weights come from `(seed, 0)` (`buildModelFor`,
 * lib/experiment.ts). So one `seed` drives initialisation, dropout and batch order, and nothing else of a run:
 * the data has its own seed (`dataSeed`, lib/config.ts).
 */
export function seedEpoch(seed: number, epoch: number, n: number): Int32Array {
  seedEverything(seed, 1000 + epoch);
  return permutation(n, mixSeed(seed, epoch));
}
