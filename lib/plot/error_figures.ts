/**
 * The figure of the error analysis (lib/eval/errors.ts): for each error class, the F1 points it costs, one bar per
 * run, so that two runs (or greedy and beam) can be compared class by class.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { analyseErrors } from "../eval/errors.ts";
 * import { errorClassBars } from "./error_figures.ts";
 * const opts = { maxInputLen: 50, maxOutputLen: 20, sentenceBoundaries: false, labelSentences: 1 };
 * const cleaned = "the ice melts. the ice melts fast in the arctic.";
 * const label = "the ice melts fast in the arctic";
 * const a = analyseErrors([{ id: 1, cleaned, label, prediction: "the ice melts" }], opts);
 * const fig = errorClassBars([{ name: "run A", analysis: a }]);
 * // the summary copies the first sentence where the label is the second: precision 3/3, recall 3/7, F1 0.6,
 * // so the one summary costs 1 - 0.6 = 0.4 F1 points, all in "wrong sentence"
 * const bars = fig.data[0] as { x: string[]; y: number[] };
 * assertEquals(fig.data.length, 1);
 * assertEquals(bars.x[bars.y.findIndex((y) => y > 0)], "wrong sentence");
 * assertEquals(bars.y.map((y) => Math.round(y * 1e6) / 1e6), [0, 0, 0.4, 0, 0, 0, 0]);
 * ```
 * @module
 */
import { ERROR_CLASSES, type ErrorAnalysis } from "../eval/errors.ts";
import { PALETTE } from "./figures.ts";
import type { BarTrace, Figure } from "./plotly.ts";

/** One analysis to draw, under a name (a run id, "greedy", "beam"). */
export interface NamedErrorAnalysis {
  name: string;
  analysis: ErrorAnalysis;
}

/**
 * Grouped bars: the F1 points each error class costs (its lost F1 over n), one colour per analysis; the hover
 * gives the class's count and share of the summaries. The `exact` class costs nothing and is left out.
 */
export function errorClassBars(analyses: readonly NamedErrorAnalysis[], title = "Where the F1 goes"): Figure {
  if (analyses.length === 0) throw new Error("errorClassBars: no analyses given");
  const classes = ERROR_CLASSES.filter((c) => c !== "exact");
  const data: BarTrace[] = analyses.map(({ name, analysis }, i) => {
    const rows = classes.map((c) => analysis.table.find((r) => r.errorClass === c)!);
    return {
      type: "bar",
      name,
      x: classes.map((c) => c.replace("_", " ")),
      y: rows.map((r) => Math.round(r.lostPoints * 1e6) / 1e6),
      customdata: rows.map((r) => [r.count, Math.round(r.share * 1000) / 10]),
      marker: { color: PALETTE[i % PALETTE.length] },
      hovertemplate:
        `${name}: %{y:.3f} F1 points, %{customdata[0]} summaries (%{customdata[1]}%)<extra></extra>`,
    };
  });
  return {
    data,
    layout: {
      title: { text: title },
      barmode: "group",
      xaxis: { title: { text: "error class" } },
      yaxis: { title: { text: "F1 points lost (sum of 1 - F1, over n)" }, rangemode: "tozero" },
      height: 420,
    },
  };
}
