// The webgpu backend (lib/backend/webgpu.ts, chosen by lib/backend/choose.ts): picking it, reporting
// the adapter, the clear error for synchronous reads, and training equivalence with the cpu backend
// (three RMSprop steps of the real seq2seq model with the masked loss). Runs on any WebGPU adapter,
// Mesa's software one included (Debian `mesa-vulkan-drivers`); without an adapter the GPU tests are
// skipped with a console line saying why.
import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertEquals,
  assertGreater,
  assertLess,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { BackendError, formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { type BackendComparison, compareBackends } from "./fixtures/equivalence.ts";
import {
  describeAdapter,
  guardSyncReads,
  probeWebGpu,
  resetWebGpuProbe,
  WebGpuSyncReadError,
} from "../lib/backend/webgpu.ts";
import { seq2seqSubject, SMALL } from "./fixtures/seq2seq_subject.ts";
import { skipUnlessAvailable, withEnvVar } from "./fixtures/env.ts";

const NO_NODE = ["/nonexistent/seq2seq-test/node_modules"];

const probe = await probeWebGpu();
const noAdapter = skipUnlessAvailable(
  probe.adapter !== undefined,
  "a WebGPU adapter (Debian mesa-vulkan-drivers)",
);
if (noAdapter) {
  console.log(`backend_webgpu_test: skipping the webgpu tests: ${probe.why}`);
}

/** Run `f` with SEQ2SEQ_BACKEND set to `value` (or unset), restoring it afterwards. */
const withEnv = <T>(value: string | undefined, f: () => Promise<T>) =>
  withEnvVar("SEQ2SEQ_BACKEND", value, f);

/** A WebGPU device holds OS resources for the life of the process: not a leak of one test. */
const gpuTest = (name: string, fn: () => Promise<void> | void): Deno.TestDefinition => ({
  name,
  ignore: noAdapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn,
});

Deno.test("describeAdapter() flags fallback adapters and software rasterisers by name, not GPUs", () => {
  const llvmpipe = describeAdapter({ description: "llvmpipe (LLVM 15.0.6, 256 bits)", vendor: "65541" });
  assertEquals(llvmpipe.software, true);
  assertEquals(llvmpipe.isFallbackAdapter, false);
  assertEquals(describeAdapter({ vendor: "google", architecture: "swiftshader" }).software, true);
  assertEquals(describeAdapter({ description: "Microsoft Basic Render Driver" }).software, true);
  const fallback = describeAdapter({ description: "Some Adapter", isFallbackAdapter: true });
  assertEquals([fallback.software, fallback.isFallbackAdapter], [true, true]);
  assertEquals(describeAdapter({ description: "Some Adapter" }, true).software, true); // older runtimes
  const gpu = describeAdapter({ description: "NVIDIA H100 80GB HBM3", vendor: "4318", architecture: "" });
  assertEquals([gpu.software, gpu.description], [false, "NVIDIA H100 80GB HBM3"]);
  assertEquals(describeAdapter({ vendor: "4318", device: "8961" }).description, "vendor 4318 device 8961");
  assertEquals(describeAdapter({}).description, "unnamed adapter");
});

Deno.test("probeWebGpu() reports no adapter when the runtime has no navigator.gpu, and forcing webgpu then throws", async () => {
  const own = Object.getOwnPropertyDescriptor(navigator, "gpu");
  Object.defineProperty(navigator, "gpu", { value: undefined, configurable: true });
  resetWebGpuProbe();
  try {
    const p = await probeWebGpu();
    assertEquals(p.hardware, false);
    assertEquals(p.adapter, undefined);
    assertStringIncludes(p.why, "navigator.gpu is missing");
    const err = await withEnv(
      undefined,
      () => assertRejects(() => initBackend({ backend: "webgpu", nodeModules: NO_NODE }), BackendError),
    );
    assertStringIncludes(err.message, 'backend "webgpu" (forced by config) cannot be used');
    assertStringIncludes(err.message, "webgpu: no WebGPU in this runtime");
    assertStringIncludes(err.message, "mesa-vulkan-drivers");
    assert(!err.message.includes("\n"), "one line");
    assertNotEquals(tf.getBackend(), "webgpu");
  } finally {
    if (own) Object.defineProperty(navigator, "gpu", own);
    else delete (navigator as unknown as { gpu?: unknown }).gpu;
    resetWebGpuProbe();
  }
  assertEquals((await probeWebGpu()).why, probe.why); // the real adapter again
});

Deno.test(
  gpuTest(
    "initBackend({backend: 'webgpu'}) runs on any adapter, software included, and names it",
    async () => {
      const r = await withEnv(undefined, () => initBackend({ backend: "webgpu", nodeModules: NO_NODE }));
      assertEquals(tf.getBackend(), "webgpu");
      assertEquals(r.name, "webgpu");
      assertEquals(r.reason, "forced by config");
      assertEquals(r.tried.map((t) => [t.name, t.ok]), [["webgpu", true]]);
      assertEquals(r.adapter, probe.adapter);
      assertEquals(r.kernels, ["AddN (addn-groups)"]); // the AddN fix, reported
      const desc = probe.adapter!.description;
      assertEquals(
        formatBackendReport(r),
        `backend: webgpu (forced by config) on ${desc}${
          probe.adapter!.software ? ", a software adapter (slow)" : ""
        }`,
      );
      // it computes: (2x3)(3x2) matmul against the hand-computed product
      const [a, b] = [tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2])];
      const c = tf.matMul(a, b);
      assertEquals([...await c.data()], [58, 64, 139, 154]);
      tf.dispose([a, b, c]);
    },
  ),
);

Deno.test(gpuTest("SEQ2SEQ_BACKEND=webgpu forces webgpu when the config says auto", async () => {
  const r = await withEnv("webgpu", () => initBackend({ backend: "auto", nodeModules: NO_NODE }));
  assertEquals([r.name, r.reason], ["webgpu", "forced by SEQ2SEQ_BACKEND"]);
  assertEquals(r.adapter?.description, probe.adapter!.description);
}));

Deno.test(
  gpuTest("the automatic order uses webgpu for a hardware adapter only, after tfjs-node", async () => {
    const r = await withEnv(undefined, () => initBackend({ nodeModules: NO_NODE }));
    assertEquals(r.tried.slice(0, 3).map((t) => t.name), ["tfjs-node-gpu", "tfjs-node", "webgpu"]);
    if (probe.hardware) {
      assertEquals([r.name, r.tried[2].ok], ["webgpu", true]);
    } else {
      assertEquals(r.name, "wasm");
      assertEquals(r.tried[2], {
        name: "webgpu",
        ok: false,
        why: `software adapter only: ${probe.adapter!.description}`,
      });
      assertEquals(r.adapter, undefined);
      assertStringIncludes(
        formatBackendReport(r),
        `webgpu: software adapter only: ${probe.adapter!.description}`,
      );
    }
  }),
);

Deno.test(
  gpuTest(
    "dataSync() of a tensor held on the GPU throws WebGpuSyncReadError; CPU-held values still read",
    async () => {
      await initBackend({ backend: "webgpu", nodeModules: NO_NODE });
      assertEquals(guardSyncReads(), true); // installed by initBackend, idempotent
      const a = tf.tensor1d([1, 2, 3]);
      assertEquals([...a.dataSync()], [1, 2, 3]); // never uploaded: its values are on the CPU
      const big = tf.ones([2000]); // above the size below which webgpu computes on the CPU
      const y = tf.mul(big, 2);
      const err = assertThrows(() => y.dataSync(), WebGpuSyncReadError);
      assertStringIncludes(err.message, "await tensor.data()");
      assertStringIncludes(err.message, "float32 tensor of shape [2000]");
      assertThrows(() => y.arraySync(), WebGpuSyncReadError);
      const v = await y.data();
      assertEquals([v.length, v[0], v[1999]], [2000, 2, 2]);
      assertEquals(y.dataSync()[5], 2); // read once asynchronously: cached on the CPU
      tf.dispose([a, big, y]);
    },
  ),
);

function detail(c: BackendComparison): string {
  const worst =
    [...c.variables].sort((a, b) => b.maxAbsDiff / (b.maxAbs || 1) - a.maxAbsDiff / (a.maxAbs || 1))[0];
  return JSON.stringify({
    losses: c.losses,
    maxLossRelDiff: c.maxLossRelDiff,
    maxWeightRelDiff: c.maxWeightRelDiff,
    worst,
  });
}

for (const extra of [{}, { copy: true, coverage: true }]) {
  Deno.test(
    gpuTest(
      `3 RMSprop steps of the seq2seq model${
        "copy" in extra ? " with copy attention and coverage" : ""
      } on webgpu match cpu within 1e-5 relative`,
      async () => {
        await initBackend({ backend: "webgpu", nodeModules: NO_NODE });
        const n0 = tf.memory().numTensors;
        const c = await compareBackends(seq2seqSubject({ ...SMALL, ...extra }), {
          backends: ["cpu", "webgpu"],
          steps: 3,
        });
        console.log(
          `  webgpu vs cpu: loss rel diff ${c.maxLossRelDiff.toExponential(2)}, weight rel diff ${
            c.maxWeightRelDiff.toExponential(2)
          } (${c.variables.length} variables)`,
        );
        assertEquals(tf.getBackend(), "webgpu"); // compareBackends restored it
        assertEquals(tf.memory().numTensors, n0);
        assertEquals(c.losses[0].length, 3);
        assertLess(c.maxLossRelDiff, 1e-5, detail(c));
        assertLess(c.maxWeightRelDiff, 1e-5, detail(c));
        assertGreater(c.maxWeightChange, 1e-3, "the steps moved the weights"); // so equal weights mean something
        assert(c.losses[0][2] < c.losses[0][0], `loss decreases: ${c.losses[0]}`);
      },
    ),
  );
}

Deno.test(
  gpuTest("tf.addN() of more than four tensors sums all of them on webgpu (AddN fix)", async () => {
    await initBackend({ backend: "webgpu", nodeModules: NO_NODE });
    for (const n of [3, 4, 5, 9, 16, 21]) {
      const xs = Array.from({ length: n }, (_, i) => tf.fill([3], i + 1));
      const y = tf.addN(xs);
      assertEquals(Array.from(await y.data()), Array(3).fill((n * (n + 1)) / 2), `addN of ${n}`);
      tf.dispose([...xs, y]);
    }
  }),
);
