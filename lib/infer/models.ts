/**
 * Inference models extracted from a trained (or loaded) Seq2Seq model. They reuse the trained model's layer
 * objects, so they share its weights (no copies):
 *
 * - encoder: `encoderTokens (B, Tin)` -> `[encoderStates (B, Tin, Ue), h (B, U), c (B, U)]`
 * - one-step decoder: `[previousToken (B, 1), encoderStates, h, c, (coverage,) encoderTokens(, extendedTokens)]` ->
 *   `[nextTokenProbs (B, 1, Vout), h', c', attentionWeights (B, 1, Tin)(, coverage')]`
 *
 * `U` is the config's `units`; `Ue` is `U`, or `2U` with the bidirectional encoder (`encoderBidirectional`;
 * its bridge keeps `h` and `c` at `U`); `Vout` is the vocabulary `V`, or `V + Tin` with copy attention
 * (`copy`). The `envnews` profile has both.
 *
 * The decoder needs the encoder tokens to mask padded positions out of the attention. A model with copy attention
 * (lib/model/pointer.ts) also takes the encoder tokens in extended ids (`extendedTokens (B, Tin)`) as the decoder's
 * last input, and its probabilities run over `V + Tin` ids ({@linkcode InferenceModels.outputSize}); a copied
 * word outside the vocabulary is fed back as `<oov>` ({@linkcode feedBack}). A model with coverage carries the
 * coverage `(B, Tin)` from step to step like `h` and `c`: the one-step decoder takes it after `c` and returns
 * the new coverage after the attention weights.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { extractInferenceModels } from "./models.ts";
 * const cfg = resolveConfig("tiny");
 * const inf = extractInferenceModels(buildSeq2Seq(cfg)); // shares the (here untrained) layers
 * const tokens = tf.tensor2d([[5, 6, 7, ...new Array(cfg.maxInputLen - 3).fill(0)]], undefined, "int32");
 * const [encStates, h, c] = inf.encoder.predict(tokens) as tf.Tensor[];
 * assertEquals(encStates.shape, [1, cfg.maxInputLen, cfg.units]); // one vector per input position
 * assertEquals([h.shape, c.shape], [[1, cfg.units], [1, cfg.units]]); // the decoder's initial state
 * assertEquals([inf.inputLen, inf.vocabSize], [cfg.maxInputLen, cfg.vocabSize]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BahdanauAttention } from "../model/attention.ts";
import { OOV } from "../data/tokenizer.ts";
import { PointerGenerator } from "../model/pointer.ts";
import { LAYER } from "../model/seq2seq.ts";
import { withoutKnownTfjsWarnings } from "../model/support/warnings.ts";
import { rowArgMax, softmaxArgMax } from "../backend/simd/ops.ts";

/** The two inference models and the shapes they were built for. */
export interface InferenceModels {
  encoder: tf.LayersModel;
  decoder: tf.LayersModel;
  /**
   * The trained layers the one-step decoder is made of. {@linkcode decodeStep} calls them directly (the same
   * computation as `decoder`), reusing the attention's encoder keys across steps.
   */
  layers: {
    embedding: tf.layers.Layer;
    lstm: tf.layers.Layer;
    attention: BahdanauAttention;
    concat: tf.layers.Layer;
    dense: tf.layers.Layer;
    /** The copy-attention gate, or null for a model without copy attention. */
    pointer: PointerGenerator | null;
  };
  inputLen: number;
  /** The decoder's units (the width of h and c). */
  units: number;
  /** The width of the encoder's annotations: the units, or twice them for a bidirectional encoder. */
  encoderUnits: number;
  /** Vocabulary size V (the output dense layer's width). */
  vocabSize: number;
  /** Width of the output distribution: V, or V + Tin with copy attention (extended ids). */
  outputSize: number;
}

/** Names of the one-step decoder's inputs. */
export const STEP_INPUT = {
  token: "step_token",
  encoderStates: "step_encoder_states",
  h: "step_h",
  c: "step_c",
  encoderTokens: "step_encoder_tokens",
  extendedTokens: "step_encoder_extended_tokens",
  coverage: "step_coverage",
} as const;

function layer(model: tf.LayersModel, ...names: string[]): tf.layers.Layer {
  for (const n of names) {
    try {
      return model.getLayer(n);
    } catch { /* try the next name */ }
  }
  throw new Error(`extractInferenceModels: the model has no layer named ${names.join(" or ")}`);
}

/**
 * Build the encoder and one-step decoder models from the trained model's layers (weights shared). tfjs's harmless
 * warning about the decoder LSTM's `initialState` is filtered while the graph is wired (lib/model/support).
 */
export function extractInferenceModels(model: tf.LayersModel): InferenceModels {
  return withoutKnownTfjsWarnings(() => wireInferenceModels(model));
}

/** The symbolic tensors the training graph fed `layer` with (its first call). */
function inputsOf(layer: tf.layers.Layer): tf.SymbolicTensor[] {
  const node =
    (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[] }[] }).inboundNodes[0];
  return node?.inputTensors ?? [];
}

function wireInferenceModels(model: tf.LayersModel): InferenceModels {
  const decEmb = layer(model, LAYER.decoderEmbedding, LAYER.sharedEmbedding);
  const decLstm = layer(model, LAYER.decoderLstm);
  const attention = layer(model, LAYER.attention);
  if (!(attention instanceof BahdanauAttention)) {
    throw new Error(`extractInferenceModels: layer ${LAYER.attention} is not a BahdanauAttention`);
  }
  // the encoder model's outputs are what the training graph feeds the decoder: the annotations the attention
  // reads (the last encoder layer's sequence) and the decoder LSTM's initial (h, c) (the last layer's final
  // states, or the bridge's for a bidirectional encoder)
  const [, h0, c0] = inputsOf(decLstm);
  const annotations = inputsOf(attention)[1];
  if (!h0 || !c0 || !annotations) {
    throw new Error(`extractInferenceModels: ${LAYER.decoderLstm} must start from the encoder's (h, c)`);
  }
  const encInput = model.inputs[0];
  const encOutputs = [annotations, h0, c0];
  const encoder = tf.model({ inputs: encInput, outputs: encOutputs, name: "inference_encoder" });

  const inputLen = encInput.shape[1]!;
  const units = h0.shape[1]!;
  const encoderUnits = annotations.shape[2]!;
  const concat = layer(model, LAYER.concat);
  const output = layer(model, LAYER.output);
  const vocabSize = (output.outputShape as number[])[2];
  const pointerLayer = model.layers.find((l) => l.name === LAYER.pointer) ?? null;
  if (pointerLayer && !(pointerLayer instanceof PointerGenerator)) {
    throw new Error(`extractInferenceModels: layer ${LAYER.pointer} is not a PointerGenerator`);
  }
  const pointer = pointerLayer as PointerGenerator | null;

  const tok = tf.input({ shape: [1], dtype: "int32", name: STEP_INPUT.token });
  const encStates = tf.input({ shape: [inputLen, encoderUnits], name: STEP_INPUT.encoderStates });
  const hIn = tf.input({ shape: [units], name: STEP_INPUT.h });
  const cIn = tf.input({ shape: [units], name: STEP_INPUT.c });
  const encTokens = tf.input({ shape: [inputLen], dtype: "int32", name: STEP_INPUT.encoderTokens });
  const emb = decEmb.apply(tok) as tf.SymbolicTensor;
  const [out, h, c] = decLstm.apply(emb, { initialState: [hIn, cIn] }) as tf.SymbolicTensor[];
  const covIn = attention.coverage ? tf.input({ shape: [inputLen], name: STEP_INPUT.coverage }) : null;
  const [context, weights, , covOut] = attention.apply(
    covIn ? [out, encStates, encTokens, covIn] : [out, encStates, encTokens],
  ) as tf.SymbolicTensor[];
  const cat = concat.apply([out, context]) as tf.SymbolicTensor;
  // the TimeDistributed wrapper is built for Tout steps; its inner dense layer (same weights) takes one step
  const dense = (output as unknown as { layer?: tf.layers.Layer }).layer ?? output;
  const vocabProbs = dense.apply(cat) as tf.SymbolicTensor;
  const inputs = [tok, encStates, hIn, cIn, ...(covIn ? [covIn] : []), encTokens];
  let probs = vocabProbs;
  if (pointer) {
    const ext = tf.input({ shape: [inputLen], dtype: "int32", name: STEP_INPUT.extendedTokens });
    probs = pointer.apply([vocabProbs, weights, context, out, emb, ext]) as tf.SymbolicTensor;
    inputs.push(ext);
  }
  const decoder = tf.model({
    inputs,
    outputs: [probs, h, c, weights, ...(covOut ? [covOut] : [])],
    name: "inference_decoder_step",
  });
  return {
    encoder,
    decoder,
    layers: { embedding: decEmb, lstm: decLstm, attention, concat, dense, pointer },
    inputLen,
    units,
    encoderUnits,
    vocabSize,
    outputSize: pointer ? vocabSize + inputLen : vocabSize,
  };
}

/** Encoder outputs for a batch of encoder token rows. */
export interface EncoderState {
  states: tf.Tensor3D;
  /** The attention's `W2 h_enc` for every encoder position (B, Tin, A), computed once per input. */
  keys: tf.Tensor3D;
  h: tf.Tensor2D;
  c: tf.Tensor2D;
  tokens: tf.Tensor2D;
  /** The encoder tokens in extended ids (copy attention); `tokens` itself when not given. */
  extended: tf.Tensor2D;
}

/**
 * Run the encoder (no dropout) on `tokens (B, Tin)`; the caller disposes the result (not `tokens` nor
 * `extended`). `extended` (copy attention): the same rows in extended ids; without it only vocabulary words can
 * be copied.
 */
export function encode(models: InferenceModels, tokens: tf.Tensor2D, extended?: tf.Tensor2D): EncoderState {
  const [states, h, c] = models.encoder.apply(tokens, { training: false }) as tf.Tensor[];
  const keys = models.layers.attention.encoderKeys(states as tf.Tensor3D);
  return {
    states: states as tf.Tensor3D,
    keys,
    h: h as tf.Tensor2D,
    c: c as tf.Tensor2D,
    tokens,
    extended: extended ?? tokens,
  };
}

/**
 * `batchSize` of a batched decoder (`caller`), checked: a RangeError for one that is not a positive integer (a
 * batch loop would never advance).
 */
export function checkBatchSize(caller: string, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`${caller}: batchSize ${batchSize}: expected an integer >= 1`);
  }
  return batchSize;
}

/**
 * {@linkcode encode} for rows `[start, start + b)` of `encIn` (row-major, `Tin` each) and, for a model with copy
 * attention, of `extended`: the batch that greedy and beam decoding take at a time. Dispose with
 * {@linkcode disposeEncoded} (h and c are the caller's: decoders replace them step by step).
 */
export function encodeRows(
  models: InferenceModels,
  encIn: Int32Array,
  start: number,
  b: number,
  extended?: Int32Array,
): EncoderState {
  const tin = models.inputLen;
  const rows = (m: Int32Array) => tf.tensor2d(m.subarray(start * tin, (start + b) * tin), [b, tin], "int32");
  return encode(models, rows(encIn), extended && models.layers.pointer ? rows(extended) : undefined);
}

/** Dispose what {@linkcode encodeRows} made, apart from h and c. */
export function disposeEncoded(enc: EncoderState): void {
  tf.dispose([enc.states, enc.keys, enc.tokens, ...(enc.extended !== enc.tokens ? [enc.extended] : [])]);
}

/**
 * The decoder's next input for chosen ids `(B)` or `(B, 1)` (a tensor, or ids held in JavaScript): the id itself,
 * or `<oov>` for an extended id (a copied word outside the vocabulary has no embedding). Returns `(B, 1)` int32.
 * Every decoder (batched greedy, the loop, beam search) feeds back through this one rule.
 */
export function feedBack(models: InferenceModels, ids: tf.Tensor | ArrayLike<number>): tf.Tensor2D {
  return tf.tidy(() => {
    const t = ids instanceof tf.Tensor ? ids : tf.tensor1d(Int32Array.from(ids), "int32");
    const col = tf.reshape(tf.cast(t, "int32"), [-1, 1]) as tf.Tensor2D;
    if (models.outputSize === models.vocabSize) return col as tf.Tensor2D;
    // int32 on both sides: with a float32 branch, wasm's where() returned the ids' bits as float32
    return tf.where(
      tf.greaterEqual(col, models.vocabSize),
      tf.fill(col.shape, OOV, "int32"),
      col,
    ) as tf.Tensor2D;
  });
}

/**
 * The output layer on `x (B, 2U)`: a softmax Dense layer gives its logits, computed as one fused product with its
 * bias (the layer's `apply` multiplies, then adds the bias in a second pass); any other layer gives what its
 * `apply` gives, taken as probabilities.
 */
function outputLayer(
  dense: tf.layers.Layer,
  x: tf.Tensor2D,
): { logits: tf.Tensor2D } | { probs: tf.Tensor2D } {
  const d = dense as unknown as {
    kernel?: tf.LayerVariable;
    bias?: tf.LayerVariable | null;
    activation?: { getClassName(): string };
  };
  if (!d.kernel || d.activation?.getClassName() !== "softmax") {
    return { probs: dense.apply(x) as tf.Tensor2D };
  }
  return {
    logits: tf.fused.matMul({ a: x, b: d.kernel.read() as tf.Tensor2D, bias: d.bias?.read() }) as tf.Tensor2D,
  };
}

/** A recurrent layer that can take one inference step from its weights, or says null where it cannot. */
interface SteppingLayer {
  step(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } | null;
}

/** The encoder side of a decoder step: annotations, attention keys, tokens (and extended tokens for copy models). */
type EncoderSide = { states: tf.Tensor3D; keys: tf.Tensor3D; tokens: tf.Tensor2D; extended?: tf.Tensor2D };

/** What one decoder step gives besides its output distribution (see {@linkcode decodeStep}). */
interface StepState {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
  attention: tf.Tensor2D;
  pGen?: tf.Tensor1D;
  coverage?: tf.Tensor2D;
}

/**
 * One decoder step for `B` rows: returns next-token probabilities (B, V), new states and attention (B, Tin).
 * The same computation as the one-step decoder model, with the trained layers called directly and the
 * encoder keys reused (see {@linkcode EncoderState.keys}).
 */
export function decodeStep(
  models: InferenceModels,
  prev: tf.Tensor2D,
  enc: EncoderSide,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
  coverage?: tf.Tensor2D,
): StepState & { probs: tf.Tensor2D } {
  return tf.tidy(() => {
    const { out, state } = stepCore(models, prev, enc, h, c, coverage);
    return { ...state, probs: "probs" in out ? out.probs : tf.softmax(out.logits) as tf.Tensor2D };
  });
}

/**
 * {@linkcode decodeStep} for greedy decoding: instead of the distribution, each row's choice (the first arg-max,
 * int32) and its probability. For a model whose output is its softmax Dense, both come from the logits in one
 * kernel (`softmaxArgMax`, lib/backend/simd/ops.ts): the (B, V) probabilities are never written. A copy model mixes
 * its distribution first, then takes the arg-max of it.
 */
export function decodeStepChoice(
  models: InferenceModels,
  prev: tf.Tensor2D,
  enc: EncoderSide,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
  coverage?: tf.Tensor2D,
): StepState & { index: tf.Tensor1D; value: tf.Tensor1D } {
  return tf.tidy(() => {
    const { out, state } = stepCore(models, prev, enc, h, c, coverage);
    const choice = "logits" in out ? softmaxArgMax(out.logits) : rowArgMax(out.probs);
    return { ...state, ...choice };
  });
}

/**
 * The step itself (inside the caller's tidy): the output layer's logits where the model's distribution is their
 * softmax, else the (mixed, for copy models) probabilities.
 */
function stepCore(
  models: InferenceModels,
  prev: tf.Tensor2D,
  enc: EncoderSide,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
  coverage?: tf.Tensor2D,
): { out: { logits: tf.Tensor2D } | { probs: tf.Tensor2D }; state: StepState } {
  const { embedding, lstm, attention, concat, dense, pointer } = models.layers;
  const b = prev.shape[0];
  // the embedding straight from its table, and the LSTM step from its weights where the layer offers it
  // (lib/speed's FastLSTM does): layer.apply's bookkeeping cost more than the step itself at decode time (the
  // one-step decoder model above computes the same through the layers)
  const table = embedding.weights[0].read();
  const emb = tf.reshape(tf.gather(table, tf.reshape(prev, [b])), [b, 1, table.shape[1]!]) as tf.Tensor3D;
  const step = (lstm as Partial<SteppingLayer>).step?.(tf.reshape(emb, [b, -1]), h, c);
  const [out, h2, c2] = step
    ? [tf.reshape(step.h, [b, 1, -1]), step.h, step.c]
    : lstm.apply(emb, { initialState: [h, c], training: false }) as tf.Tensor[];
  // coverage: the attention so far (zeros before the first step)
  const cov = attention.coverage ? coverage ?? tf.zeros([b, models.inputLen]) as tf.Tensor2D : undefined;
  const w = attention.weightsFromKeys(out as tf.Tensor3D, enc.keys, enc.tokens, cov); // (B, 1, Tin)
  const context = tf.matMul(w, enc.states); // (B, 1, Ue)
  // the dense layer on a (B, 2U) matrix: given (B, 1, 2U), tfjs-layers' dot() transposes the whole (2U, V)
  // kernel at every step (27 ms of the 400 ms it took to decode 64 paper-sized summaries)
  const cat = tf.reshape(concat.apply([out, context]) as tf.Tensor, [b, -1]) as tf.Tensor2D;
  let vocabOut = outputLayer(dense, cat); // (B, V)
  let pGen: tf.Tensor1D | undefined;
  if (pointer) {
    const probs = "probs" in vocabOut ? vocabOut.probs : tf.softmax(vocabOut.logits) as tf.Tensor2D;
    const g = pointer.gate(context as tf.Tensor3D, out as tf.Tensor3D, emb); // (B, 1, 1)
    const mixed = pointer.mix(
      tf.reshape(probs, [b, 1, models.vocabSize]) as tf.Tensor3D,
      w as tf.Tensor3D,
      g,
      enc.extended ?? enc.tokens,
    );
    vocabOut = { probs: tf.reshape(mixed, [b, models.outputSize]) as tf.Tensor2D };
    pGen = tf.reshape(g, [b]) as tf.Tensor1D;
  }
  return {
    out: vocabOut,
    state: {
      h: h2 as tf.Tensor2D,
      c: c2 as tf.Tensor2D,
      attention: tf.reshape(w, [b, models.inputLen]) as tf.Tensor2D,
      pGen,
      ...(cov ? { coverage: tf.add(cov, tf.reshape(w, [b, models.inputLen])) as tf.Tensor2D } : {}),
    },
  };
}
