// A real one-node Slurm (Debian slurm-wlm and munge, started here in a temporary folder and stopped at the end):
// `deno task sweep --launcher=slurm` submits the tiny grid as a job array, and its summary equals the local
// launcher's; submitting again sends only what is unfinished. Ignored where Slurm is not installed or we are not root.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { runDeno } from "./fixtures/child_stderr.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DAEMONS = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"];

function slurmMissing(): string | null {
  for (const d of DAEMONS) {
    try {
      Deno.statSync(d);
    } catch {
      return `${d} is not installed (apt-get install slurm-wlm munge)`;
    }
  }
  return Deno.uid() === 0 ? null : "a one-node Slurm is started as root here";
}
const missing = slurmMissing();

/** A one-node cluster: munged, slurmctld and slurmd with every file in `dir`, on ports of their own. */
async function startSlurm(dir: string): Promise<{ conf: string; stop: () => Promise<void> }> {
  const host = Deno.hostname();
  const port = 20000 + Math.floor(Math.random() * 20000);
  await Deno.mkdir(`${dir}/state`, { recursive: true, mode: 0o700 });
  await Deno.mkdir(`${dir}/spool`);
  const conf = `${dir}/slurm.conf`;
  await Deno.writeTextFile(
    conf,
    [
      `ClusterName=sweeptest`,
      `SlurmctldHost=${host}`,
      `SlurmUser=root`,
      `SlurmdUser=root`,
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      `AuthType=auth/munge`,
      `AuthInfo=socket=${dir}/munge.sock`,
      `CredType=cred/munge`,
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      `ProctrackType=proctrack/linuxproc`,
      `TaskPlugin=task/none`,
      `SelectType=select/cons_tres`,
      `SelectTypeParameters=CR_CPU`,
      `ReturnToService=2`,
      `AccountingStorageType=accounting_storage/none`,
      `JobCompType=jobcomp/none`,
      `JobAcctGatherType=jobacct_gather/none`,
      `MpiDefault=none`,
      `NodeName=${host} CPUs=2 State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  const run = async (cmd: string, args: string[]) => {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout);
  };
  const pidFiles = [`${dir}/slurmd.pid`, `${dir}/slurmctld.pid`, `${dir}/munged.pid`];
  const stop = async () => {
    // by their pid files, the node first; then wait until each is gone
    for (const f of pidFiles) {
      const pid = Number(await Deno.readTextFile(f).catch(() => ""));
      if (!(pid > 0)) continue;
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone */ }
      for (let i = 0; i < 100 && (await Deno.stat(`/proc/${pid}`).then(() => true, () => false)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  try {
    await run("/usr/sbin/munged", [
      "-f",
      `--socket=${dir}/munge.sock`,
      `--pid-file=${dir}/munged.pid`,
      `--log-file=${dir}/munged.log`,
      `--seed-file=${dir}/munged.seed`,
    ]);
    await run("/usr/sbin/slurmctld", ["-f", conf]);
    await run("/usr/sbin/slurmd", ["-f", conf]);
    for (let i = 0; i < 100; i++) {
      const out = await new Deno.Command("sinfo", {
        args: ["-h", "-o", "%t"],
        env: { SLURM_CONF: conf },
        stdout: "piped",
      })
        .output();
      if (new TextDecoder().decode(out.stdout).trim() === "idle") return { conf, stop };
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the Slurm node did not become idle (logs in ${dir})`);
  } catch (e) {
    await stop();
    throw e;
  }
}

const GRID = ["--grid", "units=8,16", "--seeds=2", "--profile=tiny", "--epochs=3", "--name=g"];

async function sweep(args: string[], conf: string): Promise<{ code: number; out: string; err: string }> {
  const r = await runDeno("cli/sweep.ts", args, { cwd: ROOT, env: { SLURM_CONF: conf } });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

async function summaryFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of ["summary.csv", "comparisons.csv", "report.md"]) {
    out[f] = await Deno.readTextFile(`${dir}/${f}`);
  }
  return out;
}

Deno.test({
  name:
    "a one-node Slurm runs the tiny grid's job array to the local launcher's summary; resubmitting sends only what is unfinished",
  ignore: missing !== null,
  fn: async () => {
    const base = await Deno.makeTempDir({ prefix: "sweep_slurm_" });
    const { conf, stop } = await startSlurm(`${base}/slurm-node`);
    try {
      const local = await sweep([...GRID, `--resultsDir=${base}/local`], conf);
      assertEquals(local.code, 0, local.err);
      const slurm = await sweep(
        [...GRID, `--resultsDir=${base}/cluster`, "--launcher=slurm", "--wait"],
        conf,
      );
      assertEquals(slurm.code, 0, slurm.err + slurm.out);
      assertStringIncludes(slurm.out, "submitting 4 of 4 trials: sbatch --parsable --array=0-3 --wait");
      const dir = `${base}/cluster/sweeps/g`;
      // one array task per trial, each running the experiment of its trial
      const script = await Deno.readTextFile(`${dir}/slurm/sweep.sbatch`);
      assertStringIncludes(script, `--run-trial="$SLURM_ARRAY_TASK_ID" --dir=${dir}`);
      const logs = [...Deno.readDirSync(`${dir}/logs`)].map((e) => e.name).filter((n) =>
        n.startsWith("slurm-")
      );
      assertEquals(logs.length, 4);
      assertEquals(await summaryFiles(dir), await summaryFiles(`${base}/local/sweeps/g`));

      const status = await sweep(["--status", "g", `--resultsDir=${base}/cluster`], conf);
      assertMatch(
        status.out,
        /4 trials: 0 pending, 0 queued, 0 running, 0 interrupted, 0 failed, 4 done; Slurm jobs \d+/,
      );

      // a lost trial (its folder removed): submitting the same command again sends that one only
      const plan = JSON.parse(await Deno.readTextFile(`${dir}/plan.json`));
      await Deno.remove(`${dir}/${plan.trials[2].id}`, { recursive: true });
      const again = await sweep(
        [...GRID, `--resultsDir=${base}/cluster`, "--launcher=slurm", "--wait"],
        conf,
      );
      assertEquals(again.code, 0, again.err + again.out);
      assertStringIncludes(again.out, "submitting 1 of 4 trials: sbatch --parsable --array=2 --wait");
      assertEquals(await summaryFiles(dir), await summaryFiles(`${base}/local/sweeps/g`));
      const nothing = await sweep([...GRID, `--resultsDir=${base}/cluster`, "--launcher=slurm"], conf);
      assertStringIncludes(nothing.out, "nothing to submit (4 of 4 trials done");
      assert(
        JSON.parse(await Deno.readTextFile(`${dir}/slurm.json`)).length === 2,
        "two submissions recorded",
      );
    } finally {
      await stop();
      await Deno.remove(base, { recursive: true });
    }
  },
});
