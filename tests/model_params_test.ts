/**
 * Parameter counts of the Seq2Seq model: every layer's `countParams()` against `expectedParamCounts()` and
 * against an independent hand formula written gate by gate (kernel + recurrent kernel + bias per LSTM gate,
 * W1/W2/v for the attention), for the `paper` and `tiny` profiles, shared and separate embeddings, 1 and 3
 * encoder layers.
 */
import { assertEquals, assertMatch } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { type Config, resolveConfig } from "../lib/config.ts";
import { buildSeq2Seq, expectedParamCounts, LAYER } from "../lib/model/seq2seq.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import { formatSummary, modelSummary } from "../lib/model/summary.ts";

await tf.setBackend("cpu");

// Parameter counts do not depend on initial values, but tfjs's orthogonal initializer (a QR decomposition made
// of many small ops) takes minutes per 256x1024 recurrent kernel on the cpu backend. While a model is built
// here, the registered `Orthogonal` initializer draws plain normal values instead (same shapes, same counts).
type InitializerLike = { prototype: { apply: (shape: number[], dtype?: tf.DataType) => tf.Tensor } };

/** buildSeq2Seq(cfg) with the quick stand-in for the orthogonal initializer (restored afterwards). */
function build(cfg: Config): tf.LayersModel {
  const orthogonal = (tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown[]>)[
    "Orthogonal"
  ][0] as InitializerLike;
  const original = orthogonal.prototype.apply;
  orthogonal.prototype.apply = (shape, dtype) => tf.randomNormal(shape, 0, 1, dtype as "float32");
  try {
    return buildSeq2Seq(cfg);
  } finally {
    orthogonal.prototype.apply = original;
  }
}

/** Independent reference: counts per layer written out as the weight matrices each layer holds. */
function handCounts(cfg: Config): Record<string, number> {
  const V = cfg.vocabSize, d = cfg.embeddingDim, u = cfg.units, A = cfg.attentionUnits;
  // an LSTM has 4 gates (input, forget, cell, output); each gate: kernel in x u, recurrent u x u, bias u
  const lstm = (inDim: number) => {
    let n = 0;
    for (let gate = 0; gate < 4; gate++) n += inDim * u + u * u + u;
    return n;
  };
  const out: Record<string, number> = {};
  if (cfg.sharedEmbedding) out["embedding"] = V * d;
  else {
    out["encoder_embedding"] = V * d;
    out["decoder_embedding"] = V * d;
  }
  for (let i = 1; i <= cfg.encoderLayers; i++) out[`encoder_lstm_${i}`] = lstm(i === 1 ? d : u);
  out["decoder_lstm"] = lstm(d);
  out["attention"] = u * A + u * A + A; // W1 (decoder units x A), W2 (encoder units x A), v (A x 1)
  if (cfg.coverage) out["attention"] += A; // w_coverage (1 x A)
  out["concat"] = 0;
  out["output_softmax"] = 2 * u * V + V; // dense on [decoder output, context]: kernel 2u x V + bias V
  // the copy gate: one weight per context, decoder-output and decoder-input feature, and a bias
  if (cfg.copy) out["pointer_generator"] = u + u + d + 1;
  return out;
}

function layerCounts(model: tf.LayersModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of model.layers) {
    if (l.getClassName() === "InputLayer") continue;
    out[l.name] = l.countParams();
  }
  return out;
}

const CASES: [string, Partial<Record<keyof Config, unknown>>][] = [
  ["paper", {}],
  ["paper", { sharedEmbedding: true, encoderLayers: 1 }],
  ["tiny", {}],
  ["tiny", { sharedEmbedding: true }],
  ["tiny", { encoderLayers: 3 }],
  ["tiny", { sharedEmbedding: true, encoderLayers: 3, attentionUnits: 7 }],
  ["tiny", { copy: true }],
  ["tiny", { coverage: true, copy: true, sharedEmbedding: true }],
];

for (const [profile, overrides] of CASES) {
  const cfg = resolveConfig(profile, overrides);
  Deno.test(
    `every layer's countParams() equals the hand formula and expectedParamCounts() (${profile} ${
      JSON.stringify(overrides)
    })`,
    () => {
      const model = build(cfg);
      try {
        const actual = layerCounts(model);
        assertEquals(actual, handCounts(cfg));
        assertEquals(actual, expectedParamCounts(cfg));
        const total = Object.values(actual).reduce((s, n) => s + n, 0);
        assertEquals(model.countParams(), total);
      } finally {
        model.dispose();
      }
    },
  );
}

Deno.test("the FastLSTM variant (fastLayers) has the same per-layer counts as the hand formula", () => {
  const cfg = resolveConfig("tiny", { encoderLayers: 3 });
  const model = accelerate(build(cfg));
  try {
    assertEquals(layerCounts(model), handCounts(cfg));
  } finally {
    model.dispose();
  }
});

Deno.test("the paper profile has 9,043,088 parameters (separate embeddings, 3x256 encoder)", () => {
  const cfg = resolveConfig("paper");
  const hand = Object.values(handCounts(cfg)).reduce((s, n) => s + n, 0);
  // 2 x 10000 x 100 + 365,568 + 2 x 525,312 + 365,568 + 131,328 + 5,130,000
  assertEquals(hand, 9_043_088);
  assertEquals(Object.values(expectedParamCounts(cfg)).reduce((s, n) => s + n, 0), 9_043_088);
  const model = build(cfg);
  try {
    assertEquals(model.countParams(), 9_043_088);
  } finally {
    model.dispose();
  }
});

Deno.test("LAYER names are the ones the model carries", () => {
  const cfg = resolveConfig("tiny", { encoderLayers: 2 });
  const model = build(cfg);
  try {
    const names = model.layers.map((l) => l.name);
    for (
      const n of [
        LAYER.encoderInput,
        LAYER.decoderInput,
        LAYER.encoderEmbedding,
        LAYER.decoderEmbedding,
        LAYER.encoderLstm(0),
        LAYER.encoderLstm(1),
        LAYER.decoderLstm,
        LAYER.attention,
        LAYER.concat,
        LAYER.output,
      ]
    ) assertEquals(names.includes(n), true, `missing layer ${n}`);
  } finally {
    model.dispose();
  }
});

Deno.test("modelSummary() lists every layer with its parameters and the model total; formatSummary() prints it", () => {
  const cfg = resolveConfig("tiny", { vocabSize: 30, embeddingDim: 6, units: 8, attentionUnits: 5 });
  const model = build(cfg);
  try {
    const s = modelSummary(model);
    assertEquals(s.total, model.countParams());
    const byName = Object.fromEntries(s.rows.map((r) => [r.name, r.params]));
    const hand = handCounts(cfg);
    for (const [name, n] of Object.entries(hand)) assertEquals(byName[name], n, name);
    assertEquals(byName[LAYER.encoderInput], 0);
    assertEquals(s.rows.find((r) => r.name === LAYER.attention)?.type, "BahdanauAttention");
    const text = formatSummary(s);
    // attention: 8*5 + 8*5 + 5 = 85; output: 16*30 + 30 = 510
    assertMatch(text, /^attention\s+BahdanauAttention\s.*\s85$/m);
    assertMatch(text, /^output_softmax\s+TimeDistributed\s.*\s510$/m);
    assertMatch(text, new RegExp(`^total\\s+${s.total.toLocaleString("en-US")}$`, "m"));
  } finally {
    model.dispose();
  }
});
