/**
 * A per-layer parameter table of a model, for the console and for notebooks.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "./seq2seq.ts";
 * import { formatSummary, modelSummary } from "./summary.ts";
 * const cfg = resolveConfig("tiny");
 * const s = modelSummary(buildSeq2Seq(cfg));
 * const row = (name: string) => s.rows.find((r) => r.name === name);
 * // the softmax reads [decoder output; context] (2 x units) and a bias, at each of the maxOutputLen steps
 * assertEquals(row("output_softmax"), {
 *   name: "output_softmax",
 *   type: "TimeDistributed",
 *   outputShape: `[B,${cfg.maxOutputLen},${cfg.vocabSize}]`,
 *   params: (2 * cfg.units + 1) * cfg.vocabSize,
 * });
 * // an LSTM: 4 gates, each units x (input + units) weights and units biases; its sequence and final (h, c)
 * const u = cfg.units;
 * assertEquals(row("encoder_lstm_1")?.params, 4 * (u * (cfg.embeddingDim + u) + u));
 * assertEquals(row("encoder_lstm_1")?.outputShape, `[[B,${cfg.maxInputLen},${u}],[B,${u}],[B,${u}]]`);
 * assertEquals(row("encoder_tokens")?.params, 0); // an input layer
 * // the text table: one line per layer, with thousands separators
 * const line = formatSummary(s).split("\n").find((l) => l.startsWith("output_softmax"))!;
 * assert(line.endsWith(((2 * u + 1) * cfg.vocabSize).toLocaleString("en-US")));
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** One row of {@linkcode modelSummary}. */
export interface LayerRow {
  name: string;
  type: string;
  outputShape: string;
  params: number;
}

/** Rows for every layer (inputs included, with 0 parameters) and the total. */
export function modelSummary(model: tf.LayersModel): { rows: LayerRow[]; total: number } {
  const rows = model.layers.map((layer) => {
    let shape: string;
    try {
      shape = JSON.stringify(layer.outputShape).replaceAll("null", "B");
    } catch {
      shape = "(multiple)";
    }
    return { name: layer.name, type: layer.getClassName(), outputShape: shape, params: layer.countParams() };
  });
  return { rows, total: rows.reduce((s, r) => s + r.params, 0) };
}

/** The summary as a fixed-width text table. */
export function formatSummary(summary: { rows: LayerRow[]; total: number }): string {
  const w = [28, 18, 36];
  const line = (a: string, b: string, c: string, d: string) =>
    a.padEnd(w[0]) + b.padEnd(w[1]) + c.padEnd(w[2]) + d.padStart(12);
  const out = [line("layer", "type", "output shape", "params"), "-".repeat(w[0] + w[1] + w[2] + 12)];
  for (const r of summary.rows) {
    out.push(line(r.name, r.type, r.outputShape, r.params.toLocaleString("en-US")));
  }
  out.push("-".repeat(w[0] + w[1] + w[2] + 12));
  out.push(line("total", "", "", summary.total.toLocaleString("en-US")));
  return out.join("\n");
}
