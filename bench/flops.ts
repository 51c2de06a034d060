/**
 * Forward-pass multiply-add FLOPs (x2) of the model's matmuls for one batch, from the config alone; a training step
 * costs about three times this (forward, and two matmuls per matmul in the backward pass). The benchmarks divide
 * it by the measured time to report GFLOP/s.
 *
 * @module
 */
import type { ModelConfig } from "../lib/model/seq2seq.ts";

/** See the module documentation. */
export function forwardFlops(cfg: ModelConfig, batch: number): number {
  const u = cfg.units,
    d = cfg.embeddingDim,
    a = cfg.attentionUnits,
    te = cfg.maxInputLen,
    td = cfg.maxOutputLen;
  let f = 0;
  for (let i = 0; i < cfg.encoderLayers; i++) f += 2 * batch * te * ((i === 0 ? d : u) + u) * 4 * u;
  f += 2 * batch * td * (d + u) * 4 * u; // decoder LSTM
  f += 2 * batch * (td + te) * u * a; // W1, W2
  f += 2 * batch * td * te * a; // v
  f += 2 * batch * td * te * u; // context
  f += 2 * batch * td * 2 * u * cfg.vocabSize; // output dense
  return f;
}
