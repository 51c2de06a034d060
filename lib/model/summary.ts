/**
 * A per-layer parameter table of a model, for the console and for notebooks.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "./seq2seq.ts";
 * import { formatSummary, modelSummary } from "./summary.ts";
 * const model = buildSeq2Seq(resolveConfig("tiny"));
 * const s = modelSummary(model);
 * assertEquals(s.total, model.countParams());
 * assertEquals(s.rows.length, model.layers.length); // one row per layer, inputs included
 * const text = formatSummary(s).split("\n");
 * assertEquals(text.length, s.rows.length + 4); // header, rule, one line per layer, rule, total
 * assert(text.at(-1)!.startsWith("total") && text.at(-1)!.endsWith(s.total.toLocaleString("en-US")));
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
