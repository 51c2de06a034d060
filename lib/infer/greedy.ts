/**
 * Greedy decoding: start from `sostok`, feed back the most probable token, stop at `eostok` (or a padding
 * prediction, which can never start a real word) or after `maxLen` tokens. The step count is bounded by
 * `maxLen` whatever the model predicts, so decoding always ends (the original experiment could loop forever
 * when the model kept predicting index 0).
 *
 * Two implementations with the same summaries (log-probabilities and attention equal up to float32 rounding),
 * except at near-ties, where the two largest probabilities are equal in float32 and the two may choose different
 * tokens (see {@linkcode greedyDecodeBatch}):
 * - {@linkcode greedyDecodeLoop}: the milestone report's loop, one input and one `predict` call per token; kept
 *   because it teaches;
 * - {@linkcode greedyDecodeBatch}: many inputs at once, one batched decoder step per output position, no
 *   per-token `predict` overhead.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { extractInferenceModels } from "./models.ts";
 * import { greedyDecodeBatch, greedyDecodeLoop } from "./greedy.ts";
 * const cfg = resolveConfig("tiny");
 * const models = extractInferenceModels(buildSeq2Seq(cfg)); // untrained: any tokens, but bounded
 * const encIn = new Int32Array(2 * cfg.maxInputLen); // two rows, row-major
 * encIn.set([5, 6, 7], 0);
 * encIn.set([8, 9], cfg.maxInputLen);
 * const out = await greedyDecodeBatch(models, encIn, 2, { maxLen: 5 });
 * assertEquals(out.length, 2);
 * for (const d of out) assert(d.ids.length <= 5 && d.attention.length >= d.ids.length);
 * // batched decoding gives what the one-at-a-time loop gives
 * const one = await greedyDecodeLoop(models, encIn.subarray(0, cfg.maxInputLen), 5);
 * assertEquals(out[0].ids, one.ids);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { EOS, PAD, SOS } from "../data/tokenizer.ts";
import {
  checkBatchSize,
  decodeStepChoice,
  disposeEncoded,
  encodeRows,
  feedBack,
  type InferenceModels,
} from "./models.ts";

/** One decoded sequence: token ids (without sostok/eostok) and, per generated token, its attention over inputs. */
export interface Decoded {
  ids: number[];
  attention: number[][];
  /**
   * Sum of the log-probabilities of the generated tokens and of the token that ended decoding: eostok, or `<pad>`
   * when a padding prediction ended it (none when `maxLen` did).
   */
  logProb: number;
  /** Whether decoding ended with eostok (false: length limit or a padding prediction). */
  finished: boolean;
  /**
   * Copy attention only (batched greedy decoding): per generated token, the gate `p_gen`, the probability the
   * model gave to writing from the vocabulary rather than copying from the input.
   */
  pGen?: number[];
}

function argmaxRow(p: Float32Array | Int32Array | Uint8Array, off: number, n: number): number {
  let best = 0, bv = -Infinity;
  for (let j = 0; j < n; j++) {
    if (p[off + j] > bv) {
      bv = p[off + j];
      best = j;
    }
  }
  return best;
}

/**
 * The report's greedy loop for one encoder row (length Tin), using `predict` at every step. `extRow`: the row in
 * extended ids, for a model with copy attention (default: `encRow`, so only vocabulary words can be copied).
 */
export async function greedyDecodeLoop(
  models: InferenceModels,
  encRow: Int32Array,
  maxLen: number,
  extRow?: Int32Array,
): Promise<Decoded> {
  const tokens = tf.tensor2d(encRow, [1, models.inputLen], "int32");
  const copy = models.layers.pointer !== null;
  const extended = copy ? tf.tensor2d(extRow ?? encRow, [1, models.inputLen], "int32") : null;
  const [states, h0, c0] = models.encoder.predict(tokens) as tf.Tensor[];
  let h = h0, c = c0;
  // coverage: the attention so far, carried from step to step like h and c
  let cov: tf.Tensor | null = models.layers.attention.coverage ? tf.zeros([1, models.inputLen]) : null;
  const out: Decoded = { ids: [], attention: [], logProb: 0, finished: false };
  let prev = SOS;
  for (let t = 0; t < maxLen; t++) {
    const target = feedBack(models, [prev]); // a copied word outside the vocabulary goes back in as <oov>
    const inputs = [target, states, h, c, ...(cov ? [cov] : []), tokens, ...(extended ? [extended] : [])];
    const [p, h2, c2, w, cov2] = models.decoder.predict(inputs) as tf.Tensor[];
    const [probs, wv] = await Promise.all([p.data(), w.data()]);
    const next = argmaxRow(probs, 0, models.outputSize);
    const weights = Array.from(wv);
    tf.dispose([target, p, w, h, c, ...(cov ? [cov] : [])]);
    h = h2;
    c = c2;
    cov = cov2 ?? null;
    out.logProb += Math.log(Math.max(probs[next], 1e-30));
    if (next === EOS) {
      out.finished = true;
      break;
    }
    if (next === PAD) break;
    out.ids.push(next);
    out.attention.push(weights);
    prev = next;
  }
  tf.dispose([tokens, states, h, c, ...(extended ? [extended] : []), ...(cov ? [cov] : [])]);
  return out;
}

/** Options of {@linkcode greedyDecodeBatch}. */
export interface BatchDecodeOptions {
  maxLen: number;
  /** Inputs decoded together (default 256). */
  batchSize?: number;
  /** Copy attention: the encoder rows in extended ids (row-major `n x Tin`); default `encIn`. */
  extended?: Int32Array;
  /** Called after every batch with the inputs decoded so far and `n` (e.g. a progress bar). */
  onProgress?: (done: number, n: number) => void | Promise<void>;
}

/**
 * Greedy-decode `n` encoder rows (row-major `n x Tin`) in batches. The loop's outputs, except where the two largest
 * logits are so close (about 1e-7) that their float32 probabilities are equal: the loop then takes the lower id,
 * this the larger logit (it takes the arg-max of the logits, without the softmax).
 */
export async function greedyDecodeBatch(
  models: InferenceModels,
  encIn: Int32Array,
  n: number,
  opts: BatchDecodeOptions,
): Promise<Decoded[]> {
  const tin = models.inputLen;
  if (encIn.length !== n * tin) {
    throw new Error(`greedyDecodeBatch: ${encIn.length} tokens is not ${n} x ${tin}`);
  }
  const bs = checkBatchSize("greedyDecodeBatch", opts.batchSize ?? 256);
  const results: Decoded[] = [];
  for (let start = 0; start < n; start += bs) {
    const b = Math.min(bs, n - start);
    const enc = encodeRows(models, encIn, start, b, opts.extended);
    let h = enc.h, c = enc.c;
    let cov: tf.Tensor2D | undefined; // coverage (models with coverage): zeros before the first step
    let prev = tf.fill([b, 1], SOS, "int32") as tf.Tensor2D;
    const copy = models.layers.pointer !== null;
    const outs: Decoded[] = Array.from(
      { length: b },
      () => ({ ids: [], attention: [], logProb: 0, finished: false, ...(copy ? { pGen: [] } : {}) }),
    );
    const done = new Uint8Array(b);
    let alive = b;
    for (let t = 0; t < opts.maxLen && alive > 0; t++) {
      // the choice and its probability are computed on the backend (from the logits where the output is their
      // softmax): only 2 numbers per row come back
      const step = decodeStepChoice(models, prev, enc, h, c, cov);
      const { index: nextT, value: bestT } = step;
      const [next, best, att, gate] = await Promise.all([
        nextT.data(),
        bestT.data(),
        step.attention.data(),
        step.pGen?.data(),
      ]);
      for (let i = 0; i < b; i++) {
        if (done[i]) continue;
        const k = next[i];
        const o = outs[i];
        o.logProb += Math.log(Math.max(best[i], 1e-30));
        if (k === EOS || k === PAD) {
          o.finished = k === EOS;
          done[i] = 1;
          alive--;
          continue;
        }
        o.ids.push(k);
        o.attention.push(Array.from(att.subarray(i * tin, (i + 1) * tin)));
        if (gate) o.pGen!.push(gate[i]);
      }
      tf.dispose([prev, step.attention, h, c, bestT, ...(step.pGen ? [step.pGen] : [])]);
      if (cov) cov.dispose();
      h = step.h;
      c = step.c;
      cov = step.coverage;
      prev = feedBack(models, nextT);
      nextT.dispose();
    }
    tf.dispose([prev, h, c, ...(cov ? [cov] : [])]);
    disposeEncoded(enc);
    results.push(...outs);
    await opts.onProgress?.(results.length, n);
  }
  return results;
}
