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

/**
 * Run `f` with the two known harmless tfjs warnings filtered out of `console.warn`, only while `f` runs (until
 * its promise settles when it returns one).
 */
export function withoutKnownTfjsWarnings<T>(f: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && KNOWN.some((re) => re.test(args[0] as string))) return;
    warn(...args);
  };
  const restore = () => {
    console.warn = warn;
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
