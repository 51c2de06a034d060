// FastRMSProp (lib/speed/fast_rmsprop.ts) against tfjs's own RMSPropOptimizer: the same numbers, the same saved
// state, and never a write into a buffer another tensor holds.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLess } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { accelerateOptimizer, FastRMSProp, rmspropStats } from "../lib/speed/fast_rmsprop.ts";
import { makeOptimizer } from "../lib/train/loop.ts";
import { resolveConfig } from "../lib/config.ts";
import { runExperiment } from "../lib/experiment.ts";
import { mulberry32 } from "../lib/util/rng.ts";

const NO_NODE = ["/nonexistent/seq2seq-test/node_modules"];

function values(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rand = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale), shape);
}

/** Two identical sets of variables (a large output-layer-like kernel, a bias, a small matrix). */
function twoSets(): [tf.Variable[], tf.Variable[]] {
  const shapes = [[64, 500], [500], [7, 3]];
  const make = () => shapes.map((s, i) => tf.tidy(() => tf.variable(values(s, 10 + i))));
  return [make(), make()];
}

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(x[i])));
  return m;
}

/** Apply `steps` updates with seeded gradients to both sets, one optimizer each. */
function run(opt: tf.Optimizer, vars: tf.Variable[], steps: number) {
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      const grads: tf.NamedTensorMap = {};
      vars.forEach((v, i) => grads[v.name] = values(v.shape, 100 * s + i, 0.5 + s));
      opt.applyGradients(grads);
    });
  }
}

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`FastRMSProp gives tfjs's RMSprop weights and accumulators after 4 steps (${backend})`, async () => {
    await initBackend({ backend, blas: false, nodeModules: NO_NODE });
    const [a, b] = twoSets();
    const stock = tf.train.rmsprop(0.01, 0.9, 0, 1e-7), fast = new FastRMSProp(0.01, 0.9, 0, 1e-7);
    const before = { ...rmspropStats };
    run(stock, a, 4);
    run(fast, b, 4);
    // on wasm every variable took the one-pass update; elsewhere tfjs's own
    const fused = rmspropStats.fused - before.fused, composed = rmspropStats.composed - before.composed;
    assertEquals([fused, composed], backend === "wasm" ? [12, 0] : [0, 12]);
    a.forEach((v, i) => assertLess(maxRelDiff(v, b[i]), 1e-6, `variable ${i}`));
    const [ws, wf] = [await stock.getWeights(), await fast.getWeights()];
    // iterations, then each variable's /rms, then its /momentum
    const kinds = (ws: { name: string }[]) => ws.map((w) => w.name.replace(/^\d+\//, ""));
    assertEquals(kinds(wf), kinds(ws));
    assertEquals(wf.slice(1, 4).map((w) => w.name), b.map((v) => `${v.name}/rms`));
    ws.forEach((w, i) => assertLess(maxRelDiff(w.tensor, wf[i].tensor), 1e-6, w.name));
    assertEquals(wf[0].tensor.dataSync()[0], 4); // the iteration count
    stock.dispose();
    fast.dispose();
    tf.dispose([...a, ...b]);
  });
}

Deno.test("FastRMSProp never writes into a buffer a clone shares: a snapshot of the weights stays as it was", async () => {
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  const [a] = twoSets();
  const snapshot = a.map((v) => v.clone()); // on wasm a clone shares the variable's buffer (lib/backend/wasm_fast.ts)
  const copies = snapshot.map((t) => t.dataSync().slice());
  const fast = new FastRMSProp(0.01, 0.9, 0, 1e-7);
  const before = rmspropStats.composed;
  run(fast, a, 1);
  assertEquals(rmspropStats.composed - before, 3); // shared buffers: tfjs's update, which makes new ones
  snapshot.forEach((t, i) => assertEquals(t.dataSync(), copies[i]));
  // the variables moved, and from now on own their buffers: the next step is in place
  assert(maxRelDiff(a[0], snapshot[0]) > 1e-3);
  const fusedBefore = rmspropStats.fused;
  run(fast, a, 1);
  assertEquals(rmspropStats.fused - fusedBefore, 3);
  snapshot.forEach((t, i) => assertEquals(t.dataSync(), copies[i]));
  fast.dispose();
  tf.dispose([...a, ...snapshot]);
});

Deno.test("FastRMSProp resumes from tfjs's saved state and the other way round, and leaks no tensor", async () => {
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  const [a, b] = twoSets();
  const stock = tf.train.rmsprop(0.01, 0.9, 0, 1e-7);
  run(stock, a, 2);
  b.forEach((v, i) => v.assign(a[i]));
  const fast = new FastRMSProp(0.01, 0.9, 0, 1e-7);
  await fast.setWeights(await stock.getWeights());
  const n0 = tf.memory().numTensors;
  run(stock, a, 3);
  run(fast, b, 3);
  assertEquals(tf.memory().numTensors, n0 + 0); // updates in place: nothing new kept
  a.forEach((v, i) => assertLess(maxRelDiff(v, b[i]), 1e-6, `variable ${i}`));
  // the other way round: tfjs's RMSprop takes FastRMSProp's state (its names carry a numeric prefix) and goes on
  // as FastRMSProp does
  const stock2 = tf.train.rmsprop(0.01, 0.9, 0, 1e-7);
  await stock2.setWeights(await fast.getWeights());
  b.forEach((v, i) => a[i].assign(v));
  run(fast, b, 2);
  run(stock2, a, 2);
  a.forEach((v, i) => assertLess(maxRelDiff(v, b[i]), 1e-6, `variable ${i}, tfjs resumed from FastRMSProp`));
  const [wf, ws] = [await fast.getWeights(), await stock2.getWeights()];
  assertEquals(ws[0].tensor.dataSync()[0], 7, "tfjs's iteration count went on from FastRMSProp's 5");
  ws.slice(1).forEach((w, i) => assertLess(maxRelDiff(w.tensor, wf[i + 1].tensor), 1e-6, w.name));
  [stock, fast, stock2].forEach((o) => o.dispose());
  tf.dispose([...a, ...b]);
});

Deno.test("accelerateOptimizer() turns the loop's RMSprop into FastRMSProp with its settings, and leaves others be", async () => {
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  const fast = accelerateOptimizer(makeOptimizer({ learningRate: 0.005 }));
  // not `instanceof`: tfjs's optimizers answer it by duck typing, true for any optimizer
  assert(
    tf.train.adam(0.01) instanceof FastRMSProp,
    "tfjs's duck-typed instanceof (why this test checks classes)",
  );
  assertEquals(Object.getPrototypeOf(fast), FastRMSProp.prototype);
  // and it updates in one pass: the stats count the variable as fused
  const v = tf.tidy(() => tf.variable(tf.ones([2, 3])));
  const before = rmspropStats.fused;
  tf.tidy(() => fast.applyGradients({ [v.name]: tf.ones([2, 3]) }));
  assertEquals(rmspropStats.fused - before, 1);
  const cfg = fast.getConfig();
  assertEquals([cfg.learningRate, cfg.decay, cfg.momentum, cfg.epsilon], [0.005, 0.9, 0, 1e-7]);
  const adam = tf.train.adam(0.01);
  assertEquals(accelerateOptimizer(adam), adam);
  const centered = tf.train.rmsprop(0.01, 0.9, 0, 1e-7, true);
  assertEquals(accelerateOptimizer(centered), centered); // the one-pass update is the plain one only
  [fast, adam, centered].forEach((o) => o.dispose());
  v.dispose();
});

Deno.test("a run with the fast layers updates every weight with FastRMSProp's one pass, and without them tfjs's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fast_rmsprop_run_" });
  try {
    for (const fastLayers of [true, false]) {
      const cfg = resolveConfig("tiny", {
        resultsDir: dir,
        epochs: 1,
        evalExamples: 5,
        bootstrap: 0,
        fastLayers,
      });
      const before = { ...rmspropStats };
      const run = await runExperiment(cfg, { log: () => {} });
      const fused = rmspropStats.fused - before.fused, composed = rmspropStats.composed - before.composed;
      const steps = Math.ceil(run.data.encoded.train.n / cfg.batchSize) * cfg.epochs;
      const weights = run.model.trainableWeights.length;
      run.model.dispose();
      assertEquals([fused, composed], fastLayers ? [steps * weights, 0] : [0, 0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
