/**
 * The runs of a results folder, for anything that must pick one: the notebooks, and the run picker of the web
 * page. {@linkcode listRuns} reads every `<resultsDir>/<run-id>/` through {@linkcode RunFolder} (config,
 * history, checkpoint state, metrics) and says, for each folder it cannot read as a run, why (a half-written run,
 * a folder of executed notebooks, a broken file): it never throws for one folder. Runs come newest first;
 * {@linkcode selectRuns} and {@linkcode latestRun} pick among them, {@linkcode configDiff} and
 * {@linkcode pairRuns} find runs that differ in exactly the given settings.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { latestRun, listRuns, pairRuns } from "./discover.ts";
 * const results = await Deno.makeTempDir();
 * const run = async (id: string, config: object, epochs: number[]) => {
 *   await Deno.mkdir(`${results}/${id}`);
 *   await Deno.writeTextFile(`${results}/${id}/config.json`, JSON.stringify({ profile: "tiny", ...config }));
 *   const history = epochs.map((valLoss, i) => ({ epoch: i + 1, loss: 1, acc: 0.5, valLoss, valAcc: 0.5 }));
 *   await Deno.writeTextFile(`${results}/${id}/history.json`, JSON.stringify(history));
 * };
 * await run("20261201-090000Z-tiny", { units: 16 }, [2.0, 1.5]);
 * await run("20261202-090000Z-tiny", { units: 32 }, [1.8]);
 * await Deno.mkdir(`${results}/notebooks`); // executed notebooks: not a run
 * const { runs, skipped } = await listRuns(results);
 * assertEquals(runs.map((r) => [r.id, r.epochs, r.bestValLoss]), [
 *   ["20261202-090000Z-tiny", 1, 1.8], // newest first
 *   ["20261201-090000Z-tiny", 2, 1.5],
 * ]);
 * assertEquals(skipped.map((s) => [s.id, s.reason]), [["notebooks", "no config.json: not a run folder"]]);
 * assertEquals(latestRun(runs, { config: { units: 16 } })?.id, "20261201-090000Z-tiny");
 * assertEquals(pairRuns(runs, "units").map((p) => p.differ), [["units"]]);
 * await Deno.remove(results, { recursive: true });
 * ```
 * @module
 */
import type { Config } from "../config.ts";
import type { MetricsJson } from "../eval/report.ts";
import { pathExists } from "../io/exists.ts";
import { type HistoryEntry, RESUME_KEYS, RunError, RunFolder, type RunState } from "./folder.ts";
import { ownerAlive, readOwner } from "./owner.ts";

/**
 * Where a run stands: `writing` (a live process holds `owner.json`), `unfinished` (training stopped before it
 * ended: paused by a notebook, interrupted; `--resume` continues it), `trained` (training ended: early stopping
 * or the last epoch) or `evaluated` (and `metrics.json`, the experiment's last file, is written).
 */
export type RunStatus = "writing" | "unfinished" | "trained" | "evaluated";

/** One run of a results folder, as {@linkcode listRuns} reads it. */
export interface RunInfo {
  /** The folder's name. */
  id: string;
  /** The folder's path (`<resultsDir>/<id>`). */
  dir: string;
  /** The profile the run was made with (`config.json`). */
  profile: string;
  status: RunStatus;
  /** Training ended (status `trained` or `evaluated`): its best model is final. */
  finished: boolean;
  /** Finished epochs (`history.json`). */
  epochs: number;
  /** The epoch with the lowest validation loss, and that loss (null before the first epoch). */
  bestEpoch: number | null;
  bestValLoss: number | null;
  /** Greedy token F1 on the run's test split, and copying the input's (`metrics.json`; null if not evaluated). */
  testF1: number | null;
  copyInputF1: number | null;
  /** The data folder the run was trained on, or null for the embedded corpus. */
  data: string | null;
  /** When the run started: the date-time of its id (`<UTC date-time>-<profile>`), else `config.json`'s mtime. */
  created: Date | null;
  /** When its last epoch finished (`history.json`'s mtime; null before the first). */
  modified: Date | null;
  /** `config.json`, validated. */
  config: Config;
  /** How training ended, as the checkpoint's state says: `""` while it has not (or without a checkpoint). */
  stopped: RunState["stopped"];
  /** `history.json`: one record per finished epoch. */
  history: HistoryEntry[];
  /** `metrics.json`, or null. */
  metrics: MetricsJson | null;
}

/** A folder of the results folder that is not listed as a run, and why. */
export interface SkippedFolder {
  id: string;
  dir: string;
  reason: string;
}

/** What {@linkcode listRuns} found. */
export interface RunList {
  /** Newest first (by `created`, then by id, later ids first). */
  runs: RunInfo[];
  /** Folders that are not runs or cannot be read as one, by name. */
  skipped: SkippedFolder[];
}

/** Options of {@linkcode listRuns}. */
export interface ListRunsOptions {
  /**
   * Also list the runs of folders that are not runs but hold some (`results/real-copy/` after
   * `--resultsDir=results/real-copy`), one level down. A run id found twice is listed once (the first found).
   */
  nested?: boolean;
}

const ID_TIME = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})Z(?:-|$)/;

/** The start time a run id `<YYYYMMDD-HHMMSSZ>-<profile>[-n]` gives, or null for another name. */
export function timeOfRunId(id: string): Date | null {
  const m = ID_TIME.exec(id);
  if (!m) return null;
  const t = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(t.getTime()) ? null : t;
}

async function mtime(path: string): Promise<Date | null> {
  try {
    return (await Deno.stat(path)).mtime;
  } catch {
    return null;
  }
}

function statusOf(writing: boolean, state: RunState | null, epochs: number, evaluated: boolean): RunStatus {
  if (writing) return "writing";
  // runs saved before checkpoints recorded how training ended count as trained once they were evaluated
  const ended = state ? state.stopped !== "" : evaluated && epochs > 0;
  if (!ended) return "unfinished";
  return evaluated ? "evaluated" : "trained";
}

/** The epoch with the lowest validation loss (the first of equals, as early stopping keeps it); null when none. */
export function bestEntry(history: readonly HistoryEntry[]): HistoryEntry | null {
  return history.reduce<HistoryEntry | null>((b, h) => (b === null || h.valLoss < b.valLoss ? h : b), null);
}

/**
 * Read one run folder. Any file that cannot be read as a run's is a `RunError` naming it (a folder without
 * `config.json` says it is not a run folder).
 */
export async function readRunInfo(dir: string): Promise<RunInfo> {
  const folder = RunFolder.at(dir);
  if (!(await pathExists(folder.path("config.json")))) throw new RunError("no config.json: not a run folder");
  const config = await folder.config();
  const history = await folder.history();
  const metrics = await folder.metrics();
  const best = bestEntry(history);
  const owner = await readOwner(folder.dir);
  const writing = owner !== null && ownerAlive(owner);
  // a live process may be swapping its checkpoint as we read: its state counts as not read, not as broken
  const state = writing ? await folder.state().catch(() => null) : await folder.state();
  const status = statusOf(writing, state, history.length, metrics !== null);
  return {
    id: folder.id,
    dir: folder.dir,
    profile: config.profile,
    status,
    finished: status === "trained" || status === "evaluated",
    epochs: history.length,
    bestEpoch: best?.epoch ?? null,
    bestValLoss: best?.valLoss ?? null,
    testF1: metrics?.systems.model_greedy?.f1 ?? null,
    copyInputF1: metrics?.systems.copy_input?.f1 ?? null,
    data: config.data ? config.data : null,
    created: timeOfRunId(folder.id) ?? (await mtime(folder.path("config.json"))),
    modified: history.length > 0 ? await mtime(folder.path("history.json")) : null,
    config,
    stopped: state?.stopped ?? "",
    history,
    metrics,
  };
}

async function subfolders(dir: string): Promise<string[] | null> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isDirectory) names.push(e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  return names.sort();
}

/**
 * The runs in `resultsDir`, newest first, with the folders that are not runs and why: a folder without
 * `config.json` (executed notebooks, figures, a run removed half-way), or one whose config, history, checkpoint
 * state or metrics cannot be read. One bad folder never hides the others and is never thrown; a missing
 * `resultsDir` gives no runs (one that exists but cannot be read is an error).
 */
export async function listRuns(resultsDir: string, opts: ListRunsOptions = {}): Promise<RunList> {
  const runs: RunInfo[] = [];
  const skipped: SkippedFolder[] = [];
  const seen = new Set<string>();
  const scan = async (dir: string, depth: number) => {
    for (const name of (await subfolders(dir)) ?? []) {
      const path = `${dir}/${name}`;
      try {
        const run = await readRunInfo(path);
        if (!seen.has(run.id)) runs.push(run);
        seen.add(run.id);
      } catch (e) {
        const reason = (e as Error).message.replaceAll(`${path}/`, "");
        if (depth === 0 && opts.nested && reason.startsWith("no config.json")) {
          const before = runs.length;
          await scan(path, 1).catch(() => {}); // an unreadable folder: skipped below, as no run folder
          if (runs.length > before) continue;
        }
        skipped.push({ id: name, dir: path, reason });
      }
    }
  };
  await scan(resultsDir.replace(/\/+$/, "") || "/", 0);
  const time = (r: RunInfo) => r.created?.getTime() ?? 0;
  runs.sort((a, b) => time(b) - time(a) || compareIds(b.id, a.id));
  return { runs, skipped };
}

/** Ids in order, with a numeric suffix counted as a number (`x-10` after `x-9`). */
function compareIds(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** What {@linkcode selectRuns} keeps; every field given must hold. */
export interface RunCriteria {
  id?: string;
  profile?: string;
  status?: RunStatus | readonly RunStatus[];
  /** Training ended (`trained` or `evaluated`). */
  finished?: boolean;
  /** `metrics.json` is there. */
  evaluated?: boolean;
  /** Trained on a data folder (true) or on the embedded corpus (false). */
  realData?: boolean;
  /** Settings that must have these values (compared as JSON). */
  config?: Partial<Config>;
}

/** Whether `run` meets every criterion given. */
export function matchesRun(run: RunInfo, c: RunCriteria): boolean {
  const statuses = c.status === undefined ? null : typeof c.status === "string" ? [c.status] : c.status;
  return (c.id === undefined || run.id === c.id) &&
    (c.profile === undefined || run.profile === c.profile) &&
    (statuses === null || statuses.includes(run.status)) &&
    (c.finished === undefined || run.finished === c.finished) &&
    (c.evaluated === undefined || (run.metrics !== null) === c.evaluated) &&
    (c.realData === undefined || (run.data !== null) === c.realData) &&
    Object.entries(c.config ?? {}).every(([k, v]) =>
      JSON.stringify(run.config[k as keyof Config]) === JSON.stringify(v)
    );
}

/** The runs that meet `criteria`, in the order given (newest first from {@linkcode listRuns}). */
export function selectRuns(runs: readonly RunInfo[], criteria: RunCriteria = {}): RunInfo[] {
  return runs.filter((r) => matchesRun(r, criteria));
}

/**
 * The newest run that meets the first of `preferences` any run meets (runs newest first, as
 * {@linkcode listRuns} gives them), or undefined: `latestRun(runs, { realData: true, evaluated: true },
 * { evaluated: true })` is the newest evaluated run on real data, else the newest evaluated run.
 */
export function latestRun(runs: readonly RunInfo[], ...preferences: RunCriteria[]): RunInfo | undefined {
  for (const c of preferences.length > 0 ? preferences : [{}]) {
    const found = runs.find((r) => matchesRun(r, c));
    if (found) return found;
  }
  return undefined;
}

/**
 * Settings that change where and how long a run trains or how it is scored, not the data or the model it
 * starts from: {@linkcode pairRuns} ignores them unless told otherwise (`resultsDir`, the keys a resumed run
 * may change, lib/run/folder.ts, and `fastLayers`, which changes the speed and not the numbers beyond float
 * rounding).
 */
export const INCIDENTAL_KEYS: readonly string[] = ["resultsDir", "fastLayers", ...RESUME_KEYS];

/** The keys whose values differ between two configs (compared as JSON; a key missing on one side differs), sorted. */
export function configDiff(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** Two runs and the settings they differ in. */
export interface RunPair {
  /** The newer run (the earlier in the list given). */
  a: RunInfo;
  b: RunInfo;
  /** The keys they differ in, sorted (the ignored ones left out): the keys asked for. */
  differ: string[];
}

/**
 * Every pair of `runs` whose configs differ in exactly `keys`, once each, ignoring `ignore` (default
 * {@linkcode INCIDENTAL_KEYS}, minus any of `keys`): `pairRuns(runs, "sentenceBoundaries")` gives the runs that
 * are the same but for the sentence boundaries.
 */
export function pairRuns(
  runs: readonly RunInfo[],
  keys: string | readonly string[],
  opts: { ignore?: readonly string[] } = {},
): RunPair[] {
  const want = [...new Set(typeof keys === "string" ? [keys] : keys)].sort();
  const ignore = new Set((opts.ignore ?? INCIDENTAL_KEYS).filter((k) => !want.includes(k)));
  const pairs: RunPair[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const differ = configDiff(
        runs[i].config as unknown as Record<string, unknown>,
        runs[j].config as unknown as Record<string, unknown>,
      ).filter((k) => !ignore.has(k));
      if (differ.length === want.length && differ.every((k, n) => k === want[n])) {
        pairs.push({ a: runs[i], b: runs[j], differ });
      }
    }
  }
  return pairs;
}
