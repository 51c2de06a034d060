/**
 * The SIMD GEMM on two threads, for the path without OpenBLAS. tfjs's wasm memory is not shared, so a product big
 * enough to pay for it is copied into a shared WebAssembly memory of our own; the main thread and one worker
 * (./gemm_worker.ts, a `node:worker_threads` worker, unref'd so that it never keeps the process alive) each pack and
 * compute half of C's column panels there, synchronised through `Atomics`, and C is copied back.
 *
 * {@linkcode startGemmThreads} starts the worker (once); until it is ready, or where it cannot start, the GEMM runs
 * on one thread. `SEQ2SEQ_GEMM_THREADS=1` keeps it on one thread.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { envVar } from "../../util/env.ts";

/** How long {@linkcode startGemmThreads} waits for the worker before running the GEMM on one thread. */
const READY_TIMEOUT_MS = 20_000;

/** Slots of the control array shared with the worker. */
export const CTL = { state: 0, done: 1, params: 2 } as const;

/** Products smaller than this many multiply-adds stay on one thread (the hand-off costs ~30 us). */
export const THREAD_MIN_MACS = 1 << 21;
/**
 * Nor do products with fewer multiply-adds than this per element copied in and out: a recurrent step's
 * (64 x 256) . (256 x 1024) (49 per element) ran no faster on two threads, a (640 x 256) . (256 x 2000) (167) 1.6x.
 */
export const THREAD_MIN_MACS_PER_COPY = 100;

/** The GEMM exports of the kernels module (./source.ts), on either thread. */
export interface GemmExports {
  gemm_pack_b(b: number, ksB: number, jsB: number, k: number, n: number, pb: number): void;
  gemm(
    a: number,
    rsA: number,
    ksA: number,
    pb: number,
    c: number,
    m: number,
    n: number,
    k: number,
    beta: number,
    tmp: number,
    ldc: number,
  ): void;
}

interface Pool {
  memory: WebAssembly.Memory;
  e: GemmExports;
  ctl: Int32Array;
  worker: Worker;
  ready: boolean;
}

let pool: Pool | null = null;
let starting: Promise<number> | null = null;
let why = "not started";

/** Calls that ran on two threads (for tests and benchmarks). */
export const threadStats = { calls: 0 };

/** Switch for benchmarks: `enabled: false` keeps every product on one thread even with the worker up. */
export const threadOptions = { enabled: true };

/**
 * Start the GEMM's worker thread on the kernels' shared-memory build `binary` (once). Resolves to the threads the
 * GEMM will use: 2, or 1 where the machine has one core, `SEQ2SEQ_GEMM_THREADS=1` says so, or the worker failed
 * ({@linkcode gemmThreadsStatus} says why).
 */
export function startGemmThreads(binary: Uint8Array<ArrayBuffer>): Promise<number> {
  if (starting) return starting;
  const wanted = Number(envVar("SEQ2SEQ_GEMM_THREADS") ?? (navigator.hardwareConcurrency || 1));
  if (!(wanted >= 2)) {
    why = `one thread (${envVar("SEQ2SEQ_GEMM_THREADS") ? "SEQ2SEQ_GEMM_THREADS" : "one core"})`;
    return starting = Promise.resolve(1);
  }
  starting = (async () => {
    try {
      const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
      const control = new SharedArrayBuffer(4 * 32);
      const e = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory } })
        .exports as unknown as GemmExports;
      const worker = new Worker(new URL("./gemm_worker.ts", import.meta.url), {
        workerData: { memory, binary, control },
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once("error", reject);
          // a worker that neither starts nor fails must not hold up the backend's initialisation
          timer = setTimeout(
            () => reject(new Error(`no answer in ${READY_TIMEOUT_MS / 1000} s`)),
            READY_TIMEOUT_MS,
          );
        });
      } catch (err) {
        worker.terminate();
        throw err;
      } finally {
        clearTimeout(timer);
      }
      worker.unref();
      pool = { memory, e, ctl: new Int32Array(control), worker, ready: true };
      why = "2 threads";
      return 2;
    } catch (err) {
      why = `one thread (the worker did not start: ${
        err instanceof Error ? err.message.split("\n")[0] : err
      })`;
      return 1;
    }
  })();
  return starting;
}

/** How the GEMM runs: "2 threads", or "one thread (why)". */
export function gemmThreadsStatus(): string {
  return why;
}

const align = (n: number) => Math.ceil(n / 64) * 64;

/**
 * `C = op(A) op(B) (+ C when beta)` on two threads, A, B and C given as byte offsets into `heap` (tfjs's wasm memory
 * buffer); returns false (and does nothing) when the worker is not ready or the product is too small to gain.
 */
export function threadedGemm(
  heap: ArrayBuffer,
  tA: boolean,
  tB: boolean,
  M: number,
  N: number,
  K: number,
  aPtr: number,
  bPtr: number,
  cPtr: number,
  beta: number,
  nr: number,
): boolean {
  const p = pool;
  const macs = M * N * K, copied = M * K + K * N + M * N;
  if (
    !p?.ready || !threadOptions.enabled || macs < THREAD_MIN_MACS ||
    macs < THREAD_MIN_MACS_PER_COPY * copied || N < 2 * nr
  ) {
    return false;
  }
  const panels = Math.ceil(N / nr), mine = Math.ceil(panels / 2), n0 = Math.min(N, mine * nr), n1 = N - n0;
  if (n1 <= 0) return false;
  // layout in the shared memory: A, B, C, packed B, two 32-byte scratch areas
  const a = 0, b = align(a + 4 * M * K), c = align(b + 4 * K * N), pb = align(c + 4 * M * N);
  const tmp0 = align(pb + 4 * K * panels * nr), tmp1 = tmp0 + 64, end = tmp1 + 64;
  if (end > p.memory.buffer.byteLength) p.memory.grow(Math.ceil((end - p.memory.buffer.byteLength) / 65536));
  const shared = new Float32Array(p.memory.buffer);
  shared.set(new Float32Array(heap, aPtr, M * K), a / 4);
  shared.set(new Float32Array(heap, bPtr, K * N), b / 4);
  if (beta) shared.set(new Float32Array(heap, cPtr, M * N), c / 4);
  // op(B)(k, j) at b + k*ksB + j*jsB; op(A)(i, k) at a + i*rsA + k*ksA (bytes)
  const ksB = tB ? 4 : 4 * N, jsB = tB ? 4 * K : 4, rsA = tA ? 4 : 4 * K, ksA = tA ? 4 * M : 4;
  const pb1 = pb + 4 * K * mine * nr;
  const params = [b + n0 * jsB, ksB, jsB, K, n1, pb1, a, rsA, ksA, c + 4 * n0, M, beta ? 1 : 0, tmp1, N];
  p.ctl.set(params, CTL.params);
  Atomics.store(p.ctl, CTL.done, 0);
  Atomics.store(p.ctl, CTL.state, 1);
  Atomics.notify(p.ctl, CTL.state);
  // this thread: the first n0 columns
  p.e.gemm_pack_b(b, ksB, jsB, K, n0, pb);
  p.e.gemm(a, rsA, ksA, pb, c, M, n0, K, beta ? 1 : 0, tmp0, N);
  while (Atomics.load(p.ctl, CTL.done) === 0) Atomics.wait(p.ctl, CTL.done, 0);
  new Float32Array(heap, cPtr, M * N).set(new Float32Array(p.memory.buffer, c, M * N));
  threadStats.calls++;
  return true;
}
