/**
 * Runs side by side, for comparison figures and tables: the runs come from {@linkcode listRuns}
 * (lib/run/discover.ts), which reads every run folder of `<resultsDir>/`.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { compareRuns } from "./figures.ts";
 * import { listRuns } from "../run/discover.ts";
 * import { runsTable, runSummary } from "./runs.ts";
 * const results = await Deno.makeTempDir(); // a results folder with one run that finished two epochs
 * await Deno.mkdir(`${results}/run-a`);
 * await Deno.writeTextFile(`${results}/run-a/config.json`, JSON.stringify({ profile: "tiny", units: 32 }));
 * await Deno.writeTextFile(`${results}/run-a/history.json`, JSON.stringify([
 *   { epoch: 1, loss: 2.1, acc: 0.31, valLoss: 2.4, valAcc: 0.28, seconds: 5 },
 *   { epoch: 2, loss: 1.6, acc: 0.45, valLoss: 1.9, valAcc: 0.41, seconds: 5 },
 * ]));
 * const { runs } = await listRuns(results);
 * assertEquals(runs.map((r) => r.id), ["run-a"]);
 * const [row] = runsTable(runs);
 * assertEquals([row.profile, row.units, row.bestEpoch, row.bestValLoss, row.f1], ["tiny", 32, 2, 1.9, null]);
 * const fig = compareRuns(runs.map((r) => runSummary(r)));
 * assert(fig.data.some((t) => t.name?.includes("run-a"))); // its curves, named by run id
 * await Deno.remove(results, { recursive: true });
 * ```
 * @module
 */
import type { RunInfo, RunStatus } from "../run/discover.ts";
import type { RunSummary } from "./figures.ts";

/** The {@linkcode RunSummary} of a run for `compareRuns`: its history and the scores of `system`. */
export function runSummary(
  run: Pick<RunInfo, "id" | "history" | "metrics">,
  system = "model_greedy",
): RunSummary {
  const scores = run.metrics?.systems[system];
  return { id: run.id, history: run.history, ...(scores ? { metrics: scores } : {}) };
}

/** One row of {@linkcode runsTable}. */
export interface RunRow {
  run: string;
  profile: string;
  units: number | null;
  layers: number | null;
  vocab: number | null;
  epochs: number;
  bestEpoch: number | null;
  bestValLoss: number | null;
  bestValAcc: number | null;
  f1: number | null;
  copyInputF1: number | null;
  n: number | null;
}

/**
 * One row per run: settings from its config, the epoch with the lowest validation loss (null before the first
 * epoch), and the test F1 of `system` and of the `copy_input` baseline when the run was evaluated.
 */
export function runsTable(
  runs: readonly Pick<RunInfo, "id" | "config" | "history" | "metrics">[],
  system = "model_greedy",
): RunRow[] {
  return runs.map((r) => {
    const best = r.history.reduce<RunInfo["history"][number] | null>(
      (b, h) => (b === null || h.valLoss < b.valLoss ? h : b),
      null,
    );
    return {
      run: r.id,
      profile: r.config.profile,
      units: r.config.units ?? null,
      layers: r.config.encoderLayers ?? null,
      vocab: r.config.vocabSize ?? null,
      epochs: r.history.length,
      bestEpoch: best?.epoch ?? null,
      bestValLoss: best?.valLoss ?? null,
      bestValAcc: best?.valAcc ?? null,
      f1: r.metrics?.systems[system]?.f1 ?? null,
      copyInputF1: r.metrics?.systems["copy_input"]?.f1 ?? null,
      n: r.metrics?.n ?? null,
    };
  });
}

/** One row of {@linkcode runChoices}: what a run picker shows of a run. */
export interface RunChoice {
  /** The run id, with " (shown)" after the chosen one. */
  run: string;
  status: RunStatus;
  profile: string;
  /** The data folder, or "embedded corpus". */
  data: string;
  epochs: number;
  bestValLoss: number | null;
  testF1: number | null;
  copyInputF1: number | null;
  /** When the run started (UTC, to the minute), or "" when unknown. */
  started: string;
}

/** One row per run for choosing among them (the notebooks' run tables, the web page's run picker). */
export function runChoices(runs: readonly RunInfo[], chosen?: string): RunChoice[] {
  return runs.map((r) => ({
    run: r.id === chosen ? `${r.id} (shown)` : r.id,
    status: r.status,
    profile: r.profile,
    data: r.data ?? "embedded corpus",
    epochs: r.epochs,
    bestValLoss: r.bestValLoss,
    testF1: r.testF1,
    copyInputF1: r.copyInputF1,
    started: r.created ? r.created.toISOString().slice(0, 16).replace("T", " ") : "",
  }));
}
