/**
 * A whole LSTM layer's forward steps in one kernel, `LstmSequence`, and its backward recurrence,
 * `LstmSequenceBackward`, for the `wasm` backend: per time step the recurrent product (the {@link Gemm} the kernel
 * table gives: OpenBLAS where it is loaded, else our SIMD GEMM; see ../table.ts) and the SIMD LSTM cell (sigmoid
 * gates), straight on heap buffers allocated once per call. Composed from tfjs ops the same steps cost an engine
 * call, a tidy scope and fresh tensors per step and per op, and a stack of the steps at the end.
 *
 * Forward inputs: `xw (T*B, 4U)`, the input products of every step, time-major (step s is rows s*B .. s*B+B-1),
 * bias included; `rw (U, 4U)`; `h0, c0 (B, U)`. Outputs: `hs (T, B, U)` time-major, `hT`, `cT (B, U)`, and with
 * attr `keep` (training) every step's gates, g, c and tanh(c) too. lib/speed/fast_lstm.ts calls it through
 * `lstmSequenceInference` and `lstmSequenceTrain` (./simd/ops.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasm, heapOffset, type KernelArgs } from "./kernel_registry.ts";
import { lstmCellRaw } from "./simd/kernels.ts";
import type { Gemm } from "./matmul.ts";

import { LSTM_BACKWARD, LSTM_SEQUENCE } from "./simd/ops.ts";
export { LSTM_BACKWARD, LSTM_SEQUENCE };

/** The forward kernel function with its recurrent products on `gemm`. */
export function lstmSequenceKernel(gemm: Gemm): tf.KernelFunc {
  return ((args: KernelArgs) => lstmSequenceSteps(gemm, args)) as unknown as tf.KernelFunc;
}

/** The backward kernel function with its recurrent products on `gemm`. */
export function lstmBackwardKernel(gemm: Gemm): tf.KernelFunc {
  return ((args: KernelArgs) => lstmBackwardSteps(gemm, args)) as unknown as tf.KernelFunc;
}

function lstmSequenceSteps(gemm: Gemm, { inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { xw, rw, h0, c0 } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [B, u] = h0.shape;
  const T = xw.shape[0] / B;
  const keep = !!attrs!.keep; // training: every step's gates, g, c and tanh(c) are outputs too
  const hs = backend.makeOutput([T, B, u], "float32");
  const hT = backend.makeOutput([B, u], "float32"), cT = backend.makeOutput([B, u], "float32");
  const kept = keep
    ? [[T, B, 4 * u], [T, B, u], [T, B, u], [T, B, u]].map((shape) => backend.makeOutput(shape, "float32"))
    : [];
  // scratch: z2 and a (B x 4U), g, tanh(c) and two cell states (B x U)
  const scratch = backend.makeOutput([B * (12 * u)], "float32");
  try {
    const off = { z2: 0, a: 4 * B * u, g: 8 * B * u, tc: 9 * B * u, c: [10 * B * u, 11 * B * u] };
    const at = (t: tf.TensorInfo, offset: number) => ({ t, offset });
    const addr = (t: tf.TensorInfo, offset = 0) => heapOffset(backend, t, offset);
    let hPrev = at(h0, 0), cPrevPtr = addr(c0);
    for (let s = 0; s < T; s++) {
      gemm(backend, false, false, B, 4 * u, u, hPrev, at(rw, 0), at(scratch, off.z2), 0);
      const cNew = keep ? addr(kept[2], s * B * u) : addr(scratch, off.c[s % 2]);
      lstmCellRaw(
        backend,
        addr(xw, s * B * 4 * u),
        addr(scratch, off.z2),
        cPrevPtr,
        keep ? addr(kept[0], s * B * 4 * u) : addr(scratch, off.a),
        keep ? addr(kept[1], s * B * u) : addr(scratch, off.g),
        cNew,
        keep ? addr(kept[3], s * B * u) : addr(scratch, off.tc),
        addr(hs, s * B * u),
        B,
        u,
      );
      hPrev = at(hs, s * B * u);
      cPrevPtr = cNew;
    }
    const heap = (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
    heap.copyWithin(addr(hT) / 4, addr(hs, (T - 1) * B * u) / 4, addr(hs, T * B * u) / 4);
    heap.copyWithin(addr(cT) / 4, cPrevPtr / 4, cPrevPtr / 4 + B * u);
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return [hs, hT, cT, ...kept];
}

/**
 * The LSTM's backward recurrence over all steps (`LstmSequenceBackward`), for lib/speed/fast_lstm.ts:
 * inputs `dy (T+1, B, U)` time-major (the gradients of h_1..h_T and of c_T), `rw (U, 4U)`, and what the forward
 * kernel kept per step: the gate activations `a (T, B, 4U)` (i, f, -, o; sigmoid), `g (T, B, U)`, the previous
 * cell state `cPrev (T, B, U)` and `tc = tanh(c) (T, B, U)`. Outputs `dz (T, B, 4U)` (the gradient of the gates'
 * pre-activations) and the cell gradient left at step 0 `(B, U)`. Per step, from the last:
 *
 * - `dh = dy_s + dz_{s+1} rw^T`, `dc = dh o (1 - tc^2) + dc_{s+1} f_{s+1}`,
 * - `dz_s = [dc g i', dc c_prev f', dc i (1 - g^2), dh tc o']` with `x' = x (1 - x)` (the sigmoid's derivative).
 *
 * The factors are computed here, in the step's one pass, rather than as (T, B, .) tensors of composed ops
 * beforehand (a split, a concat of four products and their derivatives: 40 ms of a 660 ms paper step).
 */
function lstmBackwardSteps(gemm: Gemm, { inputs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { dy, rw, a, g, cPrev, tc } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [T, B, u4] = a.shape, u = u4 / 4, n = B * u;
  const dz = backend.makeOutput([T, B, u4], "float32"), dcOut = backend.makeOutput([B, u], "float32");
  const scratch = backend.makeOutput([2 * n], "float32"); // dh, then dc
  try {
    const at = (t: tf.TensorInfo, offset: number) => ({ t, offset });
    const base = (t: tf.TensorInfo) => heapOffset(backend, t) / 4;
    for (let s = T - 1; s >= 0; s--) {
      // dh = dz_{s+1} rw^T (then + dy_s below)
      if (s < T - 1) {
        gemm(backend, false, true, B, u, u4, at(dz, (s + 1) * B * u4), at(rw, 0), at(scratch, 0), 0);
      }
      const h = (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32; // after the product (heap growth)
      const dh = base(scratch), dc = dh + n, dyS = base(dy) + s * n, dcLast = base(dy) + T * n;
      const aS = base(a) + s * B * u4, aN = base(a) + (s + 1) * B * u4, dzS = base(dz) + s * B * u4;
      const gS = base(g) + s * n, cpS = base(cPrev) + s * n, tcS = base(tc) + s * n;
      const last = s === T - 1;
      for (let r = 0; r < B; r++) {
        const row = r * u4;
        for (let j = 0; j < u; j++) {
          const i = r * u + j;
          const ig = h[aS + row + j], fg = h[aS + row + u + j], og = h[aS + row + 3 * u + j];
          const gi = h[gS + i], tci = h[tcS + i];
          const dhi = (last ? 0 : h[dh + i]) + h[dyS + i];
          // the carried cell gradient: dc_{s+1} f_{s+1}, or the gradient of c_T at the last step
          const dci = dhi * og * (1 - tci * tci) + (last ? h[dcLast + i] : h[dc + i] * h[aN + row + u + j]);
          h[dc + i] = dci;
          h[dzS + row + j] = dci * gi * ig * (1 - ig);
          h[dzS + row + u + j] = dci * h[cpS + i] * fg * (1 - fg);
          h[dzS + row + 2 * u + j] = dci * ig * (1 - gi * gi);
          h[dzS + row + 3 * u + j] = dhi * tci * og * (1 - og);
        }
      }
    }
    const h = (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
    h.copyWithin(base(dcOut), base(scratch) + n, base(scratch) + 2 * n);
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return [dz, dcOut];
}
