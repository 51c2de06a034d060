// Picking and reporting the backend (lib/backend/choose.ts).
import * as tf from "@tensorflow/tfjs";
import { simdFma } from "../lib/backend/simd/kernels.ts";
import { gemmThreadsStatus } from "../lib/backend/simd/gemm_threads.ts";
import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "@std/assert";
import {
  BackendError,
  type BackendReport,
  formatBackendReport,
  initBackend,
  probeTfjsNode,
} from "../lib/backend/choose.ts";
import { withEnvVar } from "./fixtures/env.ts";

/** A node_modules that does not exist, so that the tests do not depend on what this machine has installed. */
const emptyModules = "/nonexistent/seq2seq-test/node_modules";

/** Run `f` with SEQ2SEQ_BACKEND set to `value` (or unset), restoring it afterwards. */
const withEnv = <T>(value: string | undefined, f: () => Promise<T>) =>
  withEnvVar("SEQ2SEQ_BACKEND", value, f);

Deno.test("initBackend({backend: 'cpu'}) activates cpu, says it was forced, and lists the cpu scatter-add", async () => {
  const r = await withEnv(undefined, () => initBackend({ backend: "cpu", nodeModules: [emptyModules] }));
  assertEquals(tf.getBackend(), "cpu");
  assertEquals(r.name, "cpu");
  assertEquals(r.reason, "forced by config");
  assertEquals(r.tried, [{ name: "cpu", ok: true, why: "pure JS" }]);
  assertEquals(r.kernels, ["UnsortedSegmentSum (scatter-add)"]);
  assertEquals(r.chains, { UnsortedSegmentSum: ["scatter-add", "native"] });
  assertEquals(r.blas.enabled, false);
  assertEquals(formatBackendReport(r), "backend: cpu (forced by config)");
});

Deno.test("initBackend({backend: 'wasm'}) installs the fill-ins and overrides and is idempotent", async () => {
  for (let i = 0; i < 2; i++) {
    const r = await withEnv(
      undefined,
      () => initBackend({ backend: "wasm", blas: false, nodeModules: [emptyModules] }),
    );
    assertEquals(tf.getBackend(), "wasm");
    assertEquals(r.kernels, [
      "AdditiveAttentionScores (simd)",
      "AdditiveAttentionScoresGrad (simd)",
      "BatchMatMul (simd-gemm)",
      "CopyCrossEntropy (simd)",
      "CopyCrossEntropyGrad (simd)",
      "GatherV2 (fast)",
      "Identity (fast)",
      "LstmCellForward (simd)",
      "LstmSequence (simd)",
      "LstmSequenceBackward (simd)",
      "RowArgMax (simd)",
      "Slice (fast)",
      "SoftmaxArgMax (simd)",
      "SoftmaxCrossEntropy (simd)",
      "SoftmaxCrossEntropyGrad (simd)",
      "SplitV (fast)",
      "Sum (simd)",
      "Tanh (fast)",
      "Unpack (fast)",
      "UnsortedSegmentSum (fill-in)",
      "_FusedMatMul (simd-gemm)",
    ]);
    assertEquals(r.blas, { enabled: false, why: "off (blas=false)" });
    assertEquals(
      formatBackendReport(r),
      `backend: wasm (forced by config) + SIMD GEMM matmul (WebAssembly${
        simdFma() ? ", relaxed-SIMD FMA" : ""
      }, ${gemmThreadsStatus()}; no OpenBLAS: off (blas=false)) [BatchMatMul: simd-gemm > fast > native; 20 more kernels]`,
    );
    assertEquals(r.chains.BatchMatMul, ["simd-gemm", "fast", "native"]);
    assertEquals(Object.keys(r.chains).length, r.kernels.length);
  }
  // training kernels work: the embedding gradient needs the fill-in
  const g = tf.tidy(() =>
    tf.grad((e: tf.Tensor) => tf.sum(tf.gather(e, tf.tensor1d([1, 1, 0], "int32"))))(tf.ones([3, 2]))
      .dataSync()
  );
  assertEquals([...g], [1, 1, 2, 2, 0, 0]);
});

Deno.test("initBackend() with blas on reports OpenBLAS or why not, and switching it off restores the SIMD GEMM", async () => {
  const r = await withEnv(
    undefined,
    () => initBackend({ backend: "wasm", blas: true, nodeModules: [emptyModules] }),
  );
  if (r.blas.enabled) {
    assert(
      r.kernels.includes("BatchMatMul (blas)") && r.kernels.includes("_FusedMatMul (blas)"),
      String(r.kernels),
    );
    assertMatch(
      formatBackendReport(r),
      /^backend: wasm \(forced by config\) \+ OpenBLAS matmul \(libopenblas/,
    );
  } else {
    assert(r.kernels.includes("BatchMatMul (simd-gemm)"));
    assertStringIncludes(formatBackendReport(r), "SIMD GEMM matmul (WebAssembly");
  }
  const off = await withEnv(
    undefined,
    () => initBackend({ backend: "wasm", blas: false, nodeModules: [emptyModules] }),
  );
  assert(off.kernels.includes("BatchMatMul (simd-gemm)"));
  assert(!off.kernels.includes("_FusedMatMul (blas)"));
  const xnn = await withEnv(
    undefined,
    () => initBackend({ backend: "wasm", blas: false, gemm: false, nodeModules: [emptyModules] }),
  );
  assert(xnn.kernels.includes("BatchMatMul (fast)"), String(xnn.kernels));
  assertStringIncludes(formatBackendReport(xnn), "XNNPACK matmul (no OpenBLAS: off (blas=false))");
  await initBackend({ backend: "wasm", blas: false, nodeModules: [emptyModules] });
});

Deno.test("auto order without tfjs-node picks wasm and reports every candidate tried", async () => {
  const r = await withEnv(undefined, () => initBackend({ nodeModules: [emptyModules] }));
  assertEquals(r.name, "wasm");
  assertEquals(r.reason, "first available in the automatic order");
  assertEquals(r.tried.map((t) => t.name), ["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm"]);
  assertEquals(r.tried.slice(0, 2).map((t) => t.why), ["not installed", "not installed"]);
  assertEquals(r.tried[2].ok, false); // no hardware adapter here
  assertStringIncludes(
    formatBackendReport(r),
    "backend: wasm (tfjs-node-gpu not installed; tfjs-node not installed; webgpu: ",
  );
});

Deno.test("SEQ2SEQ_BACKEND forces a backend when the config says auto; the config wins otherwise", async () => {
  const r = await withEnv("cpu", () => initBackend({ backend: "auto", nodeModules: [emptyModules] }));
  assertEquals(r.name, "cpu");
  assertEquals(r.reason, "forced by SEQ2SEQ_BACKEND");
  const r2 = await withEnv(
    "cpu",
    () => initBackend({ backend: "wasm", blas: false, nodeModules: [emptyModules] }),
  );
  assertEquals(r2.name, "wasm");
  await withEnv(
    "gpu",
    () =>
      assertRejects(
        () => initBackend({ nodeModules: [emptyModules] }),
        BackendError,
        'SEQ2SEQ_BACKEND="gpu"',
      ),
  );
});

Deno.test("forcing tensorflow without tfjs-node installed throws a BackendError saying what to install", async () => {
  const err = await withEnv(
    undefined,
    () =>
      assertRejects(() => initBackend({ backend: "tensorflow", nodeModules: [emptyModules] }), BackendError),
  );
  assertStringIncludes(err.message, 'backend "tensorflow" (forced by config) cannot be used');
  assertStringIncludes(err.message, "tfjs-node-gpu: not installed; tfjs-node: not installed");
  assertStringIncludes(err.message, "npm install @tensorflow/tfjs-node@4.22.0");
  assertStringIncludes(err.message, "--backend=wasm");
  assertEquals(err.name, "BackendError");
  assert(!err.message.includes("\n"), "one line, printable without a stack trace");
  // the failed attempt left a usable backend active
  assert(["cpu", "wasm"].includes(tf.getBackend()));
});

Deno.test("probeTfjsNode() tells a package without its native addon from a complete one, importing nothing", () => {
  const nm = Deno.makeTempDirSync({ prefix: "seq2seq-nm-" });
  const dir = `${nm}/@tensorflow/tfjs-node`;
  Deno.mkdirSync(`${dir}/lib/napi-v8`, { recursive: true });
  Deno.writeTextFileSync(
    `${dir}/package.json`,
    JSON.stringify({ name: "@tensorflow/tfjs-node", version: "4.22.0" }),
  );
  const broken = probeTfjsNode("tfjs-node", [emptyModules, nm]);
  assertEquals(broken.present, false);
  assertStringIncludes(
    broken.why,
    "installed (4.22.0) but its native addon lib/napi-v*/tfjs_binding.node is missing",
  );
  Deno.writeFileSync(`${dir}/lib/napi-v8/tfjs_binding.node`, new Uint8Array(4));
  assertEquals(probeTfjsNode("tfjs-node", [nm]), {
    present: true,
    dir,
    version: "4.22.0",
    why: "installed (4.22.0)",
  });
  assertEquals(probeTfjsNode("tfjs-node-gpu", [nm]).why, "not installed");
  Deno.removeSync(nm, { recursive: true });
});

Deno.test("formatBackendReport() gives one line: backend, failed candidates, matmul path", () => {
  const r: BackendReport = {
    name: "wasm",
    reason: "first available in the automatic order",
    tried: [
      { name: "tfjs-node-gpu", ok: false, why: "not installed" },
      { name: "tfjs-node", ok: false, why: "not installed" },
      { name: "webgpu", ok: false, why: "software adapter only: llvmpipe" },
      { name: "wasm", ok: true, why: "wasm (XNNPACK, SIMD)" },
    ],
    kernels: [],
    chains: {},
    blas: { enabled: true, why: "OpenBLAS", lib: "libopenblas.so.0", threads: 2 },
  };
  assertEquals(
    formatBackendReport(r),
    "backend: wasm (tfjs-node-gpu not installed; tfjs-node not installed; webgpu: software adapter only: llvmpipe)" +
      " + OpenBLAS matmul (libopenblas.so.0, 2 threads)",
  );
});
