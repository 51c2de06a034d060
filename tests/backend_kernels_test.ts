// Kernel discovery and the kernels filled in for wasm / replaced on cpu (lib/backend/wasm_kernels.ts).
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { closeness, valuesOnBackends } from "./fixtures/equivalence.ts";
import { activeChains, installKernels } from "../lib/backend/install.ts";
import { buildProbeModel, PROBE_TINY, probeTrainStep, type ProbeVariant } from "./fixtures/probe_model.ts";
import {
  cpuDelegate,
  discoverMissingKernels,
  fillInCalls,
  scatterAdd,
  WASM_FILL_INS,
} from "../lib/backend/wasm_kernels.ts";

await tf.setBackend("wasm");
(tf.findBackend("cpu") as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner

const VARIANTS: ProbeVariant[] = [
  { mask: "where", loss: "oneHot" },
  { mask: "add", loss: "gather" },
  { mask: "where", loss: "logits" },
];

/** Forward, backward and RMSprop update (both update paths), clipping, and inference ops. */
function trainEveryVariant(): void {
  for (const v of VARIANTS) {
    const m = buildProbeModel(PROBE_TINY, v);
    const opt = tf.train.rmsprop(0.01);
    probeTrainStep(m, opt, { clipNorm: 1, clipValue: 5 });
    tf.dispose(opt.minimize(() => m.loss(true), true, m.variables) ?? []);
    tf.dispose(m.decode());
    m.dispose();
    opt.dispose();
  }
}

Deno.test("discoverMissingKernels() finds exactly the wasm fill-ins when training the stand-in model", async () => {
  const n0 = tf.memory().numTensors;
  const found = await discoverMissingKernels(trainEveryVariant);
  assertEquals(found.error, undefined);
  assertEquals(found.missing, [...WASM_FILL_INS]);
  assert(found.calls.UnsortedSegmentSum >= 2 * VARIANTS.length, JSON.stringify(found.calls));
  assertEquals(tf.getBackend(), "wasm");
  assertEquals(tf.memory().numTensors, n0);
});

Deno.test("discoverMissingKernels() reports a kernel that no backend has", async () => {
  const found = await discoverMissingKernels(() => {
    tf.engine().runKernel("NoSuchKernel", {}, {});
  });
  assert(found.error?.includes("NoSuchKernel"), found.error);
});

Deno.test("with the fill-ins installed the stand-in model trains on wasm and uses them", async () => {
  for (let i = 0; i < 2; i++) { // idempotent
    installKernels();
    for (const k of WASM_FILL_INS) assertEquals(activeChains("wasm")[k], ["fill-in"]);
  }
  await tf.setBackend("wasm");
  const before = fillInCalls.UnsortedSegmentSum ?? 0;
  const n0 = tf.memory().numTensors;
  trainEveryVariant();
  assertEquals(tf.memory().numTensors, n0);
  // per step: one per embedding (2), plus one for the "gather" loss variant's lookup; 2 steps per variant
  assertEquals((fillInCalls.UnsortedSegmentSum ?? 0) - before, 2 * (2 * VARIANTS.length + 1));
});

/** Independent reference: out[s] = sum of x rows whose id is s. */
function referenceSegmentSum(x: number[], ids: number[], inner: number, numSegments: number): number[] {
  const out = new Array(numSegments * inner).fill(0);
  ids.forEach((s, i) => {
    if (s < 0 || s >= numSegments) return;
    for (let j = 0; j < inner; j++) out[s * inner + j] += x[i * inner + j];
  });
  return out;
}

Deno.test("scatterAdd() sums rows by segment and drops out-of-range ids", () => {
  const out = new Float32Array(6);
  scatterAdd(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), new Int32Array([2, 0, 2, 7]), 2, 3, out);
  assertEquals([...out], [3, 4, 0, 0, 1 + 5, 2 + 6]);
});

Deno.test("wasm UnsortedSegmentSum matches a reference and the native cpu kernel (float32, int32, 2-D ids)", async () => {
  installKernels();
  const x = Array.from({ length: 6 * 2 * 3 }, (_, i) => (i * 7) % 11 - 5);
  const ids1 = [4, 0, 4, 9, -1, 2]; // 9 and -1 are out of range: dropped
  const expect = referenceSegmentSum(x, ids1, 6, 5);
  installKernels({ scatterAdd: false }); // compare against the original cpu kernel too
  for (const dtype of ["float32", "int32"] as const) {
    const [cpu, wasm] = await valuesOnBackends(() =>
      tf.unsortedSegmentSum(tf.tensor3d(x, [6, 2, 3], dtype), tf.tensor1d(ids1, "int32"), 5)
    );
    assertEquals([...wasm[0]], expect);
    assertEquals([...cpu[0]], expect);
  }
  // ids of rank 2 index the two leading dims of x
  const ids2 = [[1, 0], [2, 1], [0, 0]];
  const [wasm2] = await valuesOnBackends(() =>
    tf.engine().runKernel(
      "UnsortedSegmentSum",
      { x: tf.tensor3d(x, [3, 2, 6]), segmentIds: tf.tensor2d(ids2, [3, 2], "int32") },
      { numSegments: 3 },
    ) as tf.Tensor, ["wasm"]);
  assertEquals([...wasm2[0]], referenceSegmentSum(x, ids2.flat(), 6, 3));
});

Deno.test("cpu scatter-add UnsortedSegmentSum equals the original cpu kernel", async () => {
  const x = Array.from({ length: 40 * 3 }, (_, i) => Math.sin(i));
  const ids = Array.from({ length: 40 }, (_, i) => (i * 13) % 17);
  installKernels({ scatterAdd: false });
  const [orig] = await valuesOnBackends(
    () => tf.unsortedSegmentSum(tf.tensor2d(x, [40, 3]), tf.tensor1d(ids, "int32"), 17),
    ["cpu"],
  );
  assertEquals(installKernels().cpu, { UnsortedSegmentSum: ["scatter-add", "native"] });
  const [fast] = await valuesOnBackends(
    () => tf.unsortedSegmentSum(tf.tensor2d(x, [40, 3]), tf.tensor1d(ids, "int32"), 17),
    ["cpu"],
  );
  assertLessOrEqual(closeness(fast[0], orig[0], 1e-6, 1e-6), 1);
  assertLessOrEqual(closeness(fast[0], referenceSegmentSum(x, ids, 3, 17), 1e-6, 1e-6), 1);
});

Deno.test("embedding gradient (gather) on wasm matches the cpu backend and finite differences", async () => {
  installKernels();
  const V = 7, D = 3;
  const table = Array.from({ length: V * D }, (_, i) => Math.cos(i) * 0.5);
  const ids = [3, 1, 3, 0, 6, 3, 1];
  const w = Array.from({ length: ids.length * D }, (_, i) => ((i * 5) % 9) / 9 - 0.4);
  // f(E) = sum(gather(E, ids) * W): linear in E, so central differences are exact up to rounding
  const f = (e: tf.Tensor) =>
    tf.sum(tf.mul(tf.gather(e, tf.tensor1d(ids, "int32")), tf.tensor2d(w, [ids.length, D])));
  const [cpu, wasm] = await valuesOnBackends(() => tf.grad(f)(tf.tensor2d(table, [V, D])));
  assertLessOrEqual(closeness(wasm[0], cpu[0], 1e-6, 1e-7), 1);
  const h = 1e-2;
  const fd: number[] = [];
  for (let k = 0; k < V * D; k++) {
    const plus = table.slice(), minus = table.slice();
    plus[k] += h;
    minus[k] -= h;
    const [[fp], [fm]] = [
      (await valuesOnBackends(() => f(tf.tensor2d(plus, [V, D])), ["wasm"]))[0],
      (await valuesOnBackends(() => f(tf.tensor2d(minus, [V, D])), ["wasm"]))[0],
    ];
    fd.push((fp[0] - fm[0]) / (2 * h));
  }
  assertLessOrEqual(closeness(wasm[0], fd, 1e-3, 1e-4), 1);
  // rows never looked up get zero gradient
  for (const row of [2, 4, 5]) for (let j = 0; j < D; j++) assertEquals(wasm[0][row * D + j], 0);
});

Deno.test("cpuDelegate() runs a cpu kernel on wasm tensors and returns wasm tensors", async () => {
  await tf.setBackend("wasm");
  const kernel = cpuDelegate("BatchMatMul");
  const a = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]), b = tf.tensor3d([5, 6, 7, 8], [1, 2, 2]);
  const out = kernel({
    inputs: { a, b },
    attrs: { transposeA: false, transposeB: true },
    backend: tf.backend(),
  });
  assert(!Array.isArray(out));
  const t = tf.engine().makeTensorFromTensorInfo(out);
  assertEquals(tf.getBackend(), "wasm");
  assertEquals([...t.dataSync()], [1 * 5 + 2 * 6, 1 * 7 + 2 * 8, 3 * 5 + 4 * 6, 3 * 7 + 4 * 8]);
  tf.dispose([a, b, t]);
});
