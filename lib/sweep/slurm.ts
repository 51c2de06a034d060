/**
 * Sweeps on a Slurm cluster: one `sbatch` job array per submission, one array task per unfinished trial. Each task
 * runs, in the shared project folder, `deno run -A cli/sweep.ts --run-trial=<index> --dir=<sweep folder>`, which
 * starts the trial's experiment command as the local launcher does (new, or `--resume` after an interruption;
 * lib/sweep/trials.ts). Submissions are recorded in `slurm.json`; `deno task sweep --status NAME` reads the run
 * folders and, where the commands exist, `squeue` and `sacct`. Submitting again sends only the trials that are
 * neither finished, running, nor waiting in the queue: there is no scheduler of our own, the trial is the unit and
 * the run folder the record.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { writeTextAtomic } from "../io/atomic.ts";
import type { SweepPlan } from "./plan.ts";
import { SweepError } from "./plan.ts";
import { logsDir, PROJECT_ROOT, trialStatus } from "./trials.ts";

/** One submission recorded in `slurm.json`. */
export interface Submission {
  jobId: string;
  /** The trials' indices (the array task ids). */
  indices: number[];
  at: string;
  args: string[];
}

/** Quote a word for bash (single quotes). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Split `--slurm-args` into words as a shell would for plain words and quotes (`--partition=gpu
 * --time="01:00:00"`); an unclosed quote is a {@linkcode SweepError}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { splitArgs } from "./slurm.ts";
 * assertEquals(splitArgs(`--partition=short --comment="a b" -c 2`), ["--partition=short", "--comment=a b", "-c", "2"]);
 * ```
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = "", quote: string | null = null, has = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else cur += ch;
  }
  if (quote) throw new SweepError(`sweep: --slurm-args has an unclosed ${quote}`);
  if (has || cur) out.push(cur);
  return out;
}

/** Ranges of sorted indices as `0-3,5,7-8` (Slurm's `--array` syntax). */
export function arraySpec(indices: readonly number[]): string {
  const xs = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * The job-array script: each array task runs its trial from the project folder `cwd` (the folder the sweep was
 * submitted from, shared by the cluster's nodes), with this Deno and the project's `deno.json`. Where its output
 * goes is given on sbatch's command line ({@linkcode outputPattern}), not as `#SBATCH --output`: Slurm splits
 * `#SBATCH` lines at whitespace, so a folder with a space would not survive there.
 */
export function sbatchScript(plan: SweepPlan, cwd: string): string {
  const deno = Deno.execPath();
  const run = [
    deno,
    "run",
    "-A",
    `--config=${join(PROJECT_ROOT, "deno.json")}`,
    join(PROJECT_ROOT, "cli", "sweep.ts"),
    '--run-trial="$SLURM_ARRAY_TASK_ID"',
    `--dir=${plan.dir}`,
  ];
  return [
    "#!/bin/bash",
    `# sweep ${plan.name}: one array task per trial (the task id is the trial's index in plan.json)`,
    "# written by deno task sweep --launcher=slurm; submit again with the same command to run what is unfinished",
    "# each task's output: logs/slurm-<job>_<task>.out, given as sbatch --output on the command line",
    `#SBATCH --job-name=sweep-${plan.name}`,
    "#SBATCH --ntasks=1",
    "set -euo pipefail",
    `cd ${shellQuote(cwd)}`,
    `exec ${run.map((w) => (w.startsWith("--run-trial=") ? w : shellQuote(w))).join(" ")}`,
    "",
  ].join("\n");
}

/**
 * The array tasks' output files as sbatch's filename pattern: `<sweep>/logs/slurm-%A_%a.out` (job id, array
 * index), the folder made absolute against `cwd` and each `%` in it written `%%` (Slurm's escape for the
 * character itself), so that a folder named `100%` is not read as replacement symbols. A backslash in the
 * folder turns every replacement off in Slurm (and is dropped): a {@linkcode SweepError}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { outputPattern } from "./slurm.ts";
 * assertEquals(outputPattern({ dir: "r/sweeps/s" }, "/home/me/a 100%"), "/home/me/a 100%%/r/sweeps/s/logs/slurm-%A_%a.out");
 * ```
 */
export function outputPattern(plan: Pick<SweepPlan, "dir">, cwd: string): string {
  const logs = resolve(cwd, logsDir(plan));
  if (logs.includes("\\")) {
    throw new SweepError(
      `sweep: Slurm cannot write its logs to ${logs}: a backslash in a folder name turns off %A_%a`,
    );
  }
  return `${logs.replaceAll("%", "%%")}/slurm-%A_%a.out`;
}

/**
 * sbatch's arguments (before the script) for the array of trials `todo`: `--parsable`, `--array`, the user's
 * `--slurm-args`, `--wait` when asked, and `--output=` ({@linkcode outputPattern}) unless the user's arguments
 * name an output file themselves. An argument list, passed to sbatch without a shell.
 */
export function sbatchArgs(
  plan: SweepPlan,
  cwd: string,
  todo: readonly number[],
  opts: SubmitOptions = {},
): string[] {
  const user = opts.slurmArgs ?? [];
  const args = ["--parsable", `--array=${arraySpec(todo)}`, ...user];
  if (opts.wait) args.push("--wait");
  if (!user.some((a) => /^(-o|--output)(=|$)/.test(a) || /^-o./.test(a))) {
    args.push(`--output=${outputPattern(plan, cwd)}`);
  }
  return args;
}

async function commandExists(cmd: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", `command -v ${cmd}`],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success;
  } catch {
    return false;
  }
}

/** Read `slurm.json` (the sweep's submissions), empty when there is none. */
export async function readSubmissions(plan: Pick<SweepPlan, "dir">): Promise<Submission[]> {
  try {
    return JSON.parse(await Deno.readTextFile(`${plan.dir}/slurm.json`)) as Submission[];
  } catch {
    return [];
  }
}

/** One array task's state as `squeue` or `sacct` reports it. */
export interface TaskState {
  jobId: string;
  index: number;
  state: string;
}

/**
 * The indices of an array task list as Slurm prints it: `4`, `[5-9]`, `[5-7,9]`, with a throttle (`[5-9%2]`)
 * or a step (`[1-9:2]`); null for anything else (`N/A`, a range over a million tasks).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { arrayTasks } from "./slurm.ts";
 * assertEquals(arrayTasks("4"), [4]);
 * assertEquals(arrayTasks("[5-7,9%2]"), [5, 6, 7, 9]);
 * assertEquals(arrayTasks("[1-7:3]"), [1, 4, 7]);
 * assertEquals(arrayTasks("N/A"), null);
 * ```
 */
export function arrayTasks(text: string): number[] | null {
  const list = /^\[(.+)\]$/.exec(text)?.[1] ?? text;
  const out: number[] = [];
  for (const part of list.replace(/%\d+$/, "").split(",")) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!m) return null;
    const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]), step = Number(m[3] ?? 1);
    if (hi - lo > 1_000_000 || step < 1) return null;
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}

/**
 * The array tasks of `squeue -h -r -o "%F %K %T"` output: one line per task, `<array job id> <index> <state>`
 * (a list of indices, as without `-r`, is expanded too).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseSqueue } from "./slurm.ts";
 * assertEquals(parseSqueue("123 4 PENDING\n123 5 PENDING\n123 6 RUNNING\n").map((t) => [t.index, t.state]), [
 *   [4, "PENDING"], [5, "PENDING"], [6, "RUNNING"],
 * ]);
 * ```
 */
export function parseSqueue(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split("\n")) {
    const [jobId, tasks, state] = line.trim().split(/\s+/);
    const indices = tasks === undefined ? null : arrayTasks(tasks);
    if (!/^\d+$/.test(jobId) || !state || !indices) continue;
    for (const index of indices) out.push({ jobId, index, state });
  }
  return out;
}

/**
 * The array tasks of `sacct -n -P -X -o JobID,State` output: `123_4|COMPLETED`, and the tasks still pending
 * as one line, `123_[5-9%2]|PENDING` (expanded). A state with words after it (`CANCELLED by 0`) is its first.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseSacct } from "./slurm.ts";
 * assertEquals(parseSacct("123_4|CANCELLED by 0\n123_[5-6,9%2]|PENDING\n").map((t) => [t.index, t.state]), [
 *   [4, "CANCELLED"], [5, "PENDING"], [6, "PENDING"], [9, "PENDING"],
 * ]);
 * ```
 */
export function parseSacct(text: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+)_([^|]+)\|([A-Z_]+)/.exec(line.trim());
    const indices = m ? arrayTasks(m[2]) : null;
    if (!m || !indices) continue;
    for (const index of indices) out.push({ jobId: m[1], index, state: m[3] });
  }
  return out;
}

/** What a Slurm query command prints, or null when it is missing or fails. */
async function slurmQuery(cmd: string, args: string[]): Promise<string | null> {
  if (!(await commandExists(cmd))) return null;
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output().catch(() => null);
  return r?.success ? new TextDecoder().decode(r.stdout) : null;
}

/**
 * The Slurm state of each trial index of the sweep's submissions that Slurm still reports: `sacct` (the
 * accounting, finished tasks included), then `squeue` (the queue now), which wins. For a trial in several
 * submissions, the latest submission's state.
 */
export async function slurmStates(plan: SweepPlan): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const subs = await readSubmissions(plan);
  if (subs.length === 0) return out;
  const ids = subs.map((s) => s.jobId).join(",");
  const from = new Map<number, number>(); // trial index -> position of the submission its state came from
  const apply = (tasks: TaskState[]) => {
    for (const t of tasks) {
      const at = subs.findLastIndex((s) => s.jobId === t.jobId && s.indices.includes(t.index));
      if (at < 0 || at < (from.get(t.index) ?? -1)) continue;
      from.set(t.index, at);
      out.set(t.index, t.state);
    }
  };
  const acct = await slurmQuery("sacct", ["-n", "-P", "-X", "-j", ids, "-o", "JobID,State"]);
  if (acct !== null) apply(parseSacct(acct));
  const queue = await slurmQuery("squeue", ["-h", "-r", "-j", ids, "-o", "%F %K %T"]);
  if (queue !== null) apply(parseSqueue(queue));
  return out;
}

/** Options of {@linkcode submitSlurm}. */
export interface SubmitOptions {
  /** Extra `sbatch` arguments (`--partition=... --time=...`). */
  slurmArgs?: string[];
  /** Wait for the job to end (`sbatch --wait`). */
  wait?: boolean;
  log?: (line: string) => void;
}

/**
 * Write `slurm/sweep.sbatch` and submit the unfinished trials (not done, not running, not waiting in the queue)
 * as one job array; record the submission in `slurm.json`. Returns it, or null when there was nothing to submit.
 * Without `sbatch` on the PATH: a {@linkcode SweepError}.
 */
export async function submitSlurm(plan: SweepPlan, opts: SubmitOptions = {}): Promise<Submission | null> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (!(await commandExists("sbatch"))) {
    throw new SweepError(
      "sweep: --launcher=slurm needs sbatch on the PATH (no Slurm here): use --launcher=local",
    );
  }
  const queued = await slurmStates(plan);
  const todo: number[] = [];
  let done = 0;
  for (const t of plan.trials) {
    const s = await trialStatus(plan, t);
    if (s.state === "done") done++;
    else if (s.state === "running") continue;
    else if (
      ["PENDING", "RUNNING", "CONFIGURING", "REQUEUED", "RESIZING", "SUSPENDED"].includes(
        queued.get(t.index) ?? "",
      )
    ) {
      continue;
    } else todo.push(t.index);
  }
  if (todo.length === 0) {
    log(
      `sweep ${plan.name}: nothing to submit (${done} of ${plan.trials.length} trials done, the rest queued or running)`,
    );
    return null;
  }
  const cwd = Deno.cwd();
  const args = sbatchArgs(plan, cwd, todo, opts);
  await Deno.mkdir(`${plan.dir}/slurm`, { recursive: true });
  await Deno.mkdir(logsDir(plan), { recursive: true });
  const script = `${plan.dir}/slurm/sweep.sbatch`;
  await writeTextAtomic(script, sbatchScript(plan, cwd));
  log(
    `sweep ${plan.name}: submitting ${todo.length} of ${plan.trials.length} trials: sbatch ${
      [...args, script].map(shellQuote).join(" ")
    }`,
  );
  const child = new Deno.Command("sbatch", { args: [...args, script], stdout: "piped", stderr: "piped" })
    .spawn();
  // --parsable prints the job id at once; with --wait sbatch then blocks until the array ends
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done: end } = await reader.read();
    if (end) break;
    first += value;
  }
  const jobId = first.trim().split(";")[0].split("\n")[0];
  const rest = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  let sub: Submission | null = null;
  if (/^\d+$/.test(jobId)) {
    sub = { jobId, indices: todo, at: new Date().toISOString(), args };
    await writeTextAtomic(
      `${plan.dir}/slurm.json`,
      JSON.stringify([...(await readSubmissions(plan)), sub], null, 1),
    );
    log(`submitted job array ${jobId} (${arraySpec(todo)}); see deno task sweep --status ${plan.name}`);
  }
  const [status, err] = await Promise.all([child.status, new Response(child.stderr).text(), rest]);
  if (!sub) {
    throw new SweepError(`sweep: sbatch failed: ${err.trim().split("\n")[0] || `exit ${status.code}`}`);
  }
  if (opts.wait && !status.success) {
    log(`job array ${jobId} ended with failures (sbatch exit ${status.code})`);
  }
  return sub;
}
