/**
 * The work-arounds for tfjs-layers' multi-output layers (lib/model/support/tfjs_fixes.ts): the last encoder LSTM (whose
 * sequences, h and c are all used) runs once per forward pass, and the one-step decoder model (whose LSTM gets
 * an initial state) can be called repeatedly.
 */
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { encode, extractInferenceModels } from "../lib/infer/models.ts";
import { modelArtifacts } from "../lib/model/io.ts";
import { LAYER } from "../lib/model/seq2seq.ts";
import { fixMultiOutputLayers } from "../lib/model/support/tfjs_fixes.ts";
import { decoderRows, encoderRows, tinyConfig, tinyModel } from "./fixtures/tiny_seq2seq.ts";

await tf.setBackend("cpu");

const CFG = tinyConfig({ encoderLayers: 2 });
const N = 3;

/** Count the calls of `layer.call` (the layer's actual computation) from now on. */
function countCalls(layer: tf.layers.Layer): { n: number } {
  const host = layer as unknown as { call: (...args: unknown[]) => unknown };
  const original = host.call.bind(layer);
  const counter = { n: 0 };
  host.call = (...args: unknown[]) => {
    counter.n++;
    return original(...args);
  };
  return counter;
}

function inputs(): [tf.Tensor2D, tf.Tensor2D] {
  return [
    tf.tensor2d(encoderRows(N, CFG), [N, CFG.maxInputLen], "int32"),
    tf.tensor2d(decoderRows(N, CFG), [N, CFG.maxOutputLen], "int32"),
  ];
}

/** A model loaded by stock tfjs without fixMultiOutputLayers (the defects unpatched). */
async function unpatchedCopy(model: tf.LayersModel): Promise<tf.LayersModel> {
  return await tf.loadLayersModel(tf.io.fromMemory(await modelArtifacts(model)));
}

Deno.test("unpatched tfjs runs the last encoder LSTM 3 times per predict (the defect the fix addresses)", async () => {
  const model = tinyModel(CFG, 2);
  const raw = await unpatchedCopy(model);
  const last = countCalls(raw.getLayer(LAYER.encoderLstm(1)));
  const x = inputs();
  tf.dispose(raw.predict(x) as tf.Tensor);
  assertEquals(last.n, 3);
  tf.dispose(x);
  model.dispose();
  raw.dispose();
});

for (const training of [true, false]) {
  Deno.test(`the last encoder LSTM runs once per model.apply(..., {training: ${training}})`, () => {
    const model = tinyModel(CFG, 2);
    const first = countCalls(model.getLayer(LAYER.encoderLstm(0)));
    const last = countCalls(model.getLayer(LAYER.encoderLstm(1)));
    const dec = countCalls(model.getLayer(LAYER.decoderLstm));
    const x = inputs();
    for (let rep = 1; rep <= 2; rep++) {
      tf.tidy(() => {
        model.apply(x, { training });
      });
      assertEquals([first.n, last.n, dec.n], [rep, rep, rep], `after forward pass ${rep}`);
    }
    tf.dispose(x);
    model.dispose();
  });
}

Deno.test("the last encoder LSTM runs once per model.predict()", () => {
  const model = tinyModel(CFG, 2);
  const last = countCalls(model.getLayer(LAYER.encoderLstm(1)));
  const x = inputs();
  tf.dispose(model.predict(x) as tf.Tensor);
  tf.dispose(x);
  model.dispose();
  assertEquals(last.n, 1, `${LAYER.encoderLstm(1)}.call ran ${last.n} times in one predict()`);
});

Deno.test("the step decoder's LSTM runs once per decoder.predict() (the path greedyDecodeLoop uses)", () => {
  const model = tinyModel(CFG, 2);
  const inf = extractInferenceModels(model);
  const dec = countCalls(model.getLayer(LAYER.decoderLstm));
  const [encIn, decIn] = inputs();
  const enc = encode(inf, encIn);
  const sos = tf.slice(decIn, [0, 0], [N, 1]);
  tf.dispose(inf.decoder.predict([sos, enc.states, enc.h, enc.c, encIn]) as tf.Tensor[]);
  tf.dispose([sos, enc.states, enc.h, enc.c, encIn, decIn]);
  model.dispose();
  assertEquals(dec.n, 1, `${LAYER.decoderLstm}.call ran ${dec.n} times in one predict()`);
});

Deno.test("the patched model's outputs equal the unpatched model's (one computation instead of three)", async () => {
  const model = tinyModel(CFG, 2);
  const raw = await unpatchedCopy(model);
  const x = inputs();
  const a = model.predict(x) as tf.Tensor, b = raw.predict(x) as tf.Tensor;
  assertEquals(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose([...x, a, b]);
  model.dispose();
  raw.dispose();
});

Deno.test("the one-step decoder model runs its LSTM once per step and can be stepped repeatedly", () => {
  const model = tinyModel(CFG, 2);
  const inf = extractInferenceModels(model);
  const dec = countCalls(model.getLayer(LAYER.decoderLstm));
  const [encIn, decIn] = inputs();
  const enc = encode(inf, encIn);
  let h = enc.h, c = enc.c;
  for (let t = 0; t < 3; t++) {
    const prev = tf.slice(decIn, [0, t], [N, 1]) as tf.Tensor2D;
    const [probs, h2, c2, weights] = inf.decoder.predict([prev, enc.states, h, c, encIn]) as tf.Tensor2D[];
    assertEquals(dec.n, t + 1, `decoder LSTM calls after step ${t + 1}`);
    const sums = tf.sum(probs, -1).dataSync();
    for (const s of sums) assertAlmostEquals(s, 1, 1e-5);
    tf.dispose([prev, h, c, probs, weights]);
    h = h2;
    c = c2;
  }
  tf.dispose([h, c, enc.states, encIn, decIn]);
  model.dispose();
});

Deno.test("a stock-loaded model's step decoder fails on its 2nd call without the fix and works with it", async () => {
  const model = tinyModel(CFG, 2);
  const raw = await unpatchedCopy(model);
  const [encIn, decIn] = inputs();
  const run = (m: tf.LayersModel) => {
    const inf = extractInferenceModels(m);
    // through the one-step decoder *model* with kwargs (its graph execution shares them between the calls
    // of the decoder LSTM); decodeStep computes from the layers' weights and is not affected
    return tf.tidy(() => {
      const enc = encode(inf, encIn);
      const sos = tf.slice(decIn, [0, 0], [N, 1]) as tf.Tensor2D;
      const kw = { training: false };
      const [, h1, c1] = inf.decoder.apply([sos, enc.states, enc.h, enc.c, encIn], kw) as tf.Tensor[];
      const [p2] = inf.decoder.apply([sos, enc.states, h1, c1, encIn], { training: false }) as tf.Tensor[];
      return Array.from(p2.dataSync());
    });
  };
  assertThrows(() => run(raw), Error, "neither initialState or constants should be provided");
  const fixed = run(fixMultiOutputLayers(raw));
  assertEquals(fixed, run(model));
  tf.dispose([encIn, decIn]);
  model.dispose();
  raw.dispose();
});
