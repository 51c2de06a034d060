// `--launcher=slurm` against canned Slurm answers: `squeue`, `sacct` and `sbatch` are small shell scripts put first
// on the PATH (no cluster needed; tests/sweep_slurm_test.ts runs a real one). Every queued array task is seen,
// whether squeue lists it on a line of its own or sacct folds the pending ones into `123_[5-9%2]`; and the
// tasks' output file survives a sweep folder with a space and a `%` in its path.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { makePlan, parseGridEntry, type SweepPlan } from "../lib/sweep/plan.ts";
import { sbatchScript, slurmStates, submitSlurm } from "../lib/sweep/slurm.ts";

/** Answers of the fake Slurm commands: text printed (exit 0), or null for a command that fails (exit 1). */
interface Canned {
  squeue?: string | null;
  sacct?: string | null;
  /** sbatch's `--parsable` answer (the job id). */
  sbatch?: string;
}

/**
 * Run `fn` with fake `squeue`, `sacct` and `sbatch` first on the PATH; sbatch writes its arguments, one a line,
 * to `<bin>/sbatch.args`. Returns those arguments (empty when sbatch was not called).
 */
async function withFakeSlurm(canned: Canned, fn: () => Promise<void>): Promise<string[]> {
  const bin = await Deno.makeTempDir({ prefix: "fake_slurm_" });
  const script = (name: string, text: string | null | undefined) => {
    if (text === null) return "#!/bin/sh\nexit 1\n";
    Deno.writeTextFileSync(`${bin}/${name}.out`, text ?? "");
    return `#!/bin/sh\ncat '${bin}/${name}.out'\n`;
  };
  for (const name of ["squeue", "sacct"] as const) {
    Deno.writeTextFileSync(`${bin}/${name}`, script(name, canned[name]), { mode: 0o755 });
  }
  Deno.writeTextFileSync(
    `${bin}/sbatch`,
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${bin}/sbatch.args'\necho '${canned.sbatch ?? "900"}'\n`,
    { mode: 0o755 },
  );
  const path = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", `${bin}:${path}`);
  try {
    await fn();
    const args = await Deno.readTextFile(`${bin}/sbatch.args`).catch(() => "");
    return args === "" ? [] : args.replace(/\n$/, "").split("\n");
  } finally {
    Deno.env.set("PATH", path);
    await Deno.remove(bin, { recursive: true });
  }
}

/** A plan of ten trials (units 8..40 x 2 seeds) in `resultsDir`, with one recorded submission of them all as 777. */
async function submittedPlan(resultsDir: string): Promise<SweepPlan> {
  const plan = makePlan({
    name: "q",
    profile: "tiny",
    base: {},
    seeds: 2,
    resultsDir,
    grid: [parseGridEntry("units=8,16,24,32,40")],
  });
  assertEquals(plan.trials.length, 10);
  await Deno.mkdir(plan.dir, { recursive: true });
  const sub = {
    jobId: "777",
    indices: plan.trials.map((t) => t.index),
    at: "2026-12-01T00:00:00Z",
    args: [],
  };
  await Deno.writeTextFile(`${plan.dir}/slurm.json`, JSON.stringify([sub]));
  return plan;
}

const SQUEUE = "777 2 RUNNING\n777 3 PENDING\n777 4 PENDING\n777 6 PENDING\n777 7 PENDING\n777 8 PENDING\n";
const SACCT = [
  "777_0|COMPLETED",
  "777_1|FAILED",
  "777_2|RUNNING",
  "777_5|CANCELLED by 0",
  "777_9|TIMEOUT",
  "777_[3-4,6-8%2]|PENDING",
  "",
].join("\n");

Deno.test("every array task squeue lists is seen, and sacct's folded pending tasks (123_[5-7,9%2]) are expanded", async () => {
  const results = await Deno.makeTempDir();
  const plan = await submittedPlan(results);
  const expected = new Map([
    [0, "COMPLETED"],
    [1, "FAILED"],
    [2, "RUNNING"],
    [3, "PENDING"],
    [4, "PENDING"],
    [5, "CANCELLED"],
    [6, "PENDING"],
    [7, "PENDING"],
    [8, "PENDING"],
    [9, "TIMEOUT"],
  ]);
  // both commands answer
  await withFakeSlurm({ squeue: SQUEUE, sacct: SACCT }, async () => {
    assertEquals(await slurmStates(plan), expected);
  });
  // squeue alone (no accounting): each of its lines counts, not only the first
  await withFakeSlurm({ squeue: SQUEUE, sacct: null }, async () => {
    assertEquals(
      [...(await slurmStates(plan))].sort((a, b) => a[0] - b[0]),
      [[2, "RUNNING"], [3, "PENDING"], [4, "PENDING"], [6, "PENDING"], [7, "PENDING"], [8, "PENDING"]],
    );
  });
  // sacct alone (squeue fails): the folded line gives the five pending tasks
  await withFakeSlurm({ squeue: null, sacct: SACCT }, async () => {
    assertEquals(await slurmStates(plan), expected);
  });
  // squeue wins over sacct for a task both report (the queue now, the accounting a moment ago)
  await withFakeSlurm({ squeue: "777 3 RUNNING\n", sacct: "777_[3-4]|PENDING\n" }, async () => {
    assertEquals(await slurmStates(plan), new Map([[3, "RUNNING"], [4, "PENDING"]]));
  });
  await Deno.remove(results, { recursive: true });
});

Deno.test("submitting again sends only the trials neither queued nor running in Slurm", async () => {
  for (const canned of [{ squeue: SQUEUE, sacct: SACCT }, { squeue: null, sacct: SACCT }]) {
    const results = await Deno.makeTempDir();
    const plan = await submittedPlan(results);
    const lines: string[] = [];
    const args = await withFakeSlurm({ ...canned, sbatch: "778" }, async () => {
      const sub = await submitSlurm(plan, { log: (l) => lines.push(l) });
      assertEquals(sub?.jobId, "778");
      assertEquals(sub?.indices, [0, 1, 5, 9]); // completed (its folder is not done), failed, cancelled, timed out
    });
    assertEquals(args.slice(0, 2), ["--parsable", "--array=0-1,5,9"]);
    assertStringIncludes(lines.join("\n"), "submitting 4 of 10 trials");
    await Deno.remove(results, { recursive: true });
  }
});

/** The file name Slurm makes of an output pattern for array job `job`, task `task` (`man sbatch`, filename pattern). */
function slurmFileName(pattern: string, job: number, task: number): string {
  return pattern.replace(/%(%|A|a)/g, (_, c) => (c === "%" ? "%" : c === "A" ? String(job) : String(task)));
}

Deno.test("the tasks' output file is an sbatch argument, right for a sweep folder with a space and a % in its path", async () => {
  const base = await Deno.makeTempDir();
  const results = `${base}/my results 100%A`;
  const plan = makePlan({
    name: "s",
    profile: "tiny",
    base: {},
    resultsDir: results,
    grid: [parseGridEntry("units=8,16")],
  });
  const args = await withFakeSlurm({ squeue: "", sacct: "" }, async () => {
    const sub = await submitSlurm(plan, { log: () => {}, slurmArgs: ["--partition=short"] });
    assertEquals(sub?.indices, [0, 1]);
  });
  const script = await Deno.readTextFile(`${plan.dir}/slurm/sweep.sbatch`);
  assert(!script.includes("#SBATCH --output"), script); // an #SBATCH line is split at whitespace
  assertEquals(script, sbatchScript(plan, Deno.cwd()));
  // one argument each, passed without a shell; the script last
  assertEquals(args.slice(0, 3), ["--parsable", "--array=0-1", "--partition=short"]);
  assertEquals(args.at(-1), `${plan.dir}/slurm/sweep.sbatch`);
  const output = args.filter((a) => a.startsWith("--output="));
  assertEquals(output, [`--output=${base}/my results 100%%A/sweeps/s/logs/slurm-%A_%a.out`]);
  // what Slurm makes of it: the real folder, the job id and the task index
  assertEquals(
    slurmFileName(output[0].slice("--output=".length), 55, 1),
    `${results}/sweeps/s/logs/slurm-55_1.out`,
  );
  // an output file of the user's own (--slurm-args) is left to them
  const own = await withFakeSlurm({ squeue: "", sacct: "" }, async () => {
    await Deno.remove(`${plan.dir}/slurm.json`);
    await submitSlurm(plan, { log: () => {}, slurmArgs: ["--output=/tmp/x-%j.out"] });
  });
  assertEquals(own.filter((a) => a.startsWith("--output=")), ["--output=/tmp/x-%j.out"]);
  await Deno.remove(base, { recursive: true });
});
