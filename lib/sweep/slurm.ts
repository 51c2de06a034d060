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
 * submitted from, shared by the cluster's nodes), with this Deno and the project's `deno.json`.
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
  const logs = resolve(cwd, logsDir(plan));
  return [
    "#!/bin/bash",
    `# sweep ${plan.name}: one array task per trial (the task id is the trial's index in plan.json)`,
    "# written by deno task sweep --launcher=slurm; submit again with the same command to run what is unfinished",
    `#SBATCH --job-name=sweep-${plan.name}`,
    `#SBATCH --output=${logs}/slurm-%A_%a.out`,
    "#SBATCH --ntasks=1",
    "set -euo pipefail",
    `cd ${shellQuote(cwd)}`,
    `exec ${run.map((w) => (w.startsWith("--run-trial=") ? w : shellQuote(w))).join(" ")}`,
    "",
  ].join("\n");
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

/** The Slurm state of each trial index of the sweep's submissions that Slurm still reports (squeue, then sacct). */
export async function slurmStates(plan: SweepPlan): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const subs = await readSubmissions(plan);
  if (subs.length === 0) return out;
  const ids = subs.map((s) => s.jobId);
  const parse = (text: string, re: RegExp) => {
    for (const line of text.split("\n")) {
      const m = re.exec(line.trim());
      if (!m) continue;
      const sub = subs.find((s) => s.jobId === m[1]);
      const idx = Number(m[2]);
      // a later submission's state wins for the same trial
      if (sub?.indices.includes(idx)) out.set(idx, m[3]);
    }
  };
  if (await commandExists("sacct")) {
    const r = await new Deno.Command("sacct", {
      args: ["-n", "-P", "-X", "-j", ids.join(","), "-o", "JobID,State"],
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => null);
    if (r?.success) parse(new TextDecoder().decode(r.stdout), /^(\d+)_(\d+)\|(\S+)/);
  }
  if (await commandExists("squeue")) {
    const r = await new Deno.Command("squeue", {
      args: ["-h", "-r", "-j", ids.join(","), "-o", "%F %K %T"],
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => null);
    if (r?.success) {
      parse(
        new TextDecoder().decode(r.stdout).replaceAll(" ", "|").replace(/\|/, "_"),
        /^(\d+)_(\d+)\|(\S+)/,
      );
    }
  }
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
  await Deno.mkdir(`${plan.dir}/slurm`, { recursive: true });
  await Deno.mkdir(logsDir(plan), { recursive: true });
  const script = `${plan.dir}/slurm/sweep.sbatch`;
  await writeTextAtomic(script, sbatchScript(plan, cwd));
  const args = ["--parsable", `--array=${arraySpec(todo)}`, ...(opts.slurmArgs ?? [])];
  if (opts.wait) args.push("--wait");
  log(
    `sweep ${plan.name}: submitting ${todo.length} of ${plan.trials.length} trials: sbatch ${
      args.join(" ")
    } ${script}`,
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
