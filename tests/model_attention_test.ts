/**
 * The Bahdanau attention layer: a normalised, padding-masked distribution over encoder positions, a hand-computed
 * case in plain JavaScript, and (de)serialization through the registered class.
 */
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { BahdanauAttention } from "../lib/model/attention.ts";
import { randomTensor } from "./fixtures/tiny_seq2seq.ts";

await tf.setBackend("cpu");

/** Encoder tokens with padding: B=3 rows of Te=6, trailing zeros of different lengths (one row unpadded). */
const TOKENS = [
  [5, 9, 7, 0, 0, 0],
  [4, 4, 8, 6, 11, 3],
  [12, 0, 0, 0, 0, 0],
];

/** Run a synchronous test body inside tf.tidy and check that it leaves no tensor behind. */
function tidyTest(body: () => void): () => void {
  return () => {
    const before = tf.memory().numTensors;
    tf.tidy(body);
    assertEquals(tf.memory().numTensors, before, "tensors leaked");
  };
}

function applyLayer(layer: BahdanauAttention, dec: tf.Tensor, enc: tf.Tensor, tokens: tf.Tensor) {
  const [context, weights] = layer.apply([dec, enc, tokens]) as tf.Tensor[];
  return { context, weights };
}

Deno.test(
  "attention weights sum to 1 over encoder positions and padded positions get exactly 0",
  tidyTest(() => {
    const layer = new BahdanauAttention({ units: 5 });
    const dec = randomTensor([3, 4, 7], 1), enc = randomTensor([3, 6, 8], 2);
    const tokens = tf.tensor2d(TOKENS, [3, 6], "int32");
    const { context, weights } = applyLayer(layer, dec, enc, tokens);
    assertEquals(context.shape, [3, 4, 8]);
    assertEquals(weights.shape, [3, 4, 6]);
    const w = weights.arraySync() as number[][][];
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 4; t++) {
        const row = w[b][t];
        assertAlmostEquals(row.reduce((s, x) => s + x, 0), 1, 1e-6, `row ${b},${t}`);
        for (let s = 0; s < 6; s++) {
          if (TOKENS[b][s] === 0) assertEquals(row[s], 0, `padded position ${b},${t},${s}`);
          else assertEquals(row[s] > 0, true, `real position ${b},${t},${s} has weight ${row[s]}`);
        }
      }
    }
    tf.dispose([dec, enc, tokens, context, weights]);
    layer.dispose();
  }),
);

Deno.test(
  "changing the encoder states at padded positions changes neither the weights nor the context",
  tidyTest(() => {
    const layer = new BahdanauAttention({ units: 5 });
    const dec = randomTensor([3, 4, 7], 3), enc = randomTensor([3, 6, 7], 4);
    const tokens = tf.tensor2d(TOKENS, [3, 6], "int32");
    const padMask = tf.tensor3d(TOKENS.map((r) => r.map((x) => [x === 0 ? 1 : 0])), [3, 6, 1]);
    // replace every padded encoder state by large random values
    const noise = tf.mul(randomTensor([3, 6, 7], 5), 100);
    const enc2 = tf.add(tf.mul(enc, tf.sub(1, padMask)), tf.mul(noise, padMask));
    const a = applyLayer(layer, dec, enc, tokens), b = applyLayer(layer, dec, enc2, tokens);
    assertEquals(Array.from(b.weights.dataSync()), Array.from(a.weights.dataSync()));
    assertEquals(Array.from(b.context.dataSync()), Array.from(a.context.dataSync()));
    // sanity: the change did reach the layer's input
    assertEquals(tf.max(tf.abs(tf.sub(enc, enc2))).dataSync()[0] > 1, true);
    tf.dispose([dec, enc, enc2, noise, padMask, tokens, a.context, a.weights, b.context, b.weights]);
    layer.dispose();
  }),
);

Deno.test(
  "an input that is all padding still gives finite weights and context (no NaN)",
  tidyTest(() => {
    const layer = new BahdanauAttention({ units: 3 });
    const dec = randomTensor([1, 2, 4], 6), enc = randomTensor([1, 5, 4], 7);
    const tokens = tf.zeros([1, 5], "int32");
    const { context, weights } = applyLayer(layer, dec, enc, tokens);
    for (const x of [...weights.dataSync(), ...context.dataSync()]) assertEquals(Number.isFinite(x), true);
    tf.dispose([dec, enc, tokens, context, weights]);
    layer.dispose();
  }),
);

Deno.test(
  "a 2x2 hand-set case matches softmax(v^T tanh(W1 h + W2 e)) computed in plain JS",
  tidyTest(() => {
    const W1 = [[0.5, -0.3], [0.2, 0.8]]; // (Ud=2) x (A=2)
    const W2 = [[-0.7, 0.4], [0.6, 0.1]]; // (Ue=2) x (A=2)
    const v = [[1.5], [-0.9]]; // A x 1
    const hDec = [[0.3, -1.2], [1.0, 0.4]]; // Td=2 decoder states
    const hEnc = [[0.9, 0.1], [-0.5, 0.7], [0.2, -0.4], [3.0, 3.0]]; // Te=4 encoder states, the last one padded
    const tokens = [[7, 5, 9, 0]];

    // plain-JS reference
    const expectedW: number[][] = [], expectedC: number[][] = [];
    for (const h of hDec) {
      const scores = hEnc.slice(0, 3).map((e) => {
        let s = 0;
        for (let k = 0; k < 2; k++) {
          const pre = h[0] * W1[0][k] + h[1] * W1[1][k] + e[0] * W2[0][k] + e[1] * W2[1][k];
          s += v[k][0] * Math.tanh(pre);
        }
        return s;
      });
      const m = Math.max(...scores);
      const ex = scores.map((s) => Math.exp(s - m));
      const z = ex.reduce((a, b) => a + b, 0);
      const w = [...ex.map((x) => x / z), 0];
      expectedW.push(w);
      expectedC.push([0, 1].map((j) => w.reduce((acc, wi, i) => acc + wi * hEnc[i][j], 0)));
    }

    const layer = new BahdanauAttention({ units: 2 });
    const dec = tf.tensor3d([hDec]), enc = tf.tensor3d([hEnc]), tok = tf.tensor2d(tokens, [1, 4], "int32");
    const first = applyLayer(layer, dec, enc, tok); // builds the layer
    tf.dispose([first.context, first.weights]);
    assertEquals(layer.weights.map((w) => w.shape), [[2, 2], [2, 2], [2, 1]]);
    const set = [tf.tensor2d(W1), tf.tensor2d(W2), tf.tensor2d(v)];
    layer.setWeights(set);
    const { context, weights } = applyLayer(layer, dec, enc, tok);
    const gotW = weights.arraySync() as number[][][], gotC = context.arraySync() as number[][][];
    for (let t = 0; t < 2; t++) {
      for (let s = 0; s < 4; s++) assertAlmostEquals(gotW[0][t][s], expectedW[t][s], 1e-6, `w[${t}][${s}]`);
      for (let j = 0; j < 2; j++) assertAlmostEquals(gotC[0][t][j], expectedC[t][j], 1e-6, `ctx[${t}][${j}]`);
    }
    assertEquals(gotW[0][0][3], 0);
    tf.dispose([...set, dec, enc, tok, context, weights]);
    layer.dispose();
  }),
);

Deno.test(
  "the layer holds W1 (Ud x A), W2 (Ue x A), v (A x 1): A*(Ud+Ue+1) parameters",
  tidyTest(() => {
    const layer = new BahdanauAttention({ units: 4 });
    const dec = tf.zeros([1, 2, 3]), enc = tf.zeros([1, 5, 6]), tok = tf.ones([1, 5], "int32");
    const { context, weights } = applyLayer(layer, dec, enc, tok);
    assertEquals(layer.weights.map((w) => w.shape), [[3, 4], [6, 4], [4, 1]]);
    assertEquals(layer.countParams(), 4 * (3 + 6 + 1));
    assertEquals(context.shape, [1, 2, 6]);
    assertEquals(weights.shape, [1, 2, 5]);
    tf.dispose([dec, enc, tok, context, weights]);
    layer.dispose();
  }),
);

Deno.test("BahdanauAttention rejects units that are not a positive integer", () => {
  assertThrows(() => new BahdanauAttention({ units: 0 }), Error, "units must be a positive integer");
  assertThrows(() => new BahdanauAttention({ units: 2.5 }), Error, "units must be a positive integer");
});

Deno.test("getConfig() + the registered class's fromConfig() give an equivalent layer", () => {
  const entry = (tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown[]>)[
    "BahdanauAttention"
  ];
  assertEquals(entry !== undefined, true, "BahdanauAttention is registered");
  const [cls, fromConfig] = entry as [
    tf.serialization.SerializableConstructor<BahdanauAttention>,
    tf.serialization.FromConfigMethod<BahdanauAttention>,
  ];
  assertEquals(cls, BahdanauAttention as unknown);
  const layer = new BahdanauAttention({ units: 6, name: "my_attention" });
  const cfg = layer.getConfig();
  assertEquals(cfg.units, 6);
  assertEquals(cfg.name, "my_attention");
  const again = fromConfig(cls, cfg);
  assertEquals(again instanceof BahdanauAttention, true);
  assertEquals(again.units, 6);
  assertEquals(again.name, "my_attention");
  assertEquals(again.getConfig(), cfg);
});

Deno.test("a model with the layer survives toJSON() -> modelFromJSON() with identical outputs", async () => {
  const dec = tf.input({ shape: [3, 4] }), enc = tf.input({ shape: [5, 4] });
  const tok = tf.input({ shape: [5], dtype: "int32" });
  const outs = new BahdanauAttention({ units: 3, name: "att" }).apply([dec, enc, tok]) as tf.SymbolicTensor[];
  const model = tf.model({ inputs: [dec, enc, tok], outputs: outs });
  const json = model.toJSON(undefined, false) as tf.serialization.ConfigDict;
  const again = await tf.models.modelFromJSON({ modelTopology: json });
  assertEquals(again.getLayer("att").getClassName(), "BahdanauAttention");
  assertEquals((again.getLayer("att") as BahdanauAttention).units, 3);
  again.setWeights(model.getWeights());
  const tokens = tf.tensor2d([[3, 4, 5, 0, 0], [6, 7, 8, 9, 10]], [2, 5], "int32");
  const x = [randomTensor([2, 3, 4], 8), randomTensor([2, 5, 4], 9), tokens];
  const a = model.predict(x) as tf.Tensor[], b = again.predict(x) as tf.Tensor[];
  for (let i = 0; i < 2; i++) assertEquals(Array.from(b[i].dataSync()), Array.from(a[i].dataSync()));
  tf.dispose([...x, ...a, ...b]);
  model.dispose();
  again.dispose();
});
