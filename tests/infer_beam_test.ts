/**
 * Beam search: hand-made distributions where beam search beats greedy and where the length penalty decides,
 * the GNMT length penalty formula, width 1 = greedy on a real tiny model, and beam outputs on the real model
 * checked against the training model's own probabilities.
 */
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { EOS, PAD, SOS } from "../lib/data/tokenizer.ts";
import {
  beamScore,
  beamSearch,
  beamSearchBatch,
  type BeamStepper,
  lengthPenalty,
  modelStepper,
} from "../lib/infer/beam.ts";
import { initBackend } from "../lib/backend/choose.ts";
import { greedyDecodeBatch, greedyDecodeLoop } from "../lib/infer/greedy.ts";
import { blasStats, openBlas } from "../lib/backend/blas.ts";
import { skipUnlessAvailable } from "./fixtures/env.ts";
import { extractInferenceModels, type InferenceModels } from "../lib/infer/models.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import {
  encoderRows,
  mixedModel,
  shiftOutputBias,
  teacherForcedProbs,
  tinyConfig,
  tinyModel,
} from "./fixtures/tiny_seq2seq.ts";

await tf.setBackend("cpu");

const A = 4, B = 5, V = 6; // ids 0-3 are <pad>, <oov>, sostok, eostok

/** Next-token distribution given the tokens generated so far, as [token, probability] pairs. */
type Table = (prefix: number[]) => [number, number][];

/** A BeamStepper over a hand-written table; records the largest number of rows it was asked for. */
function tableStepper(table: Table): BeamStepper & { maxRows: number; calls: number } {
  let rows: number[][] | null = null;
  const stepper = {
    vocabSize: V,
    maxRows: 0,
    calls: 0,
    step(prev: Int32Array, parents: Int32Array) {
      stepper.calls++;
      const cur: number[][] = rows === null
        ? [[]] // the first call continues sostok
        : Array.from(parents, (p, i) => [...rows![p], prev[i]]);
      if (rows === null) assertEquals([...prev], [SOS]);
      rows = cur;
      stepper.maxRows = Math.max(stepper.maxRows, cur.length);
      const probs = new Float32Array(cur.length * V);
      cur.forEach((prefix, i) => {
        for (const [tok, p] of table(prefix)) probs[i * V + tok] = p;
      });
      return Promise.resolve({ probs, attention: null });
    },
    dispose() {},
  };
  return stepper;
}

/** Plain greedy decoding over a table (independent of lib/infer). */
function tableGreedy(table: Table, maxLen: number): { ids: number[]; logProb: number } {
  const ids: number[] = [];
  let logProb = 0;
  for (let t = 0; t < maxLen; t++) {
    const dist = table(ids);
    const [tok, p] = [...dist].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    logProb += Math.log(p);
    if (tok === EOS || tok === PAD) break;
    ids.push(tok);
  }
  return { ids, logProb };
}

// Greedy takes A (0.5) then eostok (0.4): p = 0.2. Beam (width 2) keeps B (0.4), whose eostok has 0.9: p = 0.36.
const BEATS_GREEDY: Table = (prefix) => {
  if (prefix.length === 0) return [[A, 0.5], [B, 0.4], [EOS, 0.1]];
  if (prefix.length === 1 && prefix[0] === A) return [[EOS, 0.4], [A, 0.3], [B, 0.3]];
  if (prefix.length === 1 && prefix[0] === B) return [[EOS, 0.9], [A, 0.05], [B, 0.05]];
  return [[EOS, 1]];
};

Deno.test("beam search (width 2) finds 'B eostok' (p 0.36) where greedy finds 'A eostok' (p 0.2)", async () => {
  const greedy = tableGreedy(BEATS_GREEDY, 5);
  assertEquals(greedy.ids, [A]);
  assertAlmostEquals(greedy.logProb, Math.log(0.5 * 0.4), 1e-6);

  const width1 = await beamSearch(tableStepper(BEATS_GREEDY), { beamWidth: 1, lengthPenalty: 0, maxLen: 5 });
  assertEquals(width1.ids, greedy.ids);
  assertAlmostEquals(width1.logProb, greedy.logProb, 1e-6);

  const stepper = tableStepper(BEATS_GREEDY);
  const beam = await beamSearch(stepper, { beamWidth: 2, lengthPenalty: 0, maxLen: 5 });
  assertEquals(beam.ids, [B]);
  assertEquals(beam.finished, true);
  assertAlmostEquals(beam.logProb, Math.log(0.4 * 0.9), 1e-6);
  assertAlmostEquals(beam.score, beam.logProb, 1e-12); // alpha 0: the score is the log-probability
  assertGreater(beam.logProb, greedy.logProb);
  assertLessOrEqual(stepper.maxRows, 2);
});

Deno.test("lengthPenalty() is ((5 + len) / 6)^alpha and beamScore() divides the log-probability by it", () => {
  assertEquals(lengthPenalty(1, 0.6), 1);
  assertEquals(lengthPenalty(9, 0), 1);
  assertAlmostEquals(lengthPenalty(7, 0.6), Math.pow(2, 0.6), 1e-12); // (5+7)/6 = 2 -> 1.5157
  assertAlmostEquals(lengthPenalty(7, 0.6), 1.515716566, 1e-9);
  assertAlmostEquals(lengthPenalty(4, 2), 2.25, 1e-12); // (9/6)^2
  assertAlmostEquals(beamScore(-3, 7, 0.6), -3 / 1.515716566, 1e-9);
  assertEquals(beamScore(-3, 7, 0), -3);
});

// 'eostok' at once: p 0.5. 'A A A eostok': 0.4 * 0.9 * 0.9 * 0.9 = 0.2916.
const LENGTH_DECIDES: Table = (prefix) => {
  const n = prefix.length;
  if (n === 0) return [[EOS, 0.5], [A, 0.4], [B, 0.1]];
  if (prefix[0] === B) return [[EOS, 1]];
  if (n < 3) return [[A, 0.9], [EOS, 0.1]];
  if (n === 3) return [[EOS, 0.9], [A, 0.1]];
  return [[EOS, 1]];
};

Deno.test("the length penalty decides: alpha 0 keeps 'eostok' (p 0.5), alpha 2 prefers 'A A A eostok'", async () => {
  const short = await beamSearch(tableStepper(LENGTH_DECIDES), { beamWidth: 2, lengthPenalty: 0, maxLen: 6 });
  assertEquals(short.ids, []);
  assertEquals(short.finished, true);
  assertAlmostEquals(short.score, Math.log(0.5), 1e-6);

  const long = await beamSearch(tableStepper(LENGTH_DECIDES), { beamWidth: 2, lengthPenalty: 2, maxLen: 6 });
  assertEquals(long.ids, [A, A, A]);
  assertEquals(long.finished, true);
  assertAlmostEquals(long.logProb, Math.log(0.2916), 1e-6);
  // len counts eostok: 4 -> lp = (9/6)^2 = 2.25; score -0.5477 beats 'eostok' alone: log(0.5) / 1 = -0.6931
  assertAlmostEquals(long.score, Math.log(0.2916) / 2.25, 1e-6);
  assertGreater(long.score, Math.log(0.5));
});

// Step 1 ranks <pad> and eostok (0.3 each) above A (0.21) and B (0.19). With alpha 1 the best summary is
// 'B x9 eostok': log(0.19 * 0.99^8) / ((5 + 10) / 6) = -0.6964, better than 'eostok' alone (log 0.3 = -1.204)
// or anything through A (A is followed by <pad> only). Width 2 must keep A and B after step 1.
const PAD_AND_EOS_ON_TOP: Table = (prefix) => {
  const n = prefix.length;
  if (n === 0) return [[PAD, 0.3], [EOS, 0.3], [A, 0.21], [B, 0.19]];
  if (prefix[0] === A) return [[PAD, 1]];
  if (n < 9) return [[B, 0.99], [EOS, 0.01]];
  return [[EOS, 1]];
};

Deno.test("beam search keeps beamWidth continuations even when <pad> and eostok are both among a row's best", async () => {
  const best = await beamSearch(tableStepper(PAD_AND_EOS_ON_TOP), {
    beamWidth: 2,
    lengthPenalty: 1,
    maxLen: 10,
  });
  assertEquals(best.ids, new Array(9).fill(B));
  assertAlmostEquals(best.score, Math.log(0.19 * Math.pow(0.99, 8)) / 2.5, 1e-5);
});

Deno.test("beam search on a table never asks for more than beamWidth rows and stops within maxLen steps", async () => {
  const loop: Table = () => [[A, 0.6], [B, 0.4]]; // never ends by itself
  const stepper = tableStepper(loop);
  const best = await beamSearch(stepper, { beamWidth: 3, lengthPenalty: 0.6, maxLen: 7 });
  assertEquals(best.ids, new Array(7).fill(A));
  assertEquals(best.finished, false);
  assertAlmostEquals(best.logProb, 7 * Math.log(0.6), 1e-5);
  assertEquals(stepper.calls, 7);
  assertLessOrEqual(stepper.maxRows, 3);
});

// After sostok: eostok 0.5, A 0.3, B 0.2; after anything else eostok 0.5, A and B 0.25 each (nothing ends by itself
// but eostok). Width 2: step 1 finishes 'eostok' (0.5), step 2 finishes 'A eostok' (0.15) and 'B eostok' (0.1) and
// keeps 'A A' and 'A B' (0.075), which can only fall further: no alive hypothesis can beat 'eostok' alone.
const ENDS_AT_ONCE: Table = (prefix) =>
  prefix.length === 0 ? [[EOS, 0.5], [A, 0.3], [B, 0.2]] : [[EOS, 0.5], [A, 0.25], [B, 0.25]];

/**
 * Beam search without early stopping, independent of lib/infer: every step until `maxLen` or until no hypothesis is
 * alive, the best `width` continuations kept (eostok and <pad> end theirs), then the best by beamScore() of all.
 * `steps`: the table lookups' steps it ran.
 */
function tableBeamToTheEnd(table: Table, width: number, alpha: number, maxLen: number) {
  type H = { ids: number[]; logProb: number; finished: boolean; len: number };
  let alive: H[] = [{ ids: [], logProb: 0, finished: false, len: 0 }];
  const done: H[] = [];
  let steps = 0;
  for (; steps < maxLen && alive.length > 0; steps++) {
    // Math.fround: the stepper hands the search float32 probabilities
    const cands = alive.flatMap((h, from) =>
      table(h.ids).map(([tok, p]) => ({ h, from, tok, logProb: h.logProb + Math.log(Math.fround(p)) }))
    ).sort((a, b) => b.logProb - a.logProb || a.from - b.from || a.tok - b.tok);
    const next: H[] = [];
    for (const { h, tok, logProb } of cands) {
      if (next.length >= width) break;
      const ends = tok === EOS || tok === PAD;
      (ends ? done : next).push({
        ids: ends ? h.ids : [...h.ids, tok],
        logProb,
        finished: tok === EOS,
        len: h.len + 1,
      });
    }
    alive = next;
  }
  let best = [...done, ...alive][0];
  for (const h of [...done, ...alive]) {
    if (beamScore(h.logProb, h.len, alpha) > beamScore(best.logProb, best.len, alpha)) best = h;
  }
  return { ...best, score: beamScore(best.logProb, best.len, alpha), steps };
}

/**
 * A random next-token table by `seed`: every token but sostok possible, often one far likelier than the others,
 * <pad> rarely, eostok likelier as the summary grows.
 */
function randomTable(seed: number): Table {
  return (prefix) => {
    const rand = mulberry32(prefix.reduce((h, tok) => (h * 31 + tok) >>> 0, seed * 7919 + 1));
    const toks = [PAD, 1, EOS, A, B];
    const ending = { [PAD]: 0.1, [EOS]: prefix.length / 4 } as Record<number, number>;
    const w = toks.map((tok) => (0.02 + rand() ** 4) * (ending[tok] ?? 1));
    const sum = w.reduce((a, x) => a + x, 0);
    return toks.map((tok, i) => [tok, w[i] / sum]);
  };
}

Deno.test("beam search stops early once no alive hypothesis can beat the best finished one: 2 steps of maxLen 20", async () => {
  const stepper = tableStepper(ENDS_AT_ONCE);
  const best = await beamSearch(stepper, { beamWidth: 2, lengthPenalty: 0, maxLen: 20 });
  assertEquals([best.ids, best.finished], [[], true]);
  assertAlmostEquals(best.logProb, Math.log(0.5), 1e-6);
  assertEquals(stepper.calls, 2);
  // searched to the end, the result is the same, after all 20 steps
  const full = tableBeamToTheEnd(ENDS_AT_ONCE, 2, 0, 20);
  assertEquals([full.ids, full.finished, full.logProb, full.steps], [
    best.ids,
    best.finished,
    best.logProb,
    20,
  ]);
});

Deno.test("beam search's early stop changes no result: 540 searches on random tables equal searches run to maxLen", async () => {
  const maxLen = 10;
  const result = (d: { ids: number[]; finished: boolean; logProb: number; score: number }) => [
    d.ids,
    d.finished,
    d.logProb,
    d.score,
  ];
  let stoppedEarly = 0;
  for (let seed = 0; seed < 60; seed++) {
    const table = randomTable(seed);
    for (const beamWidth of [1, 2, 3]) {
      for (const lengthPenalty of [0, 0.8, 3]) {
        const what = `seed ${seed}, width ${beamWidth}, alpha ${lengthPenalty}`;
        const stepper = tableStepper(table);
        const got = await beamSearch(stepper, { beamWidth, lengthPenalty, maxLen });
        const want = tableBeamToTheEnd(table, beamWidth, lengthPenalty, maxLen);
        assertEquals(result(got), result(want), what);
        assertLessOrEqual(stepper.calls, want.steps, what);
        if (stepper.calls < want.steps) stoppedEarly++;
      }
    }
  }
  // the early stop was taken often enough for the equality to mean something (388 of the 540 searches stop early;
  // alpha 3 makes late long summaries win, so a bound that forgets the length penalty's growth stops too soon)
  assertGreater(stoppedEarly, 300);
});

// ---- the real tiny model ----

const CFG = tinyConfig();
const TIN = CFG.maxInputLen, TOUT = CFG.maxOutputLen;

async function beamOn(
  inf: InferenceModels,
  row: Int32Array,
  beamWidth: number,
  lengthPenalty: number,
  maxLen: number,
) {
  const stepper = modelStepper(inf, row);
  try {
    return await beamSearch(stepper, { beamWidth, lengthPenalty, maxLen });
  } finally {
    stepper.dispose();
  }
}

Deno.test("width 1 with lengthPenalty 0 equals greedyDecodeLoop() on the real tiny model (12 inputs)", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  const rows = encoderRows(12, CFG);
  for (let i = 0; i < 12; i++) {
    const row = rows.subarray(i * TIN, (i + 1) * TIN);
    const g = await greedyDecodeLoop(inf, row, TOUT);
    const b = await beamOn(inf, row, 1, 0, TOUT);
    assertEquals(b.ids, g.ids, `ids of input ${i}`);
    assertEquals(b.finished, g.finished, `finished of input ${i}`);
    assertAlmostEquals(b.logProb, g.logProb, 1e-5);
    assertEquals(b.attention.length, g.attention.length);
    b.attention.forEach((w, t) => w.forEach((x, s) => assertAlmostEquals(x, g.attention[t][s], 1e-6)));
  }
  model.dispose();
});

Deno.test("beam (width 3, alpha 0.6) on the real model: ids in range, attention per token, logProb = training model's", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  const n = 12, rows = encoderRows(n, CFG, 17);
  const results = [];
  for (let i = 0; i < n; i++) {
    results.push(await beamOn(inf, rows.subarray(i * TIN, (i + 1) * TIN), 3, 0.6, TOUT));
  }
  // teacher-force each result through the training model: position t predicts token t+1
  const probs = teacherForcedProbs(model, CFG, rows, results);
  results.forEach((d, i) => {
    assertLessOrEqual(d.ids.length, TOUT);
    for (const id of d.ids) assertEquals(id >= 1 && id < CFG.vocabSize && id !== EOS, true, `id ${id}`);
    assertEquals(d.attention.length, d.ids.length);
    for (const w of d.attention) {
      assertEquals(w.length, TIN);
      assertAlmostEquals(w.reduce((s, x) => s + x, 0), 1, 1e-5);
      w.forEach((x, s) => {
        if (rows[i * TIN + s] === PAD) assertEquals(x, 0);
      });
    }
    const emitted = d.finished ? [...d.ids, EOS] : d.ids.length < TOUT ? [...d.ids, PAD] : d.ids;
    const logProb = emitted.reduce((s, id, t) => s + Math.log(probs[i][t][id]), 0);
    assertAlmostEquals(d.logProb, logProb, 1e-4, `logProb of input ${i}`);
    assertAlmostEquals(d.score, beamScore(d.logProb, emitted.length, 0.6), 1e-9);
  });
  model.dispose();
});

for (
  const [name, over] of [["", {}], [" with copy attention", { copy: true }], [" with coverage", {
    coverage: true,
  }]] as const
) {
  Deno.test(`beamSearchBatch() gives beamSearch()'s results bit for bit, one input at a time, in batches of 1, 5 and 32 (tiny model${name}, wasm and cpu)`, async () => {
    const cfg = tinyConfig(over);
    try {
      for (const backend of ["wasm", "cpu"] as const) {
        await initBackend({ backend, blas: false });
        const model = mixedModel(cfg);
        // copy models: the gate's bias far down, so that the summaries copy (the input's unknown word included)
        const gate = model.layers.find((l) => l.getClassName() === "PointerGenerator");
        if (gate) {
          const low = tf.fill([1], -6);
          gate.setWeights([...gate.getWeights().slice(0, 3), low]);
          low.dispose();
        }
        const inf = extractInferenceModels(model);
        const n = 13, rows = encoderRows(n, cfg, 23);
        // copy models: a word outside the vocabulary at positions 1 to 3 of every row (the extended id of its first
        // position, V + 1), so that its copy mass wins
        const extended = Int32Array.from(
          rows,
          (id, j) => id !== 0 && j % TIN >= 1 && j % TIN <= 3 ? cfg.vocabSize + 1 : id,
        );
        const opts = { beamWidth: 3, lengthPenalty: 0.6, maxLen: TOUT };
        const one: Awaited<ReturnType<typeof beamSearch>>[] = [];
        for (let i = 0; i < n; i++) {
          const at = (m: Int32Array) => m.subarray(i * TIN, (i + 1) * TIN);
          const stepper = modelStepper(inf, at(rows), cfg.copy ? at(extended) : undefined);
          one.push(await beamSearch(stepper, opts));
          stepper.dispose();
        }
        const before = tf.memory().numTensors;
        for (const batchSize of [1, 5, 32]) {
          const many = await beamSearchBatch(inf, rows, n, {
            ...opts,
            batchSize,
            ...(cfg.copy ? { extended } : {}),
          });
          many.forEach((d, i) => {
            const want = one[i], what = `${backend}, batch ${batchSize}, input ${i}`;
            // without OpenBLAS, bit for bit: the same summary, log-probability, score and attention
            assertEquals(
              [d.ids, d.finished, d.logProb, d.score, d.attention],
              [want.ids, want.finished, want.logProb, want.score, want.attention],
              what,
            );
          });
        }
        assertEquals(tf.memory().numTensors, before, "no tensor left behind");
        if (cfg.copy) {
          assert(
            one.some((d) => d.ids.some((id) => id >= cfg.vocabSize)),
            "a copied word outside the vocabulary",
          );
        }
        model.dispose();
      }
    } finally {
      await tf.setBackend("cpu");
    }
  });
}

Deno.test("beam on a model that never predicts eostok ends after maxLen tokens; one that predicts <pad> at once", async () => {
  const rows = encoderRows(3, CFG);
  const never = tinyModel(CFG, 6);
  shiftOutputBias(never, 9, 100);
  const infNever = extractInferenceModels(never);
  const always = tinyModel(CFG, 6);
  shiftOutputBias(always, PAD, 100);
  const infPad = extractInferenceModels(always);
  for (let i = 0; i < 3; i++) {
    const row = rows.subarray(i * TIN, (i + 1) * TIN);
    const a = await beamOn(infNever, row, 4, 0.6, 9);
    assertEquals(a.ids, new Array(9).fill(9));
    assertEquals(a.finished, false);
    const b = await beamOn(infPad, row, 4, 0.6, 9);
    assertEquals(b.ids, []);
    assertEquals(b.finished, false);
  }
  never.dispose();
  always.dispose();
});

const skipOpenBlas = skipUnlessAvailable(openBlas().enabled, "OpenBLAS (Debian libopenblas0)");

Deno.test({
  name:
    "beamSearchBatch() with OpenBLAS: each input's best score within 1e-5 of beamSearch() one input at a time",
  ignore: skipOpenBlas,
  fn: async () => {
    // OpenBLAS rounds a product differently with a different number of rows (up to about 1e-7 in a logit), so
    // the batch may keep another hypothesis at a near-tie: the scores agree, the words need not
    const cfg = tinyConfig();
    try {
      await initBackend({ backend: "wasm", blas: true });
      const model = mixedModel(cfg);
      const inf = extractInferenceModels(model);
      const n = 9, rows = encoderRows(n, cfg, 31);
      const opts = { beamWidth: 3, lengthPenalty: 0.6, maxLen: TOUT };
      const calls = blasStats.calls;
      const one: Awaited<ReturnType<typeof beamOn>>[] = [];
      for (let i = 0; i < n; i++) {
        one.push(await beamOn(inf, rows.subarray(i * TIN, (i + 1) * TIN), 3, 0.6, TOUT));
      }
      const many = await beamSearchBatch(inf, rows, n, { ...opts, batchSize: 4 });
      assertGreater(blasStats.calls, calls, "the products ran on OpenBLAS");
      many.forEach((d, i) => assertAlmostEquals(d.score, one[i].score, 1e-5, `input ${i}`));
      model.dispose();
    } finally {
      await tf.setBackend("cpu");
    }
  },
});

Deno.test("the batched decoders reject a batchSize that would never advance: 0, -1, 1.5", async () => {
  const model = mixedModel(CFG);
  const inf = extractInferenceModels(model);
  const rows = encoderRows(2, CFG);
  for (const batchSize of [0, -1, 1.5]) {
    await assertRejects(
      () => beamSearchBatch(inf, rows, 2, { beamWidth: 2, lengthPenalty: 0, maxLen: TOUT, batchSize }),
      RangeError,
      `beamSearchBatch: batchSize ${batchSize}`,
    );
    await assertRejects(
      () => greedyDecodeBatch(inf, rows, 2, { maxLen: TOUT, batchSize }),
      RangeError,
      `greedyDecodeBatch: batchSize ${batchSize}`,
    );
  }
  model.dispose();
});
