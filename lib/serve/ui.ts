/// <reference lib="dom" />
/**
 * The page's controls, wired the same way on both pages: a run picker, the text box, greedy or beam, the
 * Summarize button, a status line; a summary is drawn by lib/serve/render.ts. Where summaries come from is the
 * caller's: the served page asks the API (lib/serve/client.ts), the exported page runs the model
 * (lib/serve/web.ts).
 * @module
 */
import type { Figure } from "../plot/plotly.ts";
import type { TextResult } from "./analysis.ts";
import { renderResult } from "./render.ts";
import type { RunEntry } from "./server.ts";

/** A run in the picker. */
export interface PickerRun {
  id: string;
  /** What the picker shows, e.g. `20261202-221500Z-default (default, test F1 0.919)`. */
  label: string;
}

/** The picker's label of a run: its id, profile, copy attention and test F1. */
export function runLabel(r: Pick<RunEntry, "id" | "profile" | "copy" | "testF1">): string {
  const f1 = r.testF1 === null ? "not evaluated" : `test F1 ${r.testF1.toFixed(3)}`;
  return `${r.id} (${r.profile}${r.copy ? ", copy" : ""}, ${f1})`;
}

/** What a page gives the controls. */
export interface PageSource {
  runs: PickerRun[];
  /** The run selected at first. */
  selected: string;
  /** One line under the run picker (e.g. the backend). */
  info: string;
  summarize(text: string, beam: boolean, run: string): Promise<TextResult>;
}

declare const Plotly: {
  newPlot(el: HTMLElement, data: unknown, layout: unknown, config?: unknown): Promise<unknown>;
};

/** Plotly.newPlot of the page's global Plotly (loaded by `plotly.min.js`). */
export function plotWithGlobal(el: HTMLElement, fig: Figure): Promise<unknown> {
  return Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Set the status line (an error in red). */
export function setStatus(text: string, error = false): void {
  const s = byId("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

/** Fill the run picker, enable the button and summarize on click (and on Ctrl+Enter in the text box). */
export function wirePage(source: PageSource): void {
  const picker = byId<HTMLSelectElement>("run");
  picker.replaceChildren();
  for (const r of source.runs) {
    const o = document.createElement("option");
    o.value = r.id;
    o.textContent = r.label;
    o.selected = r.id === source.selected;
    picker.append(o);
  }
  byId("run-info").textContent = source.info;
  const button = byId<HTMLButtonElement>("go");
  const go = async () => {
    const text = byId<HTMLTextAreaElement>("text").value;
    const beam =
      (document.querySelector('input[name="decoding"]:checked') as HTMLInputElement)?.value === "beam";
    button.disabled = true;
    setStatus("summarizing...");
    const t0 = performance.now();
    try {
      const r = await source.summarize(text, beam, picker.value);
      await renderResult(byId("result"), r, plotWithGlobal);
      setStatus(`done in ${Math.round(performance.now() - t0)} ms`);
    } catch (e) {
      setStatus(e instanceof Error ? e.message : String(e), true);
    } finally {
      button.disabled = false;
    }
  };
  button.onclick = () => void go();
  byId("text").addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Enter" && (e as KeyboardEvent).ctrlKey) void go();
  });
  button.disabled = source.runs.length === 0;
  setStatus(source.runs.length === 0 ? "no finished run to summarize with" : "ready");
}
