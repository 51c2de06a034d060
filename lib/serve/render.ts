/// <reference lib="dom" />
/**
 * The page's result panel, drawn in the browser from a {@linkcode TextResult}: the summary with every word that
 * comes from the input marked, the words the model read (unknown words marked, unread words struck through),
 * the attention heatmap (lib/plot/figures.ts's `attentionHeatmap`, the figure of notebook 05, same colours)
 * and the copy gate `p_gen` of each output word. Both pages use it: the served one (lib/serve/client.ts) and the
 * exported one (lib/serve/web.ts).
 * @module
 */
import type { Figure } from "../plot/plotly.ts";
import { attentionHeatmap } from "../plot/figures.ts";
import type { TextResult } from "./analysis.ts";

/** What draws a Plotly figure into a element (Plotly.newPlot in the page). */
export type PlotFn = (el: HTMLElement, fig: Figure) => Promise<unknown>;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const ORIGIN_TITLE = {
  copied: "copied: a word outside the vocabulary, which only copy attention can write",
  input: "from the input: the text holds this word",
  vocabulary: "from the vocabulary: the text does not hold this word",
};

/** The summary line: one span per output word, classed by origin, with its gate and focus in its tooltip. */
function summaryLine(r: TextResult): HTMLElement {
  const p = el("p", { id: "summary", class: "summary" });
  if (r.tokens.length === 0) p.textContent = r.summary === "" ? "(empty summary)" : r.summary;
  r.tokens.forEach((t, i) => {
    const gate = t.pGen === null ? "" : `; p_gen ${t.pGen.toFixed(2)}`;
    const span = el("span", {
      class: `tok ${t.origin}`,
      title: `${ORIGIN_TITLE[t.origin]}; looked most at "${t.focusWord}" (input word ${t.focus + 1})${gate}`,
      "data-origin": t.origin,
    }, t.word);
    p.append(span, i < r.tokens.length - 1 ? " " : "");
  });
  return p;
}

/** The words the model read (unknown ones marked) and the words past the input length (struck through). */
function inputLine(r: TextResult): HTMLElement {
  const p = el("p", { id: "input-words", class: "input" });
  const unknown = new Set(r.unknownWords);
  for (const w of r.input) {
    const cls = w === "<sep>" ? "sep" : unknown.has(w) ? "unknown" : "known";
    const title = cls === "unknown"
      ? "outside the vocabulary: the model read it as <oov>" +
        (r.copy ? " (copy attention can still write it)" : "")
      : cls === "sep"
      ? "sentence boundary"
      : "";
    p.append(el("span", { class: `in ${cls}`, ...(title ? { title } : {}) }, w), " ");
  }
  for (const w of r.unread) {
    p.append(el("span", { class: "in unread", title: "past the input length: not read" }, w), " ");
  }
  return p;
}

/** The p_gen table: one row per output word with its gate as a number and a bar. */
function pGenTable(r: TextResult): HTMLElement {
  if (!r.copy) return el("p", { id: "pgen", class: "muted" }, "This run has no copy attention: no p_gen.");
  if (r.pGen === null) {
    return el(
      "p",
      { id: "pgen", class: "muted" },
      "Beam search does not record p_gen: choose greedy to see it.",
    );
  }
  const table = el("table", { id: "pgen" });
  table.append(el("tr", {}, ""));
  table.rows[0].append(
    el("th", {}, "output word"),
    el("th", {}, "p_gen"),
    el("th", {}, "generate \u2190 \u2192 copy"),
  );
  r.tokens.forEach((t) => {
    const row = el("tr");
    const g = t.pGen ?? 0;
    const bar = el("div", { class: "bar" });
    bar.append(el("div", { class: "gen", style: `width:${(g * 100).toFixed(1)}%` }));
    const cell = el("td");
    cell.append(bar);
    row.append(
      el("td", { class: `tok ${t.origin}` }, t.word),
      el("td", { class: "num" }, g.toFixed(3)),
      cell,
    );
    table.append(row);
  });
  return table;
}

/**
 * Draw `r` into `root` (emptied first). Resolves when the heatmap is drawn; `root` then has
 * `data-rendered="yes"` (the browser tests wait for it).
 */
export async function renderResult(root: HTMLElement, r: TextResult, plot: PlotFn): Promise<void> {
  root.replaceChildren();
  root.removeAttribute("data-rendered");
  root.append(el("h2", {}, `Summary (${r.decoding})`), summaryLine(r));
  root.append(
    el(
      "p",
      { class: "legend" },
      "Marked words: green = the text holds the word (copied in effect); orange = copied from outside the " +
        "vocabulary (copy attention); unmarked = written from the vocabulary. Hover a word for its details.",
    ),
  );
  if (r.notes.length > 0) {
    const ul = el("ul", { id: "notes" });
    for (const n of r.notes) ul.append(el("li", {}, n));
    root.append(ul);
  }
  root.append(el("h3", {}, `What the model read (${r.input.length} tokens)`), inputLine(r));
  const heat = el("div", { id: "heatmap" });
  root.append(el("h3", {}, "Attention"), heat);
  if (r.tokens.length > 0) {
    const fig = attentionHeatmap({
      inputTokens: r.input,
      outputTokens: r.tokens.map((t) => t.word),
      weights: r.attention,
      title: "Attention: each row is one output word's weights over the input words",
    });
    await plot(heat, fig);
    heat.setAttribute("data-plotted", "yes");
  } else heat.textContent = "No output words: nothing to show.";
  root.append(el("h3", {}, "p_gen: generate or copy"), pGenTable(r));
  root.setAttribute("data-rendered", "yes");
}

/** The page's style sheet (both pages). */
export const PAGE_CSS = `
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; }
textarea { width: 100%; font: inherit; }
.controls { display: flex; gap: 1em; align-items: center; margin: .5em 0; flex-wrap: wrap; }
.summary { font-size: 1.3em; }
.tok.input { background: #c8ecc8; border-radius: 3px; }
.tok.copied { background: #ffd59a; border-radius: 3px; outline: 1px solid #e08a00; }
.in.unknown { color: #b34700; font-weight: bold; }
.in.sep { color: #888; font-style: italic; }
.in.unread { color: #aaa; text-decoration: line-through; }
.legend, .muted, #status { color: #666; font-size: .9em; }
#notes li { color: #8a4b00; }
table#pgen td, table#pgen th { padding: 1px 8px; text-align: left; }
.num { font-variant-numeric: tabular-nums; }
.bar { width: 200px; height: 12px; background: #f4b183; }
.bar .gen { height: 12px; background: #6baed6; }
.error { color: #b00020; }
`;
