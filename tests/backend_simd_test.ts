// Our WebAssembly SIMD kernels (lib/backend/simd/): the fused additive-attention scores and their gradient on wasm
// against the same formula composed from tfjs ops on the cpu backend, and the binary against its source.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLessOrEqual, assertStringIncludes, assertThrows } from "@std/assert";
import { closeness, valuesOnBackends } from "./fixtures/equivalence.ts";
import { initBackend } from "../lib/backend/choose.ts";
import { activeChains, installKernels } from "../lib/backend/install.ts";
import { kernelUsage } from "../lib/backend/usage.ts";
import {
  additiveScores,
  ATT_SCORES,
  ATT_SCORES_GRAD,
  COPY_CE,
  COPY_CE_GRAD,
  copyCrossEntropy,
  LSTM_BACKWARD,
  LSTM_SEQUENCE,
  lstmCell,
  lstmSequenceInference,
  rowArgMax,
  SOFTMAX_CE,
  SOFTMAX_CE_GRAD,
  softmaxArgMax,
  softmaxCrossEntropy,
} from "../lib/backend/simd/ops.ts";
import { gemmThreadsStatus, threadStats } from "../lib/backend/simd/gemm_threads.ts";
import {
  KERNELS_FMA_WASM_BASE64,
  KERNELS_SHARED_FMA_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from "../lib/backend/simd/kernels_wasm.ts";
import { decodeBase64 } from "../lib/util/base64.ts";
import { compileKernels } from "../tools/build_wasm.ts";
import { mulberry32 } from "../lib/util/rng.ts";

await initBackend({ backend: "wasm", blas: false });

/** Calls implementation `impl` of `kernel` has served on wasm so far (../lib/backend/usage.ts counts each). */
const served = (kernel: string, impl = "simd") =>
  kernelUsage().find((u) => u.backend === "wasm" && u.kernel === kernel)?.calls[impl] ?? 0;

/**
 * `f()`, asserting that each of `kernels` served at least one of its calls on wasm: a kernel that refuses its inputs
 * falls back to composed tfjs ops quietly, and a comparison with cpu would then compare tfjs with tfjs.
 */
async function servedBy<T>(kernels: string[], f: () => T | Promise<T>, impl = "simd"): Promise<T> {
  const before = kernels.map((k) => served(k, impl));
  const out = await f();
  kernels.forEach((k, i) => assert(served(k, impl) > before[i], `the ${impl} ${k} kernel served no call`));
  return out;
}

const rand = (shape: number[], seed: number, scale = 1) => {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale), shape);
};

/** The formula in plain JavaScript (float64): out[b,t,s] = sum_a v[a] tanh(q[b,t,a] + k[b,s,a]). */
function scoresByHand(q: number[][][], k: number[][][], v: number[]): number[][][] {
  return q.map((qb, b) =>
    qb.map((qt) => k[b].map((ks) => qt.reduce((acc, x, a) => acc + v[a] * Math.tanh(x + ks[a]), 0)))
  );
}

Deno.test("all four committed wasm binaries (plain, FMA, shared, shared+FMA) equal a fresh build of the kernel source (run `deno task build:wasm` after editing it)", async () => {
  assertEquals(decodeBase64(KERNELS_WASM_BASE64), await compileKernels(false));
  assertEquals(decodeBase64(KERNELS_FMA_WASM_BASE64), await compileKernels(true));
  assertEquals(decodeBase64(KERNELS_SHARED_WASM_BASE64), await compileKernels(false, true));
  assertEquals(decodeBase64(KERNELS_SHARED_FMA_WASM_BASE64), await compileKernels(true, true));
});

Deno.test("additiveScores() on wasm uses the fused kernel and matches the formula computed by hand", async () => {
  assert(tf.getKernel(ATT_SCORES, "wasm"), "initBackend installs the fused kernel");
  const [q, k, v] = [rand([2, 3, 8], 1, 2), rand([2, 5, 8], 2, 2), rand([8], 3)];
  const got = await servedBy(
    [ATT_SCORES],
    () => additiveScores(q as tf.Tensor3D, k as tf.Tensor3D, v).arraySync(),
  );
  const want = scoresByHand(
    q.arraySync() as number[][][],
    k.arraySync() as number[][][],
    v.arraySync() as number[],
  );
  assertLessOrEqual(closeness(got.flat(2), want.flat(2), 1e-5, 2e-6), 1);
  tf.dispose([q, k, v]);
});

for (const [b, td, te, a] of [[2, 3, 5, 8], [3, 1, 7, 12], [1, 4, 2, 256]]) {
  Deno.test(`additiveScores() and its gradients on wasm match cpu's composed ops (B=${b}, Td=${td}, Te=${te}, A=${a})`, async () => {
    // g has zeros, as the softmax gives padded positions: the backward pass skips them
    const f = () => {
      const q = rand([b, td, a], 10, 1.5), k = rand([b, te, a], 11, 1.5), v = rand([a, 1], 12);
      const g = tf.mul(rand([b, td, te], 13), tf.cast(tf.greater(rand([b, td, te], 14), -0.5), "float32"));
      const loss = (qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor) =>
        tf.sum(tf.mul(additiveScores(qi as tf.Tensor3D, ki as tf.Tensor3D, vi), g));
      const grads = tf.grads(loss)([q, k, v]);
      return [additiveScores(q as tf.Tensor3D, k as tf.Tensor3D, v), ...grads];
    };
    const [cpu, wasm] = await servedBy([ATT_SCORES, ATT_SCORES_GRAD], () => valuesOnBackends(f));
    ["scores", "dq", "dk", "dv"].forEach((name, i) => {
      assertEquals(wasm[i].length, cpu[i].length, name);
      assertLessOrEqual(
        closeness(wasm[i], cpu[i], 1e-5, 5e-6),
        1,
        `${name}: wasm ${wasm[i].slice(0, 6)} vs cpu ${cpu[i].slice(0, 6)}`,
      );
    });
  });
}

Deno.test("additiveScores() composes tfjs ops when A is not a multiple of 4 or the kernels are uninstalled", () => {
  const [q, k, v] = [rand([1, 2, 6], 20), rand([1, 3, 6], 21), rand([6, 1], 22)];
  const want = scoresByHand(
    q.arraySync() as number[][][],
    k.arraySync() as number[][][],
    v.dataSync() as unknown as number[],
  );
  const viaOps = additiveScores(q as tf.Tensor3D, k as tf.Tensor3D, v).arraySync();
  assertLessOrEqual(closeness(viaOps.flat(2), want.flat(2), 1e-5, 2e-6), 1);
  installKernels({ blas: false, attention: false });
  try {
    assertEquals(tf.getKernel(ATT_SCORES, "wasm"), undefined);
    const [q4, k4, v4] = [rand([1, 2, 4], 23), rand([1, 3, 4], 24), rand([4], 25)];
    const composed = additiveScores(q4 as tf.Tensor3D, k4 as tf.Tensor3D, v4).arraySync();
    installKernels({ blas: false });
    const fused = additiveScores(q4 as tf.Tensor3D, k4 as tf.Tensor3D, v4).arraySync();
    assertLessOrEqual(closeness(fused.flat(2), composed.flat(2), 1e-5, 2e-6), 1);
    tf.dispose([q4, k4, v4]);
  } finally {
    installKernels({ blas: false });
  }
  tf.dispose([q, k, v]);
});

Deno.test("the fused scores and their gradient leave no tensor behind", () => {
  const [q, k, v] = [rand([2, 3, 8], 30), rand([2, 4, 8], 31), rand([8], 32)];
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    tf.dispose(
      tf.tidy(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(additiveScores(a as tf.Tensor3D, b as tf.Tensor3D, c))
        )([q, k, v])
      ),
    );
  }
  assertEquals(tf.memory().numTensors, before);
  tf.dispose([q, k, v]);
});

const GEMM_CASES: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
  { a: [6, 1, 50], b: [6, 50, 9], tA: false, tB: false }, // one-row products: the SIMD gemv
  { a: [3, 2, 1, 7], b: [3, 2, 7, 5], tA: false, tB: false },
  { a: [5, 7], b: [7, 3], tA: false, tB: false },
  { a: [7, 5], b: [7, 3], tA: true, tB: false },
  { a: [5, 7], b: [3, 7], tA: false, tB: true },
  { a: [7, 5], b: [3, 7], tA: true, tB: true },
  { a: [1, 1], b: [1, 1], tA: false, tB: false },
  { a: [9, 33], b: [33, 17], tA: false, tB: false }, // partial row block and partial panel
  { a: [64, 100], b: [100, 256], tA: false, tB: false },
  { a: [300, 16], b: [300, 9], tA: true, tB: false },
  { a: [4, 5, 7], b: [7, 3], tA: false, tB: false },
  { a: [4, 7, 5], b: [3, 7], tA: true, tB: true },
  { a: [4, 5, 7], b: [4, 7, 3], tA: false, tB: false },
  { a: [2, 3, 5, 7], b: [2, 3, 7, 4], tA: false, tB: false },
];

Deno.test("the SIMD GEMM path (no OpenBLAS) matches cpu for every transpose, batch and ragged size, gradients included", async () => {
  installKernels({ blas: false });
  try {
    assertEquals(activeChains("wasm").BatchMatMul[0], "simd-gemm");
    for (const [i, c] of GEMM_CASES.entries()) {
      const f = () => {
        const a = rand(c.a, 40 + i), b = rand(c.b, 60 + i);
        const y = tf.matMul(a, b, c.tA, c.tB);
        const sameBatch = c.a.length === c.b.length;
        return sameBatch
          ? [
            y,
            ...tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, z, c.tA, c.tB))))([
              a,
              b,
            ]),
          ]
          : [y];
      };
      const [cpu, wasm] = await valuesOnBackends(f);
      cpu.forEach((want, j) => {
        // float32 sums in another order: errors grow with the size of the terms (gradients here reach ~400)
        const atol = 1e-6 * Math.max(10, ...want.map(Math.abs));
        assertLessOrEqual(closeness(wasm[j], want, 1e-5, atol), 1, `case ${JSON.stringify(c)} output ${j}`);
      });
    }
  } finally {
    await initBackend({ backend: "wasm", blas: false });
  }
});

Deno.test("the SIMD GEMM path computes fused matmuls with bias and relu like cpu", async () => {
  installKernels({ blas: false });
  try {
    for (const [m, k, n] of [[3, 5, 7], [10, 64, 20], [1, 3, 9]]) {
      const f = () =>
        [undefined, "relu" as const].map((activation) =>
          tf.fused.matMul({ a: rand([m, k], m), b: rand([k, n], k), bias: rand([n], n), activation })
        );
      const [cpu, wasm] = await servedBy(["_FusedMatMul"], () => valuesOnBackends(f), "simd-gemm");
      cpu.forEach((want, j) =>
        assertLessOrEqual(closeness(wasm[j], want, 1e-5, 1e-5), 1, `${m}x${k}x${n} ${j}`)
      );
    }
  } finally {
    await initBackend({ backend: "wasm", blas: false });
  }
});

Deno.test("initBackend() without OpenBLAS routes matmuls to the SIMD GEMM, and SEQ2SEQ_GEMM=xnnpack or OpenBLAS do not", async () => {
  await initBackend({ backend: "wasm", blas: false });
  assertEquals(activeChains("wasm").BatchMatMul[0], "simd-gemm");
  assertEquals(activeChains("wasm")._FusedMatMul[0], "simd-gemm");
  await initBackend({ backend: "wasm", blas: false, gemm: false });
  assertEquals(activeChains("wasm").BatchMatMul[0], "fast");
  await initBackend({ backend: "wasm", blas: false });
  installKernels({ blas: false, matmul: false });
  assertEquals(activeChains("wasm").BatchMatMul, undefined); // the native kernel alone
  await initBackend({ backend: "wasm", blas: false });
  assertEquals(activeChains("wasm").BatchMatMul[0], "simd-gemm");
});

Deno.test("Sum over leading axes runs in one pass on wasm and matches cpu; other reductions still do", async () => {
  const cases: [number[], number | number[], boolean][] = [
    [[7, 13], 0, false],
    [[1200, 37], 0, true],
    [[3, 4, 5], [0, 1], false],
    [[3, 4, 5], [1, 0], true],
    [[3, 4, 5], 1, false], // not leading: the native kernel
    [[3, 4, 5], -1, false],
    [[6], 0, false],
    [[2, 3], [0, 1], false],
    // few columns: blocks of rows summed as wide rows, then the partial sums and the last rows
    [[384, 4000], [0, 1], false], // a sum of everything: cols 1
    [[5003, 3], 0, true], // 85 rows a block, 58 blocks and 73 rows left over
    [[1025], 0, false],
    [[40, 63], 0, false], // 4 rows a block: 10 blocks
  ];
  for (const [i, [shape, axis, keepDims]] of cases.entries()) {
    const [cpu, wasm] = await valuesOnBackends(() => {
      const x = rand(shape, 80 + i, 3);
      return [tf.sum(x, axis, keepDims), tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.sum(t, axis))))(x)];
    });
    cpu.forEach((want, j) => {
      // sums of up to 1.5 M terms of size ~3, added in another order: absolute errors follow the largest value
      // and, for a sum of everything, the square root of the number of terms
      const largest = want.reduce((m, v) => Math.max(m, Math.abs(v)), 10);
      const terms = want.length === 1 ? shape.reduce((a, b) => a * b, 1) : 1;
      const atol = 1e-6 * largest * Math.max(1, Math.sqrt(terms / 1000));
      assertLessOrEqual(closeness(wasm[j], want, 1e-5, atol), 1, `${shape} axis ${axis} output ${j}`);
    });
  }
  assertEquals(activeChains("wasm").Sum[0], "simd");
  assertEquals(tf.sum(tf.tensor2d([[1, 2], [3, 4]]), 0, true).shape, [1, 2]);
});

Deno.test("lstmCell() on wasm gives the gates, cell and hidden state of the formulas computed on cpu", async () => {
  for (const [b, u] of [[3, 4], [5, 12], [2, 256]]) {
    const f = () => {
      const z1 = rand([b, 4 * u], 90 + u, 2) as tf.Tensor2D,
        z2 = rand([b, 4 * u], 92 + u, 2) as tf.Tensor2D;
      const c = rand([b, u], 91 + u, 2) as tf.Tensor2D, z = tf.add(z1, z2);
      const fused = lstmCell(z1, z2, c);
      if (fused) return fused;
      // the formulas, on a backend without the kernel
      const act = (t: tf.Tensor) => tf.sigmoid(t);
      const [zi, zf, zc, zo] = tf.split(z, 4, 1);
      const [i, fg, o] = [act(zi), act(zf), act(zo)], g = tf.tanh(zc);
      const c2 = tf.add(tf.mul(fg, c), tf.mul(i, g)), tc = tf.tanh(c2);
      return [tf.concat([i, fg, g, o], 1), g, c2, tc, tf.mul(o, tc)];
    };
    const [cpu, wasm] = await valuesOnBackends(f);
    ["a", "g", "c", "tanh(c)", "h"].forEach((name, j) =>
      assertLessOrEqual(closeness(wasm[j], cpu[j], 1e-5, 1e-6), 1, `B=${b} U=${u}: ${name}`)
    );
  }
  const z0 = tf.zeros([1, 12]) as tf.Tensor2D;
  assertEquals(lstmCell(z0, z0, tf.zeros([1, 3]) as tf.Tensor2D), null); // U % 4
  // z1's rows from an offset: step 1 of a time-major (T*B, 4U) product, in place
  const [zAll, z2, c] = [rand([3 * 2, 16], 120), rand([2, 16], 121), rand([2, 4], 122)] as tf.Tensor2D[];
  const [, , cAt, , hAt] = lstmCell(zAll, z2, c, 2)!;
  const [, , cCut, , hCut] = lstmCell(tf.slice(zAll, [2, 0], [2, 16]), z2, c)!;
  assertEquals([cAt.dataSync(), hAt.dataSync()], [cCut.dataSync(), hCut.dataSync()]);
  assertThrows(() => lstmCell(zAll, z2, c, 5), RangeError, "outside z1");
});

Deno.test("rowArgMax() gives the first index of each row's largest value and the value, like tf.argMax and tf.max", async () => {
  const rows = [[0.1, 0.7, 0.2], [5, 5, -1], [-3, -2, -2.5], [Number.NEGATIVE_INFINITY, -1e30, -1e30]].map((
    r,
  ) => [
    ...r,
    ...r.map((v) => v - 10), // 6 columns: a SIMD block of 4 and a tail of 2
  ]);
  rows.push([1, 2, 9, 3, 9, 9], [0, 0, 0, 0, 0, 7], [
    Number.NEGATIVE_INFINITY,
    ...new Array(5).fill(Number.NEGATIVE_INFINITY),
  ]);
  const [cpu, wasm] = await valuesOnBackends(() => {
    const { index, value } = rowArgMax(tf.tensor2d(rows));
    return [index, value];
  });
  assertEquals([...wasm[0]], [1, 0, 1, 1, 2, 5, 0]); // ties: the first
  assertEquals([...wasm[1]], [...cpu[1]]);
  assertEquals([...cpu[0]], [...wasm[0]]);
  assertEquals(activeChains("wasm").RowArgMax[0], "simd");
  const big = rand([3, 10000], 99);
  const { index, value } = rowArgMax(big as tf.Tensor2D);
  assertEquals([...index.dataSync()], [...tf.argMax(big, 1).dataSync()]);
  assertEquals([...value.dataSync()], [...tf.max(big, 1).dataSync()]);
  tf.dispose([big, index, value]);
});

Deno.test("softmaxArgMax() gives each row's first arg-max and its softmax probability, as tf.softmax then tf.argMax do", async () => {
  // ties (the first wins), a SIMD block and a tail, large and negative logits, and the paper's 10,000 columns
  const small = [[0.1, 0.7, 0.2, 0.7, -3, 0.5], [5, 5, -1, 4, 4, 5], [-300, -200, -250, -200, -201, -299]];
  const r = mulberry32(98);
  const wide = Array.from({ length: 5 }, () => Array.from({ length: 10000 }, () => (r() * 2 - 1) * 20));
  for (const rows of [small, wide]) {
    const [cpu, wasm] = await valuesOnBackends(() => {
      const { index, value } = softmaxArgMax(tf.tensor2d(rows));
      const probs = tf.softmax(tf.tensor2d(rows));
      // the arg-max of the logits: that of the probabilities can differ where two logits round to one probability
      return [index, value, tf.argMax(tf.tensor2d(rows), 1), tf.max(probs, 1)];
    });
    assertEquals([...wasm[0]], [...wasm[2]], "wasm: the index is the logits' first arg-max");
    assertEquals([...cpu[0]], [...wasm[0]], "the same index on cpu");
    for (const [what, got, want] of [["wasm", wasm[1], wasm[3]], ["cpu", cpu[1], wasm[3]]] as const) {
      got.forEach((p, r) =>
        assert(Math.abs(p - want[r]) <= 1e-5 * want[r], `${what} row ${r}: ${p} vs ${want[r]}`)
      );
    }
  }
  assertEquals([...(await valuesOnBackends(() => [softmaxArgMax(tf.tensor2d(small)).index]))[1][0]], [
    1,
    0,
    1,
  ]);
  assertEquals(activeChains("wasm").SoftmaxArgMax[0], "simd");
  // a NaN: the index is tf.argMax's on both backends (0 where the row starts with one), the probability NaN
  const nan = [[NaN, 1, 2, 0, 0, 0, 0, 0, 0], [1, NaN, 2, 0, 0, 0, 0, 0, 3], [
    NaN,
    NaN,
    NaN,
    NaN,
    1,
    1,
    1,
    1,
    9,
  ]];
  const [cpuNan, wasmNan] = await valuesOnBackends(() => {
    const { index, value } = softmaxArgMax(tf.tensor2d(nan));
    return [index, value, tf.argMax(tf.tensor2d(nan), 1)];
  });
  for (const got of [cpuNan, wasmNan]) {
    assertEquals([...got[0]], [...wasmNan[2]]);
    assert(got[1].every(Number.isNaN));
  }
  const before = tf.memory().numTensors;
  const x = tf.tensor2d(small);
  tf.dispose(Object.values(softmaxArgMax(x)));
  x.dispose();
  assertEquals(tf.memory().numTensors, before);
});

for (const [rows, cols, scale] of [[9, 37, 4], [6, 10000, 30]]) {
  Deno.test(`softmaxCrossEntropy() on wasm (a kernel each way) equals its formulas in tfjs ops on cpu: nll, hits and the gradient (${rows} rows of ${cols}, logits up to ${scale})`, async () => {
    const f = () => {
      const logits = rand([rows, cols], cols, scale) as tf.Tensor2D;
      // padding (0) in rows 2 and 5, the rest real, row 1's target its arg-max (a hit)
      const ids = Array.from(
        { length: rows },
        (_, r) => r === 2 || r === 5 ? 0 : 1 + (r * 7919) % (cols - 1),
      );
      ids[1] = tf.argMax(tf.slice(logits, [1, 0], [1, cols]), 1).dataSync()[0];
      const target = tf.tensor1d(ids, "int32");
      const weights = rand([rows], 7); // dy: a different weight per row
      const loss = (l: tf.Tensor) =>
        tf.sum(tf.mul(softmaxCrossEntropy(l as tf.Tensor2D, target, 1e-7).nll, weights));
      const { nll, hits } = softmaxCrossEntropy(logits, target, 1e-7);
      return [nll, hits, tf.grad(loss)(logits)];
    };
    const [cpu, wasm] = await servedBy([SOFTMAX_CE, SOFTMAX_CE_GRAD], () => valuesOnBackends(f));
    assertLessOrEqual(closeness(wasm[0], cpu[0], 1e-5, 1e-6), 1, `nll: wasm ${wasm[0]} vs cpu ${cpu[0]}`);
    assertEquals([...wasm[1]], [...cpu[1]]);
    assertEquals(wasm[1][1], 1);
    assertLessOrEqual(closeness(wasm[2], cpu[2], 1e-4, 1e-8), 1, "gradient");
    assertEquals(activeChains("wasm")[SOFTMAX_CE], ["simd"]);
    assertEquals(activeChains("wasm")[SOFTMAX_CE_GRAD], ["simd"]);
  });
}

Deno.test("softmaxCrossEntropy() on wasm: a NaN or +inf gives NaN in its row, padded or not; -inf is a probability of 0; a target outside the vocabulary throws; nothing is left behind", () => {
  const [nan, inf] = [Number.NaN, Number.POSITIVE_INFINITY];
  const rows = [[1, nan, 0, 2, 1], [1, 2, inf, 0, 1], [0, 1, 2, 3, nan], [-inf, 1, 2, 3, 4], [
    -inf,
    1,
    2,
    3,
    4,
  ]];
  const logits = tf.tensor2d(rows), target = tf.tensor1d([1, 3, 0, 2, 0], "int32");
  const before = tf.memory().numTensors;
  const { nll, hits } = softmaxCrossEntropy(logits, target, 1e-7);
  const v = nll.dataSync();
  assert([0, 1, 2].every((r) => Number.isNaN(v[r])), `rows with NaN or +inf: ${v}`);
  const p = Math.exp(2) / [1, 2, 3, 4].reduce((s, x) => s + Math.exp(x), 0);
  assertLessOrEqual(Math.abs(v[3] - -Math.log(p + 1e-7)), 1e-5);
  assertEquals([v[4], hits.dataSync()[4]], [0, 0]); // padding with a -inf: nothing
  tf.dispose([nll, hits]);
  tf.dispose(
    tf.grad((l: tf.Tensor) => tf.sum(softmaxCrossEntropy(l as tf.Tensor2D, target, 1e-7).nll))(logits),
  );
  assertEquals(tf.memory().numTensors, before);
  const outside = tf.tensor1d([1, 5, 0, 2, 0], "int32");
  assertThrows(() => softmaxCrossEntropy(logits, outside, 1e-7), RangeError, "outside [0, 5)");
  assertEquals(tf.memory().numTensors, before + 1, "only the targets made here");
  tf.dispose([logits, target, outside]);
});

/**
 * Operands of `copyCrossEntropy()`: B rows of T steps over V words and Tin input positions whose extended ids repeat
 * (ids below V, and V + i for unknown words), targets among them, outside them, and padding.
 */
function copyOperands(b: number, t: number, v: number, tin: number, seed: number) {
  const r = mulberry32(seed);
  const rows = b * t;
  const logits = rand([rows, v], seed, 4) as tf.Tensor2D;
  const gate = tf.sigmoid(rand([rows], seed + 1, 3)) as tf.Tensor1D;
  const attention = tf.softmax(rand([rows, tin], seed + 2, 3)) as tf.Tensor2D;
  const ids = Array.from({ length: b * tin }, (_, k) => {
    const i = k % tin;
    return r() < 0.3 ? v + Math.floor(r() * (i + 1)) : Math.floor(r() * Math.min(v, 2 * tin)); // some repeat
  });
  const target = Array.from({ length: rows }, (_, k) => {
    const u = r(), row = Math.floor(k / t);
    if (u < 0.2) return 0; // padding
    if (u < 0.6) return ids[row * tin + Math.floor(r() * tin)] || 1; // a word of the input
    return 1 + Math.floor(r() * (v + tin - 1)); // any id
  });
  return {
    logits,
    gate,
    attention,
    extended: tf.tensor2d(ids, [b, tin], "int32"),
    target: tf.tensor1d(target, "int32"),
  };
}

for (const [b, t, v, tin] of [[3, 4, 37, 7], [2, 5, 3000, 16]]) {
  Deno.test(`copyCrossEntropy() on wasm (its kernels) equals its formulas in tfjs ops on cpu: nll, hits and the gradients w.r.t. logits, gate and attention (B ${b}, T ${t}, V ${v}, Tin ${tin})`, async () => {
    const [cpu, wasm] = await servedBy([COPY_CE, COPY_CE_GRAD], () =>
      valuesOnBackends(() => {
        const { logits, gate, attention, extended, target } = copyOperands(b, t, v, tin, v + tin);
        const weights = rand([b * t], 7); // dy: a different weight per row
        const loss = (l: tf.Tensor, g: tf.Tensor, a: tf.Tensor) =>
          tf.sum(tf.mul(
            copyCrossEntropy(l as tf.Tensor2D, g as tf.Tensor1D, a as tf.Tensor2D, extended, target, 1e-7)
              .nll,
            weights,
          ));
        const { nll, hits } = copyCrossEntropy(logits, gate, attention, extended, target, 1e-7);
        return [nll, hits, ...tf.grads(loss)([logits, gate, attention])];
      }));
    assertLessOrEqual(closeness(wasm[0], cpu[0], 1e-5, 1e-6), 1, `nll: wasm ${wasm[0]} vs cpu ${cpu[0]}`);
    assertEquals([...wasm[1]], [...cpu[1]], "hits");
    assert(wasm[1].some((h) => h === 1), "some hits");
    for (const [i, what] of [[2, "logits"], [3, "gate"], [4, "attention"]] as const) {
      assertLessOrEqual(closeness(wasm[i], cpu[i], 1e-4, 1e-8), 1, `gradient w.r.t. ${what}`);
    }
    assertEquals(activeChains("wasm")[COPY_CE], ["simd"]);
    assertEquals(activeChains("wasm")[COPY_CE_GRAD], ["simd"]);
  });
}

Deno.test("copyCrossEntropy(): a tie in the extended distribution goes to the smaller id, as tf.argMax picks, on cpu and wasm; an id outside [0, V + Tin) throws on wasm; nothing is left behind", async () => {
  // V = 4, Tin = 2. Row 0: columns 1, 2, 3 share the largest logit; the gate 1 - 2^-10 leaves 2^-10 to copy, all of
  // it to id 5 (V + 1): ids 1, 2 and 3 (id 3 also in the input, with attention 0) tie, and 1 is the arg-max. Rows 1 and
  // 2: uniform logits and gate 0.5 (0.125 a word), the input's ids 5 and 4 with attention 0.5 each (0.25 each): the tie
  // goes to id 4, the second position's. All these numbers are exact in float32.
  const logits = tf.tensor2d([[-1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
  const gate = tf.tensor1d([1 - 2 ** -10, 0.5, 0.5]);
  const attention = tf.tensor2d([[0, 1], [0.5, 0.5], [0.5, 0.5]]);
  const extended = tf.tensor2d([[3, 5], [5, 4], [5, 4]], [3, 2], "int32");
  const before = tf.memory().numTensors;
  for (
    const [targets, expected] of [[[1, 4, 5], [1, 1, 0]], [[3, 5, 4], [0, 0, 1]], [[2, 0, 1], [0, 0, 0]]]
  ) {
    const target = tf.tensor1d(targets, "int32");
    const [cpu, wasm] = await valuesOnBackends(() =>
      copyCrossEntropy(logits, gate, attention, extended, target, 1e-7).hits
    );
    assertEquals([[...cpu[0]], [...wasm[0]]], [expected, expected], `targets ${targets}`);
    target.dispose();
  }
  assertEquals(tf.memory().numTensors, before);
  const outside = tf.tensor1d([1, 6, 0], "int32");
  assertThrows(
    () => copyCrossEntropy(logits, gate, attention, extended, outside, 1e-7),
    RangeError,
    "outside [0, 6)",
  );
  tf.dispose([logits, gate, attention, extended, outside]);
});

Deno.test({
  // a one-core machine or SEQ2SEQ_GEMM_THREADS=1: the path is not used there (the backend was set up above)
  name: `the SIMD GEMM on two threads (big products) matches cpu, transposes and fused bias included${
    gemmThreadsStatus() === "2 threads" ? "" : ` (ignored: the GEMM runs on ${gemmThreadsStatus()})`
  }`,
  ignore: gemmThreadsStatus() !== "2 threads",
}, async () => {
  await initBackend({ backend: "wasm", blas: false });
  const before = threadStats.calls;
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
    const [m, k, n] = [328, 320, 321]; // odd N: a partial panel on the worker's side
    const f = () => {
      const a = rand(tA ? [k, m] : [m, k], 130), b = rand(tB ? [n, k] : [k, n], 131);
      return [
        tf.matMul(a, b, tA, tB),
        tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, bias: rand([n], 132) }),
      ];
    };
    const [cpu, wasm] = await valuesOnBackends(f);
    cpu.forEach((want, j) => {
      const atol = 1e-6 * Math.max(10, ...want.map(Math.abs));
      assertLessOrEqual(closeness(wasm[j], want, 1e-5, atol), 1, `tA=${tA} tB=${tB} output ${j}`);
    });
  }
  assertEquals(threadStats.calls - before, 8, "every product ran on two threads");
});

Deno.test("the SIMD GEMM reuses a packed B only for the same tensor: a new B in the old one's memory is packed anew", () => {
  installKernels({ blas: false });
  try {
    const byHand = (a: number[][], b: number[][]) =>
      a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));
    for (let round = 0; round < 3; round++) {
      const b = rand([9, 11], 140 + round); // disposed below, so the next round's B may land at the same address
      const bv = b.arraySync() as number[][];
      for (let i = 0; i < 3; i++) {
        const a = rand([5, 9], 150 + 10 * round + i);
        const got = tf.matMul(a, b).arraySync() as number[][];
        assertLessOrEqual(
          closeness(got.flat(), byHand(a.arraySync() as number[][], bv).flat(), 1e-5, 1e-5),
          1,
        );
        tf.dispose(a);
      }
      tf.dispose(b);
    }
  } finally {
    installKernels({ blas: false });
  }
});

Deno.test("lstmSequenceInference() on wasm (one kernel for every step) equals the steps composed on cpu, OpenBLAS or not", async () => {
  for (const blas of [false, true]) {
    await initBackend({ backend: "wasm", blas });
    const [t, b, u] = [7, 5, 8];
    const f = () => {
      const xw = rand([t * b, 4 * u], 160, 2) as tf.Tensor2D, rw = rand([u, 4 * u], 161) as tf.Tensor2D;
      const h0 = rand([b, u], 162) as tf.Tensor2D, c0 = rand([b, u], 163) as tf.Tensor2D;
      const whole = lstmSequenceInference(xw, rw, h0, c0);
      if (whole) return whole;
      // the formulas step by step, where the kernel is not registered (cpu)
      const act = (z: tf.Tensor) => tf.sigmoid(z);
      let h: tf.Tensor = h0, c: tf.Tensor = c0;
      const hs: tf.Tensor[] = [];
      for (let s = 0; s < t; s++) {
        const z = tf.add(tf.slice(xw, [s * b, 0], [b, 4 * u]), tf.matMul(h, rw));
        const [zi, zf, zc, zo] = tf.split(z, 4, 1);
        c = tf.add(tf.mul(act(zf), c), tf.mul(act(zi), tf.tanh(zc)));
        h = tf.mul(act(zo), tf.tanh(c));
        hs.push(h);
      }
      return [tf.stack(hs), h, c];
    };
    // the kernel's implementation is named for its GEMM: OpenBLAS's or ours
    const [cpu, wasm] = await servedBy(
      [LSTM_SEQUENCE],
      () => valuesOnBackends(f),
      blas ? "simd-blas" : "simd",
    );
    ["hs", "hT", "cT"].forEach((name, j) =>
      assertLessOrEqual(closeness(wasm[j], cpu[j], 1e-5, 1e-6), 1, `blas=${blas}: ${name}`)
    );
  }
  await initBackend({ backend: "wasm", blas: false });
  assertEquals(activeChains("wasm").LstmSequence, ["simd"]);
});

Deno.test("a process that used the two-thread GEMM exits by itself (the worker never holds it open)", async () => {
  const code = `
    import * as tf from "@tensorflow/tfjs";
    import { initBackend } from "${new URL("../lib/backend/choose.ts", import.meta.url).href}";
    import { gemmThreadsStatus, threadStats } from "${
    new URL("../lib/backend/simd/gemm_threads.ts", import.meta.url).href
  }";
    await initBackend({ backend: "wasm", blas: false });
    tf.matMul(tf.ones([320, 320]), tf.ones([320, 320])).dataSync();
    console.log(JSON.stringify({ status: gemmThreadsStatus(), calls: threadStats.calls }));
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const { status, calls } = JSON.parse(text.trim().split("\n").at(-1)!);
  if (status === "2 threads") assertEquals(calls, 1, "the product ran on two threads");
  else assertStringIncludes(status, "one thread");
});

Deno.test("FastLSTM's training step on wasm runs its recurrences in the sequence kernels and gives cpu's gradients", async () => {
  const { fastLstm } = await import("../lib/speed/fast_lstm.ts");
  for (const blas of [false, true]) {
    await initBackend({ backend: "wasm", blas });
    const f = () => {
      const layer = fastLstm({
        units: 8,
        recurrentActivation: "sigmoid",
        returnSequences: true,
        returnState: true,
      });
      const x = rand([3, 6, 5], 170);
      const h0 = rand([3, 8], 171), c0 = rand([3, 8], 172);
      layer.apply(x, { initialState: [h0, c0] }); // build
      const weights = layer.getWeights();
      weights.forEach((w, i) => layer.weights[i].write(rand(w.shape, 180 + i, 0.5)));
      const loss = (xi: tf.Tensor, hi: tf.Tensor, ci: tf.Tensor) => {
        const [seq, h, c] = layer.apply(xi, { initialState: [hi, ci] }) as tf.Tensor[];
        return tf.add(tf.add(tf.sum(tf.square(seq)), tf.sum(tf.mul(h, 3))), tf.sum(tf.mul(c, c)));
      };
      const { value, grads } = tf.variableGrads(
        () => loss(x, h0, c0) as tf.Scalar,
        layer.trainableWeights.map((w) => w.read() as tf.Variable),
      );
      const inputGrads = tf.grads(loss)([x, h0, c0]);
      const out = [value, ...Object.values(grads), ...inputGrads];
      layer.dispose();
      return out;
    };
    const impl = blas ? "simd-blas" : "simd";
    const [cpu, wasm] = await servedBy([LSTM_SEQUENCE, LSTM_BACKWARD], () => valuesOnBackends(f), impl);
    cpu.forEach((want, j) =>
      assertLessOrEqual(
        closeness(wasm[j], want, 1e-5, 1e-5),
        1,
        `blas=${blas} output ${j}: ${wasm[j].slice(0, 3)} vs ${want.slice(0, 3)}`,
      )
    );
  }
  await initBackend({ backend: "wasm", blas: false });
  assertEquals(activeChains("wasm").LstmSequenceBackward, ["simd"]);
});

Deno.test("the SIMD GEMM's packed-B cache sees a variable's new value after assign (same object, new data)", () => {
  installKernels({ blas: false });
  try {
    const w = tf.variable(rand([8, 12], 190));
    const a = rand([4, 8], 191);
    const before = tf.matMul(a, w).arraySync();
    w.assign(rand([8, 12], 192));
    const after = tf.matMul(a, w).arraySync() as number[][];
    const wv = w.arraySync() as number[][], av = a.arraySync() as number[][];
    const want = av.map((r) => wv[0].map((_, j) => r.reduce((s, x, k) => s + x * wv[k][j], 0)));
    assertLessOrEqual(closeness(after.flat(), want.flat(), 1e-5, 1e-5), 1);
    assert(JSON.stringify(after) !== JSON.stringify(before));
    tf.dispose([w, a]);
  } finally {
    installKernels({ blas: false });
  }
});
