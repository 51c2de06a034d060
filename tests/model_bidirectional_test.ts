// The bidirectional encoder (config `encoderBidirectional`, lib/model/seq2seq.ts and lib/model/reverse.ts): its
// annotations and gradients against tfjs's own masked Bidirectional(LSTM) and a plain-JS LSTM, the model's
// parameters by the Keras formulas, save and load, the inference models and the decoders, and the fast layers.
import { assert, assertAlmostEquals, assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import type { Config } from "../lib/config.ts";
import { greedyDecodeBatch, greedyDecodeLoop } from "../lib/infer/greedy.ts";
import { beamSearch, modelStepper } from "../lib/infer/beam.ts";
import { extractInferenceModels } from "../lib/infer/models.ts";
import { loadModelDir, saveModelDir } from "../lib/model/io.ts";
import { ReverseValid, reverseValidIndices } from "../lib/model/reverse.ts";
import { buildSeq2Seq, expectedParamCounts, KERAS_LSTM, LAYER } from "../lib/model/seq2seq.ts";
import { accelerate, fastPaths } from "../lib/speed/accelerate.ts";
import { referenceLstm } from "./fixtures/reference_lstm.ts";
import { encoderRows, mixedModel, tinyConfig, tinyModel } from "./fixtures/tiny_seq2seq.ts";

await tf.setBackend("cpu");

const CFG: Config = tinyConfig({ encoderBidirectional: true });
const N = 6;

/** Row lengths of `tokens` (B, T): the count of non-padding ids. */
function lengths(tokens: Int32Array, t: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < tokens.length / t; i++) {
    out.push(tokens.subarray(i * t, (i + 1) * t).filter((x) => x !== 0).length);
  }
  return out;
}

Deno.test("ReverseValid reverses each row's words and leaves its padding; applied twice it is the identity", () => {
  const tokens = tf.tensor2d([[5, 6, 7, 8], [5, 6, 0, 0], [0, 0, 0, 0]], undefined, "int32");
  assertEquals(Array.from(reverseValidIndices(tokens).dataSync()), [3, 2, 1, 0, 5, 4, 6, 7, 8, 9, 10, 11]);
  const x = tf.tensor3d([[[1, 10], [2, 20], [3, 30], [4, 40]], [[5, 50], [6, 60], [7, 70], [8, 80]], [
    [9, 90],
    [10, 100],
    [11, 110],
    [12, 120],
  ]]);
  const layer = new ReverseValid();
  const once = layer.apply([x, tokens]) as tf.Tensor;
  assertEquals((once.arraySync() as number[][][])[1], [[6, 60], [5, 50], [7, 70], [8, 80]]);
  const twice = layer.apply([once, tokens]) as tf.Tensor;
  assertEquals(twice.arraySync(), x.arraySync());
  // its gradient sends each output position's gradient back to the position it read
  const dx = tf.grad((v: tf.Tensor) =>
    tf.sum(tf.mul(layer.apply([v, tokens]) as tf.Tensor, tf.range(0, 24).reshape([3, 4, 2])))
  )(x);
  assertEquals((dx.arraySync() as number[][][])[1], [[10, 11], [8, 9], [12, 13], [14, 15]]);
  tf.dispose([tokens, x, once, twice, dx]);
});

/** The model's encoder layer 1 composed from its own layers on an embedded input `x`: `(B, Tin, 2U)`. */
function ourAnnotations(model: tf.LayersModel, x: tf.Tensor, tokens: tf.Tensor): tf.Tensor {
  const [fwd] = model.getLayer(LAYER.encoderLstm(0)).apply(x) as tf.Tensor[];
  const reversed = model.getLayer(LAYER.encoderReverse(0, "in")).apply([x, tokens]) as tf.Tensor;
  const [bwd] = model.getLayer(LAYER.encoderLstmBackward(0)).apply(reversed) as tf.Tensor[];
  const back = model.getLayer(LAYER.encoderReverse(0, "out")).apply([bwd, tokens]) as tf.Tensor;
  return tf.concat([fwd, back], -1);
}

/** tfjs's own Bidirectional(LSTM), concat, masked by the padding, holding `model`'s encoder layer 1 weights. */
function tfjsBidirectional(model: tf.LayersModel, x: tf.Tensor, mask: tf.Tensor) {
  const bi = tf.layers.bidirectional({
    layer: tf.layers.lstm({ ...KERAS_LSTM, units: CFG.units, returnSequences: true }) as tf.RNN,
    mergeMode: "concat",
  });
  bi.apply(x, { mask }); // build
  bi.setWeights([
    ...model.getLayer(LAYER.encoderLstm(0)).getWeights(),
    ...model.getLayer(LAYER.encoderLstmBackward(0)).getWeights(),
  ]);
  return bi;
}

Deno.test("a bidirectional encoder layer's annotations and gradients equal tfjs's masked Bidirectional(LSTM) at every word", () => {
  const model = tinyModel(CFG, 3, 1.5);
  const rows = encoderRows(N, CFG); // lengths 1..6 of 50: mostly padding
  const tokens = tf.tensor2d(rows, [N, CFG.maxInputLen], "int32");
  const x = model.getLayer(LAYER.encoderEmbedding).apply(tokens) as tf.Tensor;
  const mask = tf.notEqual(tokens, 0);
  const bi = tfjsBidirectional(model, x, mask);
  const valid = tf.expandDims(tf.cast(mask, "float32"), -1); // (B, Tin, 1)
  const r = tf.randomNormal([N, CFG.maxInputLen, 2 * CFG.units], 0, 1, "float32", 5);
  const lossOf = (y: tf.Tensor) => tf.sum(tf.mul(tf.mul(y, r), valid)) as tf.Scalar;
  const ours = ourAnnotations(model, x, tokens), theirs = bi.apply(x, { mask }) as tf.Tensor;
  assertLess(tf.max(tf.abs(tf.mul(tf.sub(ours, theirs), valid))).dataSync()[0], 1e-5);
  // the encoder model of the inference models gives the same annotations
  const [annotations] = extractInferenceModels(model).encoder.predict(tokens) as tf.Tensor[];
  assertLess(tf.max(tf.abs(tf.sub(annotations, ours))).dataSync()[0], 1e-6);
  // gradients with respect to the input and to each direction's weights
  const dOurs = tf.grad((v: tf.Tensor) => lossOf(ourAnnotations(model, v, tokens)))(x);
  const dTheirs = tf.grad((v: tf.Tensor) => lossOf(bi.apply(v, { mask }) as tf.Tensor))(x);
  assertLess(tf.max(tf.abs(tf.sub(dOurs, dTheirs))).dataSync()[0], 1e-5);
  const vars = (ws: tf.LayerVariable[]) => ws.map((w) => w.read() as tf.Variable);
  const ourVars = vars([
    ...model.getLayer(LAYER.encoderLstm(0)).trainableWeights,
    ...model.getLayer(LAYER.encoderLstmBackward(0)).trainableWeights,
  ]);
  const gOurs = tf.variableGrads(() => lossOf(ourAnnotations(model, x, tokens)), ourVars).grads;
  const gTheirs =
    tf.variableGrads(() => lossOf(bi.apply(x, { mask }) as tf.Tensor), vars(bi.trainableWeights)).grads;
  const theirVars = vars(bi.trainableWeights);
  assertEquals(ourVars.length, 6);
  ourVars.forEach((v, i) => {
    const gap = tf.max(tf.abs(tf.sub(gOurs[v.name], gTheirs[theirVars[i].name]))).dataSync()[0];
    assertLess(gap, 1e-5, `gradient of ${v.name}`);
  });
  model.dispose();
});

Deno.test("the backward half of every word's annotation is a plain-JS LSTM read from the row's last word to its first", () => {
  const model = tinyModel(CFG, 4, 1.5);
  const rows = encoderRows(N, CFG);
  const tokens = tf.tensor2d(rows, [N, CFG.maxInputLen], "int32");
  const x = (model.getLayer(LAYER.encoderEmbedding).apply(tokens) as tf.Tensor).arraySync() as number[][][];
  const [annotations] = extractInferenceModels(model).encoder.predict(tokens) as tf.Tensor[];
  const ann = annotations.arraySync() as number[][][];
  const [w, rw, bias] = model.getLayer(LAYER.encoderLstmBackward(0)).getWeights().map((t) => t.arraySync());
  const u = CFG.units, zeros = new Array<number>(u).fill(0);
  lengths(rows, CFG.maxInputLen).forEach((len, b) => {
    const words = x[b].slice(0, len).reverse();
    const { hs } = referenceLstm(words, w as number[][], rw as number[][], bias as number[], zeros, zeros);
    for (let t = 0; t < len; t++) {
      const want = hs[len - 1 - t]; // position t was read after positions len-1 .. t+1
      want.forEach((v, j) => assertAlmostEquals(ann[b][t][u + j], v, 1e-5, `row ${b} word ${t} unit ${j}`));
    }
  });
  model.dispose();
});

Deno.test("a bidirectional seq2seq has the Keras formulas' parameters and saves and loads with the same predictions", async () => {
  for (const overrides of [{ encoderLayers: 2 }, { copy: true, coverage: true }]) {
    const cfg = tinyConfig({ encoderBidirectional: true, ...overrides });
    const model = buildSeq2Seq(cfg);
    const want = expectedParamCounts(cfg);
    for (const l of model.layers) assertEquals(l.countParams(), want[l.name] ?? 0, l.name);
    assertEquals(model.countParams(), Object.values(want).reduce((a, b) => a + b, 0));
    const dir = await Deno.makeTempDir();
    try {
      await saveModelDir(model, dir);
      const again = await loadModelDir(dir);
      const inputs = model.inputs.map((inp) =>
        tf.tensor2d(encoderRows(3, cfg).slice(0, 3 * inp.shape[1]!), [3, inp.shape[1]!], "int32")
      );
      const a = model.predict(inputs) as tf.Tensor | tf.Tensor[],
        b = again.predict(inputs) as tf.Tensor | tf.Tensor[];
      const first = (y: tf.Tensor | tf.Tensor[]) => Array.isArray(y) ? y[0] : y;
      assertLess(tf.max(tf.abs(tf.sub(first(a), first(b)))).dataSync()[0], 1e-6);
      again.dispose();
    } finally {
      model.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("with a bidirectional encoder the decoders agree: batched greedy = the loop = beam width 1", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  assertEquals([inf.units, inf.encoderUnits], [CFG.units, 2 * CFG.units]);
  const n = 8, tin = CFG.maxInputLen, rows = encoderRows(n, CFG);
  const batched = await greedyDecodeBatch(inf, rows, n, { maxLen: CFG.maxOutputLen, batchSize: 3 });
  for (let i = 0; i < n; i++) {
    const row = rows.subarray(i * tin, (i + 1) * tin);
    const loop = await greedyDecodeLoop(inf, row, CFG.maxOutputLen);
    const stepper = modelStepper(inf, row);
    const beam = await beamSearch(stepper, { beamWidth: 1, lengthPenalty: 0, maxLen: CFG.maxOutputLen });
    stepper.dispose();
    assertEquals(batched[i].ids, loop.ids, `batched vs loop, input ${i}`);
    assertEquals(beam.ids, loop.ids, `beam width 1 vs loop, input ${i}`);
    assertAlmostEquals(beam.logProb, loop.logProb, 1e-5);
  }
  assert(new Set(batched.map((d) => d.ids.length)).size > 1, "outputs of several lengths");
  model.dispose();
});

Deno.test("accelerate() runs both directions on FastLSTM with the stock model's outputs and gradients", () => {
  const stock = tinyModel(CFG, 6, 1.5), fast = tinyModel(CFG, 6, 1.5, { layers: true });
  const names = fastPaths(fast).filter((p) => p.implementation === "FastLSTM").map((p) => p.layer);
  assertEquals(names, ["encoder_lstm_1", "encoder_lstm_1_backward", "decoder_lstm"]);
  const enc = tf.tensor2d(encoderRows(N, CFG), [N, CFG.maxInputLen], "int32");
  const dec = tf.tensor2d(
    encoderRows(N, CFG, 9).slice(0, N * CFG.maxOutputLen),
    [N, CFG.maxOutputLen],
    "int32",
  );
  const loss = (m: tf.LayersModel) => () =>
    tf.mean(tf.log(tf.add(m.apply([enc, dec]) as tf.Tensor, 1e-6))) as tf.Scalar;
  const a = tf.variableGrads(loss(stock)), b = tf.variableGrads(loss(accelerate(fast)));
  assertAlmostEquals(a.value.dataSync()[0], b.value.dataSync()[0], 1e-5);
  const sw = stock.trainableWeights.map((w) => (w.read() as tf.Variable).name),
    fw = fast.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  sw.forEach((name, i) => {
    const gap = tf.max(tf.abs(tf.sub(a.grads[name], b.grads[fw[i]]))).dataSync()[0];
    assertLess(gap, 1e-5, `gradient of ${name}`);
  });
  stock.dispose();
  fast.dispose();
});
