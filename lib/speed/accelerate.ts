/**
 * The one seam where speed attaches to the model: {@linkcode accelerate} turns the layers of a built or loaded
 * model into their fast twins, in place, and {@linkcode fastPaths} says which layers run which implementation.
 *
 * lib/model builds the model from tfjs's layers and its own two, in plain tfjs ops, so that it reads as the
 * report draws it. Training and decoding on CPU then call `accelerate(model)` (lib/experiment.ts, lib/run's
 * `loadOpenedModel`); the model file knows nothing of it. Each fast class extends the stock one, adds no state
 * and overrides only how `call` computes (./fast_lstm.ts, ./fast_time_distributed.ts, ./fast_attention.ts), so
 * a layer changes class without changing a weight, a node of the graph, or a number beyond float rounding (the
 * equivalence tests check outputs and gradients against the stock layers on cpu and wasm). A fast layer still
 * saves under its stock class name, so a saved `model.json` loads with lib/model alone.
 *
 * The kernels the fast layers call, and the backends' own kernel overrides, are chosen by lib/backend's table
 * (lib/backend/choose.ts prints which are active).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { accelerate, fastPaths } from "./accelerate.ts";
 * const model = buildSeq2Seq(resolveConfig("tiny"));
 * const before = model.getWeights().map((w) => w.dataSync().slice());
 * accelerate(model); // in place: the same model object, the same weights
 * assertEquals(model.getWeights().map((w) => w.dataSync().slice()), before);
 * const lstm = fastPaths(model).find((p) => p.layer === "encoder_lstm_1")!;
 * assertEquals([lstm.implementation, lstm.savedAs], ["FastLSTM", "LSTM"]);
 * accelerate(model, { layers: false }); // back to tfjs's own layers
 * assertEquals(fastPaths(model).every((p) => p.implementation === p.savedAs), true);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ATT_SCORES, LSTM_SEQUENCE } from "../backend/simd/ops.ts";
import { BahdanauAttention } from "../model/attention.ts";
import { FastBahdanauAttention } from "./fast_attention.ts";
import { FastLSTM, fastPathBlocker, stockClass } from "./fast_lstm.ts";
import { FastTimeDistributed, ROW_WISE_LAYERS } from "./fast_time_distributed.ts";

/** Which fast paths {@linkcode accelerate} turns on (config key `fastLayers`). */
export interface SpeedOptions {
  /** Fast layers (default true); false turns an accelerated model's layers back into the stock ones. */
  layers?: boolean;
}

/** One layer that has a fast twin: what it runs now and why not the fast one. */
export interface FastPath {
  layer: string;
  /** The class `model.json` records (the stock layer). */
  savedAs: string;
  /** The class whose `call` runs now (`FastLSTM`, or the stock one). */
  implementation: string;
  /** Why the stock implementation runs ("" when the fast one does, or when fast layers were not asked for). */
  why: string;
  /**
   * For a fast layer: the kernel it calls where the active backend has it, or "" when the backend has none and
   * the layer composes tfjs ops (the run's kernel usage counts every such call).
   */
  kernel: string;
}

interface Twin {
  savedAs: string;
  fast: { prototype: object; name: string };
  stock: () => object;
  /** Why the fast twin cannot run this layer ("" when it can). */
  blocker: (layer: tf.layers.Layer) => string;
  /** The kernel the fast twin calls ("" for one that only reorganises tfjs ops). */
  kernel: string;
}

/** The stock layers with a fast twin, by the class name they save as. */
const TWINS: Twin[] = [
  {
    savedAs: "LSTM",
    fast: FastLSTM,
    stock: () => stockClass<{ prototype: object }>("LSTM").prototype,
    blocker: fastPathBlocker,
    kernel: LSTM_SEQUENCE,
  },
  {
    savedAs: "TimeDistributed",
    fast: FastTimeDistributed,
    stock: () => stockClass<{ prototype: object }>("TimeDistributed").prototype,
    blocker: (layer) => {
      const inner = (layer as unknown as { layer: tf.layers.Layer }).layer.getClassName();
      return ROW_WISE_LAYERS.includes(inner) ? "" : `${inner} is not row-wise`;
    },
    kernel: "",
  },
  {
    savedAs: BahdanauAttention.className,
    fast: FastBahdanauAttention,
    stock: () => BahdanauAttention.prototype,
    // the fused kernel computes 4 attention units at a time
    blocker: (layer) => {
      const units = (layer as BahdanauAttention).units;
      return units % 4 === 0 ? "" : `attention units ${units} not a multiple of 4`;
    },
    kernel: ATT_SCORES,
  },
];

/**
 * Turn `model`'s layers into their fast twins (or, with `layers: false`, back into the stock ones), in place;
 * returns the same model. Layers whose configuration a twin does not implement stay stock ({@linkcode fastPaths}
 * says why). Safe to call again.
 */
export function accelerate<M extends tf.LayersModel>(model: M, opts: SpeedOptions = {}): M {
  const on = opts.layers ?? true;
  for (const layer of allLayers(model)) {
    const twin = TWINS.find((t) => t.savedAs === layer.getClassName());
    if (!twin) continue;
    const target = on && twin.blocker(layer) === "" ? twin.fast.prototype : twin.stock();
    if (Object.getPrototypeOf(layer) !== target) Object.setPrototypeOf(layer, target);
  }
  return model;
}

/** Every layer of `model` that has a fast twin, with the implementation it runs now. */
export function fastPaths(model: tf.LayersModel): FastPath[] {
  const out: FastPath[] = [];
  for (const layer of allLayers(model)) {
    const twin = TWINS.find((t) => t.savedAs === layer.getClassName());
    if (!twin) continue;
    const fast = Object.getPrototypeOf(layer) === twin.fast.prototype;
    out.push({
      layer: layer.name,
      savedAs: twin.savedAs,
      implementation: fast ? twin.fast.name : twin.savedAs,
      why: fast ? "" : twin.blocker(layer),
      kernel: fast && twin.kernel !== "" && tf.getKernel(twin.kernel, tf.getBackend()) !== undefined
        ? twin.kernel
        : "",
    });
  }
  return out;
}

/**
 * One line for logs: which layers run fast twins (and, for those that call a kernel of ours, whether the active
 * backend has it), and which stay stock and why.
 */
export function formatFastPaths(model: tf.LayersModel): string {
  const paths = fastPaths(model);
  const fast = paths.filter((p) => p.implementation !== p.savedAs);
  const blocked = paths.filter((p) => p.implementation === p.savedAs && p.why !== "");
  const byClass = new Map<string, string[]>();
  for (const p of fast) byClass.set(p.implementation, [...(byClass.get(p.implementation) ?? []), p.layer]);
  const composed = (cls: string) => {
    const twin = TWINS.find((t) => t.fast.name === cls)!;
    const missing = twin.kernel !== "" && fast.some((p) => p.implementation === cls && p.kernel === "");
    return missing ? `; composed ops: no ${twin.kernel} kernel on ${tf.getBackend()}` : "";
  };
  const parts = [...byClass].map(([cls, names]) => `${cls} (${names.join(", ")}${composed(cls)})`);
  const line = `fast layers: ${parts.length ? parts.join(", ") : "none (tfjs's own layers)"}`;
  return blocked.length ? `${line}; stock: ${blocked.map((p) => `${p.layer} (${p.why})`).join(", ")}` : line;
}

/** The layers of `model`, including those nested in sub-models (the inference models hold the trained layers). */
function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const layer of model.layers) {
    const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (Array.isArray(nested)) out.push(...allLayers(layer as unknown as tf.LayersModel));
    else out.push(layer);
  }
  return out;
}
