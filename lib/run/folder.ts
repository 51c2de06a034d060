/**
 * The run folder (`results/<run-id>/`) in one place: write what a run starts with, read its config, load its best
 * model with its tokenizer. The experiment, `evaluate`, `summarize` and the notebooks all go through here.
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
import type { Config } from "../config.ts";
import type { PreparedData } from "../data/prep.ts";
import { Tokenizer } from "../data/tokenizer.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { pathExists } from "../io/exists.ts";
import { loadModelDir } from "../model/io.ts";
import { completeDir } from "../train/checkpoint.ts";

/** A run folder that is missing or incomplete for what was asked of it (printed in one line by the CLIs). */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
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
  try {
    return JSON.parse(text) as Config;
  } catch (e) {
    throw new RunError(`${dir}/config.json is not valid JSON (${(e as Error).message})`);
  }
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
  const tokenizer = Tokenizer.fromJSON(tokJson);
  return { id: id ?? dir.split("/").filter((p) => p !== "").at(-1) ?? dir, dir, cfg, tokenizer, bestDir };
}

/** {@linkcode openRun} and load the best model (the backend must be ready). */
export async function loadRun(resultsDirOrRun: string, id?: string): Promise<LoadedRun> {
  const opened = await openRun(resultsDirOrRun, id);
  return { ...opened, model: await loadModelDir(opened.bestDir) };
}
