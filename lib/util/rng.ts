/**
 * A small seeded pseudo-random number generator, shared by everything in the project that must be
 * reproducible from `cfg.seed` (corpus generation, splits, shuffling, bootstrap, test data).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mulberry32 } from "./rng.ts";
 * const rand = mulberry32(42);
 * assertEquals(rand(), 0.6011037519201636); // the same on every run and machine
 * assertEquals(mulberry32(42)(), 0.6011037519201636);
 * ```
 * @module
 */

/**
 * Mulberry32: a 32-bit state PRNG (public-domain algorithm by Tommy Ettinger). Returns a function
 * that yields floats uniformly in [0, 1). Seeds are taken modulo 2^32; the same seed always gives
 * the same sequence.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n) drawn from `rand`. */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** One element of a non-empty array, chosen uniformly with `rand`. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  if (items.length === 0) throw new Error("pick: empty array");
  return items[Math.floor(rand() * items.length)];
}

/** Shuffle `items` in place (Fisher-Yates) with `rand`, and return it. */
export function shuffleInPlace<T>(rand: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}
