/**
 * A small stand-in of the project's summarizer, written with the same building blocks, used to
 * find the kernels training needs on a backend, to check backends against each other and to
 * benchmark: embedding -> stacked LSTMs (returnSequences + returnState, dropout) -> decoder LSTM
 * started from the encoder's last state -> additive attention `v . tanh(W1 d + W2 e)` with a masked
 * softmax over encoder positions and the context by a batched matMul -> concatenate ->
 * time-distributed dense softmax -> cross-entropy masked where the target is padding (id 0),
 * trained by RMSprop with optional clipping by global norm.
 *
 * It lives in the backend stage because the backend must be checked before any model exists;
 * it imports nothing from later stages.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../util/rng.ts";

/** Sizes of the stand-in model and of its one synthetic batch. */
export interface ProbeDims {
  vocab: number;
  embedding: number;
  units: number;
  encoderLayers: number;
  inputLen: number;
  outputLen: number;
  batch: number;
  attentionUnits: number;
  dropout: number;
}

/** Tiny sizes: a full forward+backward+update takes milliseconds on any backend. */
export const PROBE_TINY: ProbeDims = {
  vocab: 40,
  embedding: 8,
  units: 12,
  encoderLayers: 2,
  inputLen: 7,
  outputLen: 5,
  batch: 4,
  attentionUnits: 6,
  dropout: 0.25,
};

/**
 * How the model's variable parts are written, so that discovery covers every common spelling:
 * `mask`: padded encoder positions removed by `tf.where` or by adding -1e9;
 * `loss`: picking the target probability by `oneHot`, by `gather` on the flattened
 * probabilities, or from logits through `logSoftmax`.
 */
export interface ProbeVariant {
  mask: "where" | "add";
  loss: "oneHot" | "gather" | "logits";
}

/** The stand-in model: its variables, a loss and an inference pass. */
export interface ProbeModel {
  dims: ProbeDims;
  variant: ProbeVariant;
  /** Every trainable variable, in a fixed order. */
  variables: tf.Variable[];
  /** Masked mean cross-entropy of the synthetic batch; dropout is active when `training`. */
  loss(training: boolean): tf.Scalar;
  /** Inference ops of a decoder (argMax, topk on log-probabilities); returns tensors to dispose. */
  decode(): tf.Tensor[];
  /** Dispose the variables and data. */
  dispose(): void;
}

/**
 * Synthetic batch: encoder ids with padding (0) after a random length, decoder inputs starting
 * with id 1, targets = decoder inputs shifted left, padded with 0.
 */
export function probeBatch(d: ProbeDims, seed = 1): { enc: Int32Array; dec: Int32Array; tgt: Int32Array } {
  const r = mulberry32(seed);
  const tok = () => 2 + Math.floor(r() * (d.vocab - 2));
  const enc = new Int32Array(d.batch * d.inputLen);
  const dec = new Int32Array(d.batch * d.outputLen);
  const tgt = new Int32Array(d.batch * d.outputLen);
  for (let b = 0; b < d.batch; b++) {
    const inLen = Math.max(2, d.inputLen - Math.floor(r() * Math.ceil(d.inputLen / 2)));
    for (let t = 0; t < inLen; t++) enc[b * d.inputLen + t] = tok();
    const outLen = Math.max(1, d.outputLen - Math.floor(r() * Math.ceil(d.outputLen / 2)));
    const summary = Array.from({ length: outLen }, tok);
    dec[b * d.outputLen] = 1;
    for (let t = 0; t < outLen; t++) {
      if (t + 1 < d.outputLen) dec[b * d.outputLen + t + 1] = summary[t];
      tgt[b * d.outputLen + t] = summary[t];
    }
  }
  return { enc, dec, tgt };
}

/** tfjs-layers LSTM cells keep their last dropout masks as tensors; `layer.dispose()` leaves them. */
function disposeDropoutMasks(lstm: tf.RNN): void {
  const cell = lstm.cell as unknown as {
    dropoutMask?: tf.Tensor[] | null;
    recurrentDropoutMask?: tf.Tensor[] | null;
  };
  tf.dispose(cell.dropoutMask ?? []);
  tf.dispose(cell.recurrentDropoutMask ?? []);
  cell.dropoutMask = null;
  cell.recurrentDropoutMask = null;
}

function asVariable(w: tf.LayerVariable): tf.Variable {
  const v = w.read();
  if (!(v instanceof tf.Variable)) throw new Error(`probe model: weight ${w.name} is not a tf.Variable`);
  return v;
}

/**
 * Build the stand-in on the current backend. Layer weights get tfjs's default initialisers
 * (seed Math.random first for reproducible values); data come from {@link probeBatch}.
 */
export function buildProbeModel(
  dims: ProbeDims = PROBE_TINY,
  variant: ProbeVariant = { mask: "where", loss: "oneHot" },
  dataSeed = 1,
): ProbeModel {
  const d = dims;
  const { enc, dec, tgt } = probeBatch(d, dataSeed);
  const encIds = tf.tensor2d(enc, [d.batch, d.inputLen], "int32");
  const decIds = tf.tensor2d(dec, [d.batch, d.outputLen], "int32");
  const tgtIds = tf.tensor2d(tgt, [d.batch, d.outputLen], "int32");
  const encEmb = tf.layers.embedding({ inputDim: d.vocab, outputDim: d.embedding });
  const decEmb = tf.layers.embedding({ inputDim: d.vocab, outputDim: d.embedding });
  const encLstms = Array.from(
    { length: d.encoderLayers },
    () => tf.layers.lstm({ units: d.units, returnSequences: true, returnState: true, dropout: d.dropout }),
  );
  const decLstm = tf.layers.lstm({
    units: d.units,
    returnSequences: true,
    returnState: true,
    dropout: d.dropout,
  });
  const glorot = (rows: number, cols: number) => {
    const limit = Math.sqrt(6 / (rows + cols));
    const init = tf.randomUniform([rows, cols], -limit, limit);
    const variable = tf.variable(init);
    init.dispose();
    return variable;
  };
  const w1 = glorot(d.units, d.attentionUnits);
  const w2 = glorot(d.units, d.attentionUnits);
  const v = glorot(d.attentionUnits, 1);
  const out = tf.layers.timeDistributed({
    layer: tf.layers.dense({ units: d.vocab, activation: variant.loss === "logits" ? "linear" : "softmax" }),
  });

  /** Output of the model: probabilities (or logits) [batch, outputLen, vocab]. */
  const forward = (training: boolean): tf.Tensor3D => {
    let x = encEmb.apply(encIds) as tf.Tensor;
    let h!: tf.Tensor, c!: tf.Tensor;
    for (const lstm of encLstms) [x, h, c] = lstm.apply(x, { training }) as tf.Tensor[];
    const encOut = x; // [B, Te, U]
    const decIn = decEmb.apply(decIds) as tf.Tensor;
    const [decOut] = decLstm.apply(decIn, { initialState: [h, c], training }) as tf.Tensor[]; // [B, Td, U]
    const [B, Td, Te, U, A] = [d.batch, d.outputLen, d.inputLen, d.units, d.attentionUnits];
    const wd = tf.reshape(tf.matMul(tf.reshape(decOut, [B * Td, U]), w1), [B, Td, 1, A]);
    const we = tf.reshape(tf.matMul(tf.reshape(encOut, [B * Te, U]), w2), [B, 1, Te, A]);
    const s = tf.tanh(tf.add(wd, we)); // [B, Td, Te, A]
    const score = tf.reshape(tf.matMul(tf.reshape(s, [B * Td * Te, A]), v), [B, Td, Te]);
    const keep = tf.reshape(tf.notEqual(encIds, 0), [B, 1, Te]);
    const masked = variant.mask === "where"
      ? tf.where(tf.broadcastTo(keep, [B, Td, Te]), score, tf.fill([B, Td, Te], -1e9))
      : tf.add(score, tf.mul(tf.sub(1, tf.cast(keep, "float32")), -1e9));
    const attn = tf.softmax(masked, -1);
    const ctx = tf.matMul(attn, encOut); // [B, Td, U]
    const cat = tf.concat([decOut, ctx], -1);
    return out.apply(cat) as tf.Tensor3D;
  };

  const loss = (training: boolean): tf.Scalar =>
    tf.tidy(() => {
      const y = forward(training);
      const [B, Td, V] = [d.batch, d.outputLen, d.vocab];
      let nll: tf.Tensor;
      if (variant.loss === "gather") {
        const flatIdx = tf.add(
          tf.mul(tf.range(0, B * Td, 1, "int32"), tf.scalar(V, "int32")),
          tf.reshape(tgtIds, [-1]),
        );
        nll = tf.neg(tf.log(tf.add(tf.gather(tf.reshape(y, [-1]), flatIdx), 1e-7)));
      } else {
        const oh = tf.oneHot(tf.reshape(tgtIds, [-1]), V);
        const logp = variant.loss === "logits"
          ? tf.logSoftmax(tf.reshape(y, [B * Td, V]))
          : tf.log(tf.add(tf.reshape(y, [B * Td, V]), 1e-7));
        nll = tf.neg(tf.sum(tf.mul(oh, logp), -1));
      }
      const mask = tf.cast(tf.notEqual(tf.reshape(tgtIds, [-1]), 0), "float32");
      return tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
    });

  // build every layer once so that its weights exist
  tf.tidy(() => {
    forward(false);
  });
  const variables = [
    ...encEmb.trainableWeights,
    ...decEmb.trainableWeights,
    ...encLstms.flatMap((l) => l.trainableWeights),
    ...decLstm.trainableWeights,
    ...out.trainableWeights,
  ].map(asVariable);
  variables.push(w1, w2, v);

  return {
    dims: d,
    variant,
    variables,
    loss,
    decode: () =>
      tf.tidy(() => {
        const y = forward(false);
        const logp = variant.loss === "logits" ? tf.logSoftmax(y) : tf.log(tf.add(y, 1e-7));
        const last = tf.squeeze(tf.slice(logp, [0, d.outputLen - 1, 0], [d.batch, 1, d.vocab]), [1]);
        const { values, indices } = tf.topk(last, Math.min(3, d.vocab));
        return [tf.argMax(y, -1), values, indices];
      }),
    dispose: () => {
      for (const lstm of [...encLstms, decLstm]) disposeDropoutMasks(lstm);
      for (const layer of [encEmb, decEmb, ...encLstms, decLstm, out]) layer.dispose();
      for (const t of [encIds, decIds, tgtIds, w1, w2, v]) t.dispose();
    },
  };
}

/**
 * One training step: gradients of `model.loss(true)`, optional clipping by global norm
 * (`clipNorm` > 0) and by value (`clipValue` > 0), then `optimizer.applyGradients` in
 * `model.variables` order (the same order `optimizer.minimize(f, true, model.variables)` uses).
 * Returns the loss before the update.
 */
export function probeTrainStep(
  model: ProbeModel,
  optimizer: tf.Optimizer,
  opts: { clipNorm?: number; clipValue?: number } = {},
): number {
  const { value, grads } = tf.variableGrads(() => model.loss(true), model.variables);
  const names = Object.keys(grads);
  let clipped: tf.NamedTensorMap = grads;
  if ((opts.clipNorm ?? 0) > 0 || (opts.clipValue ?? 0) > 0) {
    clipped = tf.tidy(() => {
      let gs = names.map((n) => grads[n]);
      if ((opts.clipNorm ?? 0) > 0) {
        const norm = tf.sqrt(tf.addN(gs.map((g) => tf.square(tf.norm(g)))));
        const scale = tf.div(opts.clipNorm!, tf.maximum(norm, opts.clipNorm!));
        gs = gs.map((g) => tf.mul(g, scale));
      }
      if ((opts.clipValue ?? 0) > 0) gs = gs.map((g) => tf.clipByValue(g, -opts.clipValue!, opts.clipValue!));
      return Object.fromEntries(names.map((n, i) => [n, gs[i]]));
    });
    tf.dispose(grads);
  }
  // an array keeps `model.variables` order: tfjs optimizers key their slots by position, and a
  // NamedTensorMap would list integer-like names (unnamed tf.variable) first, unlike minimize()
  optimizer.applyGradients(model.variables.map((v) => ({ name: v.name, tensor: clipped[v.name] })));
  tf.dispose(clipped);
  const loss = value.dataSync()[0];
  value.dispose();
  return loss;
}
