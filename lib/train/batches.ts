/**
 * Mini-batches of encoded sequences as int32 tensors, with teacher forcing: the decoder reads
 * `[sostok, w1 .. wk]` and learns to predict `[w1 .. wk, eostok]` (the target shifted by one).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { batchIndices, makeBatch } from "./batches.ts";
 * // two rows, input length 2, output length 2, row-major
 * const data = {
 *   n: 2,
 *   encIn: new Int32Array([5, 6, 7, 0]),
 *   decIn: new Int32Array([2, 5, 2, 0]),
 *   decOut: new Int32Array([5, 3, 3, 0]),
 * };
 * const [idx] = batchIndices(2, 2);
 * const b = makeBatch(data, idx, 2, 2);
 * assertEquals(b.encoder.arraySync(), [[5, 6], [7, 0]]);
 * assertEquals(b.target.arraySync(), [[5, 3], [3, 0]]);
 * assertEquals([b.size, b.tokens], [2, 3]); // 3 target positions that are not padding
 * assertEquals(batchIndices(5, 2).map((r) => [...r]), [[0, 1], [2, 3], [4]]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Row-major encoded sequences: `encIn` is n x inputLen; `decIn`, `decOut` are n x outputLen. */
export interface SeqData {
  n: number;
  encIn: Int32Array;
  decIn: Int32Array;
  decOut: Int32Array;
  /** Extended ids for copy attention (see `EncodedSplit`); `encIn` / `decOut` stand in when absent. */
  encExt?: Int32Array;
  decOutExt?: Int32Array;
}

/** One batch as tensors; dispose with {@linkcode disposeBatch}. */
export interface Batch {
  encoder: tf.Tensor2D;
  decoder: tf.Tensor2D;
  target: tf.Tensor2D;
  /** The encoder rows in extended ids (copy attention only; `target` then holds extended ids too). */
  extended?: tf.Tensor2D;
  size: number;
  /** Real (non-padding) target tokens, counted on the CPU: the masked loss's denominator. */
  tokens: number;
}

/** Split `order` (or 0..n-1) into consecutive batches of at most `batchSize` indices. */
export function batchIndices(n: number, batchSize: number, order?: Int32Array): Int32Array[] {
  const ord = order ?? Int32Array.from({ length: n }, (_, i) => i);
  if (ord.length !== n) throw new Error(`batchIndices: order has ${ord.length} entries for ${n} rows`);
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i += batchSize) out.push(ord.subarray(i, Math.min(n, i + batchSize)));
  return out;
}

function gatherRows(src: Int32Array, rows: Int32Array, width: number): Int32Array {
  const out = new Int32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    out.set(src.subarray(rows[r] * width, rows[r] * width + width), r * width);
  }
  return out;
}

/**
 * Build the tensors of the rows `rows` of `data`. With `copy` (a copy-attention model) the batch also holds the
 * extended encoder ids, and the targets are the extended ones.
 */
export function makeBatch(
  data: SeqData,
  rows: Int32Array,
  inputLen: number,
  outputLen: number,
  copy = false,
): Batch {
  if (data.encIn.length !== data.n * inputLen || data.decIn.length !== data.n * outputLen) {
    throw new Error(
      `makeBatch: data shapes (${data.encIn.length}, ${data.decIn.length}) do not match n=${data.n} x ` +
        `maxInputLen=${inputLen} / maxOutputLen=${outputLen}`,
    );
  }
  const b = rows.length;
  const target = gatherRows(copy ? data.decOutExt ?? data.decOut : data.decOut, rows, outputLen);
  let tokens = 0;
  for (let i = 0; i < target.length; i++) if (target[i] !== 0) tokens++;
  return {
    encoder: tf.tensor2d(gatherRows(data.encIn, rows, inputLen), [b, inputLen], "int32"),
    decoder: tf.tensor2d(gatherRows(data.decIn, rows, outputLen), [b, outputLen], "int32"),
    target: tf.tensor2d(target, [b, outputLen], "int32"),
    ...(copy
      ? {
        extended: tf.tensor2d(gatherRows(data.encExt ?? data.encIn, rows, inputLen), [b, inputLen], "int32"),
      }
      : {}),
    size: b,
    tokens,
  };
}

/** The model inputs of a batch: `[encoder, decoder]`, plus the extended encoder ids for copy attention. */
export function batchInputs(b: Batch): tf.Tensor2D[] {
  return b.extended ? [b.encoder, b.decoder, b.extended] : [b.encoder, b.decoder];
}

/** Dispose a batch's tensors. */
export function disposeBatch(b: Batch): void {
  tf.dispose([b.encoder, b.decoder, b.target, ...(b.extended ? [b.extended] : [])]);
}
