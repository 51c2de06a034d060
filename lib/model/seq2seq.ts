/**
 * The milestone report's encoder-decoder: embedding -> stacked LSTMs (returning sequences and states) ->
 * decoder LSTM initialised with the last encoder layer's (h, c) -> Bahdanau attention -> concatenate
 * [decoder output, context] -> time-distributed dense softmax over the vocabulary.
 *
 * Layers carry fixed names ({@linkcode LAYER}) so the inference models (lib/infer) can find them in a trained
 * or loaded model and share their weights.
 *
 * This file builds the model and nothing else: it uses tfjs's own layers and our two custom ones, in tfjs ops.
 * The faster implementations that train and decode it on CPU attach afterwards, to the built model, without
 * changing a weight or a number (lib/speed/accelerate.ts).
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
import { ReverseValid } from "./reverse.ts";
import { buildWithFixes } from "./support/tfjs_fixes.ts";

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
  | "encoderBidirectional"
  | "dropout"
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
  /** Bidirectional encoder only: the backward LSTM of layer i, the reversals around it, the two halves joined. */
  encoderLstmBackward: (i: number) => `encoder_lstm_${i + 1}_backward`,
  encoderReverse: (i: number, side: "in" | "out") => `encoder_reverse_${side}_${i + 1}`,
  encoderConcat: (i: number) => `encoder_concat_${i + 1}`,
  /** Bidirectional encoder only: the dense bridge from both directions' final states to the decoder's (h, c). */
  bridgeH: "bridge_h",
  bridgeC: "bridge_c",
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

/**
 * Build the training model: inputs `[encoderTokens (B, Tin), decoderTokens (B, Tout)]` (int32, 0 = padding),
 * output next-token probabilities `(B, Tout, V)`. With `cfg.copy` (copy attention, lib/model/pointer.ts) a third
 * input `extendedTokens (B, Tin)` holds the encoder tokens in extended ids and the output is `(B, Tout, V + Tin)`.
 * With `cfg.coverage` the model has a second output, the coverage loss per decoder position `(B, Tout)`
 * (lib/model/attention.ts), which training adds to the cross-entropy ({@linkcode modelOutputs}). The model is not
 * compiled: training uses a custom loop with a padding-masked loss (lib/train).
 */
export function buildSeq2Seq(cfg: ModelConfig): tf.LayersModel {
  return buildWithFixes(() => {
    const encoderTokens = tf.input({ shape: [cfg.maxInputLen], dtype: "int32", name: LAYER.encoderInput });
    const decoderTokens = tf.input({ shape: [cfg.maxOutputLen], dtype: "int32", name: LAYER.decoderInput });
    const embedEncoder = embedding(cfg, cfg.sharedEmbedding ? LAYER.sharedEmbedding : LAYER.encoderEmbedding);
    const embedDecoder = cfg.sharedEmbedding ? embedEncoder : embedding(cfg, LAYER.decoderEmbedding);

    // encoder: stacked LSTMs, each returning its whole sequence and its final states
    let encoded = embedEncoder.apply(encoderTokens) as tf.SymbolicTensor; // (B, Tin, d)
    let h: tf.SymbolicTensor | undefined, c: tf.SymbolicTensor | undefined;
    for (let i = 0; i < cfg.encoderLayers; i++) {
      [encoded, h, c] = cfg.encoderBidirectional
        ? bidirectionalLayer(cfg, i, encoded, encoderTokens) // (B, Tin, 2U), (B, 2U), (B, 2U)
        : lstm(cfg, LAYER.encoderLstm(i)).apply(encoded) as tf.SymbolicTensor[]; // (B, Tin, U), (B, U), (B, U)
    }
    if (cfg.encoderBidirectional) {
      // the bridge: the decoder (U units) starts from both directions' final states, joined (2U) and projected
      h = tf.layers.dense({ units: cfg.units, activation: "tanh", name: LAYER.bridgeH }).apply(
        h!,
      ) as tf.SymbolicTensor;
      c = tf.layers.dense({ units: cfg.units, name: LAYER.bridgeC }).apply(c!) as tf.SymbolicTensor;
    }

    // decoder: reads the label shifted right (teacher forcing), starting from the last encoder layer's (h, c)
    const decoderEmbedded = embedDecoder.apply(decoderTokens) as tf.SymbolicTensor; // (B, Tout, d)
    const [decoded] = lstm(cfg, LAYER.decoderLstm)
      .apply(decoderEmbedded, { initialState: [h!, c!] }) as tf.SymbolicTensor[]; // (B, Tout, U)

    // attention: for every decoder step, weights over the encoder steps and their weighted sum (the context)
    const attention = new BahdanauAttention({
      units: cfg.attentionUnits,
      coverage: cfg.coverage,
      name: LAYER.attention,
    });
    const [context, alpha, coverageLoss] = attention
      .apply([decoded, encoded, encoderTokens]) as tf.SymbolicTensor[]; // (B, Tout, Ue), (B, Tout, Tin)

    // [decoder output, context] -> softmax over the vocabulary, at every decoder step
    const features = tf.layers.concatenate({ axis: -1, name: LAYER.concat })
      .apply([decoded, context]) as tf.SymbolicTensor; // (B, Tout, U + Ue); Ue = U, or 2U bidirectional
    const dense = tf.layers.dense({ units: cfg.vocabSize, activation: "softmax" });
    const probs = tf.layers.timeDistributed({ layer: dense, name: LAYER.output })
      .apply(features) as tf.SymbolicTensor; // (B, Tout, V)
    const outputs = (p: tf.SymbolicTensor) => (cfg.coverage ? [p, coverageLoss] : p);
    if (!cfg.copy) {
      return tf.model({
        inputs: [encoderTokens, decoderTokens],
        outputs: outputs(probs),
        name: "seq2seq_bahdanau",
      });
    }

    // copy attention: a gate mixes the vocabulary distribution with the attention over the input's words
    const extendedTokens = tf.input({ shape: [cfg.maxInputLen], dtype: "int32", name: LAYER.extendedInput });
    const mixed = new PointerGenerator({ name: LAYER.pointer })
      .apply([probs, alpha, context, decoded, decoderEmbedded, extendedTokens]) as tf.SymbolicTensor;
    return tf.model({
      inputs: [encoderTokens, decoderTokens, extendedTokens],
      outputs: outputs(mixed), // (B, Tout, V + Tin)
      name: "seq2seq_bahdanau_copy",
    });
  });
}

/**
 * One bidirectional encoder layer, as Bahdanau, Cho and Bengio (2015) encode: a forward LSTM reads the row, a
 * backward LSTM reads its words last to first ({@linkcode ReverseValid}: the padding stays at the end, so neither
 * direction's annotation of a word has seen padding before it), and each position's two annotations are joined
 * (Keras `merge_mode="concat"`). Returns the sequence `(B, Tin, 2U)` and the joined final states `(B, 2U)`.
 */
function bidirectionalLayer(
  cfg: ModelConfig,
  i: number,
  x: tf.SymbolicTensor,
  tokens: tf.SymbolicTensor,
): tf.SymbolicTensor[] {
  const [fwd, hf, cf] = lstm(cfg, LAYER.encoderLstm(i)).apply(x) as tf.SymbolicTensor[];
  const reversed = new ReverseValid({ name: LAYER.encoderReverse(i, "in") }).apply([
    x,
    tokens,
  ]) as tf.SymbolicTensor;
  const [bwdReversed, hb, cb] = lstm(cfg, LAYER.encoderLstmBackward(i)).apply(
    reversed,
  ) as tf.SymbolicTensor[];
  const bwd = new ReverseValid({ name: LAYER.encoderReverse(i, "out") })
    .apply([bwdReversed, tokens]) as tf.SymbolicTensor; // back in word order
  const join = (name: string, a: tf.SymbolicTensor, b: tf.SymbolicTensor) =>
    tf.layers.concatenate({ axis: -1, name }).apply([a, b]) as tf.SymbolicTensor;
  return [
    join(LAYER.encoderConcat(i), fwd, bwd),
    join(`${LAYER.encoderConcat(i)}_h`, hf, hb),
    join(`${LAYER.encoderConcat(i)}_c`, cf, cb),
  ];
}

/** A token embedding of the vocabulary into `embeddingDim` dimensions. */
function embedding(cfg: ModelConfig, name: string) {
  return tf.layers.embedding({ inputDim: cfg.vocabSize, outputDim: cfg.embeddingDim, name });
}

/** An LSTM of the model: Keras 2 gates, input dropout, returning its sequence and its final (h, c). */
function lstm(cfg: ModelConfig, name: string) {
  return tf.layers.lstm({
    ...KERAS_LSTM,
    units: cfg.units,
    dropout: cfg.dropout,
    returnSequences: true,
    returnState: true,
    name,
  });
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
 * dense `(in+1)*V`; with a bidirectional encoder, a backward LSTM per layer and the bridge `2 * (2u+1)*u`.
 */
export function expectedParamCounts(cfg: ModelConfig): Record<string, number> {
  const v = cfg.vocabSize, d = cfg.embeddingDim, u = cfg.units, a = cfg.attentionUnits;
  const bi = cfg.encoderBidirectional;
  const ue = bi ? 2 * u : u; // the encoder's annotation width
  const lstm = (inDim: number) => 4 * (u * (inDim + u) + u);
  const out: Record<string, number> = {};
  if (cfg.sharedEmbedding) out[LAYER.sharedEmbedding] = v * d;
  else {
    out[LAYER.encoderEmbedding] = v * d;
    out[LAYER.decoderEmbedding] = v * d;
  }
  for (let i = 0; i < cfg.encoderLayers; i++) {
    out[LAYER.encoderLstm(i)] = lstm(i === 0 ? d : ue);
    if (bi) out[LAYER.encoderLstmBackward(i)] = lstm(i === 0 ? d : ue);
  }
  if (bi) out[LAYER.bridgeH] = out[LAYER.bridgeC] = (2 * u + 1) * u;
  out[LAYER.decoderLstm] = lstm(d);
  out[LAYER.attention] = a * (u + ue + 1) + (cfg.coverage ? a : 0);
  out[LAYER.concat] = 0;
  out[LAYER.output] = (u + ue + 1) * v;
  if (cfg.copy) out[LAYER.pointer] = ue + u + d + 1;
  return out;
}
