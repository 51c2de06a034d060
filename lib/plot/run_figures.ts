/**
 * The standard figures of a finished run, written as HTML (and PNG when asked and Chromium is present) into
 * `results/<run-id>/figures/`: input/target length histograms, training curves, attention heatmaps of the first
 * test examples, the F1 distribution of the greedy decoder, and the model against the baselines.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { evaluateSystems } from "../eval/score.ts";
 * import { saveRunFigures } from "./run_figures.ts";
 * const ex = { id: 0, station: "CNN", date: "2015-03-07", snippet: "", cleaned: "seas rise. ice melts fast.",
 *   input: "seas rise ice melts fast", target: "ice melts fast" };
 * const result = evaluateSystems([ex], { model_greedy: ["ice melts"] }, {
 *   bootstrap: 0, seed: 1, leadWords: 20, labelSentences: 1,
 * });
 * const words = ["", "<oov>", "sostok", "eostok", "ice", "melts"];
 * const dir = await Deno.makeTempDir();
 * const files = await saveRunFigures(`${dir}/figures`, {
 *   lengths: { inputWords: { counts: [0, 0, 0, 0, 0, 1] }, targetWords: { counts: [0, 0, 0, 1] } },
 *   limits: { input: 50, target: 20 },
 *   history: [{ epoch: 1, loss: 2.1, acc: 0.31, valLoss: 2.4, valAcc: 0.28 }],
 *   result,
 *   greedy: [{ ids: [4, 5], attention: [[0, 0, 1, 0, 0], [0, 0, 0, 1, 0]] }], // one row per output word
 *   tokenOf: (id) => words[id],
 * });
 * const names = files.map((f) => f.slice(`${dir}/figures/`.length)).sort();
 * assertEquals(names, [
 *   "attention_1.html", // one heatmap per decoded example (3 by default, here there is 1)
 *   "f1_histogram.html",
 *   "lengths.html",
 *   "systems.html",
 *   "training_curves.html",
 * ]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { words } from "../eval/metrics.ts";
import type { EvalResult } from "../eval/score.ts";
import {
  attentionHeatmap,
  type EpochRecord,
  f1Histogram,
  lengthHistograms,
  systemsBarChart,
  trainingCurves,
} from "./figures.ts";
import { attentionInput, type DecodedLike, lengthsFromCounts } from "./notebook.ts";
import { type Figure, saveFigure } from "./plotly.ts";

/** What {@linkcode saveRunFigures} draws. */
export interface RunFigureInput {
  /** Histogram counts of input and target lengths in words (the prep report's `lengths`). */
  lengths: { inputWords: { counts: number[] }; targetWords: { counts: number[] } };
  limits: { input: number; target: number };
  history: readonly EpochRecord[];
  result: EvalResult;
  /** Greedy decodes aligned with `result.examples` (for the attention heatmaps). */
  greedy: readonly DecodedLike[];
  tokenOf: (id: number, inputWords: readonly string[]) => string;
  /**
   * The words the encoder read for an example, one per attention column (default: `ex.input`'s words, right
   * only without sentence boundaries; see `encoderInputWords` in lib/data/encoder_input.ts).
   */
  inputWordsOf?: (ex: EvalResult["examples"][number]) => string[];
  /** Heatmaps drawn (default 3). */
  attentionExamples?: number;
  png?: boolean;
}

/** Write the run's figures into `dir`; returns the files written. */
export async function saveRunFigures(dir: string, input: RunFigureInput): Promise<string[]> {
  const figs: [string, Figure][] = [
    [
      "lengths",
      lengthHistograms({
        inputLens: lengthsFromCounts(input.lengths.inputWords.counts),
        targetLens: lengthsFromCounts(input.lengths.targetWords.counts),
        limits: input.limits,
      }),
    ],
    ["training_curves", trainingCurves(input.history)],
    ["f1_histogram", f1Histogram(input.result.systems.model_greedy.scores.map((s) => s.f1))],
    [
      "systems",
      systemsBarChart({
        systems: Object.fromEntries(Object.entries(input.result.systems).map(([k, v]) => [k, v.mean])),
      }),
    ],
  ];
  const k = Math.min(input.attentionExamples ?? 3, input.greedy.length);
  for (let i = 0; i < k; i++) {
    if (input.greedy[i].ids.length === 0) continue;
    figs.push([
      `attention_${i + 1}`,
      attentionHeatmap(attentionInput({
        inputWords: input.inputWordsOf?.(input.result.examples[i]) ??
          words(input.result.examples[i].input),
        decoded: input.greedy[i],
        tokenOf: input.tokenOf,
        title: `attention, test example ${i + 1}`,
      })),
    ]);
  }
  const files: string[] = [];
  for (const [name, fig] of figs) {
    files.push(...(await saveFigure(fig, `${dir}/${name}`, { png: input.png ?? false })).files);
  }
  return files;
}
