// The kernel table (lib/backend/table.ts) and its installer (lib/backend/install.ts): what install and uninstall
// leave registered, that the chains depend on the options only, the report's chains, and the usage counters.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { KERNEL_TABLE, type KernelOptions } from "../lib/backend/table.ts";
import { activeChains, installKernels, uninstallKernels } from "../lib/backend/install.ts";
import { formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { formatKernelUsage, kernelUsage, resetKernelUsage } from "../lib/backend/usage.ts";
import { lstmCell, lstmSequenceInference } from "../lib/backend/simd/ops.ts";

const NO_NODE = ["/nonexistent/seq2seq-test/node_modules"];

// the webgpu backend's package registers its kernels (AddN among them) when imported; nothing here runs on it
await import("@tensorflow/tfjs-backend-webgpu");
await tf.setBackend("wasm");

/** Every kernel registered for the table's backends, by `backend/kernel`, with the config object registered. */
function registry(): Map<string, tf.KernelConfig> {
  const m = new Map<string, tf.KernelConfig>();
  for (const b of ["wasm", "cpu", "webgpu"]) {
    for (const k of tf.getKernelsForBackend(b)) m.set(`${b}/${k.kernelName}`, tf.getKernel(k.kernelName, b));
  }
  return m;
}

// taken before anything of ours is registered in this isolate
const NATIVE = registry();

const OPTION_SETS: KernelOptions[] = [
  {},
  { blas: false },
  { blas: false, gemm: false },
  { blas: false, matmul: false, attention: false },
  { lstm: false, sum: false, argmax: false, crossEntropy: false, scatterAdd: false },
  { identity: false, slice: false, tanh: false, gather: false },
];

Deno.test("install then uninstall leaves exactly the native kernels registered (every kernel of the table, all backends)", () => {
  assert(tf.getKernel("AddN", "webgpu"), "the webgpu package is loaded: its row is covered too");
  for (const opts of OPTION_SETS) {
    const chains = installKernels(opts);
    assertEquals(chains.webgpu, { AddN: ["addn-groups", "native"] });
    assert(registry().size > NATIVE.size, "our own kernels are registered");
    uninstallKernels();
    const now = registry();
    assertEquals([...now.keys()].sort(), [...NATIVE.keys()].sort(), JSON.stringify(opts));
    for (const row of KERNEL_TABLE) {
      const key = `${row.backend}/${row.kernel}`;
      assertEquals(now.get(key), NATIVE.get(key), key); // the very native config, or none
    }
    assertEquals(activeChains(), {});
  }
  uninstallKernels(); // twice: nothing left to do
  assertEquals([...registry().keys()].sort(), [...NATIVE.keys()].sort());
});

Deno.test("installing in any order, repeatedly, with other options in between, gives the same chains", () => {
  const fresh = OPTION_SETS.map((opts) => {
    uninstallKernels();
    return installKernels(opts);
  });
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < OPTION_SETS.length; i++) {
      // every other option set first, in a different order each round, then this one (twice)
      const others = OPTION_SETS.filter((_, j) => j !== i);
      for (const o of round ? others.reverse() : others) installKernels(o);
      installKernels(OPTION_SETS[i]);
      assertEquals(installKernels(OPTION_SETS[i]), fresh[i], JSON.stringify(OPTION_SETS[i]));
      const names = [...registry().keys()].sort();
      uninstallKernels();
      installKernels(OPTION_SETS[i]);
      assertEquals([...registry().keys()].sort(), names, "the same kernels registered");
    }
  }
  // the chains the options ask for: the XNNPACK fold alone, then OpenBLAS or our GEMM in front of it
  assertEquals(installKernels({ blas: false, gemm: false }).wasm.BatchMatMul, ["fast", "native"]);
  assertEquals(installKernels({ blas: false }).wasm.BatchMatMul, ["simd-gemm", "fast", "native"]);
  assertEquals(installKernels({ blas: false, matmul: false }).wasm.BatchMatMul, undefined);
  assertEquals(installKernels({ blas: false, lstm: false }).wasm.LstmSequence, undefined);
  assertEquals(tf.getKernel("LstmSequence", "wasm"), undefined);
  assert(tf.getKernel("AdditiveAttentionScores", "wasm"), "attention is its own option");
  uninstallKernels();
});

Deno.test("the backend report lists every kernel's chain, the native kernel last where the backend has one", async () => {
  const r = await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  const wasmRows = KERNEL_TABLE.filter((row) => row.backend === "wasm");
  assertEquals(Object.keys(r.chains).sort(), wasmRows.map((row) => row.kernel).sort());
  for (const row of wasmRows) {
    const chain = r.chains[row.kernel];
    assertEquals(chain.at(-1) === "native", !row.own && !row.fillIn, `${row.kernel}: ${chain}`);
    assert(r.kernels.includes(`${row.kernel} (${chain[0]})`), row.kernel);
  }
  assertEquals(r.chains.BatchMatMul, ["simd-gemm", "fast", "native"]);
  assertEquals(r.chains.LstmSequence, ["simd"]);
  const line = formatBackendReport(r);
  assert(!line.includes("\n"));
  assertStringIncludes(line, `[BatchMatMul: simd-gemm > fast > native; ${wasmRows.length - 1} more kernels]`);
  const cpu = await initBackend({ backend: "cpu", nodeModules: NO_NODE });
  assertEquals(cpu.chains, { UnsortedSegmentSum: ["scatter-add", "native"] });
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
});

Deno.test("the LSTM kernels have their own option, apart from attention (initBackend's fast groups)", async () => {
  const noLstm = await initBackend({
    backend: "wasm",
    blas: false,
    fast: { lstm: false },
    nodeModules: NO_NODE,
  });
  for (const k of ["LstmCellForward", "LstmSequence", "LstmSequenceBackward"]) {
    assertEquals(noLstm.chains[k], undefined, k);
    assertEquals(tf.getKernel(k, "wasm"), undefined, k);
  }
  assertEquals(noLstm.chains.AdditiveAttentionScores, ["simd"]);
  const noAtt = await initBackend({
    backend: "wasm",
    blas: false,
    fast: { attention: false },
    nodeModules: NO_NODE,
  });
  assertEquals(noAtt.chains.AdditiveAttentionScores, undefined);
  assertEquals(noAtt.chains.AdditiveAttentionScoresGrad, undefined);
  assertEquals(noAtt.chains.LstmSequence, ["simd"]);
  const none = await initBackend({ backend: "wasm", blas: false, fast: false, nodeModules: NO_NODE });
  assertEquals(none.chains, { UnsortedSegmentSum: ["fill-in"] }); // training still needs the fill-in
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
});

Deno.test("kernelUsage() counts the calls per implementation and every fallback with its reason (units 6: composed ops)", async () => {
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
  resetKernelUsage();
  tf.tidy(() => {
    const z = tf.zeros([2, 24]) as tf.Tensor2D, c = tf.zeros([2, 6]) as tf.Tensor2D;
    assertEquals(lstmCell(z, z, c), null); // units 6: the caller composes tfjs ops
    const z8 = tf.zeros([2, 32]) as tf.Tensor2D, c8 = tf.zeros([2, 8]) as tf.Tensor2D;
    assert(lstmCell(z8, z8, c8) !== null);
    assertEquals(lstmSequenceInference(tf.zeros([0, 32]), tf.zeros([8, 32]), c8, c8), null); // no steps
    tf.sum(tf.ones([3, 4]), 1).dataSync(); // not the leading axes: the native Sum
    tf.sum(tf.ones([3, 4]), 0).dataSync();
  });
  const usage = kernelUsage();
  const of = (kernel: string) => usage.find((u) => u.backend === "wasm" && u.kernel === kernel)!;
  assertEquals(of("LstmCellForward").calls, { simd: 1 });
  assertEquals(of("LstmCellForward").fallbacks, [
    { from: "kernel", to: "composed tfjs ops", reason: "units 6 not a multiple of 4", count: 1 },
  ]);
  assertEquals(of("LstmSequence").fallbacks.map((f) => f.reason), ["no time steps"]);
  assertEquals(of("Sum").calls, { simd: 1, native: 1 });
  assertEquals(of("Sum").fallbacks, [{
    from: "simd",
    to: "native",
    reason: "not the leading axes",
    count: 1,
  }]);
  const text = formatKernelUsage();
  assertStringIncludes(text, "LstmCellForward: units 6 not a multiple of 4 -> composed tfjs ops (x1)");
  assertStringIncludes(text, "Sum simd: not the leading axes -> native (x1)");
  // on a backend without the kernels the ops say so too
  await initBackend({ backend: "cpu", nodeModules: NO_NODE });
  resetKernelUsage();
  tf.tidy(() => {
    lstmCell(tf.zeros([1, 16]), tf.zeros([1, 16]), tf.zeros([1, 4]));
  });
  assertEquals(kernelUsage()[0].fallbacks[0].reason, "no kernel on cpu");
  await initBackend({ backend: "wasm", blas: false, nodeModules: NO_NODE });
});

Deno.test("lib/backend has no import cycle (its relative imports, type imports included)", () => {
  const root = new URL("../lib/backend/", import.meta.url);
  const files: string[] = [];
  const walk = (dir: URL) => {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) walk(new URL(`${e.name}/`, dir));
      else if (e.name.endsWith(".ts")) files.push(new URL(e.name, dir).href);
    }
  };
  walk(root);
  const deps = (f: string) =>
    [...Deno.readTextFileSync(new URL(f)).matchAll(/^(?:import|export)[^;]*?from\s+"(\.{1,2}\/[^"]+)"/gms)]
      .map((m) => new URL(m[1], f).href).filter((d) => d.startsWith(root.href));
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    state.set(f, "open");
    for (const d of deps(f)) {
      if (state.get(d) === "open") cycles.push([...path.slice(path.indexOf(d)), f, d].join(" -> "));
      else if (!state.has(d)) visit(d, [...path, f]);
    }
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f, []);
  assert(files.length > 15, `${files.length} files`);
  assertEquals(cycles, []);
});
