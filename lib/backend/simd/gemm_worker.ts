/**
 * The second thread of the SIMD GEMM (./gemm_threads.ts): it instantiates the kernels on the shared memory it is
 * given, then waits for jobs on the control array and computes its block of C's columns. Not for direct use.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { CTL, type GemmExports } from "./gemm_threads.ts";

const { memory, binary, control } = workerData as {
  memory: WebAssembly.Memory;
  binary: Uint8Array<ArrayBuffer>;
  control: SharedArrayBuffer;
};
const e = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory } })
  .exports as unknown as GemmExports;
const ctl = new Int32Array(control);
parentPort!.postMessage("ready");
for (;;) {
  Atomics.wait(ctl, CTL.state, 0);
  if (Atomics.load(ctl, CTL.state) === 2) break;
  const p = (i: number) => ctl[CTL.params + i];
  // params: b, ksB, jsB, K, N, pb, a, rsA, ksA, c, M, beta, tmp, ldc
  e.gemm_pack_b(p(0), p(1), p(2), p(3), p(4), p(5));
  e.gemm(p(6), p(7), p(8), p(5), p(9), p(10), p(4), p(3), p(11), p(12), p(13));
  Atomics.store(ctl, CTL.state, 0);
  Atomics.store(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}
