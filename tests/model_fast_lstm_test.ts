// The fast layers of lib/speed (FastLSTM, FastTimeDistributed, FastBahdanauAttention) against tfjs's own LSTM and
// TimeDistributed and lib/model's attention with identical weights (forward and gradients, cpu and wasm), a plain-JS
// LSTM reference, and the full Seq2Seq model; accelerate() turns a model's layers into them in place.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLess, assertStringIncludes, assertThrows } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { resolveConfig } from "../lib/config.ts";
import { FastLSTM, fastLstm, lstmSequence, lstmStep } from "../lib/speed/fast_lstm.ts";
import { FastTimeDistributed } from "../lib/speed/fast_time_distributed.ts";
import { FastBahdanauAttention } from "../lib/speed/fast_attention.ts";
import { accelerate, fastPaths, formatFastPaths } from "../lib/speed/accelerate.ts";
import { modelArtifacts } from "../lib/model/io.ts";
import { referenceLstm } from "./fixtures/reference_lstm.ts";
import { decodeStep, encode, extractInferenceModels } from "../lib/infer/models.ts";
import { buildSeq2Seq } from "../lib/model/seq2seq.ts";
import { maskedLoss } from "../lib/train/loss.ts";
import { seedEverything } from "../lib/train/seed.ts";

const NO_NODE = ["/nonexistent/seq2seq-test/node_modules"];
type Backend = "cpu" | "wasm";

async function useBackend(b: Backend, blas = true) {
  await initBackend({ backend: b, blas, nodeModules: NO_NODE });
}

/**
 * Largest |a - b| relative to the tensor's own scale, max(1e-4, largest |a|), over tensors of the same shape. The
 * gradients compared here are often of order 1e-3, so a floor of 1 (as before) let a 1% error through; the floor
 * stays for gradients that nearly cancel (the attention's W1: |g| ~ 1e-7), where float32 rounding is all there is.
 */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  assertEquals(a.shape, b.shape);
  const x = a.dataSync(), y = b.dataSync();
  let d = 0, m = 1e-4;
  for (let i = 0; i < x.length; i++) {
    d = Math.max(d, Math.abs(x[i] - y[i]));
    m = Math.max(m, Math.abs(x[i]));
  }
  return d / m;
}

/** Random normal values from a seeded generator (independent of Math.random). */
function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = scale * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  }
  return tf.tensor(v, shape);
}

type LayerArgs = Parameters<typeof tf.layers.lstm>[0];

/**
 * Build a stock and a fast LSTM with the same (scaled-up, so that gates saturate sometimes) weights, run both on
 * the same input and initial state, and return the relative differences of the outputs and of the gradients of
 * a random linear function of all outputs w.r.t. input, initial states and weights.
 */
function compareWithStock(
  args: LayerArgs,
  dims = { b: 3, t: 5, d: 4 },
  withState = true,
): Record<string, number> {
  return tf.tidy(() => {
    const { b, t, d } = dims;
    const u = args.units;
    args = { recurrentActivation: "sigmoid", ...args }; // the model's gates (lib/model/seq2seq.ts KERAS_LSTM)
    const stock = tf.layers.lstm(args), fast = fastLstm(args);
    assertEquals(fast.fastPathBlocker(), "", "the fast path runs");
    const x = seeded([b, t, d], 1), h0 = seeded([b, u], 2), c0 = seeded([b, u], 3);
    const kw = (h: tf.Tensor, c: tf.Tensor) => withState ? { initialState: [h, c] } : {};
    stock.apply(x, kw(h0, c0));
    fast.apply(x, kw(h0, c0));
    stock.setWeights(stock.getWeights().map((w, i) => tf.add(tf.mul(w, 2.5), seeded(w.shape, 10 + i, 0.3))));
    fast.setWeights(stock.getWeights());
    const run = (layer: tf.layers.Layer) => {
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const f = (xx: tf.Tensor, hh: tf.Tensor, cc: tf.Tensor) => {
        const out = layer.apply(xx, kw(hh, cc));
        const outs = Array.isArray(out) ? out as tf.Tensor[] : [out as tf.Tensor];
        return tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, seeded(o.shape, 100 + i))))) as tf.Scalar;
      };
      const outs = layer.apply(x, kw(h0, c0));
      const dIn = withState ? tf.grads(f)([x, h0, c0]) : tf.grads((xx: tf.Tensor) => f(xx, h0, c0))([x]);
      const { grads } = tf.variableGrads(() => f(x, h0, c0), vars);
      return {
        outs: Array.isArray(outs) ? outs as tf.Tensor[] : [outs as tf.Tensor],
        grads: [...dIn, ...vars.map((v) => grads[v.name])],
      };
    };
    const a = run(stock), r = run(fast);
    const res: Record<string, number> = {};
    assertEquals(a.outs.length, r.outs.length);
    a.outs.forEach((o, i) => res[`out${i}`] = relDiff(o, r.outs[i]));
    const names = withState ? ["dx", "dh0", "dc0"] : ["dx"];
    [...names, "dKernel", "dRecurrentKernel", "dBias"].forEach((n, i) =>
      res[n] = relDiff(a.grads[i], r.grads[i])
    );
    stock.dispose();
    fast.dispose();
    return res;
  });
}

function assertAllBelow(res: Record<string, number>, tol: number, what: string) {
  for (const [k, v] of Object.entries(res)) {
    assertLess(v, tol, `${what}: ${k} differs by ${v} (${JSON.stringify(res)})`);
  }
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`FastLSTM outputs and gradients equal tfjs's LSTM within 1e-5 on ${backend} (sigmoid gates)`, async () => {
    await useBackend(backend);
    const n0 = tf.memory().numTensors;
    const res = compareWithStock({ units: 6, returnSequences: true, returnState: true });
    assertAllBelow(res, 1e-5, `${backend} sigmoid`);
    assertEquals(tf.memory().numTensors, n0);
  });
}

Deno.test("FastLSTM without an initial state, without returned states, and returning only the last output matches tfjs's LSTM", async () => {
  await useBackend("wasm");
  for (const [returnSequences, returnState] of [[false, false], [true, false], [false, true]]) {
    const res = compareWithStock({ units: 5, returnSequences, returnState }, { b: 2, t: 7, d: 3 }, false);
    assertAllBelow(res, 1e-5, `returnSequences=${returnSequences} returnState=${returnState}`);
  }
});

Deno.test("FastLSTM on wasm with XNNPACK matmuls (no OpenBLAS) matches tfjs's LSTM", async () => {
  await useBackend("wasm", false);
  const res = compareWithStock({ units: 8, returnSequences: true, returnState: true }, { b: 4, t: 2, d: 3 });
  assertAllBelow(res, 1e-5, "XNNPACK");
  await useBackend("wasm");
});

Deno.test("FastLSTM runs a single time step from given states as the one-step decoder does (forward equals tfjs's LSTM)", async () => {
  // (tfjs's own LSTM cannot be differentiated at T=1: its Unpack gradient gets a lone tensor)
  await useBackend("wasm");
  const args = {
    units: 4,
    recurrentActivation: "sigmoid",
    returnSequences: true,
    returnState: true,
  } as const;
  const stock = tf.layers.lstm(args), fast = fastLstm(args);
  const x = seeded([3, 1, 5], 71), h0 = seeded([3, 4], 72), c0 = seeded([3, 4], 73);
  const kw = { initialState: [h0, c0] };
  stock.apply(x, kw);
  fast.apply(x, kw);
  fast.setWeights(stock.getWeights().map((w, i) => tf.add(w, seeded(w.shape, 74 + i, 0.5))));
  stock.setWeights(fast.getWeights());
  const a = stock.apply(x, kw) as tf.Tensor[], b = fast.apply(x, kw) as tf.Tensor[];
  a.forEach((t, i) => assertLess(relDiff(t, b[i]), 1e-6, `output ${i}`));
  tf.dispose([...a, ...b, x, h0, c0]);
  stock.dispose();
  fast.dispose();
});

Deno.test("lstmSequence() equals a plain-JS LSTM with Keras's gate order and sigmoid gates (h_1..h_T, then c_T)", async () => {
  await useBackend("wasm");
  const b = 2, t = 3, d = 2, u = 2;
  const x = seeded([b, t, d], 5),
    w = seeded([d, 4 * u], 6),
    rw = seeded([u, 4 * u], 7),
    bias = seeded([4 * u], 8, 0.5);
  const h0 = seeded([b, u], 9), c0 = seeded([b, u], 11);
  const out = lstmSequence(
    x as tf.Tensor3D,
    w as tf.Tensor2D,
    rw as tf.Tensor2D,
    bias as tf.Tensor1D,
    h0 as tf.Tensor2D,
    c0 as tf.Tensor2D,
  );
  assertEquals(out.shape, [b, t + 1, u]);
  const got = out.arraySync() as number[][][];
  const xs = x.arraySync() as number[][][],
    h0s = h0.arraySync() as number[][],
    c0s = c0.arraySync() as number[][];
  for (let r = 0; r < b; r++) {
    const ref = referenceLstm(
      xs[r],
      w.arraySync() as number[][],
      rw.arraySync() as number[][],
      bias.arraySync() as number[],
      h0s[r],
      c0s[r],
    );
    for (let s = 0; s < t; s++) {
      for (let j = 0; j < u; j++) {
        assertLess(Math.abs(got[r][s][j] - ref.hs[s][j]), 1e-5, `h[${r},${s},${j}]`);
      }
    }
    for (let j = 0; j < u; j++) assertLess(Math.abs(got[r][t][j] - ref.c[j]), 1e-5, `c[${r},${j}]`);
  }
  tf.dispose([out, x, w, rw, bias, h0, c0]);
});

Deno.test("lstmSequence() rejects weights that do not fit the input, naming the shapes", async () => {
  await useBackend("cpu");
  const x = tf.zeros([2, 3, 4]) as tf.Tensor3D, h = tf.zeros([2, 5]) as tf.Tensor2D;
  assertThrows(
    () =>
      lstmSequence(
        x,
        tf.zeros([3, 20]) as tf.Tensor2D,
        tf.zeros([5, 20]) as tf.Tensor2D,
        tf.zeros([20]),
        h,
        h,
      ),
    Error,
    "kernel [3,20]",
  );
  tf.dispose([x, h]);
});

Deno.test("FastLSTM in training draws its input-dropout masks as tfjs does: same seed, same outputs and gradients", async () => {
  await useBackend("wasm");
  const args = {
    units: 6,
    recurrentActivation: "sigmoid",
    returnSequences: true,
    returnState: true,
    dropout: 0.4,
  } as const;
  const stock = tf.layers.lstm(args), fast = fastLstm(args);
  const x = seeded([3, 5, 4], 21);
  // seeded initial weights: with whatever Math.random held before, the dropout check below depended on chance
  seedEverything(3, 0);
  stock.apply(x);
  fast.apply(x);
  fast.setWeights(stock.getWeights());
  const run = (layer: tf.layers.Layer, training: boolean) => {
    seedEverything(7, 1);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const [s, h, c] = layer.apply(x, { training }) as tf.Tensor[];
      return tf.addN([tf.sum(tf.mul(s, seeded(s.shape, 22))), tf.sum(h), tf.sum(tf.mul(c, c))]) as tf.Scalar;
    }, vars);
    return [value, ...vars.map((v) => grads[v.name])];
  };
  const a = run(stock, true), r = run(fast, true);
  a.forEach((t, i) => assertLess(relDiff(t, r[i]), 1e-5, `training tensor ${i}`));
  // dropout really acted: the outputs differ from inference (no dropout). Compared on the sequence, not on the
  // scalar loss, whose terms can cancel
  const seq = (layer: tf.layers.Layer, training: boolean) => {
    seedEverything(7, 1);
    const [s, h, c] = layer.apply(x, { training }) as tf.Tensor[];
    const v = s.dataSync();
    tf.dispose([s, h, c]);
    return v;
  };
  const trainSeq = seq(fast, true), infSeq = seq(fast, false);
  const moved = Math.max(...trainSeq.map((v, i) => Math.abs(v - infSeq[i])));
  assert(moved > 0.05, `dropout changes the training outputs (largest change ${moved})`);
  const inf = run(fast, false);
  const stockInf = run(stock, false);
  assertLess(relDiff(stockInf[0], inf[0]), 1e-5);
  tf.dispose([...a, ...r, ...inf, ...stockInf, x]);
  stock.dispose();
  fast.dispose();
});

Deno.test("FastLSTM reports why it cannot take the fast path and then uses tfjs's implementation", async () => {
  await useBackend("cpu");
  const l = fastLstm({
    units: 3,
    recurrentActivation: "sigmoid",
    recurrentDropout: 0.2,
    returnSequences: true,
  });
  assertEquals(l.fastPathBlocker(), "recurrentDropout");
  assertEquals(fastLstm({ units: 3, activation: "relu" }).fastPathBlocker(), "activation relu");
  // tfjs's default gates (hardSigmoid, Keras before 2.3) are not the model's: tfjs's own implementation runs them
  assertEquals(fastLstm({ units: 3 }).fastPathBlocker(), "recurrentActivation hardSigmoid");
  assertEquals(fastLstm({ units: 3, recurrentActivation: "sigmoid" }).fastPathBlocker(), "");
  // each blocked layer gives exactly what tfjs's LSTM with the same settings and weights gives
  const blocked = [
    { units: 3, recurrentActivation: "sigmoid" as const, recurrentDropout: 0.2, returnSequences: true },
    { units: 3, activation: "relu" as const, returnSequences: true },
    { units: 3, returnSequences: true },
  ];
  for (const args of blocked) {
    const fast = args === blocked[0] ? l : fastLstm(args), stock = tf.layers.lstm(args);
    const x = tf.randomNormal([2, 4, 3], 0, 1, "float32", 7);
    tf.dispose([stock.apply(x) as tf.Tensor, fast.apply(x) as tf.Tensor]); // build both
    fast.setWeights(stock.getWeights());
    const [want, got] = [stock.apply(x) as tf.Tensor, fast.apply(x) as tf.Tensor];
    assertEquals(got.shape, [2, 4, 3]);
    assertEquals(got.dataSync(), want.dataSync(), fast.fastPathBlocker());
    tf.dispose([x, want, got]);
    fast.dispose();
    stock.dispose();
  }
});

Deno.test("a fast layer saves as its stock class: model.json names LSTM and TimeDistributed, and loads as tfjs's own", async () => {
  await useBackend("cpu");
  const inp = tf.input({ shape: [4, 3] });
  const [seq] = tf.layers.lstm({
    units: 5,
    recurrentActivation: "sigmoid",
    returnSequences: true,
    returnState: true,
    name: "enc",
  }).apply(inp) as tf.SymbolicTensor[];
  const out = tf.layers.timeDistributed({
    layer: tf.layers.dense({ units: 2, activation: "softmax" }),
    name: "td",
  })
    .apply(seq) as tf.SymbolicTensor;
  const model = accelerate(tf.model({ inputs: inp, outputs: out }));
  assert(model.getLayer("enc") instanceof FastLSTM);
  assert(model.getLayer("td") instanceof FastTimeDistributed);
  const json = model.toJSON(undefined, false) as {
    config: { layers: { class_name: string; name: string }[] };
  };
  const classes = Object.fromEntries(json.config.layers.map((l) => [l.name, l.class_name]));
  assertEquals([classes.enc, classes.td], ["LSTM", "TimeDistributed"]);
  // weights keep the stock layers' names and shapes
  assertEquals(model.getLayer("enc").weights.map((w) => [w.originalName, w.shape]), [
    ["enc/kernel", [3, 20]],
    ["enc/recurrent_kernel", [5, 20]],
    ["enc/bias", [20]],
  ]);
  const again = await tf.models.modelFromJSON({
    modelTopology: model.toJSON(undefined, false) as tf.io.ModelJSON["modelTopology"],
  });
  assert(!(again.getLayer("enc") instanceof FastLSTM), "loads as tfjs's LSTM");
  again.setWeights(model.getWeights());
  const x = seeded([2, 4, 3], 31);
  const y1 = model.predict(x) as tf.Tensor, y2 = again.predict(x) as tf.Tensor;
  assertLess(relDiff(y1, y2), 1e-6);
  tf.dispose([x, y1, y2]);
  model.dispose();
  again.dispose();
});

Deno.test("accelerate() turns a built model's layers into their fast twins in place, keeping every weight, and back", async () => {
  await useBackend("wasm");
  const cfg = resolveConfig("tiny", { encoderLayers: 2 });
  const model = buildSeq2Seq(cfg);
  const weights = model.getWeights().map((w) => w.dataSync().slice());
  const ids = model.getWeights().map((w) => w.id);
  assertEquals(fastPaths(model).map((p) => p.implementation), [
    "LSTM",
    "LSTM",
    "LSTM",
    "BahdanauAttention",
    "TimeDistributed",
  ]);
  assertEquals(formatFastPaths(model), "fast layers: none (tfjs's own layers)");
  assert(accelerate(model) === model, "the same model object");
  assertEquals(fastPaths(model).map((p) => [p.layer, p.implementation, p.savedAs]), [
    ["encoder_lstm_1", "FastLSTM", "LSTM"],
    ["encoder_lstm_2", "FastLSTM", "LSTM"],
    ["decoder_lstm", "FastLSTM", "LSTM"],
    ["attention", "FastBahdanauAttention", "BahdanauAttention"],
    ["output_softmax", "FastTimeDistributed", "TimeDistributed"],
  ]);
  assert(model.getLayer("attention") instanceof FastBahdanauAttention);
  assertEquals(
    formatFastPaths(model),
    "fast layers: FastLSTM (encoder_lstm_1, encoder_lstm_2, decoder_lstm), FastBahdanauAttention (attention), " +
      "FastTimeDistributed (output_softmax)",
  );
  assertEquals(model.getWeights().map((w) => w.id), ids, "the same weight tensors");
  assertEquals(model.getWeights().map((w) => w.dataSync().slice()), weights);
  // what is saved is the stock model
  const topology = JSON.stringify((await modelArtifacts(model)).modelTopology);
  assert(!topology.includes("Fast"), "model.json names no fast class");
  accelerate(model); // again: nothing changes
  assertEquals(fastPaths(model).filter((p) => p.implementation.startsWith("Fast")).length, 5);
  accelerate(model, { layers: false });
  assertEquals(fastPaths(model).every((p) => p.implementation === p.savedAs), true);
  model.dispose();
});

Deno.test("accelerate() leaves an LSTM whose configuration it does not implement stock, and says why", async () => {
  await useBackend("cpu");
  const inp = tf.input({ shape: [4, 3] });
  const out = tf.layers.lstm({ units: 2, name: "hard" }).apply(inp) as tf.SymbolicTensor; // tfjs's hardSigmoid
  const model = accelerate(tf.model({ inputs: inp, outputs: out }));
  assertEquals(fastPaths(model), [
    {
      layer: "hard",
      savedAs: "LSTM",
      implementation: "LSTM",
      why: "recurrentActivation hardSigmoid",
      kernel: "",
    },
  ]);
  assertEquals(
    formatFastPaths(model),
    "fast layers: none (tfjs's own layers); stock: hard (recurrentActivation hardSigmoid)",
  );
  model.dispose();
});

Deno.test("fastPaths() says which fast layers compose ops for want of a kernel, and keeps attention of odd units stock", async () => {
  await useBackend("wasm");
  const model = accelerate(buildSeq2Seq(resolveConfig("tiny", { attentionUnits: 6 })));
  const byLayer = Object.fromEntries(fastPaths(model).map((p) => [p.layer, p]));
  assertEquals(byLayer["decoder_lstm"].kernel, "LstmSequence");
  assertEquals(byLayer["attention"], {
    layer: "attention",
    savedAs: "BahdanauAttention",
    implementation: "BahdanauAttention",
    why: "attention units 6 not a multiple of 4",
    kernel: "",
  });
  assertEquals(
    formatFastPaths(model).endsWith("; stock: attention (attention units 6 not a multiple of 4)"),
    true,
  );
  await useBackend("cpu"); // no kernels of ours on tfjs's cpu backend: the fast LSTM composes tfjs ops
  assertEquals(byLayer["decoder_lstm"].implementation, "FastLSTM");
  assertEquals(fastPaths(model).find((p) => p.layer === "decoder_lstm")!.kernel, "");
  assertStringIncludes(formatFastPaths(model), "composed ops: no LstmSequence kernel on cpu");
  model.dispose();
});

Deno.test("FastTimeDistributed(Dense softmax) equals tfjs's TimeDistributed: outputs and gradients", async () => {
  await useBackend("wasm");
  const stock = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 7, activation: "softmax" }) });
  const fast = new FastTimeDistributed({ layer: tf.layers.dense({ units: 7, activation: "softmax" }) });
  const x = seeded([3, 4, 5], 41), r = seeded([3, 4, 7], 42);
  stock.apply(x);
  fast.apply(x);
  fast.setWeights(stock.getWeights().map((w, i) => tf.add(w, seeded(w.shape, 43 + i))));
  stock.setWeights(fast.getWeights());
  const run = (l: tf.layers.Layer) => {
    const vars = l.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (xx: tf.Tensor) => tf.sum(tf.mul(l.apply(xx) as tf.Tensor, r)) as tf.Scalar;
    const [dx] = tf.grads(f)([x]);
    const { grads } = tf.variableGrads(() => f(x), vars);
    return [l.apply(x) as tf.Tensor, dx, ...vars.map((v) => grads[v.name])];
  };
  const a = run(stock), b = run(fast);
  a.forEach((t, i) => assertLess(relDiff(t, b[i]), 1e-5, `tensor ${i}`));
  tf.dispose([...a, ...b, x, r]);
  stock.dispose();
  fast.dispose();
});

Deno.test("FastTimeDistributed.onRows() computes the chosen rows only: those rows of the full output, the same gradients, then all rows again", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const fast = new FastTimeDistributed({ layer: tf.layers.dense({ units: 7 }) });
    const x = seeded([3, 4, 5], 51);
    const full = fast.apply(x) as tf.Tensor; // (3, 4, 7): builds the layer
    const rows = tf.tensor1d([0, 3, 5, 6, 11], "int32"); // flat b * 4 + t
    const r = seeded([5, 7], 52);
    const part = fast.onRows(rows, () => fast.apply(x) as tf.Tensor);
    assertEquals(part.shape, [1, 5, 7]);
    assertLess(relDiff(part, tf.reshape(tf.gather(tf.reshape(full, [12, 7]), rows), [1, 5, 7])), 1e-6);
    // the gradient through the chosen rows equals the full output's with the other rows weighted 0
    const rFull = tf.reshape(tf.scatterND(tf.reshape(rows, [5, 1]), r, [12, 7]), [3, 4, 7]);
    const vars = fast.trainableWeights.map((w) => w.read() as tf.Variable);
    const gradsOf = (f: (xx: tf.Tensor) => tf.Scalar) => {
      const [dx] = tf.grads(f)([x]);
      const { grads } = tf.variableGrads(() => f(x), vars);
      return [dx, ...vars.map((v) => grads[v.name])];
    };
    const a = gradsOf((xx) =>
      fast.onRows(rows, () => tf.sum(tf.mul(tf.reshape(fast.apply(xx) as tf.Tensor, [5, 7]), r)) as tf.Scalar)
    );
    const b = gradsOf((xx) => tf.sum(tf.mul(fast.apply(xx) as tf.Tensor, rFull)) as tf.Scalar);
    a.forEach((t, i) => assertLess(relDiff(t, b[i]), 1e-5, `${backend}: gradient ${i}`));
    assertEquals((fast.apply(x) as tf.Tensor).shape, [3, 4, 7], "all rows again after onRows");
    tf.dispose([...a, ...b, x, full, rows, r, part, rFull]);
    fast.dispose();
  }
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`Seq2Seq with fast layers gives the stock model's loss and gradients (same weights, dropout on, ${backend})`, async () => {
    await useBackend(backend);
    const cfg = resolveConfig("tiny", { maxInputLen: 12, maxOutputLen: 6, encoderLayers: 2, dropout: 0.3 });
    const stock = buildSeq2Seq(cfg), fast = accelerate(buildSeq2Seq(cfg), { layers: true });
    assert(fast.getLayer("encoder_lstm_1") instanceof FastLSTM);
    assert(fast.getLayer("output_softmax") instanceof FastTimeDistributed);
    assertEquals(fast.countParams(), stock.countParams());
    fast.setWeights(stock.getWeights().map((w, i) => tf.add(w, seeded(w.shape, 50 + i, 0.05))));
    stock.setWeights(fast.getWeights());
    const b = 4;
    const tok = (t: number, seed: number, pad: number) =>
      tf.tidy(() => {
        const v = tf.floor(tf.add(tf.mul(tf.abs(seeded([b, t], seed)), 100), 1)).arraySync() as number[][];
        v.forEach((row) => row.fill(0, t - pad));
        return tf.tensor2d(v, [b, t], "int32");
      });
    const enc = tok(12, 61, 3), dec = tok(6, 62, 1), tgt = tok(6, 63, 2);
    const run = (m: tf.LayersModel) => {
      seedEverything(3, 9);
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => maskedLoss(m.apply([enc, dec], { training: true }) as tf.Tensor3D, tgt),
        vars,
      );
      return [value, ...vars.map((v) => grads[v.name])];
    };
    const a = run(stock), r = run(fast);
    assertEquals(a.length, r.length);
    assertLess(relDiff(a[0], r[0]), 1e-5, `loss ${a[0].dataSync()[0]} vs ${r[0].dataSync()[0]}`);
    for (let i = 1; i < a.length; i++) {
      assertLess(relDiff(a[i], r[i]), 1e-5, `gradient of ${stock.trainableWeights[i - 1].originalName}`);
    }
    tf.dispose([...a, ...r, enc, dec, tgt]);
    stock.dispose();
    fast.dispose();
  });
}

Deno.test("Inference models extracted from a fast-layer Seq2Seq give the stock model's encoder states and decoder step", async () => {
  await useBackend("wasm");
  const cfg = resolveConfig("tiny", { maxInputLen: 9, maxOutputLen: 4 });
  const stock = buildSeq2Seq(cfg), fast = accelerate(buildSeq2Seq(cfg), { layers: true });
  fast.setWeights(stock.getWeights().map((w, i) => tf.add(w, seeded(w.shape, 80 + i, 0.05))));
  stock.setWeights(fast.getWeights());
  const tokens = tf.tensor2d([[5, 9, 13, 2, 0, 0, 0, 0, 0], [7, 7, 8, 21, 30, 4, 11, 3, 0]], [2, 9], "int32");
  const prev = tf.tensor2d([[2], [2]], [2, 1], "int32");
  const run = (m: tf.LayersModel) => {
    const inf = extractInferenceModels(m);
    const enc = encode(inf, tokens);
    const step = decodeStep(inf, prev, enc, enc.h, enc.c);
    const out = [enc.states, enc.h, enc.c, step.probs, step.h, step.c, step.attention];
    return out;
  };
  const a = run(stock), b = run(fast);
  a.forEach((t, i) => assertLess(relDiff(t, b[i]), 1e-5, `inference tensor ${i}`));
  tf.dispose([...a, ...b, tokens, prev]);
  stock.dispose();
  fast.dispose();
});

Deno.test("lstmStep() computes one step from the weights exactly as the layer does (stock and fast layers)", async () => {
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  for (const make of [tf.layers.lstm, fastLstm]) {
    const layer = make({
      units: 6,
      recurrentActivation: "sigmoid",
      returnSequences: true,
      returnState: true,
    });
    tf.tidy(() => {
      const x = tf.randomNormal([3, 1, 5], 0, 1, "float32", 1);
      const h = tf.randomNormal([3, 6], 0, 1, "float32", 2),
        c = tf.randomNormal([3, 6], 0, 1, "float32", 3);
      const [, h1, c1] = layer.apply(x, { initialState: [h, c] }) as tf.Tensor[];
      const step = lstmStep(
        layer,
        tf.reshape(x, [3, 5]) as tf.Tensor2D,
        h as tf.Tensor2D,
        c as tf.Tensor2D,
      );
      assert(step !== null, layer.getClassName());
      assertLess(tf.max(tf.abs(tf.sub(step.h, h1))).dataSync()[0], 1e-6);
      assertLess(tf.max(tf.abs(tf.sub(step.c, c1))).dataSync()[0], 1e-6);
    });
    layer.dispose();
  }
  const relu = tf.layers.lstm({ units: 2, activation: "relu" });
  relu.apply(tf.zeros([1, 1, 3]));
  assertEquals(lstmStep(relu, tf.zeros([1, 3]), tf.zeros([1, 2]), tf.zeros([1, 2])), null); // not implemented here
  const hard = tf.layers.lstm({ units: 2 }); // tfjs's default hardSigmoid gates: the caller applies the layer
  hard.apply(tf.zeros([1, 1, 3]));
  assertEquals(lstmStep(hard, tf.zeros([1, 3]), tf.zeros([1, 2]), tf.zeros([1, 2])), null);
});
