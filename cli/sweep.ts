/**
 * `deno task sweep`: run a plan of trials (a grid, random draws or a written plan, each setting with N seeds), each an
 * ordinary run folder in `<resultsDir>/sweeps/<name>/`, locally or as a Slurm job array, and summarise them
 * (lib/commands/sweep.ts, lib/sweep/).
 * @module
 */
import { runCli } from "../lib/commands/cli.ts";
import { parseSweepArgs, runSweep } from "../lib/commands/sweep.ts";

const HELP =
  `usage: deno task sweep --grid key=v1,v2 [key=...] [--seeds=N] [--profile=P] [--data=PATH] [--key=value ...]
                        [--parallel=N] [--name=NAME] [--metric=f1|valLoss] [--launcher=local|slurm [--slurm-args="..."] [--wait]]
       deno task sweep --random=K --grid key=lo:hi[:log] [key=v1,v2 ...] [...]   K settings drawn over ranges / lists
       deno task sweep --plan=FILE.json [...]   {"settings": [{...}, ...], "profile"?, "seeds"?, "base"?}
       deno task sweep --status NAME            trials pending, queued, running, interrupted, failed, done
       deno task sweep --summary NAME           rewrite the summary from the run folders
  writes <resultsDir>/sweeps/<NAME>/ (default NAME: <profile>-<swept keys>): plan.json (every trial's config and seed),
  one run folder per trial (t01-<key><value>...-seed<S>; evaluate, summarize and the notebooks work on each), logs/,
  summary.csv, comparisons.csv, report.md and figures/.
  --seeds=N        each setting with seeds S, S+1, ... (S: the profile's seed or --seed); the data is the same for all
  --key=value      any config key, shared by every trial (e.g. --epochs=2)
  Running the same command again skips finished trials, resumes interrupted ones and retries failed ones.
  Ctrl-C stops the running trials; each keeps its last finished epoch.
  --launcher=slurm writes <sweep>/slurm/sweep.sbatch (one array task per unfinished trial) and submits it with sbatch.`;

if (import.meta.main) {
  await runCli(async () => {
    const code = await runSweep(parseSweepArgs(Deno.args));
    if (code !== 0) Deno.exit(code);
  }, HELP);
}
