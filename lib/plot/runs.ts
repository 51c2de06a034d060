/**
 * Runs side by side, for comparison figures and tables: the runs come from {@linkcode listRuns}
 * (lib/run/folder.ts), which reads every `<resultsDir>/<run-id>/` holding a `history.json`.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { compareRuns } from "./figures.ts";
 * import { listRuns } from "../run/folder.ts";
 * import { runsTable, runSummary } from "./runs.ts";
 * const results = await Deno.makeTempDir(); // a results folder with one run that finished two epochs
 * await Deno.mkdir(`${results}/run-a`);
 * await Deno.writeTextFile(`${results}/run-a/config.json`, JSON.stringify({ profile: "tiny", units: 32 }));
 * await Deno.writeTextFile(`${results}/run-a/history.json`, JSON.stringify([
 *   { epoch: 1, loss: 2.1, acc: 0.31, valLoss: 2.4, valAcc: 0.28, seconds: 5 },
 *   { epoch: 2, loss: 1.6, acc: 0.45, valLoss: 1.9, valAcc: 0.41, seconds: 5 },
 * ]));
 * const runs = await listRuns(results, { limit: 6 });
 * assertEquals(runs.map((r) => r.id), ["run-a"]);
 * const [row] = runsTable(runs);
 * assertEquals([row.profile, row.units, row.bestEpoch, row.bestValLoss, row.f1], ["tiny", 32, 2, 1.9, null]);
 * const fig = compareRuns(runs.map((r) => runSummary(r)));
 * assert(fig.data.some((t) => t.name?.includes("run-a"))); // its curves, named by run id
 * await Deno.remove(results, { recursive: true });
 * ```
 * @module
 */
import type { RunRecord } from "../run/folder.ts";
import type { RunSummary } from "./figures.ts";

/** The {@linkcode RunSummary} of a run for `compareRuns`: its history and the scores of `system`. */
export function runSummary(run: RunRecord, system = "model_greedy"): RunSummary {
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
  bestEpoch: number;
  bestValLoss: number;
  bestValAcc: number;
  f1: number | null;
  copyInputF1: number | null;
  n: number | null;
}

/**
 * One row per run: settings from its config, the epoch with the lowest validation loss, and the
 * test F1 of `system` and of the `copy_input` baseline when the run was evaluated.
 */
export function runsTable(runs: readonly RunRecord[], system = "model_greedy"): RunRow[] {
  return runs.map((r) => {
    let best = r.history[0];
    for (const h of r.history) if (h.valLoss < best.valLoss) best = h;
    return {
      run: r.id,
      profile: r.config?.profile ?? "",
      units: r.config?.units ?? null,
      layers: r.config?.encoderLayers ?? null,
      vocab: r.config?.vocabSize ?? null,
      epochs: r.history.length,
      bestEpoch: best.epoch,
      bestValLoss: best.valLoss,
      bestValAcc: best.valAcc,
      f1: r.metrics?.systems[system]?.f1 ?? null,
      copyInputF1: r.metrics?.systems["copy_input"]?.f1 ?? null,
      n: r.metrics?.n ?? null,
    };
  });
}
