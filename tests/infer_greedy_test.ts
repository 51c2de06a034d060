/**
 * Greedy decoding: the batched decoder gives the one-at-a-time loop's outputs, each output is the argmax of the
 * training model under teacher forcing of that output, decoding always ends within maxLen, and no tensor leaks.
 */
import {
  assertAlmostEquals,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { EOS, PAD } from "../lib/data/tokenizer.ts";
import { beamSearch, modelStepper } from "../lib/infer/beam.ts";
import { type Decoded, greedyDecodeBatch, greedyDecodeLoop } from "../lib/infer/greedy.ts";
import { extractInferenceModels, type InferenceModels } from "../lib/infer/models.ts";
import {
  encoderRows,
  mixedModel,
  shiftOutputBias,
  teacherForcedProbs,
  tinyConfig,
  tinyModel,
} from "./fixtures/tiny_seq2seq.ts";

await tf.setBackend("cpu");

const CFG = tinyConfig();
const TIN = CFG.maxInputLen, TOUT = CFG.maxOutputLen;

async function loopAll(
  inf: InferenceModels,
  rows: Int32Array,
  n: number,
  maxLen: number,
): Promise<Decoded[]> {
  const out: Decoded[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await greedyDecodeLoop(inf, rows.subarray(i * TIN, (i + 1) * TIN), maxLen));
  }
  return out;
}

function checkAttention(d: Decoded, row: Int32Array): void {
  assertEquals(d.attention.length, d.ids.length, "one attention row per generated token");
  for (const w of d.attention) {
    assertEquals(w.length, TIN);
    assertAlmostEquals(w.reduce((s, x) => s + x, 0), 1, 1e-5);
    for (let t = 0; t < TIN; t++) if (row[t] === PAD) assertEquals(w[t], 0);
  }
}

Deno.test("greedyDecodeBatch() equals greedyDecodeLoop() on 12 inputs with batchSize 5 (ids, attention, logProb)", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  const n = 12, rows = encoderRows(n, CFG);
  const batched = await greedyDecodeBatch(inf, rows, n, { maxLen: TOUT, batchSize: 5 });
  const loop = await loopAll(inf, rows, n, TOUT);
  assertEquals(batched.length, n);
  // the case is not trivial: several lengths, finished and unfinished outputs
  assertGreaterOrEqual(new Set(batched.map((d) => d.ids.length)).size, 3);
  assertEquals(new Set(batched.map((d) => d.finished)).size, 2);
  for (let i = 0; i < n; i++) {
    assertEquals(batched[i].ids, loop[i].ids, `ids of input ${i}`);
    assertEquals(batched[i].finished, loop[i].finished, `finished of input ${i}`);
    assertAlmostEquals(batched[i].logProb, loop[i].logProb, 1e-5, `logProb of input ${i}`);
    for (let t = 0; t < batched[i].attention.length; t++) {
      for (let s = 0; s < TIN; s++) {
        assertAlmostEquals(
          batched[i].attention[t][s],
          loop[i].attention[t][s],
          1e-6,
          `attention ${i},${t},${s}`,
        );
      }
    }
    checkAttention(batched[i], rows.subarray(i * TIN, (i + 1) * TIN));
  }
  model.dispose();
});

Deno.test("greedy output is the training model's argmax under teacher forcing of that output; logProb sums its log p", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  const n = 12, rows = encoderRows(n, CFG);
  const out = await greedyDecodeBatch(inf, rows, n, { maxLen: TOUT, batchSize: 5 });
  // teacher-force each result through the training model: position t predicts token t+1
  const probs = teacherForcedProbs(model, CFG, rows, out);
  for (let i = 0; i < n; i++) {
    const d = out[i];
    const emitted = d.finished ? [...d.ids, EOS] : d.ids.length < TOUT ? [...d.ids, PAD] : d.ids;
    let logProb = 0;
    emitted.forEach((id, t) => {
      const row = probs[i][t];
      assertEquals(row.indexOf(Math.max(...row)), id, `input ${i} step ${t}`);
      logProb += Math.log(row[id]);
    });
    assertAlmostEquals(d.logProb, logProb, 1e-4, `logProb of input ${i}`);
  }
  model.dispose();
});

Deno.test("a model that always predicts 0 (padding) stops at once: empty, unfinished outputs", async () => {
  const model = tinyModel(CFG, 5);
  shiftOutputBias(model, PAD, 100);
  const inf = extractInferenceModels(model);
  const rows = encoderRows(4, CFG);
  for (
    const d of [...await greedyDecodeBatch(inf, rows, 4, { maxLen: 50 }), ...await loopAll(inf, rows, 4, 50)]
  ) {
    assertEquals(d.ids, []);
    assertEquals(d.finished, false);
    assertAlmostEquals(d.logProb, 0, 1e-5);
  }
  model.dispose();
});

Deno.test("a model that never predicts eostok stops after exactly maxLen tokens (maxLen 12 > Tout 5)", async () => {
  const model = tinyModel(CFG, 6);
  shiftOutputBias(model, 7, 100);
  const inf = extractInferenceModels(model);
  const rows = encoderRows(6, CFG);
  const batched = await greedyDecodeBatch(inf, rows, 6, { maxLen: 12, batchSize: 4 });
  const loop = await loopAll(inf, rows, 6, 12);
  for (const [i, d] of [...batched, ...loop].entries()) {
    assertEquals(d.ids, new Array(12).fill(7));
    assertEquals(d.finished, false);
    checkAttention(d, rows.subarray((i % 6) * TIN, (i % 6 + 1) * TIN));
  }
  model.dispose();
});

Deno.test("greedyDecodeBatch() handles n = 0, n < batchSize and n = batchSize, and rejects a wrong row count", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  const rows = encoderRows(5, CFG);
  assertEquals(await greedyDecodeBatch(inf, new Int32Array(0), 0, { maxLen: TOUT }), []);
  const all = await greedyDecodeBatch(inf, rows, 5, { maxLen: TOUT, batchSize: 5 });
  const one = await greedyDecodeBatch(inf, rows, 5, { maxLen: TOUT, batchSize: 1 });
  const big = await greedyDecodeBatch(inf, rows, 5, { maxLen: TOUT });
  assertEquals(one.map((d) => d.ids), all.map((d) => d.ids));
  assertEquals(big.map((d) => d.ids), all.map((d) => d.ids));
  await assertRejects(() => greedyDecodeBatch(inf, rows, 4, { maxLen: TOUT }), Error, "is not 4 x 7");
  model.dispose();
});

Deno.test("decoding 100 inputs (batched, loop and beam) leaves tf.memory().numTensors unchanged", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  const n = 100, rows = encoderRows(n, CFG, 13);
  const row = (i: number) => rows.subarray(i * TIN, (i + 1) * TIN);
  const beam = async (i: number) => {
    const stepper = modelStepper(inf, row(i));
    try {
      return await beamSearch(stepper, { beamWidth: 3, lengthPenalty: 0.6, maxLen: TOUT });
    } finally {
      stepper.dispose();
    }
  };
  // warm up once: tfjs keeps a few tensors on the first call of each model
  await greedyDecodeBatch(inf, rows.subarray(0, 2 * TIN), 2, { maxLen: TOUT });
  await greedyDecodeLoop(inf, row(0), TOUT);
  await beam(0);
  const before = tf.memory().numTensors;
  const batched = await greedyDecodeBatch(inf, rows, n, { maxLen: TOUT, batchSize: 32 });
  assertEquals(tf.memory().numTensors, before, "batched");
  for (let i = 0; i < n; i++) await greedyDecodeLoop(inf, row(i), TOUT);
  assertEquals(tf.memory().numTensors, before, "loop");
  for (let i = 0; i < n; i++) await beam(i);
  assertEquals(tf.memory().numTensors, before, "beam");
  assertEquals(batched.length, n);
  for (const d of batched) assertLessOrEqual(d.ids.length, TOUT);
  model.dispose();
});
