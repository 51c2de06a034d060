/**
 * A whole LSTM layer's forward steps at inference in one kernel, `LstmSequenceInference`, for the `wasm` backend:
 * per time step the recurrent product (OpenBLAS where it is installed, else our SIMD GEMM) and the SIMD LSTM cell,
 * straight on heap buffers allocated once per call. Composed from tfjs ops the same steps cost an engine call, a
 * tidy scope and fresh tensors per step and per op, and a stack of the steps at the end.
 *
 * Inputs: `xw (T*B, 4U)`, the input products of every step, time-major (step s is rows s*B .. s*B+B-1), bias
 * included; `rw (U, 4U)`; `h0, c0 (B, U)`. Attr `hard`: hardSigmoid gates (affine part folded into xw and rw).
 * Outputs: `hs (T, B, U)` time-major, `hT`, `cT (B, U)`. lib/model/support/fast_lstm.ts calls it through
 * `lstmSequenceInference` (./simd/ops.ts) outside a gradient tape.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { asWasm, type KernelArgs, replaceKernel, replacementTag, restoreKernel } from "./kernel_registry.ts";
import { blasGemm } from "./blas.ts";
import { lstmCellRaw, simdGemm } from "./simd/kernels.ts";
import type { Gemm } from "./matmul.ts";

import { LSTM_SEQUENCE } from "./simd/ops.ts";
export { LSTM_SEQUENCE };

function lstmSequenceKernel({ inputs, attrs, backend: b }: KernelArgs): tf.TensorInfo[] {
  const { xw, rw, h0, c0 } = inputs as Record<string, tf.TensorInfo>;
  const backend = asWasm(b);
  const [B, u] = h0.shape;
  const T = xw.shape[0] / B;
  // the recurrent products go where the matmuls go: OpenBLAS when it is installed, else our GEMM
  const gemm: Gemm = replacementTag("BatchMatMul", "wasm") === "blas" ? blasGemm : simdGemm;
  const hs = backend.makeOutput([T, B, u], "float32");
  const hT = backend.makeOutput([B, u], "float32"), cT = backend.makeOutput([B, u], "float32");
  // scratch: z2 and a (B x 4U), g, tanh(c) and two cell states (B x U)
  const scratch = backend.makeOutput([B * (12 * u)], "float32");
  try {
    const off = { z2: 0, a: 4 * B * u, g: 8 * B * u, tc: 9 * B * u, c: [10 * B * u, 11 * B * u] };
    const at = (t: tf.TensorInfo, offset: number) => ({ t, offset });
    const addr = (t: tf.TensorInfo, offset = 0) => backend.dataIdMap.get(t.dataId)!.memoryOffset + 4 * offset;
    let hPrev = at(h0, 0), cPrevPtr = addr(c0);
    for (let s = 0; s < T; s++) {
      gemm(backend, false, false, B, 4 * u, u, hPrev, at(rw, 0), at(scratch, off.z2), 0);
      const cNew = addr(scratch, off.c[s % 2]);
      lstmCellRaw(
        backend,
        addr(xw, s * B * 4 * u),
        addr(scratch, off.z2),
        cPrevPtr,
        addr(scratch, off.a),
        addr(scratch, off.g),
        cNew,
        addr(scratch, off.tc),
        addr(hs, s * B * u),
        B,
        u,
        !!attrs!.hard,
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
  return [hs, hT, cT];
}

/** Register the kernel for `wasm` (idempotent; initBackend does it). */
export function installLstmSequence(): void {
  if (replacementTag(LSTM_SEQUENCE, "wasm") !== "simd") {
    replaceKernel(LSTM_SEQUENCE, "wasm", "simd", () => lstmSequenceKernel as unknown as tf.KernelFunc);
  }
}

/** Unregister it (fast_lstm.ts then composes the steps from tfjs ops). */
export function uninstallLstmSequence(): void {
  if (replacementTag(LSTM_SEQUENCE, "wasm") === "simd") restoreKernel(LSTM_SEQUENCE, "wasm");
}
