/**
 * The milestone report's encoder-decoder: embedding -> stacked LSTMs (returning sequences and states) ->
 * decoder LSTM initialised with the last encoder layer's (h, c) -> Bahdanau attention -> concatenate
 * [decoder output, context] -> time-distributed dense softmax over the vocabulary.
 *
 * Layers carry fixed names ({@linkcode LAYER}) so the inference models (lib/infer) can find them in a trained
 * or loaded model and share their weights.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq, expectedParamCounts } from "./seq2seq.ts";
 * const cfg = resolveConfig("tiny");
 * const model = buildSeq2Seq(cfg); // untrained: random weights
 * assertEquals(model.outputs[0].shape, [null, cfg.maxOutputLen, cfg.vocabSize]); // next-token probabilities
 * const expected = Object.values(expectedParamCounts(cfg)).reduce((a, b) => a + b, 0);
 * assertEquals(model.countParams(), expected); // the Keras formulas, layer by layer
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config.ts";
import { BahdanauAttention } from "./attention.ts";
import { PointerGenerator } from "./pointer.ts";
import { fastLstm, fastTimeDistributed } from "./support/fast_lstm.ts";
import { fixMultiOutputLayers } from "./support/tfjs_fixes.ts";
import { silenceKnownTfjsWarnings } from "./support/warnings.ts";

silenceKnownTfjsWarnings();

/** The model-shaping part of the config. */
export type ModelConfig = Pick<
  Config,
  | "vocabSize"
  | "maxInputLen"
  | "maxOutputLen"
  | "embeddingDim"
  | "sharedEmbedding"
  | "units"
  | "encoderLayers"
  | "dropout"
  | "recurrentDropout"
  | "attentionUnits"
  | "copy"
  | "coverage"
>;

/** Names of the model's inputs and layers. */
export const LAYER = {
  encoderInput: "encoder_tokens",
  decoderInput: "decoder_tokens",
  /** Copy attention only: the encoder tokens in extended ids (see lib/model/pointer.ts). */
  extendedInput: "encoder_extended_tokens",
  sharedEmbedding: "embedding",
  encoderEmbedding: "encoder_embedding",
  decoderEmbedding: "decoder_embedding",
  encoderLstm: (i: number) => `encoder_lstm_${i + 1}`,
  decoderLstm: "decoder_lstm",
  attention: "attention",
  concat: "concat",
  output: "output_softmax",
  pointer: "pointer_generator",
} as const;

/**
 * The LSTM settings of Keras 2 (the report's framework) where tfjs's defaults differ: tfjs gates with
 * `hardSigmoid` (Keras before 2.3) and starts the forget-gate bias at 0; Keras 2.3+ gates with `sigmoid` and
 * starts it at 1 (`unit_forget_bias=True`). Every LSTM of the model is built with these.
 */
export const KERAS_LSTM = { recurrentActivation: "sigmoid", unitForgetBias: true } as const;

/** Options of {@linkcode buildSeq2Seq}. */
export interface BuildOptions {
  /**
   * Use `FastLSTM` and `FastTimeDistributed` (lib/model/support/fast_lstm.ts) instead of tfjs's LSTM and TimeDistributed:
   * same weights, same numbers, faster to train on CPU (see bench/train_step.ts). Default false.
   */
  fastLayers?: boolean;
}

/**
 * Build the training model: inputs `[encoderTokens (B, Tin), decoderTokens (B, Tout)]` (int32),
 * output next-token probabilities `(B, Tout, V)`. With `cfg.copy` (copy attention, lib/model/pointer.ts) a third
 * input `extendedTokens (B, Tin)` holds the encoder tokens in extended ids and the output is `(B, Tout, V + Tin)`.
 * With `cfg.coverage` the model has a second output, the coverage loss per decoder position `(B, Tout)`
 * (lib/model/attention.ts), which training adds to the cross-entropy ({@linkcode modelOutputs}). The model is not compiled: training uses a custom loop
 * with a padding-masked loss (lib/train).
 */
export function buildSeq2Seq(cfg: ModelConfig, opts: BuildOptions = {}): tf.LayersModel {
  // tidy: tfjs's unitForgetBias initializer leaves 4 tensors behind per LSTM it builds (the weights themselves
  // are variables, which tidy keeps)
  let model: tf.LayersModel | null = null;
  tf.tidy(() => {
    model = buildLayers(cfg, opts);
  });
  return model!;
}

function buildLayers(cfg: ModelConfig, opts: BuildOptions): tf.LayersModel {
  const lstmLayer: typeof tf.layers.lstm = opts.fastLayers ? fastLstm : tf.layers.lstm;
  const timeDistributed: typeof tf.layers.timeDistributed = opts.fastLayers
    ? fastTimeDistributed
    : tf.layers.timeDistributed;
  const encIn = tf.input({ shape: [cfg.maxInputLen], dtype: "int32", name: LAYER.encoderInput });
  const decIn = tf.input({ shape: [cfg.maxOutputLen], dtype: "int32", name: LAYER.decoderInput });
  const embed = (name: string) =>
    tf.layers.embedding({ inputDim: cfg.vocabSize, outputDim: cfg.embeddingDim, name });
  const encEmb = embed(cfg.sharedEmbedding ? LAYER.sharedEmbedding : LAYER.encoderEmbedding);
  const decEmb = cfg.sharedEmbedding ? encEmb : embed(LAYER.decoderEmbedding);

  let x = encEmb.apply(encIn) as tf.SymbolicTensor;
  let h: tf.SymbolicTensor | undefined, c: tf.SymbolicTensor | undefined;
  for (let i = 0; i < cfg.encoderLayers; i++) {
    const lstm = lstmLayer({
      ...KERAS_LSTM,
      units: cfg.units,
      returnSequences: true,
      returnState: true,
      dropout: cfg.dropout,
      recurrentDropout: cfg.recurrentDropout,
      name: LAYER.encoderLstm(i),
    });
    [x, h, c] = lstm.apply(x) as tf.SymbolicTensor[];
  }
  const encOut = x;

  const decEmbedded = decEmb.apply(decIn) as tf.SymbolicTensor;
  const decLstm = lstmLayer({
    ...KERAS_LSTM,
    units: cfg.units,
    returnSequences: true,
    returnState: true,
    dropout: cfg.dropout,
    recurrentDropout: cfg.recurrentDropout,
    name: LAYER.decoderLstm,
  });
  const [decOut] = decLstm.apply(decEmbedded, { initialState: [h!, c!] }) as tf.SymbolicTensor[];
  const [context, weights, coverageLoss] = new BahdanauAttention({
    units: cfg.attentionUnits,
    coverage: cfg.coverage,
    name: LAYER.attention,
  }).apply([decOut, encOut, encIn]) as tf.SymbolicTensor[];
  const withCoverage = (out: tf.SymbolicTensor) => (cfg.coverage ? [out, coverageLoss] : out);
  const cat = tf.layers.concatenate({ axis: -1, name: LAYER.concat }).apply([
    decOut,
    context,
  ]) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: cfg.vocabSize, activation: "softmax" });
  const probs = timeDistributed({ layer: dense, name: LAYER.output }).apply(
    cat,
  ) as tf.SymbolicTensor;
  if (!cfg.copy) {
    return fixMultiOutputLayers(
      tf.model({ inputs: [encIn, decIn], outputs: withCoverage(probs), name: "seq2seq_bahdanau" }),
    );
  }
  // copy attention: a gate mixes the vocabulary distribution with the attention over the input's words
  const extIn = tf.input({ shape: [cfg.maxInputLen], dtype: "int32", name: LAYER.extendedInput });
  const final = new PointerGenerator({ name: LAYER.pointer }).apply([
    probs,
    weights,
    context,
    decOut,
    decEmbedded,
    extIn,
  ]) as tf.SymbolicTensor;
  return fixMultiOutputLayers(
    tf.model({ inputs: [encIn, decIn, extIn], outputs: withCoverage(final), name: "seq2seq_bahdanau_copy" }),
  );
}

/**
 * The training model's outputs as `{ probs, coverageLoss }`: a model built with coverage returns
 * `[probs, coverageLoss (B, Tout)]`, one without returns `probs` alone (coverageLoss null).
 */
export function modelOutputs(
  out: tf.Tensor | tf.Tensor[],
): { probs: tf.Tensor3D; coverageLoss: tf.Tensor2D | null } {
  return Array.isArray(out)
    ? { probs: out[0] as tf.Tensor3D, coverageLoss: (out[1] as tf.Tensor2D | undefined) ?? null }
    : { probs: out as tf.Tensor3D, coverageLoss: null };
}

/** Whether `model` was built with copy attention (it then takes the extended encoder tokens as a third input). */
export function isCopyModel(model: tf.LayersModel): boolean {
  return model.inputs.length === 3 && model.inputs[2].name.startsWith(LAYER.extendedInput);
}

/**
 * Parameter counts by the Keras formulas, per named layer, computed from the config alone (an independent
 * reference for {@linkcode buildSeq2Seq}): embedding `V*d`; LSTM `4*(u*(in+u)+u)`; attention `A*(Ud+Ue+1)`;
 * dense `(in+1)*V`.
 */
export function expectedParamCounts(cfg: ModelConfig): Record<string, number> {
  const v = cfg.vocabSize, d = cfg.embeddingDim, u = cfg.units, a = cfg.attentionUnits;
  const lstm = (inDim: number) => 4 * (u * (inDim + u) + u);
  const out: Record<string, number> = {};
  if (cfg.sharedEmbedding) out[LAYER.sharedEmbedding] = v * d;
  else {
    out[LAYER.encoderEmbedding] = v * d;
    out[LAYER.decoderEmbedding] = v * d;
  }
  for (let i = 0; i < cfg.encoderLayers; i++) out[LAYER.encoderLstm(i)] = lstm(i === 0 ? d : u);
  out[LAYER.decoderLstm] = lstm(d);
  out[LAYER.attention] = a * (u + u + 1) + (cfg.coverage ? a : 0);
  out[LAYER.concat] = 0;
  out[LAYER.output] = (2 * u + 1) * v;
  if (cfg.copy) out[LAYER.pointer] = u + u + d + 1;
  return out;
}

/**
 * Forward-pass multiply-add FLOPs (x2) of the model's matmuls for one batch; a training step costs about
 * three times this (forward, and two matmuls per matmul in the backward pass).
 */
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
