/**
 * Work-arounds for two tfjs-layers 4.22 defects that hit every layer returning several tensors (an LSTM with
 * `returnState: true`) when a model is executed:
 *
 * 1. The graph executor calls a layer once per output tensor that is used downstream, so the last encoder
 *    LSTM (whose sequences, h and c are all used) ran three times per forward pass: three times the work (the
 *    executor keeps the first call's outputs, so results were right, but training drew three sets of dropout
 *    masks from `Math.random`).
 * 2. `RNN.apply` writes `initialState` into the kwargs object it receives, which the executor shares between
 *    calls: the second call of a decoder LSTM then fails with "When inputs is an array, neither initialState or
 *    constants should be provided" (this broke the one-step decoder model).
 *
 * {@linkcode applyOncePerCall} patches a layer instance so that a repeated call with the very same input
 * tensors and kwargs (the same object, or none, as `predict` passes) within one synchronous graph execution
 * returns the first call's outputs, and so that each call gets its own copy of the kwargs. The remembered call
 * is forgotten at the next microtask, so a later call (after an `await`, or in another task) always computes
 * afresh, even with the same input tensors. Weights, serialization and numerics are unchanged (one computation
 * instead of three identical ones).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { withoutKnownTfjsWarnings } from "./warnings.ts";

const PATCHED = Symbol.for("seq2seq.applyOncePerCall");

type ApplyFn = (
  inputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[],
  kwargs?: tf.serialization.ConfigDict,
) => tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[];

function anyDisposed(out: unknown): boolean {
  const list = Array.isArray(out) ? out : [out];
  return list.some((t) => t instanceof tf.Tensor && t.isDisposed);
}

/** Patch `layer` as described in the module documentation (idempotent). */
export function applyOncePerCall(layer: tf.layers.Layer): void {
  const host = layer as unknown as { apply: ApplyFn; [PATCHED]?: boolean };
  if (host[PATCHED]) return;
  const original = host.apply.bind(layer) as ApplyFn;
  let last: { inputs: unknown[]; kwargs: unknown; out: ReturnType<ApplyFn> } | null = null;
  host.apply = (inputs, kwargs) => {
    const list: unknown[] = Array.isArray(inputs) ? inputs : [inputs];
    const concrete = list.every((x) => x instanceof tf.Tensor);
    if (
      concrete && last !== null && last.kwargs === kwargs && last.inputs.length === list.length &&
      last.inputs.every((x, i) => x === list[i]) && !anyDisposed(last.out)
    ) {
      return last.out;
    }
    const out = original(inputs, kwargs === undefined ? undefined : { ...kwargs });
    if (concrete) {
      const entry = { inputs: list, kwargs, out };
      last = entry;
      // a graph execution is synchronous: forget this call once it is over
      queueMicrotask(() => {
        if (last === entry) last = null;
      });
    } else last = null;
    return out;
  };
  host[PATCHED] = true;
}

/**
 * Apply {@linkcode applyOncePerCall} to every layer of `model` that returns several tensors: recurrent layers that
 * return their states, and the attention when both its context and its weights are used (copy attention).
 */
export function fixMultiOutputLayers(model: tf.LayersModel): tf.LayersModel {
  for (const layer of model.layers) {
    const cfg = layer.getConfig();
    const several = layer.inboundNodes.some((node) => node.outputTensors.length > 1);
    if (cfg.returnState === true || several) applyOncePerCall(layer);
  }
  return model;
}

/**
 * Build a model with every tfjs work-around a build needs, so the build function itself shows only layers:
 * the two known harmless warnings are filtered while it runs (./warnings.ts), a `tf.tidy` collects the 4 tensors
 * tfjs's `unitForgetBias` initializer leaves behind per LSTM (the weights are variables, which tidy keeps), and
 * the model's multi-output layers are fixed ({@linkcode fixMultiOutputLayers}).
 */
export function buildWithFixes(build: () => tf.LayersModel): tf.LayersModel {
  let model: tf.LayersModel | null = null;
  withoutKnownTfjsWarnings(() =>
    tf.tidy(() => {
      model = build();
    })
  );
  return fixMultiOutputLayers(model!);
}

/** Load a model with the same work-arounds as {@linkcode buildWithFixes} (no tidy: loading leaks nothing). */
export async function loadWithFixes(load: () => Promise<tf.LayersModel>): Promise<tf.LayersModel> {
  return fixMultiOutputLayers(await withoutKnownTfjsWarnings(load));
}
