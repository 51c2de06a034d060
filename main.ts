/**
 * `deno task experiment [--profile=NAME] [--key=value ...] [--run-id=ID | --resume RUN_ID]`: run prep, training,
 * inference-model extraction and evaluation end to end and print where the results are.
 * `--help` lists the profiles and keys.
 * @module
 */
import { CONFIG_KEYS, ConfigError, parseCliArgs, PROFILES, resolveConfig } from "./lib/config.ts";
import { runCli } from "./lib/commands/cli.ts";
import { runExperiment, type RunOptions } from "./lib/experiment.ts";
import { releaseAllSync } from "./lib/run/owner.ts";

/**
 * Ctrl-C: one line saying how far the run got and how to continue it, the run folder released, exit 1. A new run
 * stopped before its first epoch leaves nothing behind (as a failed one).
 */
function interruptible(): Pick<RunOptions, "onStart"> & { stop(): void } {
  let run: { id: string; dir: string; resumed: boolean } | null = null;
  const onSignal = () => {
    let line = "interrupted before the run folder was made: nothing was written";
    if (run) {
      const epoch = checkpointEpoch(run.dir);
      if (epoch === null && !run.resumed) {
        // the same rule as a failed run: nothing is kept before the first saved epoch
        try {
          Deno.removeSync(run.dir, { recursive: true });
        } catch { /* nothing to remove */ }
        line = `interrupted before the first epoch of run ${run.id} was saved: nothing kept`;
      } else {
        line =
          `interrupted ${epoch !== null ? `after epoch ${epoch}` : "before an epoch was saved"} of run ` +
          `${run.id}; continue with: deno task experiment --resume ${run.id}`;
      }
    }
    releaseAllSync();
    console.error(line);
    Deno.exit(1);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  return {
    onStart: (r) => {
      run = r;
    },
    stop: () => Deno.removeSignalListener("SIGINT", onSignal),
  };
}

/** The last saved epoch of a run folder (`checkpoint/state.json`, or its `.old` twin), or null. */
function checkpointEpoch(dir: string): number | null {
  for (const d of [`${dir}/checkpoint`, `${dir}/checkpoint.old`]) {
    try {
      const epoch = JSON.parse(Deno.readTextFileSync(`${d}/state.json`)).epoch;
      if (typeof epoch === "number") return epoch;
    } catch { /* not there */ }
  }
  return null;
}

const HELP = `usage: deno task experiment [--profile=NAME] [--key=value ...] [--run-id=ID | --resume RUN_ID]
profiles: ${Object.keys(PROFILES).join(", ")} (default: default)
keys: ${CONFIG_KEYS.join(", ")}
--run-id=ID names a new run's folder (default <date-time>-<profile>); an existing one is an error
example: deno task experiment --profile=envnews --data=../shared/data/envnews
Ctrl-C stops a run after saying how to continue it (--resume RUN_ID).`;

if (import.meta.main) {
  await runCli(async () => {
    const args = parseCliArgs(Deno.args);
    if (args.rest.length > 0) {
      throw new ConfigError(`config: unexpected argument(s) ${args.rest.join(" ")}; see --help`);
    }
    if (args.resume !== undefined && args.runId !== undefined) {
      throw new ConfigError("config: --run-id names a new run; --resume continues one: give one of them");
    }
    if (args.resume !== undefined) {
      // the run's own config is used; only the keys in RESUME_KEYS may be given
      const base = resolveConfig("default", { resultsDir: args.overrides.resultsDir });
      const { resultsDir: _r, ...rest } = args.overrides;
      const signals = interruptible();
      await runExperiment(base, { resume: args.resume, resumeOverrides: rest, ...signals });
      signals.stop();
    } else {
      const cfg = resolveConfig(args.profile, args.overrides);
      const signals = interruptible();
      await runExperiment(cfg, { ...signals, ...(args.runId !== undefined ? { runId: args.runId } : {}) });
      signals.stop();
    }
  }, HELP);
}
