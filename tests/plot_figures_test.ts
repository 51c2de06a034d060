import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  attentionHeatmap,
  compareRuns,
  type EpochRecord,
  f1Histogram,
  lengthHistograms,
  PALETTE,
  systemsBarChart,
  trainingCurves,
} from "../lib/plot/figures.ts";
import type { BarTrace, HeatmapTrace, ScatterTrace, Trace } from "../lib/plot/plotly.ts";

function bar(t: Trace): BarTrace {
  assertEquals(t.type, "bar");
  return t as BarTrace;
}
function scatter(t: Trace): ScatterTrace {
  assertEquals(t.type, "scatter");
  return t as ScatterTrace;
}

const HISTORY: EpochRecord[] = [
  { epoch: 1, loss: 3.0, acc: 0.20, valLoss: 3.2, valAcc: 0.18 },
  { epoch: 2, loss: 2.0, acc: 0.35, valLoss: 2.5, valAcc: 0.30 },
  { epoch: 3, loss: 1.5, acc: 0.45, valLoss: 2.7, valAcc: 0.31 },
];

Deno.test("lengthHistograms() counts every length in tokens per series", () => {
  const fig = lengthHistograms({ inputLens: [3, 1, 3, 5], targetLens: [2, 2] });
  const [inputs, targets] = fig.data.map(bar);
  assertEquals(inputs.name, "inputs");
  assertEquals(inputs.x, [0, 1, 2, 3, 4, 5]);
  assertEquals(inputs.y, [0, 1, 0, 2, 0, 1]);
  assertEquals(targets.name, "targets");
  assertEquals(targets.x, [0, 1, 2]);
  assertEquals(targets.y, [0, 0, 2]);
  assertEquals(fig.layout.barmode, "overlay");
  assertEquals(fig.layout.xaxis?.title?.text, "length (tokens)");
  assertEquals(fig.layout.yaxis?.title?.text, "examples");
  assertEquals(fig.layout.title?.text, "Lengths in tokens (mean: inputs 3.0, targets 2.0)");
});

Deno.test("lengthHistograms() marks a model length and the share of examples longer than it", () => {
  const fig = lengthHistograms({
    inputLens: [3, 1, 3, 5],
    targetLens: [2, 2],
    limits: { input: 3, target: 1 },
  });
  assertEquals(fig.layout.shapes?.map((s) => s.x0), [3.5, 1.5]);
  const texts = fig.layout.annotations?.map((a) => a.text);
  assertEquals(texts, ["inputs limit 3: 25.0% longer", "targets limit 1: 100.0% longer"]);
});

Deno.test("lengthHistograms() rejects a length that is not a non-negative integer, naming it", () => {
  assertThrows(() => lengthHistograms({ inputLens: [3, 2.5], targetLens: [] }), Error, "inputLens[1] = 2.5");
  assertThrows(() => lengthHistograms({ inputLens: [], targetLens: [-1] }), Error, "targetLens[0] = -1");
});

Deno.test("trainingCurves() draws loss and accuracy, train vs val, on two panels", () => {
  const fig = trainingCurves(HISTORY);
  const traces = fig.data.map(scatter);
  assertEquals(traces.map((t) => t.name), ["train loss", "val loss", "train accuracy", "val accuracy"]);
  assertEquals(traces.map((t) => `${t.xaxis}/${t.yaxis}`), ["x/y", "x/y", "x2/y2", "x2/y2"]);
  for (const t of traces) assertEquals(t.x, [1, 2, 3]);
  assertEquals(traces[0].y, [3.0, 2.0, 1.5]);
  assertEquals(traces[1].y, [3.2, 2.5, 2.7]);
  assertEquals(traces[2].y, [0.20, 0.35, 0.45]);
  assertEquals(traces[3].y, [0.18, 0.30, 0.31]);
  assertEquals(traces[0].line?.color, traces[2].line?.color); // train has one colour on both panels
  assertEquals(fig.layout.xaxis?.title?.text, "epoch");
  assertEquals(fig.layout.yaxis?.title?.text, "loss");
  assertEquals(fig.layout.yaxis2?.title?.text, "accuracy");
  // lowest validation loss is at epoch 2
  assertEquals(fig.layout.shapes?.map((s) => s.x0), [2, 2]);
  assertEquals(fig.layout.annotations?.[0].text, "best val loss: epoch 2");
});

Deno.test("trainingCurves() leaves missing validation values as gaps and rejects unordered epochs", () => {
  const fig = trainingCurves([{ epoch: 1, loss: 1, acc: 0.5, valLoss: NaN, valAcc: NaN }]);
  assertEquals(scatter(fig.data[1]).y, [null]);
  assertEquals(fig.layout.shapes, []);
  assertThrows(
    () => trainingCurves([HISTORY[1], HISTORY[0]]),
    Error,
    "history[1].epoch = 1 does not increase",
  );
  assertThrows(() => trainingCurves([]), Error, "history is empty");
});

Deno.test("attentionHeatmap() keeps repeated tokens as separate columns, rows in decoding order", () => {
  const weights = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]];
  const fig = attentionHeatmap({
    inputTokens: ["the", "cat", "the"],
    outputTokens: ["cat", "eostok"],
    weights,
  });
  const t = fig.data[0] as HeatmapTrace;
  assertEquals(t.type, "heatmap");
  assertEquals(t.z, weights);
  assertEquals(t.x, [0, 1, 2]);
  assertEquals(t.y, [0, 1]);
  assertEquals(t.zmin, 0);
  assertEquals(t.zmax, 0.8);
  assertEquals(t.text?.[1][2], "eostok \u2190 the");
  assertEquals(fig.layout.xaxis?.ticktext, ["the", "cat", "the"]);
  assertEquals(fig.layout.xaxis?.tickvals, [0, 1, 2]);
  assertEquals(fig.layout.yaxis?.ticktext, ["cat", "eostok"]);
  assertEquals(fig.layout.yaxis?.autorange, "reversed");
  assertEquals(fig.layout.xaxis?.title?.text, "input tokens");
  assertEquals(fig.layout.yaxis?.title?.text, "generated tokens");
});

Deno.test("attentionHeatmap() rejects a weight matrix that does not match the tokens", () => {
  const inputTokens = ["a", "b", "c"];
  assertThrows(
    () => attentionHeatmap({ inputTokens, outputTokens: ["x"], weights: [[1, 0, 0], [1, 0, 0]] }),
    Error,
    "weights has 2 rows but there are 1 outputTokens",
  );
  assertThrows(
    () => attentionHeatmap({ inputTokens, outputTokens: ["x", "y"], weights: [[1, 0, 0], [1, 0]] }),
    Error,
    "weights[1] has 2 values but there are 3 inputTokens",
  );
  assertThrows(
    () => attentionHeatmap({ inputTokens, outputTokens: ["x"], weights: [[1, NaN, 0]] }),
    Error,
    "weights[0][1] = NaN",
  );
});

Deno.test("f1Histogram() bins scores on [0, 1] with the top bin including 1 and marks the mean", () => {
  const f1s = [0, 0.15, 0.5, 1, 1, 0.049];
  const fig = f1Histogram(f1s);
  const t = bar(fig.data[0]);
  assertEquals(t.x.length, 20);
  const expected = new Array(20).fill(0);
  expected[0] = 2; // 0 and 0.049
  expected[3] = 1; // 0.15 (0.15 / 0.05 is 2.999... in floating point)
  expected[10] = 1; // 0.5
  expected[19] = 2; // 1 and 1
  assertEquals(t.y, expected);
  assertAlmostEquals(t.x[3] as number, 0.175, 1e-12);
  assertEquals(t.width, 0.05);
  assertAlmostEquals(fig.layout.shapes?.[0].x0 as number, 2.699 / 6, 1e-12);
  assertEquals(fig.layout.xaxis?.range, [0, 1]);
  assertEquals(fig.layout.xaxis?.title?.text, "F1");
  assertEquals(fig.layout.title?.text, "F1 per example (n = 6, mean 0.450)");
});

Deno.test("f1Histogram() honours binWidth and rejects scores outside [0, 1]", () => {
  const t = bar(f1Histogram([0.3, 0.3, 0.95], { binWidth: 0.1 }).data[0]);
  assertEquals(t.y, [0, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
  assertThrows(() => f1Histogram([0.2, 1.2]), Error, "f1s[1] = 1.2 is not in [0, 1]");
  assertThrows(() => f1Histogram([0.2], { binWidth: 0 }), Error, "binWidth = 0");
});

Deno.test("systemsBarChart() groups the four metrics per system with CI error bars where given", () => {
  const fig = systemsBarChart({
    systems: {
      model: { f1: { mean: 0.5, lo: 0.45, hi: 0.56 }, rouge1: 0.52, rouge2: 0.41, rougeL: 0.48 },
      copy_input: { f1: 0.6, rouge1: 0.61, rouge2: 0.5, rougeL: 0.58 },
    },
  });
  const [model, copy] = fig.data.map(bar);
  assertEquals(model.name, "model");
  assertEquals(copy.name, "copy_input");
  assertEquals(model.x, ["F1", "ROUGE-1", "ROUGE-2", "ROUGE-L"]);
  assertEquals(model.y, [0.5, 0.52, 0.41, 0.48]);
  assertEquals(copy.y, [0.6, 0.61, 0.5, 0.58]);
  assertEquals(model.error_y?.array, [0.06, 0, 0, 0]);
  assertEquals(model.error_y?.arrayminus, [0.05, 0, 0, 0]);
  assertEquals(copy.error_y, undefined);
  assert(model.marker?.color !== copy.marker?.color);
  assertEquals(fig.layout.barmode, "group");
  assertEquals(fig.layout.yaxis?.title?.text, "score");
  assertEquals(fig.layout.yaxis?.range, [0, 1]);
});

Deno.test("systemsBarChart() takes metrics.json systems as they are, with their [lo, hi] intervals", () => {
  const metricsJson = {
    split: "test",
    n: 3,
    systems: {
      model_greedy: {
        f1: 0.5,
        rouge1: 0.4,
        rouge2: 0.3,
        rougeL: 0.2,
        ci: { f1: [0.4, 0.7], rouge1: [0.35, 0.5], rouge2: [null, null], rougeL: [0.1, 0.25] },
        mean_words: 12,
      },
      copy_input: { f1: 0.6, rouge1: 0.6, rouge2: 0.5, rougeL: 0.6, ci: null, mean_words: 40 },
    },
  };
  const [model, copy] = systemsBarChart(metricsJson).data.map(bar);
  assertEquals(model.y, [0.5, 0.4, 0.3, 0.2]);
  assertEquals(model.error_y?.array, [0.2, 0.1, 0, 0.05]);
  assertEquals(model.error_y?.arrayminus, [0.1, 0.05, 0, 0.1]);
  assertEquals(copy.error_y, undefined);
});

Deno.test("systemsBarChart() rejects a system without all four scores", () => {
  const partial = { f1: 0.5, rouge1: 0.5, rouge2: 0.4 } as unknown as {
    f1: 0;
    rouge1: 0;
    rouge2: 0;
    rougeL: 0;
  };
  assertThrows(() => systemsBarChart({ systems: { m: partial } }), Error, 'm has no "rougeL" score');
  assertThrows(() => systemsBarChart({ systems: {} }), Error, "no systems");
});

Deno.test("compareRuns() draws each run's curves in one colour and score bars for scored runs", () => {
  const fig = compareRuns([
    { id: "a", history: HISTORY },
    {
      id: "b",
      history: HISTORY.slice(0, 2),
      metrics: { f1: 0.4, rouge1: 0.42, rouge2: 0.3, rougeL: 0.4 },
    },
  ]);
  assertEquals(fig.data.length, 9);
  const lines = fig.data.slice(0, 8).map(scatter);
  assertEquals(lines.map((t) => t.name), [
    "a",
    "a (train)",
    "a",
    "a (train)",
    "b",
    "b (train)",
    "b",
    "b (train)",
  ]);
  assertEquals(lines[0].y, [3.2, 2.5, 2.7]); // a: validation loss
  assertEquals(lines[3].y, [0.20, 0.35, 0.45]); // a: training accuracy
  assertEquals(lines[6].x, [1, 2]);
  assertEquals(lines[6].y, [0.18, 0.30]); // b: validation accuracy
  assertEquals(lines.slice(0, 4).map((t) => t.line?.color), new Array(4).fill(PALETTE[0]));
  assertEquals(lines.slice(4).map((t) => t.line?.color), new Array(4).fill(PALETTE[1]));
  const scores = bar(fig.data[8]);
  assertEquals(scores.name, "b");
  assertEquals(scores.y, [0.4, 0.42, 0.3, 0.4]);
  assertEquals(`${scores.xaxis}/${scores.yaxis}`, "x3/y3");
  assertEquals(scores.marker?.color, PALETTE[1]);
  assertEquals(fig.layout.yaxis3?.title?.text, "score");
  assertEquals(fig.layout.yaxis?.title?.text, "loss");
  assertEquals(fig.layout.yaxis2?.title?.text, "accuracy");
});

Deno.test("compareRuns() without scores has only the curve panels; repeated ids are rejected", () => {
  const fig = compareRuns([{ id: "a", history: HISTORY }]);
  assertEquals(fig.data.length, 4);
  assertEquals(fig.layout.yaxis3, undefined);
  assertEquals(fig.layout.yaxis?.domain, [0, 1]);
  assertThrows(
    () => compareRuns([{ id: "a", history: HISTORY }, { id: "a", history: HISTORY }]),
    Error,
    'runs[1].id "a" is repeated',
  );
  assertThrows(() => compareRuns([{ id: "a", history: [] }]), Error, 'runs[0] ("a").history is empty');
});

Deno.test("every figure survives a JSON round trip unchanged (what a notebook output stores)", () => {
  const figs = [
    lengthHistograms({ inputLens: [1, 2], targetLens: [1], limits: { input: 1 } }),
    trainingCurves(HISTORY),
    attentionHeatmap({ inputTokens: ["a"], outputTokens: ["b"], weights: [[1]] }),
    f1Histogram([0.5]),
    systemsBarChart({ systems: { m: { f1: 0.1, rouge1: 0.2, rouge2: 0.3, rougeL: 0.4 } } }),
    compareRuns([{ id: "a", history: HISTORY, metrics: { f1: 0.1, rouge1: 0.2, rouge2: 0.3, rougeL: 0.4 } }]),
  ];
  for (const fig of figs) assertEquals(JSON.parse(JSON.stringify(fig)), fig);
});
