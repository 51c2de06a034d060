/**
 * TensorFlow.js prints two warnings for this model that are harmless and would teach the wrong lesson:
 * - "Layer decoder_lstm was passed non-serializable keyword arguments": the decoder's `initialState` is
 *   serialized as extra inbound tensors of the node, and loading restores it (the save/load round-trip test
 *   checks identical predictions);
 * - "Orthogonal initializer is being called on a matrix with more than 2000 elements": the recurrent kernels'
 *   initialisation is slow only once, at build time.
 * {@linkcode withoutKnownTfjsWarnings} drops exactly these two from `console.warn` while it runs a build or a load;
 * every other warning passes, and `console.warn` is itself again afterwards.
 * @module
 */

const KNOWN = [
  /^Layer \w+ was passed non-serializable keyword arguments/,
  /^Orthogonal initializer is being called on a matrix with more than/,
];

/** Calls of {@linkcode withoutKnownTfjsWarnings} running now (async ones overlap), and the `console.warn` before the first. */
let active = 0;
let original: typeof console.warn = console.warn;

function filter(...args: unknown[]): void {
  if (typeof args[0] === "string" && KNOWN.some((re) => re.test(args[0] as string))) return;
  original(...args);
}

/**
 * Run `f` with the two known harmless tfjs warnings filtered out of `console.warn`, only while `f` runs (until
 * its promise settles when it returns one). Calls may overlap (two saves at once): the filter is installed by the
 * first and removed by the last to finish, so `console.warn` is always itself again afterwards.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withoutKnownTfjsWarnings } from "./warnings.ts";
 * const warn = console.warn;
 * const releases: (() => void)[] = [];
 * const run = () => withoutKnownTfjsWarnings(() => new Promise<void>((r) => releases.push(r)));
 * const [a, b] = [run(), run()]; // two saves at once
 * releases[0]();
 * await a; // the first ends while the second still runs: still filtered
 * assertEquals(console.warn === warn, false);
 * releases[1]();
 * await b;
 * assertEquals(console.warn === warn, true);
 * ```
 */
export function withoutKnownTfjsWarnings<T>(f: () => T): T {
  if (active++ === 0) {
    original = console.warn;
    console.warn = filter;
  }
  const restore = () => {
    if (--active === 0) console.warn = original;
  };
  let result: T;
  try {
    result = f();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
