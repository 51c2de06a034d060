/**
 * Read finished (or partly trained) runs from a results folder for comparison figures and tables:
 * every `<resultsDir>/<run-id>/` holding a `history.json` is a run; its `metrics.json` and
 * `config.json` are read when present. Nothing is written.
 *
 * @example
 * ```ts
 * import { compareRuns } from "./figures.ts";
 * import { listRuns, runSummary } from "./runs.ts";
 * const runs = await listRuns("results", { limit: 6 });
 * const fig = compareRuns(runs.map((r) => runSummary(r)));
 * ```
 * @module
 */
import type { Config } from "../config.ts";
import type { MetricsJson } from "../eval/report.ts";
import type { EpochRecord, RunSummary } from "./figures.ts";

/** One run folder as read by {@linkcode readRun}. */
export interface RunRecord {
  /** The folder's name (the run id). */
  id: string;
  /** The folder's path as given (resultsDir joined with the id). */
  dir: string;
  /** `config.json`, or null when the folder has none. */
  config: Partial<Config> | null;
  /** `history.json`: one record per finished epoch. */
  history: EpochRecord[];
  /** `metrics.json`, or null when the run was not evaluated. */
  metrics: MetricsJson | null;
  /** Modification time of `history.json` (the last finished epoch). */
  modified: Date | null;
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

const EPOCH_KEYS = ["epoch", "loss", "acc", "valLoss", "valAcc"] as const;

function checkHistory(value: unknown, path: string): EpochRecord[] {
  if (!Array.isArray(value)) throw new Error(`${path}: expected an array of epochs`);
  return value.map((e, i) => {
    if (e === null || typeof e !== "object") throw new Error(`${path}: entry ${i} is not an object`);
    const rec = e as Record<string, unknown>;
    for (const k of EPOCH_KEYS) {
      if (typeof rec[k] !== "number") throw new Error(`${path}: entry ${i} has no number "${k}"`);
    }
    return {
      epoch: rec.epoch as number,
      loss: rec.loss as number,
      acc: rec.acc as number,
      valLoss: rec.valLoss as number,
      valAcc: rec.valAcc as number,
    };
  });
}

function checkMetrics(value: unknown, path: string): MetricsJson {
  const m = value as Partial<MetricsJson> | null;
  if (m === null || typeof m !== "object" || typeof m.systems !== "object" || m.systems === null) {
    throw new Error(`${path}: expected an object with "systems"`);
  }
  return m as MetricsJson;
}

/**
 * Read one run folder. Throws when `history.json` is missing, and names the file when a JSON file
 * is malformed.
 */
export async function readRun(dir: string): Promise<RunRecord> {
  const historyPath = `${dir}/history.json`;
  const history = await readJson(historyPath);
  if (history === undefined) throw new Error(`readRun: ${historyPath} does not exist`);
  const metrics = await readJson(`${dir}/metrics.json`);
  const config = await readJson(`${dir}/config.json`);
  let modified: Date | null = null;
  try {
    modified = (await Deno.stat(historyPath)).mtime;
  } catch { /* no mtime on this file system */ }
  return {
    id: dir.replace(/\/+$/, "").split("/").pop()!,
    dir,
    config: config === undefined ? null : config as Partial<Config>,
    history: checkHistory(history, historyPath),
    metrics: metrics === undefined ? null : checkMetrics(metrics, `${dir}/metrics.json`),
    modified,
  };
}

/** Options of {@linkcode listRuns}. */
export interface ListRunsOptions {
  /** Keep only the most recent `limit` runs (by {@linkcode RunRecord.modified}; default all). */
  limit?: number;
  /** Keep only runs whose id passes this test. */
  filter?: (id: string) => boolean;
}

/**
 * The runs in `resultsDir`: its sub-folders with a non-empty `history.json`, oldest first (by the
 * time of their last finished epoch, then by id). A missing `resultsDir` gives no runs.
 */
export async function listRuns(resultsDir: string, opts: ListRunsOptions = {}): Promise<RunRecord[]> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(resultsDir)) {
      if (e.isDirectory && (opts.filter?.(e.name) ?? true)) ids.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const runs: RunRecord[] = [];
  for (const id of ids) {
    try {
      await Deno.stat(`${resultsDir}/${id}/history.json`);
    } catch {
      continue; // not a run folder (e.g. notebooks/, screenshots/)
    }
    const run = await readRun(`${resultsDir}/${id}`);
    if (run.history.length > 0) runs.push(run);
  }
  runs.sort((a, b) =>
    (a.modified?.getTime() ?? 0) - (b.modified?.getTime() ?? 0) || a.id.localeCompare(b.id)
  );
  return opts.limit !== undefined ? runs.slice(Math.max(0, runs.length - opts.limit)) : runs;
}

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
