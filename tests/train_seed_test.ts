// The config's `seed` drives the three sources of a run's training randomness (initial weights, dropout masks,
// batch order) and nothing of the data, which has its own seed (`dataSeed`): what `deno task sweep --seeds=N`
// relies on when it says that its seeds vary the training only.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { type Config, resolveConfig } from "../lib/config.ts";
import { prepareData, type PreparedData } from "../lib/data/prep.ts";
import { buildModelFor } from "../lib/experiment.ts";
import { trainModel } from "../lib/train/loop.ts";
import { seedEpoch } from "../lib/train/seed.ts";
import { syntheticPairs } from "./fixtures/synthetic.ts";

await initBackend({ backend: "wasm", blas: false });

const small = (over: Partial<Config> = {}) =>
  resolveConfig("tiny", {
    vocabSize: 30,
    maxInputLen: 8,
    maxOutputLen: 6,
    embeddingDim: 16,
    units: 32,
    attentionUnits: 16,
    batchSize: 12,
    dropout: 0,
    seed: 3,
    epochs: 1,
    patience: 5,
    ...over,
  });

const vocab = { tokenizer: { size: 30 } } as unknown as Pick<PreparedData, "tokenizer">;
const train = syntheticPairs(36, small(), 11), val = syntheticPairs(12, small(), 12);

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => m = Math.max(m, Math.abs(v - b[i][j]))));
  return m;
}

/** The weights after one epoch of a model built with `build`'s seed and trained with `cfg` (its seed, dropout). */
async function oneEpoch(build: Config, cfg: Config, data = train): Promise<Float32Array[]> {
  const model = buildModelFor(build, vocab);
  await trainModel({ cfg, model, train: data, val, log: () => {} });
  const w = await weightsOf(model);
  model.dispose();
  return w;
}

Deno.test("the seed drives the initial weights: the same seed builds the same weights, another seed others", async () => {
  const a = buildModelFor(small({ seed: 3 }), vocab), b = buildModelFor(small({ seed: 3 }), vocab);
  const c = buildModelFor(small({ seed: 4 }), vocab);
  const [wa, wb, wc] = await Promise.all([weightsOf(a), weightsOf(b), weightsOf(c)]);
  assertEquals(maxAbsDiff(wa, wb), 0);
  assert(maxAbsDiff(wa, wc) > 0.01, `seeds 3 and 4 built weights differing by ${maxAbsDiff(wa, wc)}`);
  tf.dispose([a, b, c].flatMap((m) => m.getWeights()));
});

Deno.test("the seed drives the batch order: each epoch's order changes with the seed and the epoch, and repeats", () => {
  const order = (seed: number, epoch: number) => [...seedEpoch(seed, epoch, 50)];
  assertEquals(order(3, 1), order(3, 1));
  assertEquals([...order(3, 1)].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assertNotEquals(order(3, 1), order(4, 1));
  assertNotEquals(order(3, 1), order(3, 2));
});

Deno.test("the seed drives the dropout masks: the same seed draws the same mask, another seed another", () => {
  const mask = (seed: number) => {
    seedEpoch(seed, 1, 10);
    return tf.tidy(() =>
      (tf.layers.dropout({ rate: 0.5 }).apply(tf.ones([4, 32]), { training: true }) as tf.Tensor).arraySync()
    );
  };
  assertEquals(mask(3), mask(3));
  assertNotEquals(mask(3), mask(4));
});

Deno.test("training from the same initial weights: the seed alone changes the result, through batch order and dropout", async () => {
  const init = small({ seed: 3 });
  // the same seed: the same weights after an epoch
  assertEquals(
    maxAbsDiff(await oneEpoch(init, small({ seed: 3 })), await oneEpoch(init, small({ seed: 3 }))),
    0,
  );
  // no dropout, several batches: another seed orders the batches otherwise, and training goes elsewhere
  const order = maxAbsDiff(
    await oneEpoch(init, small({ seed: 3 })),
    await oneEpoch(init, small({ seed: 4 })),
  );
  assert(order > 1e-3, `batch order: seeds 3 and 4 differ by ${order}`);
  // one batch of every row: the order cannot matter (only the float summation order), so without dropout the seeds
  // agree to rounding, and with dropout they do not
  const whole = (over: Partial<Config>) => small({ batchSize: 36, ...over });
  const rounding = maxAbsDiff(
    await oneEpoch(init, whole({ seed: 3 })),
    await oneEpoch(init, whole({ seed: 4 })),
  );
  assert(rounding < 1e-4, `one batch without dropout: seeds differ by ${rounding}`);
  // the dropout rate is the built model's: the same initial weights (seed 3), with dropout layers
  const withDropout = small({ seed: 3, dropout: 0.5 });
  const dropout = maxAbsDiff(
    await oneEpoch(withDropout, whole({ seed: 3, dropout: 0.5 })),
    await oneEpoch(withDropout, whole({ seed: 4, dropout: 0.5 })),
  );
  assert(dropout > 1e-3, `dropout: seeds 3 and 4 differ by ${dropout}`);
});

Deno.test("the data has its own seed: dataSeed fixes corpus and split whatever the seed; -1 follows the seed", async () => {
  const split = async (over: Partial<Config>) =>
    (await prepareData(resolveConfig("tiny", { embeddedSnippets: 120, ...over }), undefined, {
      useEnv: false,
    }))
      .splits.test.map((e) => e.input);
  assertEquals(await split({ seed: 1, dataSeed: 42 }), await split({ seed: 2, dataSeed: 42 }));
  assertNotEquals(await split({ seed: 1 }), await split({ seed: 2 }));
  assertEquals(await split({ seed: 42 }), await split({ seed: 7, dataSeed: 42 }));
});
