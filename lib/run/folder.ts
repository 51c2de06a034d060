/**
 * The run folder (`results/<run-id>/`) in one place: write what a run starts with; read its config, history and
 * metrics; load its best model with its tokenizer (and its data, checked against the saved vocabulary); list the
 * runs of a results folder and the files of a run. The experiment, `evaluate`, `summarize`, the plots and the
 * notebooks all go through here.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { loadRun, RunError } from "./folder.ts";
 * await assertRejects(() => loadRun("results", "no-such-run"), RunError, "no run");
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type Config, type Overrides, PROFILES, resolveConfig } from "../config.ts";
import { prepareData, type PreparedData } from "../data/prep.ts";
import type { MetricsJson } from "../eval/report.ts";
import { Tokenizer } from "../data/tokenizer.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { pathExists } from "../io/exists.ts";
import { loadModelDir } from "../model/io.ts";
import { completeDir, type EpochLog } from "../train/checkpoint.ts";

/** A run folder that is missing or incomplete for what was asked of it (printed in one line by the CLIs). */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

/**
 * A new run id: `<UTC date-time>-<profile>`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { newRunId } from "./folder.ts";
 * assertEquals(newRunId({ profile: "envnews" }, new Date("2026-11-28T07:48:31.5Z")), "20261128-074831Z-envnews");
 * ```
 */
export function newRunId(cfg: Pick<Config, "profile">, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
  return `${t}-${cfg.profile}`;
}

/** The folder of run `id` under `resultsDir`. */
export function runDir(resultsDir: string, id: string): string {
  return `${resultsDir}/${id}`;
}

/** Read the config saved by a run (`config.json`); a missing or unreadable file is a {@linkcode RunError}. */
export async function readRunConfig(dir: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/config.json`);
  } catch (e) {
    throw new RunError(`${dir}/config.json is missing or unreadable (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RunError(`${dir}/config.json is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new RunError(`${dir}/config.json does not hold a config object`);
  }
  return parsed as Config;
}

/**
 * Write what a run folder needs before training: `config.json` (unless `opts.config` is false, as when
 * resuming), `tokenizer.json` and `prep_report.json`. The CLI and the training notebook both start runs so.
 */
export async function writeRunInputs(
  dir: string,
  cfg: Config,
  data: Pick<PreparedData, "tokenizer" | "report">,
  opts: { config?: boolean } = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  if (opts.config !== false) await writeTextAtomic(`${dir}/config.json`, JSON.stringify(cfg, null, 1));
  await writeTextAtomic(`${dir}/tokenizer.json`, JSON.stringify(data.tokenizer.toJSON()));
  await writeTextAtomic(`${dir}/prep_report.json`, JSON.stringify(data.report, null, 1));
}

/** A finished run's config, tokenizer and the folder of its best model, checked but not loaded. */
export interface OpenedRun {
  id: string;
  dir: string;
  cfg: Config;
  tokenizer: Tokenizer;
  /** The folder holding the best epoch's `model.json` (`best/`, or `best.old/` after an interrupted save). */
  bestDir: string;
}

/** A finished run's config, best model and tokenizer. */
export interface LoadedRun extends OpenedRun {
  model: tf.LayersModel;
}

/**
 * Check run `id` of `resultsDir` (or, with one argument, the run folder itself) and read its config and
 * tokenizer, without loading the model (which needs a backend). A missing run, a run without `best/` (no epoch
 * finished yet) or without `tokenizer.json` is a {@linkcode RunError} naming the folder.
 */
export async function openRun(resultsDirOrRun: string, id?: string): Promise<OpenedRun> {
  const dir = id === undefined ? resultsDirOrRun : runDir(resultsDirOrRun, id);
  if (!(await pathExists(dir))) {
    throw new RunError(
      `no run ${id === undefined ? dir : `"${id}" in ${resultsDirOrRun}/`}` +
        (id === undefined ? "" : " (see --resultsDir; run ids are the folder names there)"),
    );
  }
  const cfg = await readRunConfig(dir);
  const bestDir = await completeDir(`${dir}/best`);
  if (!bestDir) throw new RunError(`${dir}/best holds no model: the run has not finished an epoch`);
  let tokJson: unknown;
  try {
    tokJson = JSON.parse(await Deno.readTextFile(`${dir}/tokenizer.json`));
  } catch (e) {
    throw new RunError(`${dir}/tokenizer.json is missing or unreadable (${(e as Error).message})`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(tokJson);
  } catch (e) {
    throw new RunError(`${dir}/tokenizer.json: ${(e as Error).message}`);
  }
  return { id: id ?? dir.split("/").filter((p) => p !== "").at(-1) ?? dir, dir, cfg, tokenizer, bestDir };
}

/** {@linkcode openRun} and load the best model (the backend must be ready). */
export async function loadRun(resultsDirOrRun: string, id?: string): Promise<LoadedRun> {
  const opened = await openRun(resultsDirOrRun, id);
  return { ...opened, model: await loadModelDir(opened.bestDir) };
}

/** A run's model and tokenizer with its data prepared again from its config (same splits, same vocabulary). */
export interface LoadedRunWithData extends LoadedRun {
  data: PreparedData;
}

/**
 * {@linkcode loadRun} and prepare the run's data again from its config. The vocabulary this gives must be the one
 * the run saved (`tokenizer.json`); otherwise the data changed since the run and its splits cannot be trusted:
 * a {@linkcode RunError}.
 */
export async function loadRunWithData(resultsDirOrRun: string, id?: string): Promise<LoadedRunWithData> {
  // the data first: a data error then leaves no model to dispose
  const opened = await openRun(resultsDirOrRun, id);
  const data = await prepareData(opened.cfg, undefined, { useEnv: false });
  if (!data.tokenizer.sameVocabulary(opened.tokenizer)) {
    throw new RunError(
      `the vocabulary rebuilt from ${opened.dir}/config.json (data: ${
        opened.cfg.data || "embedded corpus"
      }) differs ` +
        `from ${opened.dir}/tokenizer.json: the data changed since the run`,
    );
  }
  return { ...opened, model: await loadModelDir(opened.bestDir), data };
}

/** Keys an evaluation of a finished run may set; everything else comes from the run's own config. */
export const EVAL_KEYS: readonly (keyof Config)[] = [
  "evalExamples",
  "beamWidth",
  "lengthPenalty",
  "bootstrap",
  "leadWords",
  "backend",
  "blas",
  "png",
];

/**
 * The config to evaluate a run with: the run's saved config with `overrides` of the {@linkcode EVAL_KEYS} applied
 * and validated. Any other key is a {@linkcode RunError}: the model and its data are the run's.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { evaluationConfig } from "./folder.ts";
 * const runCfg = resolveConfig("tiny");
 * assertEquals(evaluationConfig(runCfg, { evalExamples: 5 }).evalExamples, 5);
 * assertThrows(() => evaluationConfig(runCfg, { units: 8 }), Error, "units");
 * ```
 */
export function evaluationConfig(runCfg: Config, overrides: Overrides = {}): Config {
  const bad = Object.keys(overrides).filter((k) => !(EVAL_KEYS as readonly string[]).includes(k));
  if (bad.length > 0) {
    throw new RunError(
      `an evaluation cannot change ${bad.join(", ")}: the model and its data are the run's; only ` +
        `${EVAL_KEYS.join(", ")} may be set`,
    );
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return resolveConfig(runCfg.profile in PROFILES ? runCfg.profile : "paper", { ...runCfg, ...defined });
}

/** One epoch of `history.json` (runs made before a figure was recorded lack the optional ones). */
export type HistoryEntry =
  & Pick<EpochLog, "epoch" | "loss" | "acc" | "valLoss" | "valAcc">
  & Partial<Pick<EpochLog, "valAcc1" | "valAccRest" | "seconds">>;

/** One run folder as read by {@linkcode readRun}. */
export interface RunRecord {
  /** The folder's name (the run id). */
  id: string;
  /** The folder's path as given (resultsDir joined with the id). */
  dir: string;
  /** `config.json`, or null when the folder has none. */
  config: Partial<Config> | null;
  /** `history.json`: one record per finished epoch. */
  history: HistoryEntry[];
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

function checkHistory(value: unknown, path: string): HistoryEntry[] {
  if (!Array.isArray(value)) throw new Error(`${path}: expected an array of epochs`);
  return value.map((e, i) => {
    if (e === null || typeof e !== "object") throw new Error(`${path}: entry ${i} is not an object`);
    const rec = e as Record<string, unknown>;
    for (const k of EPOCH_KEYS) {
      if (typeof rec[k] !== "number") throw new Error(`${path}: entry ${i} has no number "${k}"`);
    }
    const out: HistoryEntry = {
      epoch: rec.epoch as number,
      loss: rec.loss as number,
      acc: rec.acc as number,
      valLoss: rec.valLoss as number,
      valAcc: rec.valAcc as number,
    };
    for (const k of ["valAcc1", "valAccRest", "seconds"] as const) {
      if (typeof rec[k] === "number") out[k] = rec[k] as number;
    }
    return out;
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

/** One row of {@linkcode listFiles}. */
export interface FileRow {
  file: string;
  kB: number;
  modified: string;
}

/**
 * The files under `dir` (recursively, paths relative to it, sorted) with their size in kB and
 * modification time, to show what a step wrote. A missing folder gives no rows.
 */
export async function listFiles(dir: string): Promise<FileRow[]> {
  const out: FileRow[] = [];
  const walk = async (sub: string): Promise<void> => {
    for await (const e of Deno.readDir(sub ? `${dir}/${sub}` : dir)) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory) await walk(rel);
      else if (e.isFile) {
        const st = await Deno.stat(`${dir}/${rel}`);
        out.push({
          file: rel,
          kB: Math.round(st.size / 102.4) / 10,
          modified: st.mtime ? st.mtime.toISOString().replace("T", " ").slice(0, 19) : "",
        });
      }
    }
  };
  try {
    await walk("");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}
