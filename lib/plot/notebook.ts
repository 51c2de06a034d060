/**
 * Display helpers for the teaching notebooks: HTML tables, a figure that is also saved to disk,
 * the input of an attention heatmap for one decoded example, the most probable tokens of a
 * distribution, and a plain bar chart. Pure presentation: no training, no decoding, no scoring.
 *
 * Every helper returns something a notebook cell can end with (a {@linkcode Displayable}) or plain
 * data for the figure functions of `./figures.ts`.
 *
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { table } from "./notebook.ts";
 * const t = table([{ system: "copy_input", f1: 0.5184 }, { system: "model_greedy", f1: 0.2013 }], { title: "F1" });
 * // as a cell's last value: an HTML table in Jupyter, aligned text elsewhere
 * const out = t[Symbol.for("Jupyter.display")]() as { "text/html": string; "text/plain": string };
 * assertEquals(out["text/plain"].split("\n"), [
 *   "F1",
 *   "system            f1",
 *   "------------  ------",
 *   "copy_input    0.5184",
 *   "model_greedy  0.2013",
 * ]);
 * assertStringIncludes(out["text/html"], '<td style="text-align:right;vertical-align:top">0.2013</td>');
 * ```
 * @module
 */
import type { EvalResult } from "../eval/score.ts";
import type { AttentionInput } from "./figures.ts";
import {
  type Displayable,
  type Figure,
  type MimeBundle,
  plotlyBundle,
  type SavedFigure,
  saveFigure,
  type SaveFigureOptions,
} from "./plotly.ts";

/** Options of {@linkcode table}. */
export interface TableOptions {
  /** Caption above the table. */
  title?: string;
  /** Columns to show, in this order (default: every key, in order of first appearance). */
  columns?: readonly string[];
  /** Decimals of non-integer numbers (default 4). */
  digits?: number;
  /** Show at most this many rows, then a line saying how many were left out (default 100). */
  maxRows?: number;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * The text of one table cell: integers as they are, other finite numbers with `digits` decimals,
 * NaN and infinities as `n/a`, null and undefined as an empty cell, arrays joined with ", ",
 * other objects as JSON.
 */
export function formatCell(value: unknown, digits = 4): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "n/a";
    return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  }
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.map((v) => formatCell(v, digits)).join(", ");
  return JSON.stringify(value);
}

/** The column names of `rows`: `columns` when given, else every key in order of first appearance. */
function columnsOf(rows: readonly object[], columns?: readonly string[]): string[] {
  if (columns) return [...columns];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/**
 * A table as a cell's last value: `text/html` (a plain `<table>`, numbers right-aligned) and a
 * `text/plain` fallback with aligned columns. Throws when `rows` is not an array of objects.
 */
export function table<T extends object>(rows: readonly T[], opts: TableOptions = {}): Displayable {
  if (!Array.isArray(rows)) throw new Error(`table: rows must be an array of objects (got ${typeof rows})`);
  rows.forEach((r, i) => {
    if (r === null || typeof r !== "object" || Array.isArray(r)) {
      throw new Error(`table: rows[${i}] is not an object`);
    }
  });
  const digits = opts.digits ?? 4;
  const maxRows = opts.maxRows ?? 100;
  const cols = columnsOf(rows, opts.columns);
  const shown = rows.slice(0, maxRows);
  const get = (r: T, c: string) => (r as Record<string, unknown>)[c];
  const cells = shown.map((r) => cols.map((c) => formatCell(get(r, c), digits)));
  const numeric = cols.map((c) =>
    shown.length > 0 && shown.every((r) => get(r, c) == null || typeof get(r, c) === "number")
  );
  const more = rows.length - shown.length;
  // an empty table would show its title over nothing, not even a header row: say so instead
  const note = rows.length === 0
    ? "(no rows)"
    : more > 0
    ? `… ${more} more row(s) not shown (${rows.length} in all)`
    : "";
  return {
    [Symbol.for("Jupyter.display")]: (): MimeBundle => {
      const align = (j: number) => (numeric[j] ? "right" : "left");
      const head = cols.map((c, j) => `<th style="text-align:${align(j)}">${escapeHtml(c)}</th>`).join("");
      const body = cells.map((row) =>
        `<tr>${
          row.map((v, j) => `<td style="text-align:${align(j)};vertical-align:top">${escapeHtml(v)}</td>`)
            .join("")
        }</tr>`
      ).join("\n");
      // the title is a block above the table, not a <caption>: a caption is as wide as the table, so a long
      // title over a narrow table wrapped into a thin column (and classic Notebook greys captions out)
      const html =
        (opts.title
          ? `<div class="seq2seq-table-title" style="font-weight:bold;margin:0.3em 0">${
            escapeHtml(opts.title)
          }</div>`
          : "") +
        `<table class="seq2seq-table">` +
        `<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>` +
        (note ? `<div style="color:#777;font-size:90%">${escapeHtml(note)}</div>` : "");
      const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((r) => Math.min(r[j].length, 60))));
      const fit = (s: string, j: number) => {
        const t = s.length > 60 ? s.slice(0, 59) + "…" : s;
        return numeric[j] ? t.padStart(widths[j]) : t.padEnd(widths[j]);
      };
      const lines = [
        ...(opts.title ? [opts.title] : []),
        cols.map((c, j) => fit(c, j)).join("  "),
        widths.map((w) => "-".repeat(w)).join("  "),
        ...cells.map((r) => r.map((v, j) => fit(v, j)).join("  ")),
        ...(note ? [note] : []),
      ];
      return { "text/html": html, "text/plain": lines.join("\n") };
    },
  };
}

/** One output word of a copy-attention model and its gate (see {@linkcode gateText}). */
export interface GatedWord {
  word: string;
  /** `p_gen`: 1 = written from the vocabulary, 0 = copied from the input. */
  pGen: number;
  /** The word is outside the vocabulary: only copying could write it. */
  outsideVocabulary?: boolean;
}

/**
 * A summary coloured by the copy gate, as a cell's last value: each word on a background from orange
 * (`p_gen` 0, copied from the input) to blue (`p_gen` 1, written from the vocabulary), `p_gen` under it, words
 * outside the vocabulary underlined. Plain-text fallback: `word(p_gen)` per word. Throws on a `p_gen` outside
 * [0, 1].
 */
export function gateText(rows: readonly { label: string; words: readonly GatedWord[] }[]): Displayable {
  for (const r of rows) {
    for (const w of r.words) {
      if (!(w.pGen >= 0 && w.pGen <= 1)) throw new Error(`gateText: p_gen of "${w.word}" is ${w.pGen}`);
    }
  }
  const colour = (p: number) => {
    // orange (230, 145, 56) -> blue (79, 129, 189)
    const mix = (a: number, b: number) => Math.round(a + (b - a) * p);
    return `rgba(${mix(230, 79)}, ${mix(145, 129)}, ${mix(56, 189)}, 0.45)`;
  };
  return {
    [Symbol.for("Jupyter.display")]: (): MimeBundle => {
      const html =
        rows.map((r) =>
          `<div style="margin:6px 0"><div style="font-weight:bold">${escapeHtml(r.label)}</div>` +
          r.words.map((w) =>
            `<span title="p_gen ${w.pGen.toFixed(3)}" style="display:inline-block;text-align:center;` +
            `margin:1px;padding:1px 3px;border-radius:3px;background:${colour(w.pGen)}">` +
            `<span style="${w.outsideVocabulary ? "text-decoration:underline" : ""}">${
              escapeHtml(w.word)
            }</span>` +
            `<br><span style="font-size:75%;color:#444">${w.pGen.toFixed(2)}</span></span>`
          ).join("") + `</div>`
        ).join("\n") +
        `<div style="color:#555;font-size:90%">orange: copied from the input (p_gen near 0); blue: written ` +
        `from the vocabulary (p_gen near 1); underlined: outside the vocabulary.</div>`;
      const text = rows.map((r) =>
        `${r.label}\n  ${
          r.words.map((w) => `${w.word}${w.outsideVocabulary ? "*" : ""}(${w.pGen.toFixed(2)})`).join(" ")
        }`
      ).join("\n");
      return { "text/html": html, "text/plain": text };
    },
  };
}

/** `{key, value}` rows of an object's entries (e.g. a config), optionally only the keys given. */
export function entriesTable<T extends object>(
  obj: T,
  keys?: readonly (keyof T & string)[],
  opts: Omit<TableOptions, "columns"> = {},
): Displayable {
  const ks: string[] = keys ? [...keys] : Object.keys(obj);
  for (const k of ks) if (!(k in obj)) throw new Error(`entriesTable: no key "${k}" in the object`);
  const values = obj as Record<string, unknown>;
  return table(ks.map((k) => ({ key: k, value: values[k] })), { ...opts, columns: ["key", "value"] });
}

/**
 * Save `fig` with {@linkcode saveFigure} (HTML always, PNG when asked and Chromium is present) and
 * return its display object: the usual figure bundle whose HTML ends with a line naming the files
 * written. End a figure cell with `await plotAndSave(fig, path)`.
 */
export async function plotAndSave(
  fig: Figure,
  pathWithoutExt: string,
  opts: SaveFigureOptions = {},
): Promise<Displayable & { saved: SavedFigure }> {
  const saved = await saveFigure(fig, pathWithoutExt, opts);
  const line = `saved: ${saved.files.join(", ")}${saved.pngSkipped ? ` (no PNG: ${saved.pngSkipped})` : ""}`;
  return {
    saved,
    [Symbol.for("Jupyter.display")]: (): MimeBundle => {
      const bundle = plotlyBundle(fig);
      return {
        ...bundle,
        "text/html": `${bundle["text/html"]}<div style="color:#777;font-size:90%">${escapeHtml(line)}</div>`,
        "text/plain": `${bundle["text/plain"]}\n${line}`,
      };
    },
  };
}

/** One decoded summary, as the decoders of `lib/infer` return it. */
export interface DecodedLike {
  /** Generated token ids (without sostok/eostok). */
  ids: readonly number[];
  /** One row of attention weights over the encoder positions per generated token. */
  attention: readonly (readonly number[])[];
}

/** Input of {@linkcode attentionInput}. */
export interface AttentionExample {
  /** The example's input words (the encoder saw the first `attention[0].length` of them). */
  inputWords: readonly string[];
  decoded: DecodedLike;
  /** Token of an output id given the input's words (e.g. `tokenizer.tokenOf`, which copy attention's ids need). */
  tokenOf: (id: number, inputWords: readonly string[]) => string;
  title?: string;
}

/**
 * The {@linkcode AttentionInput} of one decoded example: columns are the input words the encoder
 * read (padding positions, which the attention masks to 0, are left out), rows the generated
 * tokens. Throws when an attention row does not cover the input words or is ragged.
 */
export function attentionInput({ inputWords, decoded, tokenOf, title }: AttentionExample): AttentionInput {
  if (decoded.attention.length !== decoded.ids.length) {
    throw new Error(
      `attentionInput: ${decoded.attention.length} attention rows for ${decoded.ids.length} generated tokens`,
    );
  }
  const positions = decoded.attention.length ? decoded.attention[0].length : inputWords.length;
  const n = Math.min(inputWords.length, positions);
  decoded.attention.forEach((row, r) => {
    if (row.length !== positions) {
      throw new Error(
        `attentionInput: attention[${r}] has ${row.length} values, attention[0] has ${positions}`,
      );
    }
  });
  return {
    inputTokens: inputWords.slice(0, n),
    outputTokens: decoded.ids.map((id) => tokenOf(id, inputWords)),
    weights: decoded.attention.map((row) => row.slice(0, n)),
    ...(title !== undefined ? { title } : {}),
  };
}

/** The `k` most probable ids of a distribution with their tokens, most probable first (ties: lower id). */
export function topTokens(
  probs: ArrayLike<number>,
  k: number,
  tokenOf: (id: number) => string,
): { id: number; token: string; p: number }[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`topTokens: k must be an integer >= 1 (got ${k})`);
  const ids = Array.from({ length: probs.length }, (_, i) => i);
  ids.sort((a, b) => probs[b] - probs[a] || a - b);
  return ids.slice(0, k).map((id) => ({ id, token: tokenOf(id), p: probs[id] }));
}

/** Input of {@linkcode barChart}. */
export interface BarChartInput {
  x: readonly (string | number)[];
  y: readonly number[];
  title: string;
  xTitle?: string;
  yTitle?: string;
}

/** A single-series bar chart (e.g. counts per category). Throws when x and y differ in length. */
export function barChart({ x, y, title, xTitle, yTitle }: BarChartInput): Figure {
  if (x.length !== y.length) throw new Error(`barChart: ${x.length} x values but ${y.length} y values`);
  y.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`barChart: y[${i}] = ${v} is not a number`);
  });
  return {
    data: [{ type: "bar", name: title, x: [...x], y: [...y], marker: { color: "#1f77b4" } }],
    layout: {
      title: { text: title },
      xaxis: { title: { text: xTitle ?? "" }, type: "category" },
      yaxis: { title: { text: yTitle ?? "" } },
      height: 380,
    },
  };
}

/** Expand per-length counts (`counts[k]` examples of length k, as in `LengthStats`) into one length per example. */
export function lengthsFromCounts(counts: readonly number[]): number[] {
  const out: number[] = [];
  counts.forEach((c, k) => {
    if (!Number.isInteger(c) || c < 0) throw new Error(`lengthsFromCounts: counts[${k}] = ${c}`);
    for (let i = 0; i < c; i++) out.push(k);
  });
  return out;
}

/** One row of {@linkcode systemRows}. */
export interface SystemRow {
  system: string;
  kind: string;
  f1: number;
  /** The 95% (or the evaluation's level) bootstrap interval of F1, as "[lo, hi]"; "" without bootstrap. */
  f1Interval: string;
  rouge1: number;
  rouge2: number;
  rougeL: number;
  /** Mean prediction length in words. */
  words: number;
}

/** The scored systems of an evaluation (`evaluateSystems`' result) as table rows, in its order. */
export function systemRows(result: Pick<EvalResult, "systems">): SystemRow[] {
  return Object.values(result.systems).map((s) => ({
    system: s.name,
    kind: s.kind,
    f1: s.mean.f1,
    f1Interval: Number.isFinite(s.ci.f1.lo) && Number.isFinite(s.ci.f1.hi)
      ? `[${s.ci.f1.lo.toFixed(3)}, ${s.ci.f1.hi.toFixed(3)}]`
      : "",
    rouge1: s.mean.rouge1,
    rouge2: s.mean.rouge2,
    rougeL: s.mean.rougeL,
    words: s.meanWords,
  }));
}
