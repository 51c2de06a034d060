/**
 * `deno task sweep`: parse its arguments and run a sweep (local or Slurm), show its status, or rewrite its summary.
 * Every check (the grid's keys and values, the plan file, the name, a different plan under the same name) runs
 * before anything is written: a bad sweep is one line and leaves nothing behind.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseSweepArgs } from "./sweep.ts";
 * const a = parseSweepArgs(["--grid", "units=16,32", "dropout=0,0.2", "--seeds=2", "--profile=tiny", "--epochs=1"]);
 * assertEquals([a.grid, a.seeds, a.profile, a.base], [["units=16,32", "dropout=0,0.2"], 2, "tiny", { epochs: "1" }]);
 * assertThrows(() => parseSweepArgs(["--grid", "units=16", "--bogus=1"]), Error, "--bogus");
 * ```
 * @module
 */
import { resolve } from "node:path";
import { type Overrides, parseCliArgs } from "../config.ts";
import { runLocal } from "../sweep/launch.ts";
import {
  checkName,
  claimSweep,
  defaultName,
  type GridEntry,
  makePlan,
  parseGridEntry,
  readPlan,
  readPlanFile,
  sweepDir,
  SweepError,
  type SweepPlan,
} from "../sweep/plan.ts";
import { readSubmissions, slurmStates, splitArgs, submitSlurm } from "../sweep/slurm.ts";
import { SWEEP_METRICS, type SweepMetric, writeSummary } from "../sweep/summary.ts";
import { readTrialResults } from "../sweep/summary.ts";
import { runTrial, trialStatus } from "../sweep/trials.ts";

/** The arguments of `deno task sweep`. */
export interface SweepArgs {
  grid: string[];
  random?: number;
  plan?: string;
  seeds?: number;
  profile?: string;
  name?: string;
  parallel: number;
  launcher: "local" | "slurm";
  slurmArgs: string[];
  wait: boolean;
  metric: SweepMetric;
  /** `--status NAME` / `--summary NAME`: no run. */
  status?: string;
  summary?: string;
  /** Internal (Slurm array tasks): run trial `runTrial` of the sweep in `dir`. */
  runTrial?: number;
  dir?: string;
  /** Config overrides every trial shares (`--epochs=1`, `--data=PATH`, `--seed=N`: the first seed). */
  base: Overrides;
  resultsDir: string;
}

const FLAGS = [
  "grid",
  "random",
  "plan",
  "seeds",
  "profile",
  "name",
  "parallel",
  "launcher",
  "slurmArgs",
  "wait",
  "metric",
  "status",
  "summary",
  "runTrial",
  "dir",
];

/** A whole number flag in [min, max]. */
function intFlag(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new SweepError(`sweep: bad --${name}=${v}: expected an integer >= ${min} and <= ${max}`);
  }
  return n;
}

/** Set a sweep flag that takes a value (`--seeds=2`, `--launcher=slurm`), checked. */
function setValueFlag(out: SweepArgs, key: string, raw: string, v: string): void {
  switch (key) {
    case "random":
      out.random = intFlag(raw, v, 1, 10_000);
      break;
    case "seeds":
      out.seeds = intFlag(raw, v, 1, 100);
      break;
    case "parallel":
      out.parallel = intFlag(raw, v, 1, 64);
      break;
    case "runTrial":
      out.runTrial = intFlag(raw, v, 0, 1_000_000);
      break;
    case "launcher":
      if (v !== "local" && v !== "slurm") {
        throw new SweepError(`sweep: bad --launcher=${v}: expected local or slurm`);
      }
      out.launcher = v;
      break;
    case "slurmArgs":
      out.slurmArgs = splitArgs(v);
      break;
    case "metric":
      if (!(SWEEP_METRICS as readonly string[]).includes(v)) {
        throw new SweepError(`sweep: bad --metric=${v}: expected one of ${SWEEP_METRICS.join(", ")}`);
      }
      out.metric = v as SweepMetric;
      break;
    default:
      (out as unknown as Record<string, string>)[key] = v;
  }
}

/** Parse the arguments of `deno task sweep` (no file is read, nothing is written). */
export function parseSweepArgs(args: readonly string[]): SweepArgs {
  const out: SweepArgs = {
    grid: [],
    parallel: 1,
    launcher: "local",
    slurmArgs: [],
    wait: false,
    metric: "f1",
    base: {},
    resultsDir: "results",
  };
  const config: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      throw new SweepError(`sweep: unexpected argument "${a}" (grid entries follow --grid)`);
    }
    const eq = a.indexOf("=");
    const raw = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const key = raw.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!FLAGS.includes(key)) {
      config.push(a);
      // a config key's value may be the next argument (--epochs 2), as the experiment takes it
      if (eq < 0 && i + 1 < args.length && !args[i + 1].startsWith("--")) config.push(args[++i]);
      continue;
    }
    if (key === "grid") {
      if (eq >= 0) out.grid.push(a.slice(eq + 1));
      while (i + 1 < args.length && !args[i + 1].startsWith("--")) out.grid.push(args[++i]);
      if (eq < 0 && out.grid.length === 0) {
        throw new SweepError("sweep: --grid needs entries key=v1,v2 (an empty grid)");
      }
      continue;
    }
    if (key === "wait") {
      out.wait = eq < 0 || ["true", "1", ""].includes(a.slice(eq + 1));
      continue;
    }
    let v = eq < 0 ? args[++i] : a.slice(eq + 1);
    if (v === undefined || (eq < 0 && v.startsWith("--"))) {
      throw new SweepError(`sweep: --${raw} needs a value`);
    }
    v = String(v);
    setValueFlag(out, key, raw, v);
  }
  let parsed;
  try {
    parsed = parseCliArgs(config);
  } catch (e) {
    throw new SweepError(
      `sweep: ${(e as Error).message.replace(/^config: /, "")}; sweep flags: ${
        FLAGS.map((f) => `--${f}`).join(", ")
      }`,
    );
  }
  if (parsed.resume !== undefined || parsed.runId !== undefined) {
    throw new SweepError(
      "sweep: --resume and --run-id belong to single runs: rerun the sweep's command to resume it",
    );
  }
  if (config.some((c) => c.startsWith("--profile"))) out.profile = parsed.profile;
  const { resultsDir, ...base } = parsed.overrides;
  if (typeof resultsDir === "string") out.resultsDir = resultsDir;
  out.base = base;
  if (out.slurmArgs.length > 0 && out.launcher !== "slurm") {
    throw new SweepError("sweep: --slurm-args needs --launcher=slurm");
  }
  return out;
}

/** The plan the arguments describe (checked; nothing written). */
export async function planFromArgs(a: SweepArgs): Promise<SweepPlan> {
  const file = a.plan !== undefined ? await readPlanFile(a.plan) : undefined;
  const profile = a.profile ?? file?.profile ?? "default";
  const ranges = a.random !== undefined;
  const grid: GridEntry[] = a.grid.map((g) => parseGridEntry(g, { ranges }));
  const keys = file && Array.isArray(file.settings)
    ? [...new Set(file.settings.flatMap((s) => (s && typeof s === "object" ? Object.keys(s) : [])))]
    : grid.map((g) => g.key);
  const name = a.name !== undefined ? checkName(a.name) : defaultName(profile, keys);
  return makePlan({
    name,
    profile,
    base: { ...(file?.base ?? {}), ...a.base },
    seeds: a.seeds ?? file?.seeds ?? 1,
    resultsDir: a.resultsDir,
    grid,
    ...(a.random !== undefined ? { random: a.random } : {}),
    ...(file ? { settings: file.settings as Record<string, unknown>[] } : {}),
  });
}

/** `--status NAME`: one line per trial (state, Slurm state where known, figures) and the counts. */
export async function sweepStatus(resultsDir: string, name: string, log = (l: string) => console.log(l)) {
  const plan = await readPlan(sweepDir(resultsDir, checkName(name)));
  const slurm = await slurmStates(plan);
  const subs = await readSubmissions(plan);
  const results = await readTrialResults(plan);
  const counts: Record<string, number> = {
    pending: 0,
    queued: 0,
    running: 0,
    interrupted: 0,
    failed: 0,
    done: 0,
  };
  const lines: string[] = [];
  for (const t of plan.trials) {
    const s = await trialStatus(plan, t);
    const q = slurm.get(t.index);
    let state: string = s.state;
    if (s.state !== "done" && s.state !== "running" && (q === "PENDING" || q === "REQUEUED")) {
      state = "queued";
    }
    if (s.state !== "done" && q === "RUNNING") state = "running";
    counts[state] = (counts[state] ?? 0) + 1;
    const r = results[t.index];
    const figs = r.done ? ` val_loss ${r.bestValLoss?.toFixed(4)}, test F1 ${r.testF1?.toFixed(4)}` : "";
    const epochs = !r.done && r.history.length > 0 ? ` (${r.history.length} epochs saved)` : "";
    lines.push(`${t.id}: ${state}${q ? ` [slurm ${q}]` : ""}${figs}${epochs}`);
  }
  for (const l of lines) log(l);
  const jobs = subs.length ? `; Slurm jobs ${subs.map((s) => s.jobId).join(", ")}` : "";
  log(
    `sweep ${plan.name}: ${plan.trials.length} trials: ` +
      Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ") + jobs,
  );
  return counts;
}

/** Run `deno task sweep` with parsed arguments. Returns the exit code (1 when a trial failed or was interrupted). */
export async function runSweep(a: SweepArgs, log = (l: string) => console.log(l)): Promise<number> {
  if (a.status !== undefined) {
    await sweepStatus(a.resultsDir, a.status, log);
    return 0;
  }
  if (a.summary !== undefined) {
    const plan = await readPlan(sweepDir(a.resultsDir, checkName(a.summary)));
    const { files } = await writeSummary(plan, { metric: a.metric });
    log(`summary: ${files.slice(0, 3).join(", ")} and ${files.length - 3} figure files`);
    return 0;
  }
  if (a.runTrial !== undefined) {
    if (a.dir === undefined) throw new SweepError("sweep: --run-trial needs --dir=<sweep folder>");
    const plan = await readPlan(a.dir);
    const trial = plan.trials[a.runTrial];
    if (!trial) {
      throw new SweepError(`sweep: ${a.dir} has no trial ${a.runTrial} (0-${plan.trials.length - 1})`);
    }
    const job = Deno.env.get("SLURM_ARRAY_JOB_ID");
    const where = job ? `slurm job ${job}_${Deno.env.get("SLURM_ARRAY_TASK_ID")}` : "local";
    const out = await runTrial(plan, trial, { where });
    log(
      `${trial.id}: ${out.action === "skip" ? "finished or running already: skipped" : `exit ${out.code}`}`,
    );
    return out.code;
  }
  const plan = await planFromArgs(a);
  const how = await claimSweep(plan);
  log(`sweep ${plan.name} (${how}): ${resolve(plan.dir)}`);
  if (a.launcher === "slurm") {
    const sub = await submitSlurm(plan, { slurmArgs: a.slurmArgs, wait: a.wait, log });
    if (sub && !a.wait) return 0;
  } else {
    const res = await runLocal(plan, { parallel: a.parallel, log });
    if (res.interrupted) {
      log(`sweep ${plan.name} interrupted: rerun the same command to continue (finished trials are kept)`);
      await writeSummary(plan, { metric: a.metric });
      return 1;
    }
    if (res.failed.length > 0) log(`failed: ${res.failed.join(", ")} (logs in ${plan.dir}/logs)`);
  }
  const { summary, files } = await writeSummary(plan, { metric: a.metric });
  const best = summary.settings[0];
  if (best && best.done > 0) {
    log(
      `best setting: ${best.label} (test F1 ${best.f1.mean.toFixed(4)}, val_loss ${
        best.valLoss.mean.toFixed(4)
      })`,
    );
  }
  for (const c of summary.comparisons) log(`  ${c.words}`);
  log(`summary: ${files.slice(0, 3).join(", ")} and ${files.length - 3} figure files`);
  return summary.missing.length > 0 ? 1 : 0;
}
