// The optional OpenBLAS matmul path (lib/backend/blas.ts) against the cpu backend.
// Skipped (ignored) where libopenblas is not installed; CI installs it so both paths are tested.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLessOrEqual, assertStringIncludes } from "@std/assert";
import { blasStats, openBlas, sgemm } from "../lib/backend/blas.ts";
import { closeness, valuesOnBackends } from "./fixtures/equivalence.ts";
import { nativeKernel } from "../lib/backend/kernel_registry.ts";
import { activeChains, installKernels } from "../lib/backend/install.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { matMulDims } from "../lib/backend/wasm_fast.ts";

await tf.setBackend("wasm");
(tf.findBackend("cpu") as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
const status = openBlas();
const ignore = !status.enabled;
if (ignore) console.warn(`OpenBLAS tests skipped: ${status.why}`);

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
};
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

Deno.test({
  name: "sgemm() computes a hand-checked 2x3 . 3x2 product, transposes and beta included",
  ignore,
  fn: () => {
    const A = new Float32Array([1, 2, 3, 4, 5, 6]); // 2x3
    const B = new Float32Array([7, 8, 9, 10, 11, 12]); // 3x2
    const C = new Float32Array(4);
    sgemm(false, false, 2, 2, 3, A, B, C);
    assertEquals([...C], [58, 64, 139, 154]);
    // A^T stored as 3x2 and B^T stored as 2x3 give the same product
    const At = new Float32Array([1, 4, 2, 5, 3, 6]), Bt = new Float32Array([7, 9, 11, 8, 10, 12]);
    const C2 = new Float32Array([1, 1, 1, 1]);
    sgemm(true, true, 2, 2, 3, At, Bt, C2, 1); // C2 = A.B + C2
    assertEquals([...C2], [59, 65, 140, 155]);
  },
});

const CASES: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
  { a: [6, 1, 50], b: [6, 50, 9], tA: false, tB: false }, // one-row products: the SIMD gemv
  { a: [3, 2, 1, 7], b: [3, 2, 7, 5], tA: false, tB: false },
  { a: [5, 7], b: [7, 3], tA: false, tB: false },
  { a: [7, 5], b: [7, 3], tA: true, tB: false },
  { a: [5, 7], b: [3, 7], tA: false, tB: true },
  { a: [7, 5], b: [3, 7], tA: true, tB: true },
  { a: [4, 5, 7], b: [7, 3], tA: false, tB: false },
  { a: [4, 7, 5], b: [3, 7], tA: true, tB: true },
  { a: [5, 7], b: [4, 7, 3], tA: false, tB: false },
  { a: [4, 7, 5], b: [4, 3, 7], tA: true, tB: true },
  { a: [2, 3, 5, 7], b: [2, 3, 7, 4], tA: false, tB: false },
  { a: [2, 1, 5, 7], b: [1, 3, 7, 4], tA: false, tB: false }, // two-sided broadcast: falls back
  { a: [64, 300], b: [300, 48], tA: false, tB: false },
];

Deno.test({
  name: "BLAS BatchMatMul matches cpu for every transpose and batch layout, gradients included",
  ignore,
  fn: async () => {
    const s = openBlas();
    assert(s.enabled, s.why);
    installKernels();
    assertEquals(activeChains("wasm").BatchMatMul[0], "blas");
    const calls0 = blasStats.calls;
    for (const [i, c] of CASES.entries()) {
      const a = rand(size(c.a), 10 + i), b = rand(size(c.b), 50 + i);
      const [cpu, wasm] = await valuesOnBackends(() =>
        tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.tA, c.tB)
      );
      assertLessOrEqual(closeness(wasm[0], cpu[0], 1e-5, 1e-5), 1, JSON.stringify(c));
      if (c.a.length !== c.b.length || c.a.slice(0, -2).some((d, k) => d !== c.b[k])) continue;
      const out = matMulDims(c.a, c.b, c.tA, c.tB).outShape;
      const w = rand(size(out), 90 + i);
      const [gc, gw] = await valuesOnBackends(() =>
        tf.grads((x: tf.Tensor, y: tf.Tensor) =>
          tf.sum(tf.mul(tf.matMul(x, y, c.tA, c.tB), tf.tensor(w, out)))
        )([
          tf.tensor(a, c.a),
          tf.tensor(b, c.b),
        ])
      );
      gc.forEach((g, k) =>
        assertLessOrEqual(closeness(gw[k], g, 1e-5, 1e-5), 1, `grad ${k} ${JSON.stringify(c)}`)
      );
    }
    assert(blasStats.calls > calls0);
  },
});

Deno.test({
  name:
    "BLAS _FusedMatMul matches cpu with bias (vector and scalar) and relu, and falls back for other activations",
  ignore,
  fn: async () => {
    openBlas();
    installKernels();
    const a = rand(6 * 4, 1), b = rand(4 * 5, 2), bias = rand(5, 3);
    const cases: {
      bias?: number[];
      biasShape?: number[];
      activation?: "linear" | "relu" | "elu";
      tB?: boolean;
    }[] = [
      {},
      { bias, biasShape: [5] },
      { bias, biasShape: [1, 5], activation: "relu" },
      { bias: [0.25], biasShape: [1] },
      { bias, biasShape: [5], activation: "elu" },
      { bias, biasShape: [5], tB: true },
    ];
    for (const c of cases) {
      const [cpu, wasm] = await valuesOnBackends(() =>
        tf.fused.matMul({
          a: tf.tensor2d(a, [6, 4]),
          b: c.tB ? tf.transpose(tf.tensor2d(b, [4, 5])) : tf.tensor2d(b, [4, 5]),
          transposeB: !!c.tB,
          bias: c.bias ? tf.tensor(c.bias, c.biasShape) : undefined,
          activation: c.activation ?? "linear",
        })
      );
      assertLessOrEqual(closeness(wasm[0], cpu[0], 1e-5, 1e-6), 1, JSON.stringify(c));
    }
  },
});

Deno.test({
  name:
    "openBlas() reports a library that cannot be loaded, and installKernels() without OpenBLAS and matmul overrides restores the wasm kernels",
  ignore,
  fn: () => {
    const bad = openBlas({ lib: "/nonexistent/libopenblas-missing.so" });
    assertEquals(bad.enabled, false);
    assertStringIncludes(bad.why, "OpenBLAS not found");
    assertStringIncludes(bad.why, "libopenblas0");
    assert(openBlas().enabled); // back to the default library
    installKernels();
    installKernels({ blas: false, matmul: false });
    assertEquals(tf.getKernel("BatchMatMul", "wasm"), nativeKernel("BatchMatMul", "wasm"));
    assertEquals(tf.getKernel("_FusedMatMul", "wasm"), nativeKernel("_FusedMatMul", "wasm"));
    installKernels();
    assertEquals(activeChains("wasm").BatchMatMul, ["blas", "fast", "native"]);
  },
});

Deno.test("without FFI permission openBlas() says so and how to grant it", async () => {
  const code = `import { openBlas } from "./lib/backend/blas.ts"; console.log(JSON.stringify(openBlas()));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "-"],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(code));
  await w.close();
  const res = await out.output();
  const text = new TextDecoder().decode(res.stdout).trim();
  assertEquals(res.code, 0, new TextDecoder().decode(res.stderr));
  const s = JSON.parse(text) as { enabled: boolean; why: string };
  assertEquals(s.enabled, false);
  assertStringIncludes(s.why, "--allow-ffi");
});
