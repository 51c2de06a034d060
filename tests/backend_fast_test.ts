// The wasm speed overrides (lib/backend/wasm_fast.ts) against the cpu backend: forward and gradients.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLessOrEqual, assertThrows } from "@std/assert";
import { closeness, valuesOnBackends } from "./fixtures/equivalence.ts";
import { nativeKernel } from "../lib/backend/kernel_registry.ts";
import { activeChains, installKernels, uninstallKernels } from "../lib/backend/install.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { FAST_KERNELS, fastStats, matMulDims } from "../lib/backend/wasm_fast.ts";

await tf.setBackend("wasm");
(tf.findBackend("cpu") as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
/** The speed overrides of lib/backend/wasm_fast.ts only: BatchMatMul on the XNNPACK fold, no kernels of our own. */
const FAST_ONLY = {
  blas: false,
  gemm: false,
  attention: false,
  lstm: false,
  sum: false,
  argmax: false,
  crossEntropy: false,
};
installKernels(FAST_ONLY);

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
};
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Run f on cpu and wasm; every output must agree within rtol/atol. */
async function assertSameOnBothBackends(f: () => tf.Tensor | tf.Tensor[], rtol = 1e-5, atol = 1e-6) {
  const [cpu, wasm] = await valuesOnBackends(f);
  assertEquals(wasm.length, cpu.length);
  cpu.forEach((c, i) => {
    assertEquals(wasm[i].length, c.length, `output ${i} size`);
    assertLessOrEqual(closeness(wasm[i], c, rtol, atol), 1, `output ${i}: wasm ${wasm[i]} vs cpu ${c}`);
  });
}

const MATMUL_CASES: { a: number[]; b: number[]; tA: boolean; tB: boolean; path: string }[] = [
  { a: [5, 7], b: [7, 3], tA: false, tB: false, path: "native" },
  { a: [7, 5], b: [7, 3], tA: true, tB: false, path: "swap or fold" },
  { a: [5, 7], b: [3, 7], tA: false, tB: true, path: "swap or fold" },
  { a: [7, 5], b: [3, 7], tA: true, tB: true, path: "swap or fold" },
  { a: [60, 1], b: [40, 1], tA: false, tB: true, path: "swap or fold" },
  { a: [300, 16], b: [300, 1], tA: true, tB: false, path: "swap or fold" },
  { a: [4, 5, 7], b: [7, 3], tA: false, tB: false, path: "fold" },
  { a: [4, 7, 5], b: [3, 7], tA: true, tB: true, path: "fold" },
  { a: [5, 7], b: [4, 7, 3], tA: false, tB: false, path: "shared-a" },
  { a: [7, 5], b: [4, 3, 7], tA: true, tB: true, path: "shared-a" },
  { a: [4, 5, 7], b: [4, 7, 3], tA: false, tB: false, path: "batched" },
  { a: [4, 7, 5], b: [4, 3, 7], tA: true, tB: true, path: "batched" },
  { a: [2, 3, 5, 7], b: [2, 3, 7, 4], tA: false, tB: false, path: "batched" },
  { a: [2, 1, 5, 7], b: [1, 3, 7, 4], tA: false, tB: false, path: "broadcast: native" },
];

Deno.test("matMulDims() gives the output shape and rejects mismatched inner dimensions", () => {
  assertEquals(matMulDims([4, 7, 5], [3, 7], true, true).outShape, [4, 5, 3]);
  assertEquals(matMulDims([2, 1, 5, 7], [1, 3, 7, 4], false, false).outShape, [2, 3, 5, 4]);
  assertThrows(() => matMulDims([5, 7], [6, 3], false, false), Error, "inner dimensions 7 and 6");
});

Deno.test("BatchMatMul override matches cpu for every transpose and batch layout (forward)", async () => {
  const before = { ...fastStats };
  for (const [i, c] of MATMUL_CASES.entries()) {
    const a = rand(size(c.a), 10 + i), b = rand(size(c.b), 50 + i);
    // sums of up to 300 products of magnitude ~1: float32 rounding reaches ~1e-5 absolute
    await assertSameOnBothBackends(
      () => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.tA, c.tB),
      1e-5,
      1e-5,
    );
  }
  const used = (k: string) => (fastStats[k] ?? 0) - (before[k] ?? 0);
  for (const k of ["bmm-fold", "bmm-swap", "bmm-shared-a", "bmm-batched", "bmm-native"]) {
    assert(used(k) > 0, `strategy ${k} not exercised: ${JSON.stringify(fastStats)}`);
  }
});

Deno.test("BatchMatMul override gives the cpu backend's gradients", async () => {
  // tfjs's matMul gradient does not reduce broadcast batch dims (it throws on every backend): skip those
  const same = (x: number[], y: number[]) => x.length === y.length && x.every((d, i) => d === y[i]);
  for (const [i, c] of MATMUL_CASES.entries()) {
    if (!same(c.a.slice(0, -2), c.b.slice(0, -2))) continue;
    const a = rand(size(c.a), 100 + i), b = rand(size(c.b), 200 + i);
    await assertSameOnBothBackends(
      () => {
        const out = matMulDims(c.a, c.b, c.tA, c.tB).outShape;
        const w = tf.tensor(rand(size(out), 300 + i), out);
        const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, c.tA, c.tB), w));
        return tf.grads(f)([tf.tensor(a, c.a), tf.tensor(b, c.b)]);
      },
      1e-5,
      1e-5,
    );
  }
});

Deno.test("Identity override shares the buffer and the clone outlives its source", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor1d([1, 2, 3]);
  const before = tf.engine().backend.numDataIds();
  const y = tf.clone(x);
  assertEquals(tf.engine().backend.numDataIds(), before); // no new buffer
  x.dispose();
  assertEquals([...y.dataSync()], [1, 2, 3]);
  y.dispose();
  // strings still go through the native kernel
  const s = tf.tensor1d(["a", "b"], "string");
  const s2 = tf.clone(s);
  assertEquals(s2.arraySync() as unknown, ["a", "b"]);
  tf.dispose([s, s2]);
});

Deno.test("Slice override matches cpu for contiguous and strided slices of rank 1 to 5", async () => {
  const cases: { shape: number[]; begin: number[]; size: number[] }[] = [
    { shape: [10], begin: [3], size: [4] },
    { shape: [4, 6], begin: [1, 0], size: [2, 6] }, // contiguous
    { shape: [4, 6], begin: [1, 2], size: [3, 3] },
    { shape: [3, 4, 5], begin: [0, 1, 1], size: [3, 2, -1] },
    { shape: [2, 3, 4, 5], begin: [1, 0, 2, 1], size: [1, 3, 2, 4] },
    { shape: [2, 3, 2, 3, 4], begin: [0, 1, 0, 1, 2], size: [2, 2, 2, 2, 2] },
    { shape: [3, 4], begin: [1, 1], size: [0, 2] }, // empty
  ];
  for (const [i, c] of cases.entries()) {
    const x = rand(size(c.shape), 400 + i);
    await assertSameOnBothBackends(() => tf.slice(tf.tensor(x, c.shape), c.begin, c.size), 0, 0);
    await assertSameOnBothBackends(() => tf.slice(tf.tensor(x, c.shape, "int32"), c.begin, c.size), 0, 0);
  }
  // gradient of a slice (a Pad)
  const x = rand(60, 499);
  await assertSameOnBothBackends(() =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.slice(t, [1, 1, 0], [2, 2, 3]))))(tf.tensor(x, [3, 4, 5]))
  );
});

Deno.test("Unpack and SplitV overrides match cpu (values and gradients)", async () => {
  const x = rand(2 * 5 * 6, 500);
  for (const axis of [0, 1, 2, -1]) {
    await assertSameOnBothBackends(() => tf.unstack(tf.tensor(x, [2, 5, 6]), axis), 0, 0);
  }
  await assertSameOnBothBackends(() => tf.split(tf.tensor(x, [2, 5, 6]), [2, -1, 1], 2), 0, 0);
  await assertSameOnBothBackends(() => tf.split(tf.tensor(x, [2, 5, 6]), 2, 0), 0, 0);
  await assertSameOnBothBackends(() => tf.split(tf.tensor(x, [2, 5, 6], "int32"), [1, 4], 1), 0, 0);
  const w = rand(2 * 5 * 6, 501);
  await assertSameOnBothBackends(() =>
    tf.grad((t: tf.Tensor) => {
      const parts = tf.unstack(t, 1).map((p, i) => tf.mul(p, i + 1));
      const [a, b] = tf.split(tf.stack(parts, 1), [4, 2], 2);
      return tf.add(
        tf.sum(tf.mul(a, tf.slice(tf.tensor(w, [2, 5, 6]), [0, 0, 0], [2, 5, 4]))),
        tf.sum(tf.square(b)),
      );
    })(tf.tensor(x, [2, 5, 6]))
  );
  // strings: the native kernels
  await tf.setBackend("wasm");
  const s = tf.tensor2d(["a", "b", "c", "d"], [2, 2], "string");
  const parts = tf.unstack(s);
  assertEquals(parts.map((p) => p.arraySync() as unknown), [["a", "b"], ["c", "d"]]);
  tf.dispose([s, ...parts]);
});

Deno.test("Tanh override (one SIMD pass, rational approximation) matches cpu within 4e-7 absolute, gradient included", async () => {
  // Eigen's float tanh: a few ulp (ulp is 6e-8 near 1); measured max 3.1e-7 at x = 5.74, 2.3e-7 above the clamp
  const x = [
    ...rand(200, 600).map((v) => v * 6),
    0,
    1e-8,
    -1e-8,
    20,
    -20,
    88,
    -88,
    1e-3,
    5.738008176907897,
    8,
  ];
  const [cpu, wasm] = await valuesOnBackends(() => tf.tanh(tf.tensor1d(x)));
  for (let i = 0; i < x.length; i++) assertLessOrEqual(Math.abs(wasm[0][i] - cpu[0][i]), 4e-7, `x=${x[i]}`);
  for (let i = 0; i < x.length; i++) {
    assertLessOrEqual(Math.abs(wasm[0][i] - Math.tanh(x[i])), 4e-7, `x=${x[i]}`);
  }
  await assertSameOnBothBackends(
    () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), 3)))(tf.tensor1d(x)),
    1e-5,
    2e-6, // the gradient 3 (1 - y^2) turns y's 3e-7 into up to 3 * 2 * 3e-7
  );
});

Deno.test("installKernels() is idempotent, an override group switched off gets the native kernel, uninstallKernels() restores them all", () => {
  const all = Object.values(FAST_KERNELS).flat();
  const chains = installKernels(FAST_ONLY).wasm;
  assertEquals(installKernels(FAST_ONLY).wasm, chains);
  for (const k of all) assertEquals(chains[k], ["fast", "native"], k);
  for (const k of all) assert(tf.getKernel(k, "wasm") !== nativeKernel(k, "wasm"), k);
  installKernels({ ...FAST_ONLY, tanh: false });
  assertEquals(tf.getKernel("Tanh", "wasm"), nativeKernel("Tanh", "wasm"));
  assertEquals(activeChains("wasm").Tanh, undefined);
  uninstallKernels();
  for (const k of all) assertEquals(tf.getKernel(k, "wasm"), nativeKernel(k, "wasm"), k);
  installKernels(FAST_ONLY);
});

Deno.test("GatherV2 override (axis 0 row copies) matches cpu for float and int tables, repeated and 2-D indices, gradient included", async () => {
  installKernels(FAST_ONLY); // the gradient of a gather is an UnsortedSegmentSum: the wasm fill-in
  const cases: [number[], number[], number[]][] = [
    [[10, 4], [3, 3, 0, 9], [4]],
    [[6, 2, 3], [5, 1, 1, 0, 2, 4], [2, 3]],
    [[7], [6, 0, 6], [3]], // rows of one number (an element loop)
    [[5, 12], [4, 0, 2, 4], [2, 2]], // rows longer than 8 (copyWithin)
  ];
  for (const [shape, idx, idxShape] of cases) {
    const x = rand(size(shape), 700 + shape[0]);
    await assertSameOnBothBackends(() => {
      const t = tf.tensor(x, shape), i = tf.tensor(idx, idxShape, "int32");
      return [
        tf.gather(t, i),
        tf.gather(tf.cast(tf.mul(t, 100), "int32"), i),
        tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.gather(v, i))))(t),
      ];
    });
  }
  // not axis 0: the native kernel
  await assertSameOnBothBackends(() =>
    tf.gather(tf.tensor(rand(12, 5), [3, 4]), tf.tensor1d([3, 0], "int32"), 1)
  );
  assertEquals(tf.gather(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([1, 1], "int32")).arraySync(), [[3, 4], [
    3,
    4,
  ]]);
});
