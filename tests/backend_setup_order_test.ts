// Overrides registered BEFORE the wasm backend initialises still work: each keeps the native
// kernel's setupFunc, which binds the wasm functions the native kernel needs at initialisation.
import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { openBlas } from "../lib/backend/blas.ts";
import { nativeKernel } from "../lib/backend/kernel_registry.ts";
import { installKernels } from "../lib/backend/install.ts";
import { FAST_KERNELS } from "../lib/backend/wasm_fast.ts";

Deno.test("overrides installed before tf.setBackend('wasm') keep the native setupFunc and compute correctly", async () => {
  assertEquals(tf.findBackend("wasm"), null); // not initialised yet in this isolate
  installKernels({ blas: false, gemm: false }); // the speed overrides, the fill-ins, our kernels
  for (const k of Object.values(FAST_KERNELS).flat()) {
    assertEquals(tf.getKernel(k, "wasm").setupFunc, nativeKernel(k, "wasm")!.setupFunc, k);
  }
  await tf.setBackend("wasm");
  const n0 = tf.memory().numTensors;
  const a = () => tf.tensor2d([1, 2, 3, 4], [2, 2]), b = () => tf.tensor2d([5, 6, 7, 8], [2, 2]);
  // [[1,2],[3,4]]^T . [[5,6],[7,8]]^T = [[1*5+3*6, 1*7+3*8], [2*5+4*6, 2*7+4*8]]
  const product = () => [...tf.tidy(() => tf.matMul(a(), b(), true, true).dataSync())];
  assertEquals(product(), [23, 31, 34, 46]);
  const v = tf.tidy(() => tf.tanh(tf.tensor1d([0.5, -2])).dataSync());
  assertAlmostEquals(v[0], Math.tanh(0.5), 2e-7);
  assertAlmostEquals(v[1], Math.tanh(-2), 2e-7);
  const parts = tf.tidy(() => tf.unstack(a(), 1).map((p) => [...p.dataSync()]));
  assertEquals(parts, [[1, 3], [2, 4]]);
  // the BLAS kernels too (when available) keep the native setupFunc
  if (openBlas().enabled) {
    installKernels();
    assertEquals(
      tf.getKernel("_FusedMatMul", "wasm").setupFunc,
      nativeKernel("_FusedMatMul", "wasm")!.setupFunc,
    );
    assertEquals(product(), [23, 31, 34, 46]);
  }
  assertEquals(tf.memory().numTensors, n0);
});
