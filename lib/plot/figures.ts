/**
 * The project's figures as pure functions: data in, Plotly {@linkcode Figure} out (no I/O, no
 * randomness). Show one in a notebook with `plot(fig)` or write it with `saveFigure(fig, path)`
 * (both in `./plotly.ts`).
 *
 * Histograms are computed here (bars of counts), so a figure over 100k snippets stays a few KB.
 * Bad input (non-finite values, ragged attention matrices, unknown epochs order) is an error that
 * names the argument and the index.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { trainingCurves } from "./figures.ts";
 * import { plot, PLOTLY_MIME } from "./plotly.ts";
 * const fig = trainingCurves([
 *   { epoch: 1, loss: 2.1, acc: 0.31, valLoss: 2.4, valAcc: 0.28 },
 *   { epoch: 2, loss: 1.6, acc: 0.45, valLoss: 1.9, valAcc: 0.41 },
 * ]);
 * // four lines over the epochs: train and val loss (left axis), train and val accuracy (right axis)
 * assertEquals(fig.data.map((t) => t.name), ["train loss", "val loss", "train accuracy", "val accuracy"]);
 * assertEquals(fig.data[1].y, [2.4, 1.9]);
 * // as a cell's last value, plot(fig) is a Plotly output in Jupyter
 * const bundle = plot(fig)[Symbol.for("Jupyter.display")]();
 * assertEquals(Object.keys(bundle).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
 * ```
 * @module
 */
import type { CI } from "../eval/bootstrap.ts";
import { type MetricName, METRICS } from "../eval/metrics.ts";
import type { Axis, BarTrace, Figure, HeatmapTrace, Layout, ScatterTrace } from "./plotly.ts";

/** Plotly's default colour sequence; run i and series i use colour i modulo 10. */
export const PALETTE: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** Axis labels of the four metrics, in report order. */
export const METRIC_LABELS: Readonly<Record<MetricName, string>> = {
  f1: "F1",
  rouge1: "ROUGE-1",
  rouge2: "ROUGE-2",
  rougeL: "ROUGE-L",
};

/** One epoch of a training history (accuracy as a fraction in [0, 1]). */
export interface EpochRecord {
  epoch: number;
  loss: number;
  acc: number;
  valLoss: number;
  valAcc: number;
  /** Validation accuracy at the first summary word alone (optional: older runs lack it). */
  valAcc1?: number;
}

/** A score: a plain mean, or a mean with a confidence interval (NaN bounds = no interval). */
export type ScoreValue = number | CI;

/**
 * The four scores of one system (model or baseline). A system entry of `metrics.json`
 * (`lib/eval/report.ts`) fits as it is: its `ci` (`[lo, hi]` per metric, null when bootstrap was
 * off) gives the error bars of plain-number scores.
 */
export type SystemScores = Record<MetricName, ScoreValue> & {
  ci?: Partial<Record<MetricName, readonly (number | null)[] | null>> | null;
};

/** One training run to compare: its id, its history and, optionally, its evaluation scores. */
export interface RunSummary {
  id: string;
  history: EpochRecord[];
  metrics?: SystemScores;
}

function title(text: string): { text: string } {
  return { text };
}

function color(i: number): string {
  return PALETTE[i % PALETTE.length];
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length ? s / values.length : NaN;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Counts of each integer 0..max; throws on a value that is not a non-negative integer. */
function integerCounts(values: readonly number[], name: string): number[] {
  let max = 0;
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`lengthHistograms: ${name}[${i}] = ${v} is not a non-negative integer length`);
    }
    if (v > max) max = v;
  });
  const counts = new Array<number>(max + 1).fill(0);
  for (const v of values) counts[v]++;
  return counts;
}

/** The y values of a series, with non-finite entries (e.g. no validation) as gaps. */
function gaps(values: readonly number[]): (number | null)[] {
  return values.map((v) => (Number.isFinite(v) ? v : null));
}

function vline(x: number, xref: string, yref: string, colour: string): Record<string, unknown> {
  return {
    type: "line",
    x0: x,
    x1: x,
    xref,
    y0: 0,
    y1: 1,
    yref: `${yref} domain`,
    line: { color: colour, dash: "dot", width: 2 },
  };
}

/** Options of {@linkcode lengthHistograms}. */
export interface LengthHistogramsInput {
  /** Length in tokens of every input (one per example). */
  inputLens: readonly number[];
  /** Length in tokens of every target summary. */
  targetLens: readonly number[];
  /** Model lengths (e.g. `cfg.maxInputLen`, `cfg.maxOutputLen`): drawn as cut lines with the share above. */
  limits?: { input?: number; target?: number };
}

/**
 * Overlaid histograms of input and target lengths (bars of counts per length in tokens). With
 * `limits`, a dotted line marks each model length and its annotation gives the share of examples
 * longer than it (what truncation would cut).
 */
export function lengthHistograms({ inputLens, targetLens, limits = {} }: LengthHistogramsInput): Figure {
  const series = [
    { name: "inputs", lens: inputLens, limit: limits.input },
    { name: "targets", lens: targetLens, limit: limits.target },
  ];
  const data: BarTrace[] = [];
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  series.forEach((s, i) => {
    const counts = integerCounts(s.lens, s.name === "inputs" ? "inputLens" : "targetLens");
    data.push({
      type: "bar",
      name: s.name,
      x: counts.map((_, k) => k),
      y: counts,
      width: 1,
      opacity: 0.6,
      marker: { color: color(i) },
      hovertemplate: `${s.name}: %{y} of length %{x}<extra></extra>`,
    });
    if (s.limit !== undefined) {
      if (!Number.isInteger(s.limit) || s.limit < 0) {
        throw new Error(`lengthHistograms: limits.${s.name === "inputs" ? "input" : "target"} = ${s.limit}`);
      }
      const limit = s.limit;
      const longer = s.lens.filter((v) => v > limit).length;
      const share = s.lens.length ? longer / s.lens.length : 0;
      shapes.push(vline(limit + 0.5, "x", "y", color(i)));
      annotations.push({
        x: limit + 0.5,
        xref: "x",
        y: 1 - 0.08 * i,
        yref: "y domain",
        xanchor: "left",
        showarrow: false,
        text: `${s.name} limit ${limit}: ${(100 * share).toFixed(1)}% longer`,
        font: { color: color(i) },
      });
    }
  });
  const m = (v: readonly number[]) => (v.length ? mean(v).toFixed(1) : "n/a");
  return {
    data,
    layout: {
      title: title(`Lengths in tokens (mean: inputs ${m(inputLens)}, targets ${m(targetLens)})`),
      barmode: "overlay",
      bargap: 0,
      xaxis: { title: title("length (tokens)") },
      yaxis: { title: title("examples") },
      shapes,
      annotations,
      height: 420,
    },
  };
}

function checkHistory(history: readonly EpochRecord[], fn: string, what = "history"): void {
  if (history.length === 0) throw new Error(`${fn}: ${what} is empty`);
  history.forEach((h, i) => {
    if (!Number.isFinite(h.epoch)) throw new Error(`${fn}: ${what}[${i}].epoch = ${h.epoch} is not a number`);
    if (i > 0 && h.epoch <= history[i - 1].epoch) {
      throw new Error(
        `${fn}: ${what}[${i}].epoch = ${h.epoch} does not increase (previous ${history[i - 1].epoch})`,
      );
    }
  });
}

/** Index of the smallest finite value, or -1 when there is none. */
function argminFinite(values: readonly number[]): number {
  let best = -1;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || v < values[best])) best = i;
  });
  return best;
}

/**
 * Loss (left) and accuracy (right) per epoch, training vs validation. A dotted line marks the epoch
 * with the lowest validation loss (the one early stopping keeps). Non-finite values are gaps.
 */
export function trainingCurves(history: readonly EpochRecord[]): Figure {
  checkHistory(history, "trainingCurves");
  const epochs = history.map((h) => h.epoch);
  const series: { name: string; y: number[]; axis: 1 | 2; split: 0 | 1 }[] = [
    { name: "train loss", y: history.map((h) => h.loss), axis: 1, split: 0 },
    { name: "val loss", y: history.map((h) => h.valLoss), axis: 1, split: 1 },
    { name: "train accuracy", y: history.map((h) => h.acc), axis: 2, split: 0 },
    { name: "val accuracy", y: history.map((h) => h.valAcc), axis: 2, split: 1 },
  ];
  // the first summary word alone: the decision teacher forcing hides (see lib/train/loop.ts)
  const first = history.every((h) => typeof h.valAcc1 === "number");
  if (first) {
    series.push({ name: "val accuracy, first word", y: history.map((h) => h.valAcc1!), axis: 2, split: 1 });
  }
  const data: ScatterTrace[] = series.map((s, i) => ({
    type: "scatter",
    mode: "lines+markers",
    name: s.name,
    x: epochs,
    y: gaps(s.y),
    xaxis: s.axis === 1 ? "x" : "x2",
    yaxis: s.axis === 1 ? "y" : "y2",
    legendgroup: s.split ? "val" : "train",
    line: { color: color(s.split), dash: i === 4 ? "dot" : s.split ? "dash" : "solid" },
  }));
  const best = argminFinite(history.map((h) => h.valLoss));
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  if (best >= 0) {
    const e = history[best].epoch;
    shapes.push(vline(e, "x", "y", "#7f7f7f"), vline(e, "x2", "y2", "#7f7f7f"));
    annotations.push({
      x: e,
      xref: "x",
      y: 1,
      yref: "y domain",
      yanchor: "bottom",
      showarrow: false,
      text: `best val loss: epoch ${e}`,
    });
  }
  return {
    data,
    layout: {
      title: title("Training and validation loss and accuracy per epoch"),
      xaxis: { title: title("epoch"), domain: [0, 0.45], anchor: "y" },
      yaxis: { title: title("loss"), anchor: "x" },
      xaxis2: { title: title("epoch"), domain: [0.55, 1], anchor: "y2" },
      yaxis2: { title: title("accuracy"), anchor: "x2", range: [0, 1] },
      shapes,
      annotations,
      height: 420,
    },
  };
}

/** Input of {@linkcode attentionHeatmap}. */
export interface AttentionInput {
  /** Encoder tokens (columns). */
  inputTokens: readonly string[];
  /** Generated tokens (rows), in decoding order. */
  outputTokens: readonly string[];
  /** Attention weights, `weights[out][in]`, one row per generated token. */
  weights: readonly (readonly number[])[];
  /** Figure title (default "Attention: generated tokens x input tokens"). */
  title?: string;
}

/**
 * Heatmap of attention weights: one row per generated token (top to bottom in decoding order), one
 * column per input token. Columns and rows are positions with the tokens as tick labels, so a
 * repeated token keeps its own column.
 */
export function attentionHeatmap(
  { inputTokens, outputTokens, weights, title: text }: AttentionInput,
): Figure {
  if (weights.length !== outputTokens.length) {
    throw new Error(
      `attentionHeatmap: weights has ${weights.length} rows but there are ${outputTokens.length} outputTokens`,
    );
  }
  let zmax = 0;
  weights.forEach((row, r) => {
    if (row.length !== inputTokens.length) {
      throw new Error(
        `attentionHeatmap: weights[${r}] has ${row.length} values but there are ${inputTokens.length} inputTokens`,
      );
    }
    row.forEach((w, c) => {
      if (!Number.isFinite(w) || w < 0) throw new Error(`attentionHeatmap: weights[${r}][${c}] = ${w}`);
      if (w > zmax) zmax = w;
    });
  });
  const cols = inputTokens.map((_, i) => i);
  const rows = outputTokens.map((_, i) => i);
  const trace: HeatmapTrace = {
    type: "heatmap",
    z: weights.map((row) => [...row]),
    x: cols,
    y: rows,
    text: outputTokens.map((o) => inputTokens.map((t) => `${o} \u2190 ${t}`)),
    hovertemplate: "%{text}: %{z:.3f}<extra></extra>",
    colorscale: "Blues",
    reversescale: true, // strong attention dark, weak attention pale
    zmin: 0,
    zmax: zmax > 0 ? zmax : 1,
    colorbar: { title: { text: "weight" } },
  };
  const xaxis: Axis = {
    title: title("input tokens"),
    tickmode: "array",
    tickvals: cols,
    ticktext: [...inputTokens],
    tickangle: -45,
  };
  const yaxis: Axis = {
    title: title("generated tokens"),
    tickmode: "array",
    tickvals: rows,
    ticktext: [...outputTokens],
    autorange: "reversed",
  };
  return {
    data: [trace],
    layout: {
      title: title(text ?? "Attention: generated tokens x input tokens"),
      xaxis,
      yaxis,
      height: Math.max(320, 160 + 24 * outputTokens.length),
    },
  };
}

/** Options of {@linkcode f1Histogram}. */
export interface F1HistogramOptions {
  /** Bin width in (0, 1] (default 0.05; bins are [k*w, (k+1)*w), the last one includes 1). */
  binWidth?: number;
  /** Figure title. */
  title?: string;
}

/**
 * Histogram of per-example F1 scores on [0, 1] (bars of counts), with the mean as a dotted line.
 */
export function f1Histogram(f1s: readonly number[], opts: F1HistogramOptions = {}): Figure {
  const w = opts.binWidth ?? 0.05;
  if (!(w > 0 && w <= 1)) throw new Error(`f1Histogram: binWidth = ${w} is not in (0, 1]`);
  const nBins = Math.ceil(1 / w - 1e-9);
  const counts = new Array<number>(nBins).fill(0);
  f1s.forEach((v, i) => {
    if (!Number.isFinite(v) || v < 0 || v > 1) {
      throw new Error(`f1Histogram: f1s[${i}] = ${v} is not in [0, 1]`);
    }
    counts[Math.min(nBins - 1, Math.floor(v / w + 1e-9))]++;
  });
  const centres = counts.map((_, k) => round((k + 0.5) * w, 10));
  const m = mean(f1s);
  const layout: Layout = {
    title: title(
      opts.title ?? `F1 per example (n = ${f1s.length}, mean ${f1s.length ? m.toFixed(3) : "n/a"})`,
    ),
    xaxis: { title: title("F1"), range: [0, 1] },
    yaxis: { title: title("examples") },
    bargap: 0.05,
    height: 400,
    shapes: f1s.length ? [vline(m, "x", "y", "#d62728")] : [],
  };
  return {
    data: [{
      type: "bar",
      name: "F1",
      x: centres,
      y: counts,
      width: w,
      marker: { color: color(0) },
      hovertemplate: `%{y} examples with F1 in [%{x:.3f} \u00b1 ${round(w / 2, 6)}]<extra></extra>`,
    }],
    layout,
  };
}

function scoreParts(
  v: ScoreValue,
  ci: readonly (number | null)[] | null | undefined,
  where: string,
): { mean: number; lo: number; hi: number } {
  const bound = (x: number | null | undefined) => (typeof x === "number" ? x : NaN);
  const s = typeof v === "number" ? { mean: v, lo: bound(ci?.[0]), hi: bound(ci?.[1]) } : v;
  if (!Number.isFinite(s.mean)) throw new Error(`${where} = ${s.mean} is not a number`);
  return s;
}

/** Grouped bars: x = the four metrics, one trace per system; error bars where a CI is given. */
function scoreBars(
  entries: readonly { name: string; scores: SystemScores }[],
  fn: string,
  axes: { xaxis: string; yaxis: string; showlegend: boolean },
): BarTrace[] {
  return entries.map(({ name, scores }, i) => {
    const parts = METRICS.map((m) => {
      if (!(m in scores)) throw new Error(`${fn}: ${name} has no "${m}" score`);
      return scoreParts(scores[m], scores.ci?.[m], `${fn}: ${name}.${m}`);
    });
    const hasCi = parts.some((p) => Number.isFinite(p.lo) && Number.isFinite(p.hi));
    const trace: BarTrace = {
      type: "bar",
      name,
      x: METRICS.map((m) => METRIC_LABELS[m]),
      y: parts.map((p) => p.mean),
      xaxis: axes.xaxis,
      yaxis: axes.yaxis,
      legendgroup: name,
      showlegend: axes.showlegend,
      marker: { color: color(i) },
      hovertemplate: `${name} %{x}: %{y:.3f}<extra></extra>`,
    };
    if (hasCi) {
      trace.error_y = {
        type: "data",
        symmetric: false,
        array: parts.map((p) => (Number.isFinite(p.hi) ? round(p.hi - p.mean, 12) : 0)),
        arrayminus: parts.map((p) => (Number.isFinite(p.lo) ? round(p.mean - p.lo, 12) : 0)),
        visible: true,
      };
    }
    return trace;
  });
}

/** Input of {@linkcode systemsBarChart}. */
export interface SystemsInput {
  /** System name -> its four scores, in display order (e.g. the model first, then the baselines). */
  systems: Readonly<Record<string, SystemScores>>;
  /** Figure title. */
  title?: string;
}

/**
 * The model against the baselines: grouped bars of F1 and ROUGE-1/2/L, one colour per system, with
 * confidence intervals as error bars where given.
 */
export function systemsBarChart({ systems, title: text }: SystemsInput): Figure {
  const entries = Object.entries(systems).map(([name, scores]) => ({ name, scores }));
  if (entries.length === 0) throw new Error("systemsBarChart: no systems given");
  return {
    data: scoreBars(entries, "systemsBarChart", { xaxis: "x", yaxis: "y", showlegend: true }),
    layout: {
      title: title(text ?? "Model vs baselines"),
      barmode: "group",
      xaxis: { title: title("metric") },
      yaxis: { title: title("score"), range: [0, 1] },
      height: 420,
    },
  };
}

/**
 * Several runs side by side: validation loss (top left) and accuracy (top right) per epoch, solid,
 * with training as dotted lines of the same colour; when any run has scores, grouped score bars
 * below (one colour per run, in the order given).
 */
export function compareRuns(runs: readonly RunSummary[]): Figure {
  if (runs.length === 0) throw new Error("compareRuns: no runs given");
  const seen = new Set<string>();
  runs.forEach((r, i) => {
    if (seen.has(r.id)) throw new Error(`compareRuns: runs[${i}].id "${r.id}" is repeated`);
    seen.add(r.id);
    checkHistory(r.history, "compareRuns", `runs[${i}] ("${r.id}").history`);
  });
  const scored = runs.filter((r) => r.metrics !== undefined);
  const top: [number, number] = scored.length ? [0.58, 1] : [0, 1];
  const data: (ScatterTrace | BarTrace)[] = [];
  runs.forEach((r, i) => {
    const epochs = r.history.map((h) => h.epoch);
    const line = (
      name: string,
      y: number[],
      axis: "1" | "2",
      dash: "solid" | "dot",
      showlegend: boolean,
    ): ScatterTrace => ({
      type: "scatter",
      mode: "lines+markers",
      name,
      x: epochs,
      y: gaps(y),
      xaxis: axis === "1" ? "x" : "x2",
      yaxis: axis === "1" ? "y" : "y2",
      legendgroup: r.id,
      showlegend,
      line: { color: color(i), dash },
    });
    data.push(
      line(r.id, r.history.map((h) => h.valLoss), "1", "solid", true),
      line(`${r.id} (train)`, r.history.map((h) => h.loss), "1", "dot", false),
      line(r.id, r.history.map((h) => h.valAcc), "2", "solid", false),
      line(`${r.id} (train)`, r.history.map((h) => h.acc), "2", "dot", false),
    );
  });
  const layout: Layout = {
    title: title("Runs compared: validation (solid) and training (dotted)"),
    xaxis: { title: title("epoch"), domain: [0, 0.45], anchor: "y" },
    yaxis: { title: title("loss"), domain: top, anchor: "x" },
    xaxis2: { title: title("epoch"), domain: [0.55, 1], anchor: "y2" },
    yaxis2: { title: title("accuracy"), domain: top, anchor: "x2", range: [0, 1] },
    height: scored.length ? 760 : 420,
  };
  if (scored.length) {
    // colours follow the run's position in `runs`, also when some runs have no scores
    const bars = scoreBars(
      runs.map((r) => ({ name: r.id, scores: r.metrics })).filter((
        e,
      ): e is { name: string; scores: SystemScores } => e.scores !== undefined),
      "compareRuns",
      { xaxis: "x3", yaxis: "y3", showlegend: false },
    );
    for (const b of bars) b.marker = { color: color(runs.findIndex((r) => r.id === b.name)) };
    data.push(...bars);
    layout.barmode = "group";
    layout.xaxis3 = { title: title("metric"), domain: [0, 1], anchor: "y3" };
    layout.yaxis3 = { title: title("score"), domain: [0, 0.4], anchor: "x3", range: [0, 1] };
  }
  return { data, layout };
}
