/**
 * Beam search with a GNMT length penalty. Hypotheses are ranked by `logP / lp(len)` with
 * `lp(len) = ((5 + len) / 6) ** alpha` (alpha = `cfg.lengthPenalty`; 0 ranks by raw log-probability, larger
 * values favour longer summaries). `len` counts the generated tokens including `eostok`.
 *
 * The search is written against a small {@linkcode BeamStepper} interface, so it can run on the tfjs inference
 * models ({@linkcode modelStepper}) or on a hand-made distribution in tests. With width 1 and
 * `lengthPenalty` 0 it returns exactly the greedy decoder's output.
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
import { decodeStep, encode, feedBack, type InferenceModels } from "./models.ts";

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

/** Run beam search and return the best hypothesis (ranked by {@linkcode beamScore}). */
export async function beamSearch(
  stepper: BeamStepper,
  opts: BeamOptions,
): Promise<Decoded & { score: number }> {
  const k = opts.beamWidth, v = stepper.vocabSize;
  let alive: Hyp[] = [{ ids: [], attention: [], logProb: 0, finished: false, len: 0 }];
  let prev = Int32Array.of(SOS), parents = Int32Array.of(0);
  const done: Hyp[] = [];
  for (let t = 0; t < opts.maxLen && alive.length > 0; t++) {
    const { probs, attention } = await stepper.step(prev, parents);
    const tin = attention ? attention.length / alive.length : 0;
    const cands: { from: number; tok: number; logProb: number }[] = [];
    for (let i = 0; i < alive.length; i++) {
      // the best k+2 tokens of this row suffice: at most k continuations survive, plus eostok and pad
      const row = probs.subarray(i * v, (i + 1) * v);
      const top = topK(row, Math.min(v, k + 2));
      for (const j of top) {
        cands.push({ from: i, tok: j, logProb: alive[i].logProb + Math.log(Math.max(row[j], 1e-30)) });
      }
    }
    cands.sort((a, b) => b.logProb - a.logProb || a.from - b.from || a.tok - b.tok);
    const next: Hyp[] = [];
    const nextParents: number[] = [], nextPrev: number[] = [];
    for (const cand of cands) {
      if (next.length >= k) break;
      const h = alive[cand.from];
      const att = attention ? Array.from(attention.subarray(cand.from * tin, (cand.from + 1) * tin)) : [];
      if (cand.tok === EOS || cand.tok === PAD) {
        // eostok ends a summary; a padding prediction ends it too (as in the greedy decoder), unfinished
        done.push({ ...h, logProb: cand.logProb, finished: cand.tok === EOS, len: h.len + 1 });
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
    alive = next;
    prev = Int32Array.from(nextPrev);
    parents = Int32Array.from(nextParents);
    // stop early once no alive hypothesis can beat the best finished one (log-probabilities only fall)
    if (done.length >= k) {
      const bestDone = Math.max(...done.map((d) => beamScore(d.logProb, d.len, opts.lengthPenalty)));
      const bestAliveBound = Math.max(
        ...alive.map((a) =>
          beamScore(a.logProb, opts.lengthPenalty > 0 ? opts.maxLen : a.len + 1, opts.lengthPenalty)
        ),
      );
      if (bestDone >= bestAliveBound) break;
    }
  }
  const pool = [...done, ...alive];
  let best = pool[0], bestScore = -Infinity;
  for (const h of pool) {
    const s = beamScore(h.logProb, h.len, opts.lengthPenalty);
    if (s > bestScore) {
      bestScore = s;
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
