/**
 * TensorFlow.js prints two warnings for this model that are harmless and would teach the wrong lesson:
 * - "Layer decoder_lstm was passed non-serializable keyword arguments": the decoder's `initialState` is
 *   serialized as extra inbound tensors of the node, and loading restores it (the save/load round-trip test
 *   checks identical predictions);
 * - "Orthogonal initializer is being called on a matrix with more than 2000 elements": the recurrent kernels'
 *   initialisation is slow only once, at build time.
 * {@linkcode silenceKnownTfjsWarnings} drops exactly these two from `console.warn`; every other warning passes.
 * @module
 */

const KNOWN = [
  /^Layer \w+ was passed non-serializable keyword arguments/,
  /^Orthogonal initializer is being called on a matrix with more than/,
];

let installed = false;

/** Filter the two known harmless tfjs warnings out of `console.warn` (idempotent). */
export function silenceKnownTfjsWarnings(): void {
  if (installed) return;
  installed = true;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && KNOWN.some((re) => re.test(args[0] as string))) return;
    warn(...args);
  };
}
