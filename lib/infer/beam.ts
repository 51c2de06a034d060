/**
 * Beam search with a GNMT length penalty. Hypotheses are ranked by `logP / lp(len)` with
 * `lp(len) = ((5 + len) / 6) ** alpha` (alpha = `cfg.lengthPenalty`; 0 ranks by raw log-probability, larger
 * values favour longer summaries). `len` counts the generated tokens and the `eostok` (or `<pad>`) that ended
 * the summary, and `logP` includes that token's log-probability.
 *
 * The search is written against a small {@linkcode BeamStepper} interface, so it can run on the tfjs inference
 * models ({@linkcode modelStepper}) or on a hand-made distribution in tests. With width 1 and
 * `lengthPenalty` 0 it returns exactly the greedy loop's output (`greedyDecodeLoop`: both take the arg-max of the
 * float32 probabilities, the lower id on a tie).
 *
 * @example
 * ```ts
 * import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { extractInferenceModels } from "./models.ts";
 * import { beamSearch, type BeamStepper, modelStepper } from "./beam.ts";
 * // ids: 0 padding, 1 <oov>, 2 sostok, 3 eostok, 4 "a", 5 "b". After sostok: a 0.5, b 0.4, eostok 0.1;
 * // after a: eostok 0.3, a 0.35, b 0.35; after b: eostok 1. Greedy takes "a" and never ends above 0.175;
 * // a beam of 2 keeps "b" and finishes "b" with probability 0.4.
 * const next: Record<number, number[]> = {
 *   2: [0, 0, 0, 0.1, 0.5, 0.4],
 *   4: [0, 0, 0, 0.3, 0.35, 0.35],
 *   5: [0, 0, 0, 1, 0, 0],
 * };
 * const stepper: BeamStepper = {
 *   vocabSize: 6,
 *   step: (prev) => Promise.resolve({ probs: Float32Array.from([...prev].flatMap((t) => next[t])), attention: null }),
 *   dispose() {},
 * };
 * const best = await beamSearch(stepper, { beamWidth: 2, lengthPenalty: 0, maxLen: 3 });
 * assertEquals([best.ids, best.finished], [[5], true]);
 * assertAlmostEquals(best.logProb, Math.log(0.4), 1e-6);
 * // with a model (here untrained): modelStepper steps the inference models for one encoder row
 * const cfg = resolveConfig("tiny");
 * const models = extractInferenceModels(buildSeq2Seq(cfg));
 * const row = new Int32Array(cfg.maxInputLen).fill(5, 0, 3);
 * const modelBeam = modelStepper(models, row);
 * const out = await beamSearch(modelBeam, { beamWidth: 4, lengthPenalty: 0.6, maxLen: 6 });
 * modelBeam.dispose();
 * assert(out.ids.length <= 6 && Number.isFinite(out.score));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { EOS, PAD, SOS } from "../data/tokenizer.ts";
import type { Decoded } from "./greedy.ts";
import {
  checkBatchSize,
  decodeStep,
  disposeEncoded,
  encode,
  encodeRows,
  feedBack,
  type InferenceModels,
} from "./models.ts";

/** Next-token distributions for a set of rows, each continuing one row of the previous step. */
export interface BeamStepper {
  vocabSize: number;
  /**
   * `prev[i]` is row i's previous token and `parents[i]` the row of the previous call it continues (the first
   * call has one row with parent 0). Returns probabilities (rows x V) and attention (rows x Tin) or null.
   */
  step(
    prev: Int32Array,
    parents: Int32Array,
  ): Promise<{ probs: Float32Array; attention: Float32Array | null }>;
  dispose(): void;
}

/** Options of {@linkcode beamSearch}. */
export interface BeamOptions {
  beamWidth: number;
  lengthPenalty: number;
  maxLen: number;
}

interface Hyp {
  ids: number[];
  attention: number[][];
  logProb: number;
  finished: boolean;
  /** Tokens that count for the length penalty. */
  len: number;
}

/** The GNMT length penalty lp(len) = ((5 + len) / 6) ** alpha. */
export function lengthPenalty(len: number, alpha: number): number {
  return Math.pow((5 + len) / 6, alpha);
}

/** Score used to rank hypotheses: log-probability divided by the length penalty. */
export function beamScore(logProb: number, len: number, alpha: number): number {
  return logProb / lengthPenalty(len, alpha);
}

/** One input's search: its alive and finished hypotheses, and the rows its next step continues. */
interface BeamState {
  alive: Hyp[];
  done: Hyp[];
  /** Each alive row's last token, and the row of the previous step it continues. */
  prev: Int32Array;
  parents: Int32Array;
  /** No alive hypothesis is left, or none can beat the best finished one. */
  stopped: boolean;
}

function beamStart(): BeamState {
  return {
    alive: [{ ids: [], attention: [], logProb: 0, finished: false, len: 0 }],
    done: [],
    prev: Int32Array.of(SOS),
    parents: Int32Array.of(0),
    stopped: false,
  };
}

/**
 * One step of one input's search, from the next-token probabilities of its alive rows (`alive.length x v`) and
 * their attention (`alive.length x Tin`, or null): the best `k` continuations stay alive, `eostok` and padding
 * finish theirs. Every decoder of beams (one input, {@linkcode beamSearch}; many, {@linkcode beamSearchBatch})
 * takes its steps here.
 */
function beamAdvance(
  s: BeamState,
  probs: Float32Array,
  attention: Float32Array | null,
  v: number,
  opts: BeamOptions,
) {
  const k = opts.beamWidth;
  const tin = attention ? attention.length / s.alive.length : 0;
  const cands: { from: number; tok: number; logProb: number }[] = [];
  for (let i = 0; i < s.alive.length; i++) {
    // the best k+2 tokens of this row suffice: at most k continuations survive, plus eostok and pad
    const row = probs.subarray(i * v, (i + 1) * v);
    const top = topK(row, Math.min(v, k + 2));
    for (const j of top) {
      cands.push({ from: i, tok: j, logProb: s.alive[i].logProb + Math.log(Math.max(row[j], 1e-30)) });
    }
  }
  cands.sort((a, b) => b.logProb - a.logProb || a.from - b.from || a.tok - b.tok);
  const next: Hyp[] = [];
  const nextParents: number[] = [], nextPrev: number[] = [];
  for (const cand of cands) {
    if (next.length >= k) break;
    const h = s.alive[cand.from];
    const att = attention ? Array.from(attention.subarray(cand.from * tin, (cand.from + 1) * tin)) : [];
    if (cand.tok === EOS || cand.tok === PAD) {
      // eostok ends a summary; a padding prediction ends it too (as in the greedy decoder), unfinished
      s.done.push({ ...h, logProb: cand.logProb, finished: cand.tok === EOS, len: h.len + 1 });
      continue;
    }
    next.push({
      ids: [...h.ids, cand.tok],
      attention: [...h.attention, att],
      logProb: cand.logProb,
      finished: false,
      len: h.len + 1,
    });
    nextParents.push(cand.from);
    nextPrev.push(cand.tok);
  }
  s.alive = next;
  s.prev = Int32Array.from(nextPrev);
  s.parents = Int32Array.from(nextParents);
  s.stopped = next.length === 0;
  // stop early once no alive hypothesis can beat the best finished one (log-probabilities only fall)
  if (!s.stopped && s.done.length >= k) {
    const bestDone = Math.max(...s.done.map((d) => beamScore(d.logProb, d.len, opts.lengthPenalty)));
    const bestAliveBound = Math.max(
      ...s.alive.map((a) =>
        beamScore(a.logProb, opts.lengthPenalty > 0 ? opts.maxLen : a.len + 1, opts.lengthPenalty)
      ),
    );
    s.stopped = bestDone >= bestAliveBound;
  }
}

/** The best hypothesis of a search, finished or not (ranked by {@linkcode beamScore}). */
function beamResult(s: BeamState, opts: BeamOptions): Decoded & { score: number } {
  const pool = [...s.done, ...s.alive];
  let best = pool[0], bestScore = -Infinity;
  for (const h of pool) {
    const score = beamScore(h.logProb, h.len, opts.lengthPenalty);
    if (score > bestScore) {
      bestScore = score;
      best = h;
    }
  }
  return {
    ids: best.ids,
    attention: best.attention,
    logProb: best.logProb,
    finished: best.finished,
    score: bestScore,
  };
}

/** Run beam search and return the best hypothesis (ranked by {@linkcode beamScore}). */
export async function beamSearch(
  stepper: BeamStepper,
  opts: BeamOptions,
): Promise<Decoded & { score: number }> {
  const s = beamStart();
  for (let t = 0; t < opts.maxLen && !s.stopped; t++) {
    const { probs, attention } = await stepper.step(s.prev, s.parents);
    beamAdvance(s, probs, attention, stepper.vocabSize, opts);
  }
  return beamResult(s, opts);
}

/**
 * The rows of one step of many searches: the alive rows of each search that goes on, search after search, with
 * their last tokens, the rows of the previous step they continue (`firstRow[i]`: where search i's rows began
 * there), the search each row belongs to, and where each search's rows begin now (-1: stopped).
 */
function batchRows(searches: BeamState[], firstRow: Int32Array) {
  const prev: number[] = [], parents: number[] = [], inputOf: number[] = [];
  const at = new Int32Array(searches.length).fill(-1);
  searches.forEach((s, i) => {
    if (s.stopped) return;
    at[i] = prev.length;
    s.prev.forEach((tok, r) => {
      prev.push(tok);
      parents.push(firstRow[i] + s.parents[r]);
      inputOf.push(i);
    });
  });
  return { prev, parents, inputOf, at };
}

/**
 * Beam search for `n` encoder rows (row-major `n x Tin`; `extended`: the rows in extended ids for a model with
 * copy attention) in batches of `batchSize` inputs: each step decodes the alive hypotheses of all the batch's
 * searches as one batch of rows, then takes every search's own step as {@linkcode beamSearch} does: the same
 * search as {@linkcode beamSearch} over {@linkcode modelStepper} one input at a time, many times faster (the
 * one-input searches decode batches of at most `beamWidth` rows). Without OpenBLAS (tfjs's cpu and wasm kernels)
 * the summaries, log-probabilities, scores and attention are the same bit for bit (tests/infer_beam_test.ts checks
 * it on both backends). OpenBLAS rounds a product differently with a different number of rows (a logit moved by
 * up to about 1e-7 between a batch of 1 and of 7, measured), so where two hypotheses' scores are that close the
 * batch may keep the other one; tests/infer_beam_test.ts bounds the scores' difference (1e-5) there.
 */
export async function beamSearchBatch(
  models: InferenceModels,
  encIn: Int32Array,
  n: number,
  opts: BeamOptions & {
    extended?: Int32Array;
    batchSize?: number;
    onProgress?: (done: number, total: number) => void | Promise<void>;
  },
): Promise<(Decoded & { score: number })[]> {
  const tin = models.inputLen,
    v = models.outputSize,
    bs = checkBatchSize("beamSearchBatch", opts.batchSize ?? 32);
  if (encIn.length !== n * tin) {
    throw new Error(`beamSearchBatch: ${encIn.length} tokens is not ${n} x ${tin}`);
  }
  const results: (Decoded & { score: number })[] = [];
  for (let start = 0; start < n; start += bs) {
    const b = Math.min(bs, n - start);
    const enc = encodeRows(models, encIn, start, b, opts.extended);
    const searches = Array.from({ length: b }, beamStart);
    // the rows of the previous step: at first one per input (the encoder's h and c), input i at row i
    let h = enc.h, c = enc.c, cov: tf.Tensor2D | undefined;
    let firstRow = Int32Array.from({ length: b }, (_, i) => i);
    for (let t = 0; t < opts.maxLen; t++) {
      const { prev, parents, inputOf, at } = batchRows(searches, firstRow);
      if (prev.length === 0) break;
      // (decodeStep's result is a tensor container; tidy's typing wants an index signature)
      const out = tf.tidy((): tf.TensorContainer => {
        const idx = tf.tensor1d(parents, "int32"), inputs = tf.tensor1d(inputOf, "int32");
        const pick = <T extends tf.Tensor>(x: T) => tf.gather(x, inputs) as T;
        return decodeStep(
          models,
          feedBack(models, prev), // a copied word outside the vocabulary goes back in as <oov>
          {
            states: pick(enc.states),
            keys: pick(enc.keys),
            tokens: pick(enc.tokens),
            extended: pick(enc.extended),
          },
          tf.gather(h, idx) as tf.Tensor2D,
          tf.gather(c, idx) as tf.Tensor2D,
          cov ? tf.gather(cov, idx) as tf.Tensor2D : undefined,
        ) as unknown as tf.TensorContainer;
      }) as unknown as ReturnType<typeof decodeStep>;
      tf.dispose([h, c, ...(cov ? [cov] : []), ...(out.pGen ? [out.pGen] : [])]);
      [h, c, cov] = [out.h, out.c, out.coverage];
      const [probs, attention] = await Promise.all([out.probs.data(), out.attention.data()]);
      tf.dispose([out.probs, out.attention]);
      searches.forEach((s, i) => {
        if (at[i] < 0) return;
        const rows = s.prev.length;
        beamAdvance(
          s,
          (probs as Float32Array).subarray(at[i] * v, (at[i] + rows) * v),
          (attention as Float32Array).subarray(at[i] * tin, (at[i] + rows) * tin),
          v,
          opts,
        );
      });
      firstRow = at;
    }
    tf.dispose([h, c, ...(cov ? [cov] : [])]);
    disposeEncoded(enc);
    results.push(...searches.map((s) => beamResult(s, opts)));
    await opts.onProgress?.(results.length, n);
  }
  return results;
}

function topK(row: Float32Array, k: number): number[] {
  const idx: number[] = [];
  for (let j = 0; j < row.length; j++) {
    if (idx.length < k) {
      idx.push(j);
      idx.sort((a, b) => row[b] - row[a] || a - b);
    } else if (row[j] > row[idx[k - 1]]) {
      idx[k - 1] = j;
      idx.sort((a, b) => row[b] - row[a] || a - b);
    }
  }
  return idx;
}

/**
 * A {@linkcode BeamStepper} over the tfjs inference models for one encoder row (length Tin). `extRow`: the row in
 * extended ids for a model with copy attention (default `encRow`); the stepper's ids are then extended ids.
 */
export function modelStepper(models: InferenceModels, encRow: Int32Array, extRow?: Int32Array): BeamStepper {
  const tokens = tf.tensor2d(encRow, [1, models.inputLen], "int32");
  const extended = extRow && models.layers.pointer
    ? tf.tensor2d(extRow, [1, models.inputLen], "int32")
    : undefined;
  const enc = encode(models, tokens, extended);
  let h: tf.Tensor2D = enc.h, c: tf.Tensor2D = enc.c;
  let cov: tf.Tensor2D | undefined; // coverage (models with coverage), per hypothesis like h and c
  return {
    vocabSize: models.outputSize,
    async step(prev, parents) {
      const rows = prev.length;
      const idx = tf.tensor1d(parents, "int32");
      const zeros = tf.zeros([rows], "int32");
      const hs = tf.gather(h, idx) as tf.Tensor2D, cs = tf.gather(c, idx) as tf.Tensor2D;
      const covs = cov ? tf.gather(cov, idx) as tf.Tensor2D : undefined;
      const states = tf.gather(enc.states, zeros) as tf.Tensor3D;
      const keys = tf.gather(enc.keys, zeros) as tf.Tensor3D;
      const toks = tf.gather(enc.tokens, zeros) as tf.Tensor2D;
      const ext = tf.gather(enc.extended, zeros) as tf.Tensor2D;
      const prevT = feedBack(models, prev); // a copied word outside the vocabulary goes back in as <oov>
      const out = decodeStep(models, prevT, { states, keys, tokens: toks, extended: ext }, hs, cs, covs);
      tf.dispose([idx, zeros, hs, cs, states, keys, toks, ext, prevT, h, c, ...(out.pGen ? [out.pGen] : [])]);
      tf.dispose([...(covs ? [covs] : []), ...(cov ? [cov] : [])]);
      h = out.h;
      c = out.c;
      cov = out.coverage;
      const [probs, attention] = await Promise.all([out.probs.data(), out.attention.data()]);
      tf.dispose([out.probs, out.attention]);
      return { probs: probs as Float32Array, attention: attention as Float32Array };
    },
    dispose() {
      tf.dispose([
        h,
        c,
        enc.states,
        enc.keys,
        tokens,
        ...(extended ? [extended] : []),
        ...(cov ? [cov] : []),
      ]);
    },
  };
}
