/**
 * The standard figures of a finished run, written as HTML (and PNG when asked and Chromium is present) into
 * `results/<run-id>/figures/`: input/target length histograms, training curves, attention heatmaps of the first
 * test examples, the F1 distribution of the greedy decoder, and the model against the baselines.
 *
 * @example
 * ```ts
 * import { saveRunFigures } from "./run_figures.ts";
 * // const files = await saveRunFigures(`${dir}/figures`, { ... });
 * ```
 * @module
 */
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
   * only without sentence boundaries; see `encoderInputWords` in lib/data/prep.ts).
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
          input.result.examples[i].input.split(" "),
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
