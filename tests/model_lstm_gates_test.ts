// Every LSTM of the model gates with the logistic sigmoid and starts its forget bias at 1, as Keras 2 does (the
// report's framework; tfjs defaults to hardSigmoid and a zero forget bias). Checked against a plain-JS LSTM
// written from the Keras equations, on the model's own trained-shape layers, fast and stock.
import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertLess } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { resolveConfig } from "../lib/config.ts";
import { buildSeq2Seq, KERAS_LSTM, LAYER } from "../lib/model/seq2seq.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import { loadModelDir, saveModelDir } from "../lib/model/io.ts";
import { seedEverything } from "../lib/train/seed.ts";
import { referenceLstm } from "./fixtures/reference_lstm.ts";

const NO_NODE = ["/nonexistent/seq2seq-test/node_modules"];

for (const fastLayers of [true, false]) {
  Deno.test(`every LSTM of the model (fastLayers ${fastLayers}) has sigmoid gates and a forget bias of 1`, async () => {
    await initBackend({ backend: "cpu", nodeModules: NO_NODE });
    seedEverything(7, 0);
    const model = accelerate(buildSeq2Seq(resolveConfig("tiny", { encoderLayers: 2 })), {
      layers: fastLayers,
    });
    const names = [LAYER.encoderLstm(0), LAYER.encoderLstm(1), LAYER.decoderLstm];
    for (const name of names) {
      const cfg = model.getLayer(name).getConfig();
      assertEquals(cfg.recurrentActivation, "sigmoid", name);
      assertEquals(cfg.unitForgetBias, true, name);
      const bias = model.getLayer(name).getWeights()[2].arraySync() as number[];
      const u = bias.length / 4;
      assertEquals(bias.slice(u, 2 * u), new Array(u).fill(1), `${name}: forget-gate bias starts at 1`);
      assertEquals(
        [...bias.slice(0, u), ...bias.slice(2 * u)],
        new Array(3 * u).fill(0),
        `${name}: others 0`,
      );
    }
    model.dispose();
  });

  Deno.test(`the first encoder LSTM (fastLayers ${fastLayers}) equals a plain-JS Keras LSTM with sigmoid gates`, async () => {
    await initBackend({ backend: "cpu", nodeModules: NO_NODE });
    seedEverything(11, 0);
    const model = accelerate(buildSeq2Seq(resolveConfig("tiny")), { layers: fastLayers });
    const layer = model.getLayer(LAYER.encoderLstm(0));
    // non-trivial biases, so a wrong gate function or gate order would show
    const [w, rw, b] = layer.getWeights();
    const bias = tf.randomUniform(b.shape, -0.5, 0.5, "float32", 3);
    layer.setWeights([w, rw, bias]);
    const x = tf.randomNormal([2, 5, w.shape[0]], 0, 1, "float32", 5);
    const [seq, h, c] = layer.apply(x) as tf.Tensor[];
    const ws = w.arraySync() as number[][], rws = rw.arraySync() as number[][];
    const bs = bias.arraySync() as number[], xs = x.arraySync() as number[][][];
    const got = seq.arraySync() as number[][][],
      gh = h.arraySync() as number[][],
      gc = c.arraySync() as number[][];
    for (let r = 0; r < 2; r++) {
      const zeros = new Array<number>(rws.length).fill(0);
      const ref = referenceLstm(xs[r], ws, rws, bs, zeros, zeros);
      ref.hs.forEach((row, t) =>
        row.forEach((v, j) => assertLess(Math.abs(got[r][t][j] - v), 1e-5, `h[${r},${t},${j}]`))
      );
      ref.hs.at(-1)!.forEach((v, j) => assertLess(Math.abs(gh[r][j] - v), 1e-5, `h_T[${r},${j}]`));
      ref.c.forEach((v, j) => assertLess(Math.abs(gc[r][j] - v), 1e-5, `c_T[${r},${j}]`));
    }
    tf.dispose([bias, x, seq, h, c]);
    model.dispose();
  });
}

Deno.test("a saved model loads back with sigmoid gates", async () => {
  await initBackend({ backend: "cpu", nodeModules: NO_NODE });
  const model = accelerate(buildSeq2Seq(resolveConfig("tiny")), { layers: true });
  const dir = await Deno.makeTempDir();
  try {
    await saveModelDir(model, dir);
    const loaded = await loadModelDir(dir);
    assertEquals(
      loaded.getLayer(LAYER.decoderLstm).getConfig().recurrentActivation,
      KERAS_LSTM.recurrentActivation,
    );
    loaded.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("building the model leaves no tensor behind (tfjs's unitForgetBias initializer does, unless tidied)", async () => {
  await initBackend({ backend: "cpu", nodeModules: NO_NODE });
  const n0 = tf.memory().numTensors;
  const model = accelerate(buildSeq2Seq(resolveConfig("tiny", { encoderLayers: 2 })), { layers: true });
  const weights = model.getWeights().length;
  assertEquals(tf.memory().numTensors - n0, weights, "only the weights remain");
  model.dispose();
  assertEquals(tf.memory().numTensors, n0);
});
