/**
 * The inference models share the trained model's weights, and stepping the one-step decoder along a target with
 * teacher forcing reproduces the training model's probabilities.
 */
import { assertEquals, assertLess, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { decodeStep, encode, extractInferenceModels, type InferenceModels } from "../lib/infer/models.ts";
import type { Config } from "../lib/config.ts";
import { loadModelDir, saveModelDir } from "../lib/model/io.ts";
import type { SpeedOptions } from "../lib/speed/accelerate.ts";
import {
  decoderRows,
  encoderRows,
  setSeededWeights,
  tinyConfig,
  tinyModel,
} from "./fixtures/tiny_seq2seq.ts";

await tf.setBackend("cpu");

const N = 8;

/** Max |training-model prob - teacher-forced step prob| over all rows, steps and vocabulary entries. */
function teacherForcingGap(
  model: tf.LayersModel,
  inf: InferenceModels,
  encIn: Int32Array,
  decIn: Int32Array,
  tin: number,
  tout: number,
): number {
  return tf.tidy(() => {
    const enc = tf.tensor2d(encIn, [N, tin], "int32");
    const dec = tf.tensor2d(decIn, [N, tout], "int32");
    // copy attention: every third input position holds a word outside the vocabulary (extended id V + position)
    const copy = inf.layers.pointer !== null;
    const ext = tf.tensor2d(
      encIn.map((id, k) => (k % 3 === 1 && id !== 0 ? inf.vocabSize + (k % tin) : id)),
      [N, tin],
      "int32",
    );
    const predicted = model.predict(copy ? [enc, dec, ext] : [enc, dec]);
    const full = ((Array.isArray(predicted) ? predicted[0] : predicted) as tf.Tensor3D).arraySync();
    const state = encode(inf, enc, copy ? ext : undefined);
    let h = state.h, c = state.c, gap = 0;
    let cov: tf.Tensor2D | undefined;
    for (let t = 0; t < tout; t++) {
      const step = decodeStep(inf, tf.slice(dec, [0, t], [N, 1]) as tf.Tensor2D, state, h, c, cov);
      const p = step.probs.arraySync();
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < inf.outputSize; j++) gap = Math.max(gap, Math.abs(p[i][j] - full[i][t][j]));
      }
      h = step.h;
      c = step.c;
      cov = step.coverage;
    }
    return gap;
  });
}

const VARIANTS: [string, Partial<Record<keyof Config, unknown>>, SpeedOptions][] = [
  ["1 encoder layer", {}, { layers: false }],
  ["3 layers, shared embedding", { encoderLayers: 3, sharedEmbedding: true }, { layers: false }],
  ["2 layers, FastLSTM layers", { encoderLayers: 2 }, { layers: true }],
  ["copy attention", { copy: true }, { layers: false }],
  ["coverage", { coverage: true }, { layers: false }],
  ["copy attention and coverage, FastLSTM layers", { copy: true, coverage: true }, { layers: true }],
  ["bidirectional encoder, 2 layers", { encoderBidirectional: true, encoderLayers: 2 }, { layers: false }],
  [
    "bidirectional encoder, copy attention, FastLSTM layers",
    { encoderBidirectional: true, copy: true },
    { layers: true },
  ],
];

for (const [label, overrides, buildOpts] of VARIANTS) {
  Deno.test(`teacher-forced decoder steps reproduce the training model's probabilities within 1e-5 (${label})`, () => {
    const cfg = tinyConfig(overrides);
    const model = tinyModel(cfg, 21, 1.5, buildOpts);
    const inf = extractInferenceModels(model);
    const encIn = encoderRows(N, cfg), decIn = decoderRows(N, cfg);
    // the rows include padded inputs (lengths 1..7) and padded decoder inputs
    assertEquals(encIn.filter((x) => x === 0).length > 0, true);
    const gap = teacherForcingGap(model, inf, encIn, decIn, cfg.maxInputLen, cfg.maxOutputLen);
    assertLess(gap, 1e-5);
    model.dispose();
  });
}

Deno.test("the inference models hold the trained model's own weight variables (no copies)", () => {
  const cfg = tinyConfig({ encoderLayers: 2 });
  const model = tinyModel(cfg, 22);
  const inf = extractInferenceModels(model);
  const ids = new Set(model.weights.map((w) => w.id));
  for (const w of [...inf.encoder.weights, ...inf.decoder.weights]) {
    assertEquals(ids.has(w.id), true, `${w.name} is not one of the trained model's variables`);
  }
  // the encoder has every encoder weight; the decoder has the rest (decoder embedding, LSTM, attention, dense)
  assertEquals(inf.encoder.countParams() + inf.decoder.countParams(), model.countParams());
  assertEquals([inf.inputLen, inf.units, inf.vocabSize], [cfg.maxInputLen, cfg.units, cfg.vocabSize]);
  model.dispose();
});

Deno.test("changing the trained model's weights changes the inference models' outputs the same way", () => {
  const cfg = tinyConfig();
  const model = tinyModel(cfg, 23);
  const inf = extractInferenceModels(model);
  const encIn = encoderRows(N, cfg), decIn = decoderRows(N, cfg);
  const before = tf.tidy(() =>
    Array.from(encode(inf, tf.tensor2d(encIn, [N, cfg.maxInputLen], "int32")).states.dataSync())
  );
  setSeededWeights(model, 99, 1);
  const after = tf.tidy(() =>
    Array.from(encode(inf, tf.tensor2d(encIn, [N, cfg.maxInputLen], "int32")).states.dataSync())
  );
  assertEquals(before.some((x, i) => x !== after[i]), true);
  assertLess(teacherForcingGap(model, inf, encIn, decIn, cfg.maxInputLen, cfg.maxOutputLen), 1e-5);
  model.dispose();
});

Deno.test("inference models extracted from a saved-and-loaded model match the original's", async () => {
  const cfg = tinyConfig({ encoderLayers: 2 });
  const model = tinyModel(cfg, 24);
  const dir = await Deno.makeTempDir({ prefix: "infer_models_test_" });
  try {
    await saveModelDir(model, dir);
    const loaded = await loadModelDir(dir);
    const encIn = encoderRows(N, cfg), decIn = decoderRows(N, cfg);
    const a = extractInferenceModels(model), b = extractInferenceModels(loaded);
    assertLess(teacherForcingGap(loaded, b, encIn, decIn, cfg.maxInputLen, cfg.maxOutputLen), 1e-5);
    const step = (inf: InferenceModels) =>
      tf.tidy(() => {
        const enc = encode(inf, tf.tensor2d(encIn, [N, cfg.maxInputLen], "int32"));
        const prev = tf.tensor2d(decIn.filter((_, i) => i % cfg.maxOutputLen === 0), [N, 1], "int32");
        const s = decodeStep(inf, prev, enc, enc.h, enc.c);
        return [...s.probs.dataSync(), ...s.attention.dataSync()];
      });
    assertEquals(step(b), step(a));
    loaded.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeStep() returns (B, V) probabilities and (B, Tin) attention that is 0 on padding; no tensors leak", () => {
  const cfg = tinyConfig();
  const model = tinyModel(cfg, 25);
  const inf = extractInferenceModels(model);
  const encIn = encoderRows(N, cfg);
  const run = () =>
    tf.tidy(() => {
      const enc = encode(inf, tf.tensor2d(encIn, [N, cfg.maxInputLen], "int32"));
      decodeStep(inf, tf.fill([N, 1], 2, "int32") as tf.Tensor2D, enc, enc.h, enc.c);
    });
  run(); // the first call allocates a few tensors tfjs keeps (once per model)
  let before = tf.memory().numTensors;
  run();
  assertEquals(tf.memory().numTensors, before, "encode + decodeStep leave no tensors behind");
  before = tf.memory().numTensors;
  tf.tidy(() => {
    const tokens = tf.tensor2d(encIn, [N, cfg.maxInputLen], "int32");
    const enc = encode(inf, tokens);
    const s = decodeStep(inf, tf.fill([N, 1], 2, "int32") as tf.Tensor2D, enc, enc.h, enc.c);
    assertEquals(s.probs.shape, [N, cfg.vocabSize]);
    assertEquals(s.attention.shape, [N, cfg.maxInputLen]);
    assertEquals(s.h.shape, [N, cfg.units]);
    const att = s.attention.arraySync();
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < cfg.maxInputLen; t++) {
        if (encIn[i * cfg.maxInputLen + t] === 0) assertEquals(att[i][t], 0);
      }
    }
  });
  assertEquals(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("extractInferenceModels() names what is missing from a model that is not a Seq2Seq", () => {
  const x = tf.input({ shape: [3] });
  const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor });
  assertThrows(() => extractInferenceModels(m), Error, "the model has no layer named");
  m.dispose();
});
