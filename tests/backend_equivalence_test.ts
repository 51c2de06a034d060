// Training on wasm (fill-ins + every override, with and without OpenBLAS) equals training on cpu:
// three RMSprop steps of the stand-in model from identical weights (tests/fixtures/equivalence.ts).
import { skipUnlessAvailable } from "./fixtures/env.ts";
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertGreater, assertLess } from "@std/assert";
import { blasStats, openBlas } from "../lib/backend/blas.ts";
import { initBackend } from "../lib/backend/choose.ts";
import { type BackendComparison, compareBackends, seedMathRandom } from "./fixtures/equivalence.ts";
import { buildProbeModel, PROBE_TINY, probeTrainStep, type ProbeVariant } from "./fixtures/probe_model.ts";
import { fastStats } from "../lib/backend/wasm_fast.ts";
import { fillInCalls } from "../lib/backend/wasm_kernels.ts";
import { simdStats } from "../lib/backend/simd/kernels.ts";
import { seq2seqSubject, SMALL } from "./fixtures/seq2seq_subject.ts";

const NO_NODE = ["/nonexistent/seq2seq-test/node_modules"];

/** The stand-in model trained by RMSprop with clipping by global norm. */
const subject = (variant: ProbeVariant) => () => {
  const m = buildProbeModel(PROBE_TINY, variant);
  const opt = tf.train.rmsprop(0.01);
  return {
    variables: m.variables,
    step: () => probeTrainStep(m, opt, { clipNorm: 1 }),
    dispose: () => {
      m.dispose();
      opt.dispose();
    },
  };
};

function assertEquivalent(c: BackendComparison) {
  const detail = JSON.stringify({
    losses: c.losses,
    maxLossRelDiff: c.maxLossRelDiff,
    w: c.maxWeightRelDiff,
  });
  assertEquals(c.losses[0].length, 3);
  assertLess(c.maxLossRelDiff, 1e-5, detail);
  assertLess(c.maxWeightRelDiff, 1e-5, detail);
  assertGreater(c.maxWeightChange, 1e-3, "the steps moved the weights"); // so equal weights mean something
  assert(c.losses[0][2] < c.losses[0][0], `loss decreases: ${c.losses[0]}`);
}

const VARIANTS: ProbeVariant[] = [
  { mask: "where", loss: "oneHot" },
  { mask: "add", loss: "gather" },
  { mask: "add", loss: "logits" },
];

const skipOpenBlas = skipUnlessAvailable(openBlas().enabled, "OpenBLAS (Debian libopenblas0)");

for (const gemm of [true, false]) {
  const path = gemm ? "our SIMD GEMM" : "XNNPACK";
  Deno.test(`3 training steps of the real seq2seq model on wasm (${path}) match cpu within 1e-5`, async () => {
    await initBackend({ backend: "wasm", blas: false, gemm, nodeModules: NO_NODE });
    const segBefore = fillInCalls.UnsortedSegmentSum ?? 0, before = { ...simdStats };
    const n0 = tf.memory().numTensors;
    assertEquivalent(await compareBackends(seq2seqSubject(SMALL), { backends: ["cpu", "wasm"], steps: 3 }));
    assertEquals(tf.memory().numTensors, n0);
    assertGreater(
      (fillInCalls.UnsortedSegmentSum ?? 0) - segBefore,
      0,
      "the embedding gradient used the fill-in",
    );
    assertEquals(simdStats.gemm > before.gemm, gemm, "the matmuls went through the SIMD GEMM (or not)");
    // the model as lib/model builds it composes its attention from tfjs ops; the fused kernel is lib/speed's
    assertEquals(simdStats.attention, before.attention, "the stock attention composes tfjs ops");
    await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  });
}

for (const blas of [false, true]) {
  Deno.test({
    name: `3 training steps of the seq2seq model with lib/speed's fast layers on wasm (${
      blas ? "OpenBLAS" : "our GEMM"
    }, the LSTM sequence kernels, the fused attention scores) match cpu within 1e-5`,
    ignore: blas && skipOpenBlas,
    fn: async () => {
      await initBackend({ backend: "wasm", blas, nodeModules: NO_NODE });
      const n0 = tf.memory().numTensors, before = { ...simdStats };
      assertEquivalent(
        await compareBackends(seq2seqSubject(SMALL, { fastLayers: true }), {
          backends: ["cpu", "wasm"],
          steps: 3,
        }),
      );
      assertEquals(tf.memory().numTensors, n0);
      assertGreater(simdStats.attention, before.attention, "the attention scores used the fused kernel");
      await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
    },
  });
}

for (
  const extra of [{ copy: true }, { coverage: true }, { copy: true, coverage: true }, {
    encoderBidirectional: true,
  }]
) {
  Deno.test(`3 training steps of the seq2seq model with ${JSON.stringify(extra)} on wasm match cpu within 1e-5`, async () => {
    await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
    const n0 = tf.memory().numTensors;
    assertEquivalent(
      await compareBackends(seq2seqSubject({ ...SMALL, ...extra }), { backends: ["cpu", "wasm"], steps: 3 }),
    );
    assertEquals(tf.memory().numTensors, n0);
  });
}

Deno.test({
  name: "3 training steps of the real seq2seq model on wasm with OpenBLAS match cpu within 1e-5",
  ignore: skipOpenBlas,
  fn: async () => {
    await initBackend({ backend: "wasm", blas: true, nodeModules: NO_NODE });
    const calls = blasStats.calls;
    assertEquivalent(await compareBackends(seq2seqSubject(SMALL), { backends: ["cpu", "wasm"], steps: 3 }));
    assertGreater(blasStats.calls - calls, 0, "the matmuls went through OpenBLAS");
    await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  },
});

Deno.test("3 RMSprop steps on wasm with fill-ins and overrides (XNNPACK) match cpu within 1e-5", async () => {
  await initBackend({ backend: "wasm", blas: false, gemm: false, nodeModules: NO_NODE });
  const before = { ...fastStats }, segBefore = fillInCalls.UnsortedSegmentSum ?? 0;
  const n0 = tf.memory().numTensors;
  for (const v of VARIANTS) {
    assertEquivalent(await compareBackends(subject(v), { backends: ["cpu", "wasm"], steps: 3 }));
  }
  assertEquals(tf.memory().numTensors, n0);
  // the overrides and the fill-in really ran
  assertGreater((fillInCalls.UnsortedSegmentSum ?? 0) - segBefore, 0);
  const moved = Object.keys(fastStats).filter((k) => (fastStats[k] ?? 0) > (before[k] ?? 0));
  assert(moved.includes("bmm-fold") || moved.includes("bmm-swap"), JSON.stringify(fastStats));
  assert(moved.includes("bmm-batched"), JSON.stringify(fastStats));
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
});

Deno.test("3 RMSprop steps on wasm with our SIMD GEMM match cpu within 1e-5", async () => {
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  const calls = simdStats.gemm;
  for (const v of VARIANTS) assertEquivalent(await compareBackends(subject(v)));
  assertGreater(simdStats.gemm, calls);
});

Deno.test({
  name: "3 RMSprop steps on wasm with OpenBLAS matmuls match cpu within 1e-5",
  ignore: skipOpenBlas,
  fn: async () => {
    const r = await initBackend({ backend: "wasm", blas: true, nodeModules: NO_NODE });
    assert(r.blas.enabled, r.blas.why);
    const calls = blasStats.calls;
    for (const v of VARIANTS) assertEquivalent(await compareBackends(subject(v)));
    assertGreater(blasStats.calls, calls);
  },
});

Deno.test("compareBackends() copies the initial weights and detects a backend that computes differently", async () => {
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  // w <- w - 0.1 * (w - target); on wasm the target is off by 1e-3
  const build = () => {
    const init = tf.randomUniform([4], -1, 1); // different per backend: overwritten by the copy
    const w = tf.variable(init);
    init.dispose();
    return {
      variables: [w],
      step: () =>
        tf.tidy(() => {
          const target = tf.scalar(tf.getBackend() === "wasm" ? 0.501 : 0.5);
          const loss = tf.sum(tf.square(tf.sub(w, target)));
          w.assign(tf.sub(w, tf.mul(0.1, tf.sub(w, target))));
          return loss.dataSync()[0];
        }),
      dispose: () => w.dispose(),
    };
  };
  const c = await compareBackends(build, { steps: 2 });
  assertGreater(c.maxLossRelDiff, 1e-4);
  assertGreater(c.maxWeightAbsDiff, 1e-4);
  assertLess(c.maxWeightAbsDiff, 1e-3); // 0.1 and 0.19 of the 1e-3 shift after 1 and 2 steps
  assertEquals(c.variables.length, 1);
  assertEquals(tf.getBackend(), "wasm"); // previous backend restored
});

Deno.test("seedMathRandom() makes Math.random reproducible and restores it", () => {
  const original = Math.random;
  const restore = seedMathRandom(5);
  const a = [Math.random(), Math.random()];
  restore();
  const restore2 = seedMathRandom(5);
  const b = [Math.random(), Math.random()];
  restore2();
  assertEquals(a, b);
  assertEquals(Math.random, original);
});
