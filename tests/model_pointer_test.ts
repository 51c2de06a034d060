// Copy attention (lib/model/pointer.ts): the scatter and its gradient against hand computations and finite
// differences, the gate fixed at 1 against the plain model, extended ids through the tokenizer, decoding that
// writes an input word outside the vocabulary, and saved models that decode the same after loading.
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { OOV, Tokenizer } from "../lib/data/tokenizer.ts";
import { beamSearch, modelStepper } from "../lib/infer/beam.ts";
import { greedyDecodeBatch, greedyDecodeLoop } from "../lib/infer/greedy.ts";
import { extractInferenceModels, feedBack } from "../lib/infer/models.ts";
import { loadModelDir, saveModelDir } from "../lib/model/io.ts";
import { PointerGenerator, scatterCopy } from "../lib/model/pointer.ts";
import { isCopyModel, LAYER } from "../lib/model/seq2seq.ts";
import {
  decoderRows,
  encoderRows,
  randomTensor,
  shiftOutputBias,
  tinyConfig,
  tinyModel,
} from "./fixtures/tiny_seq2seq.ts";

await initBackend({ backend: "cpu" });

Deno.test("scatterCopy() adds each position's weight at its id and its gradient is the gather of dy", async () => {
  const att = tf.tensor3d([[[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]]]); // (1, 2, 4)
  const ext = tf.tensor2d([[5, 7, 5, 0]], [1, 4], "int32"); // positions 0 and 2: the same word
  const out = await scatterCopy(att, ext, 9).array();
  assertEquals(out[0][0].map((x) => Number(x.toFixed(6))), [0.4, 0, 0, 0, 0, 0.4, 0, 0.2, 0]);
  assertEquals(out[0][1].map((x) => Number(x.toFixed(6))), [0.1, 0, 0, 0, 0, 0.6, 0, 0.3, 0]);
  // d/d att[t, i] of sum(out * r) is r[t, ext[i]]
  const r = randomTensor([1, 2, 9], 3);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(scatterCopy(a as tf.Tensor3D, ext, 9), r)))(att);
  const rv = await r.array() as number[][][];
  const expected = [0, 1].map((t) => [5, 7, 5, 0].map((id) => rv[0][t][id]));
  const gv = await g.array() as number[][][];
  for (let t = 0; t < 2; t++) {
    for (let i = 0; i < 4; i++) assertAlmostEquals(gv[0][t][i], expected[t][i], 1e-6);
  }
  tf.dispose([att, ext, r, g]);
});

Deno.test("PointerGenerator gradients match central finite differences (weights and inputs)", async () => {
  const [b, t, v, tin, u, d] = [2, 3, 6, 4, 5, 3];
  const layer = new PointerGenerator({ name: "pg" });
  const vocab = tf.softmax(randomTensor([b, t, v], 1, 2));
  const att = tf.softmax(randomTensor([b, t, tin], 2, 2));
  const ctx = randomTensor([b, t, u], 3), dec = randomTensor([b, t, u], 4), emb = randomTensor([b, t, d], 5);
  const ext = tf.tensor2d([[4, v + 1, 4, 2], [v, 1, v + 2, 0]], [b, tin], "int32");
  const r = randomTensor([b, t, v + tin], 6);
  layer.apply([vocab, att, ctx, dec, emb, ext]); // builds the weights
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  tf.tidy(() => weights.forEach((w, i) => w.assign(randomTensor(w.shape, 10 + i, 0.5))));
  // a smooth scalar of the output: the log of the output weighted by r (exercises every column)
  const f = (vo: tf.Tensor, at: tf.Tensor, cx: tf.Tensor) =>
    tf.sum(
      tf.mul(tf.log(tf.add(layer.apply([vo, at, cx, dec, emb, ext]) as tf.Tensor, 1e-3)), r),
    ) as tf.Scalar;
  const { grads } = tf.variableGrads(() => f(vocab, att, ctx), weights);
  const inputGrads = tf.grads((vo: tf.Tensor, at: tf.Tensor, cx: tf.Tensor) => f(vo, at, cx))([
    vocab,
    att,
    ctx,
  ]);
  const eps = 1e-3;
  let checked = 0;
  // weights: every entry
  for (const w of weights) {
    const base = await w.data() as Float32Array;
    const g = await grads[w.name].data();
    for (let k = 0; k < base.length; k++) {
      const at = (delta: number) => {
        const moved = base.slice();
        moved[k] += delta;
        w.assign(tf.tensor(moved, w.shape));
        return tf.tidy(() => f(vocab, att, ctx).dataSync()[0]);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      w.assign(tf.tensor(base, w.shape));
      assertAlmostEquals(g[k], numeric, 2e-2 * Math.max(1, Math.abs(numeric)), `${w.name}[${k}]`);
      checked++;
    }
  }
  // inputs: the vocabulary distribution, the attention and the context, a few entries each
  const inputs = [vocab, att, ctx];
  for (let j = 0; j < 3; j++) {
    const base = await inputs[j].data() as Float32Array;
    const g = await inputGrads[j].data();
    for (const k of [0, 5, base.length - 1]) {
      const at = (delta: number) => {
        const moved = base.slice();
        moved[k] += delta;
        const x = tf.tensor(moved, inputs[j].shape);
        const args = inputs.map((a, i) => (i === j ? x : a)) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const y = tf.tidy(() => f(...args).dataSync()[0]);
        x.dispose();
        return y;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      assertAlmostEquals(g[k], numeric, 2e-2 * Math.max(1, Math.abs(numeric)), `input ${j}[${k}]`);
      checked++;
    }
  }
  assertEquals(checked, u + u + d + 1 + 9);
  tf.dispose([vocab, att, ctx, dec, emb, ext, r, ...Object.values(grads), ...inputGrads]);
  layer.dispose();
});

Deno.test("with p_gen fixed at 1 the copy model gives the plain model's probabilities exactly", async () => {
  const cfg = tinyConfig({ copy: true });
  const model = tinyModel(cfg, 5, 1);
  assert(isCopyModel(model));
  const pointer = model.getLayer(LAYER.pointer);
  // zero gate weights and a bias of 100: sigmoid(100) is exactly 1 in float32
  pointer.setWeights(
    pointer.getWeights().map((w, i, all) => i === all.length - 1 ? tf.fill(w.shape, 100) : tf.zerosLike(w)),
  );
  // the plain model is the same graph up to the output softmax
  const plain = tf.model({
    inputs: model.inputs.slice(0, 2),
    outputs: model.getLayer(LAYER.output).output as tf.SymbolicTensor,
  });
  const n = 6;
  const enc = tf.tensor2d(encoderRows(n, cfg), [n, cfg.maxInputLen], "int32");
  const dec = tf.tensor2d(decoderRows(n, cfg), [n, cfg.maxOutputLen], "int32");
  const ext = enc.clone();
  const copyOut = model.predict([enc, dec, ext]) as tf.Tensor;
  const plainOut = plain.predict([enc, dec]) as tf.Tensor;
  assertEquals(copyOut.shape, [n, cfg.maxOutputLen, cfg.vocabSize + cfg.maxInputLen]);
  const [c, p] = [await copyOut.data(), await plainOut.data()];
  const w = cfg.vocabSize + cfg.maxInputLen;
  let maxDiff = 0, extMass = 0;
  for (let row = 0; row < n * cfg.maxOutputLen; row++) {
    for (let k = 0; k < cfg.vocabSize; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(c[row * w + k] - p[row * cfg.vocabSize + k]));
    }
    for (let k = cfg.vocabSize; k < w; k++) extMass += c[row * w + k];
  }
  assertEquals(maxDiff, 0);
  assertEquals(extMass, 0);
  tf.dispose([enc, dec, ext, copyOut, plainOut]);
  model.dispose();
});

Deno.test("Tokenizer.extendInput() gives unknown words size + first position; extendTarget() and decode() use them", () => {
  const tok = Tokenizer.fit(["the ice melts", "the sea rises"], 10); // 4 reserved + 5 words: size 9
  assertEquals(tok.size, 9);
  const ext = new Int32Array(7);
  const unknown = tok.extendInput(["the", "westcott", "glacier", "melts", "westcott"], 7, ext);
  assertEquals(Array.from(ext), [tok.idOf("the"), 10, 11, tok.idOf("melts"), 10, 0, 0]);
  const target = tok.encodeTargetWords(["westcott", "glacier", "and", "the", "sea"], 8);
  assertEquals(target.decOut[0], OOV);
  const targetExt = new Int32Array(8);
  assertEquals(
    tok.extendTarget(["westcott", "glacier", "and", "the", "sea"], 8, unknown, target.decOut, targetExt),
    2,
  );
  // "and" is in neither the vocabulary nor the input: it stays <oov>
  assertEquals(Array.from(targetExt.subarray(0, 6)), [10, 11, OOV, tok.idOf("the"), tok.idOf("sea"), 3]);
  const source = ["the", "westcott", "glacier", "melts", "westcott"];
  assertEquals(tok.decode(targetExt, source), "westcott glacier <oov> the sea");
  assertEquals(tok.tokenOf(11, source), "glacier");
  assertThrows(() => tok.decode([10]), RangeError, "no source words");
  assertThrows(() => tok.decode([30], source), RangeError, "input position 21");
});

Deno.test("a copy model whose gate always copies writes an input word outside the vocabulary, by every decoder", async () => {
  const tok = Tokenizer.fit(["the ice melts"], 30);
  const cfg = tinyConfig({ copy: true, vocabSize: tok.size });
  const model = tinyModel(cfg, 9, 1);
  const pointer = model.getLayer(LAYER.pointer);
  pointer.setWeights(
    pointer.getWeights().map((w, i, all) => i === all.length - 1 ? tf.fill(w.shape, -100) : tf.zerosLike(w)),
  );
  // one input word, outside the vocabulary: all attention (and so all probability) goes to it
  const words = ["westcott"];
  const tin = cfg.maxInputLen;
  const enc = tok.encodeInputWords(words, tin).ids, ext = new Int32Array(tin);
  tok.extendInput(words, tin, ext);
  assertEquals([enc[0], ext[0]], [OOV, tok.size]);
  const models = extractInferenceModels(model);
  assertEquals(models.outputSize, tok.size + tin);
  // the first call of the trained layers keeps 8 tensors for good (the plain model too): warm up, then count
  await greedyDecodeBatch(models, enc, 1, { maxLen: 1, extended: ext });
  await greedyDecodeLoop(models, enc, 1, ext); // (the one-step decoder model calls the layers themselves)
  const n0 = tf.memory().numTensors;
  const [greedy] = await greedyDecodeBatch(models, enc, 1, { maxLen: 3, extended: ext });
  const loop = await greedyDecodeLoop(models, enc, 3, ext);
  const stepper = modelStepper(models, enc, ext);
  const beam = await beamSearch(stepper, { beamWidth: 2, lengthPenalty: 0, maxLen: 3 });
  stepper.dispose();
  assertEquals(tf.memory().numTensors, n0, "decoding leaves no tensor behind");
  for (const d of [greedy, loop, beam]) assertEquals(tok.decode(d.ids, words), "westcott westcott westcott");
  assertEquals(greedy.pGen!.map((g) => g < 1e-6), [true, true, true]);
  // without the extended ids the word is <oov> in the input, and only <oov> can be copied
  const [plain] = await greedyDecodeBatch(models, enc, 1, { maxLen: 2 });
  assertEquals(tok.decode(plain.ids), "<oov> <oov>");
  model.dispose();
});

Deno.test("a saved copy model loads as a copy model and decodes the same", async () => {
  const cfg = tinyConfig({ copy: true });
  const model = tinyModel(cfg, 13, 1);
  const dir = await Deno.makeTempDir();
  try {
    await saveModelDir(model, `${dir}/m`);
    const loaded = await loadModelDir(`${dir}/m`);
    assert(isCopyModel(loaded));
    const n = 5;
    const enc = encoderRows(n, cfg);
    const ext = enc.map((id, i) => (i % 3 === 1 && id !== 0 ? cfg.vocabSize + (i % cfg.maxInputLen) : id));
    const a = await greedyDecodeBatch(extractInferenceModels(model), enc, n, { maxLen: 4, extended: ext });
    const b = await greedyDecodeBatch(extractInferenceModels(loaded), enc, n, { maxLen: 4, extended: ext });
    assertEquals(b.map((d) => d.ids), a.map((d) => d.ids));
    assertEquals(b.map((d) => d.pGen), a.map((d) => d.pGen));
    loaded.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    model.dispose();
  }
});

Deno.test("a copy model computes its attention once per forward pass (context and weights both used)", () => {
  const cfg = tinyConfig({ copy: true });
  const model = tinyModel(cfg, 3, 1);
  const att = model.getLayer(LAYER.attention) as unknown as {
    scores: (...a: unknown[]) => unknown;
  };
  let calls = 0;
  const original = att.scores.bind(att);
  att.scores = (...a: unknown[]) => {
    calls++;
    return original(...a);
  };
  const n = 3;
  const enc = tf.tensor2d(encoderRows(n, cfg), [n, cfg.maxInputLen], "int32");
  const dec = tf.tensor2d(decoderRows(n, cfg), [n, cfg.maxOutputLen], "int32");
  tf.tidy(() => model.apply([enc, dec, enc], { training: true }) as tf.Tensor);
  assertEquals(calls, 1);
  tf.dispose([enc, dec]);
  model.dispose();
});

Deno.test("feedBack() gives int32 ids with extended ids replaced by <oov>, on cpu and on wasm", async () => {
  const cfg = tinyConfig({ copy: true });
  const model = tinyModel(cfg, 3, 1);
  const models = extractInferenceModels(model);
  const v = models.vocabSize;
  try {
    for (const backend of ["cpu", "wasm"] as const) {
      await initBackend({ backend, blas: false });
      const ids = tf.tensor1d([5, v, v + 3, 0, v - 1], "int32");
      const fed = feedBack(models, ids);
      assertEquals(fed.dtype, "int32", backend);
      assertEquals(fed.shape, [5, 1]);
      assertEquals(Array.from(await fed.data()), [5, OOV, OOV, 0, v - 1], backend);
      tf.dispose([ids, fed]);
    }
  } finally {
    await initBackend({ backend: "cpu" });
    model.dispose();
  }
});

Deno.test("on wasm, batched greedy equals the loop and beam width 1 for a copy model that copies unknown words", async () => {
  await initBackend({ backend: "wasm", blas: false });
  const cfg = tinyConfig({ copy: true });
  const model = tinyModel(cfg, 17, 1);
  shiftOutputBias(model, 3, 4); // outputs of several lengths (eostok favoured)
  try {
    const inf = extractInferenceModels(model);
    const tin = cfg.maxInputLen, n = 9;
    const rows = encoderRows(n, cfg, 5);
    const ext = rows.map((id, k) => (k % 3 === 1 && id !== 0 ? cfg.vocabSize + (k % tin) : id));
    const enc = rows.map((id, k) => (k % 3 === 1 && id !== 0 ? OOV : id)); // those words are unknown
    const row = (m: Int32Array, i: number) => m.subarray(i * tin, (i + 1) * tin);
    const batched = await greedyDecodeBatch(inf, enc, n, { maxLen: 6, batchSize: 4, extended: ext });
    assert(batched.some((d) => d.ids.some((id) => id >= cfg.vocabSize)), "an unknown word was copied");
    for (let i = 0; i < n; i++) {
      const loop = await greedyDecodeLoop(inf, row(enc, i), 6, row(ext, i));
      const stepper = modelStepper(inf, row(enc, i), row(ext, i));
      const beam = await beamSearch(stepper, { beamWidth: 1, lengthPenalty: 0, maxLen: 6 });
      stepper.dispose();
      assertEquals(batched[i].ids, loop.ids, `loop, input ${i}`);
      assertEquals(batched[i].ids, beam.ids, `beam width 1, input ${i}`);
    }
  } finally {
    model.dispose();
    await initBackend({ backend: "cpu" });
  }
});
