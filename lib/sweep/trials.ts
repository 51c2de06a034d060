/**
 * One trial of a sweep is one ordinary run: `deno run -A main.ts` (the experiment command) with the trial's config
 * as flags and `--run-id=<trial id>`, or `--resume <trial id>` when its run folder holds a checkpoint. Where a trial
 * stands is read from its run folder (lib/run/discover.ts) and from `logs/<id>.exit.json`, the exit status the
 * last attempt left; nothing else is recorded, so the local launcher, Slurm array tasks and `--status` all read
 * the same thing: the run folder is the record.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Config, PROFILES } from "../config.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { pathExists } from "../io/exists.ts";
import { readRunInfo } from "../run/discover.ts";
import { RunFolder } from "../run/folder.ts";
import { ownerAlive, readOwner } from "../run/owner.ts";
import type { SweepPlan, Trial } from "./plan.ts";

/** The project's root folder (where `main.ts` and `deno.json` are). */
export const PROJECT_ROOT: string = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/**
 * Where a trial stands: `pending` (never started, or stopped before its first epoch: nothing kept), `running` (a
 * live process writes its run folder), `interrupted` (stopped after an epoch: it resumes), `failed` (its last
 * attempt exited with an error; it is tried again), `done` (trained and evaluated: `metrics.json` is written).
 */
export type TrialState = "pending" | "running" | "interrupted" | "failed" | "done";

/** What running a trial does now: nothing, a new run, or `--resume`. */
export type TrialAction = "skip" | "new" | "resume";

/** A trial's state and, for a folder left by a dead process before its first epoch, that it must be emptied. */
export interface TrialStatus {
  state: TrialState;
  action: TrialAction;
  /** The run folder exists but holds no epoch and no process writes it: removed before the trial starts again. */
  stale: boolean;
  /** The exit status of the last attempt (`logs/<id>.exit.json`), when one was recorded. */
  lastExit: number | null;
  /**
   * Why the trial cannot go on by itself: its folder holds a checkpoint whose `state.json` cannot be read (the
   * message names the file). The trial is `failed`, its folder is kept, and running it records a failure
   * without starting the experiment, until the folder is repaired or removed by hand.
   */
  problem?: string;
}

/** The folder of the sweep's logs: `<sweep>/logs/`. */
export function logsDir(plan: Pick<SweepPlan, "dir">): string {
  return `${plan.dir}/logs`;
}

async function lastExit(plan: SweepPlan, trial: Trial): Promise<number | null> {
  try {
    const rec = JSON.parse(await Deno.readTextFile(`${logsDir(plan)}/${trial.id}.exit.json`));
    // an attempt stopped by a signal to the sweep did not fail
    return typeof rec.code === "number" && rec.interrupted !== true ? rec.code : null;
  } catch {
    return null;
  }
}

/** Read where a trial stands from its run folder and its last exit status. */
export async function trialStatus(plan: SweepPlan, trial: Trial): Promise<TrialStatus> {
  const folder = new RunFolder(plan.dir, trial.id);
  const exit = await lastExit(plan, trial);
  const failed = exit !== null && exit !== 0;
  if (!(await folder.exists())) {
    return { state: failed ? "failed" : "pending", action: "new", stale: false, lastExit: exit };
  }
  const owner = await readOwner(folder.dir);
  if (owner && ownerAlive(owner)) return { state: "running", action: "skip", stale: false, lastExit: exit };
  // state() is null only without a saved checkpoint, and throws only when a saved one cannot be read
  const state = await folder.state().catch((e: Error) => e);
  if (state instanceof Error) {
    // a saved epoch whose state cannot be read: never removed here (its best/ and history are the run's results)
    const problem = `${state.message}; repair it, or remove ${folder.dir} to start the trial again`;
    return { state: "failed", action: "resume", stale: false, lastExit: exit, problem };
  }
  if (state === null) {
    // a folder without a saved epoch, left by a process that is gone: nothing worth keeping (the experiment's rule)
    return { state: failed ? "failed" : "pending", action: "new", stale: true, lastExit: exit };
  }
  const info = await readRunInfo(folder.dir).catch(() => null);
  if (info?.status === "evaluated") return { state: "done", action: "skip", stale: false, lastExit: exit };
  return { state: failed ? "failed" : "interrupted", action: "resume", stale: false, lastExit: exit };
}

/** A config value as a command-line value. */
function flagValue(v: unknown): string {
  return typeof v === "string" ? v : String(v);
}

/**
 * The experiment command's arguments (after `deno run -A main.ts`) for a trial: a new run with every key that
 * differs from the profile, `--resultsDir` (the sweep folder) and `--run-id`; or `--resume <id>`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { makePlan, parseGridEntry } from "./plan.ts";
 * import { experimentArgs } from "./trials.ts";
 * const plan = makePlan({ name: "s", profile: "tiny", base: {}, resultsDir: "r", grid: [parseGridEntry("units=8")] });
 * assertEquals(experimentArgs(plan, plan.trials[0], "new"), [
 *   "--profile=tiny", "--units=8", "--dataSeed=42", "--resultsDir=r/sweeps/s", "--run-id=t01-units8-seed42",
 * ]);
 * assertEquals(experimentArgs(plan, plan.trials[0], "resume"), ["--resume", "t01-units8-seed42", "--resultsDir=r/sweeps/s"]);
 * ```
 */
export function experimentArgs(plan: SweepPlan, trial: Trial, action: "new" | "resume"): string[] {
  if (action === "resume") return ["--resume", trial.id, `--resultsDir=${plan.dir}`];
  const profile = PROFILES[plan.profile];
  const flags = (Object.keys(trial.config) as (keyof Config)[])
    .filter((k) => k !== "profile" && k !== "resultsDir")
    .filter((k) => JSON.stringify(trial.config[k]) !== JSON.stringify(profile[k]))
    .map((k) => `--${k}=${flagValue(trial.config[k])}`);
  return [`--profile=${plan.profile}`, ...flags, `--resultsDir=${plan.dir}`, `--run-id=${trial.id}`];
}

/** The command that runs the experiment: this Deno, with the project's `deno.json`, on `main.ts`. */
export function experimentCommand(): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    `--config=${join(PROJECT_ROOT, "deno.json")}`,
    join(PROJECT_ROOT, "main.ts"),
  ];
}

/** Options of {@linkcode runTrial}. */
export interface RunTrialOptions {
  /** Append the experiment's output to this file (default: this process's stdout and stderr). */
  logFile?: string;
  /** Told the child process once it started (to forward a signal to it). */
  onSpawn?: (child: Deno.ChildProcess) => void;
  /** Where the attempt ran, for the exit record ("local", "slurm job 12_3"). */
  where?: string;
  /** Whether the sweep was stopped by a signal (an exit then records an interruption, not a failure). */
  interrupted?: () => boolean;
}

/** What one attempt of a trial did. */
export interface TrialOutcome {
  action: TrialAction;
  /** The experiment's exit status (0 when skipped). */
  code: number;
  seconds: number;
}

/** Record an attempt's exit status in `logs/<id>.exit.json` (read back by {@linkcode trialStatus}). */
async function recordExit(
  plan: SweepPlan,
  trial: Trial,
  rec: { code: number; interrupted: boolean; action: TrialAction; where?: string; problem?: string },
): Promise<void> {
  await writeTextAtomic(
    `${logsDir(plan)}/${trial.id}.exit.json`,
    JSON.stringify({
      code: rec.code,
      interrupted: rec.interrupted,
      action: rec.action,
      at: new Date().toISOString(),
      where: rec.where ?? "local",
      ...(rec.problem !== undefined ? { problem: rec.problem } : {}),
    }),
  );
}

/**
 * Run one trial now: skip it when it is done or running elsewhere; otherwise remove a stale folder (no epoch, no
 * live writer), start the experiment (new, or `--resume` after an interruption) as a child process, wait for it,
 * and record its exit status in `logs/<id>.exit.json`. A trial whose checkpoint cannot be read
 * ({@linkcode TrialStatus.problem}) is not started: the problem goes to its log (or stderr) and is recorded as a
 * failure (exit 1), and its folder is left as it is.
 */
export async function runTrial(
  plan: SweepPlan,
  trial: Trial,
  opts: RunTrialOptions = {},
): Promise<TrialOutcome> {
  const status = await trialStatus(plan, trial);
  if (status.action === "skip") return { action: "skip", code: 0, seconds: 0 };
  const folder = new RunFolder(plan.dir, trial.id);
  if (status.stale && (await pathExists(folder.dir))) await Deno.remove(folder.dir, { recursive: true });
  await Deno.mkdir(logsDir(plan), { recursive: true });
  const t0 = performance.now();
  const out = opts.logFile ? await Deno.open(opts.logFile, { append: true, create: true }) : null;
  const enc = new TextEncoder();
  const where = opts.where;
  if (status.problem !== undefined) {
    const line = `== ${new Date().toISOString()} not started ${trial.id}: ${status.problem}\n`;
    if (out) {
      await out.write(enc.encode(line));
      out.close();
    } else console.error(line.trimEnd());
    await recordExit(plan, trial, {
      code: 1,
      interrupted: false,
      action: status.action,
      where,
      problem: status.problem,
    });
    return { action: status.action, code: 1, seconds: (performance.now() - t0) / 1000 };
  }
  const [cmd, ...pre] = experimentCommand();
  const child = new Deno.Command(cmd, {
    args: [...pre, ...experimentArgs(plan, trial, status.action)],
    stdin: "null",
    stdout: out ? "piped" : "inherit",
    stderr: out ? "piped" : "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  opts.onSpawn?.(child);
  if (out) {
    await out.write(enc.encode(`== ${new Date().toISOString()} ${status.action} ${trial.id}\n`));
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) await out.write(chunk);
    };
    await Promise.all([pump(child.stdout), pump(child.stderr), child.status]);
    out.close();
  }
  const { code } = await child.status;
  const interrupted = code !== 0 && (opts.interrupted?.() ?? false);
  await recordExit(plan, trial, { code, interrupted, action: status.action, where });
  return { action: status.action, code, seconds: (performance.now() - t0) / 1000 };
}
