/**
 * `deno task experiment [--profile=NAME] [--key=value ...] [--resume RUN_ID]`: run prep, training,
 * inference-model extraction and evaluation end to end and print where the results are.
 * `--help` lists the profiles and keys.
 * @module
 */
import { CONFIG_KEYS, ConfigError, parseCliArgs, PROFILES, resolveConfig } from "./lib/config.ts";
import { runCli } from "./lib/commands/cli.ts";
import { runExperiment } from "./lib/experiment.ts";

const HELP = `usage: deno task experiment [--profile=NAME] [--key=value ...] [--resume RUN_ID]
profiles: ${Object.keys(PROFILES).join(", ")} (default: default)
keys: ${CONFIG_KEYS.join(", ")}
example: deno task experiment --profile=envnews --data=../shared/data/envnews`;

if (import.meta.main) {
  await runCli(async () => {
    const args = parseCliArgs(Deno.args);
    if (args.rest.length > 0) {
      throw new ConfigError(`config: unexpected argument(s) ${args.rest.join(" ")}; see --help`);
    }
    if (args.resume !== undefined) {
      // the run's own config is used; only the keys in RESUME_KEYS may be given
      const base = resolveConfig("default", { resultsDir: args.overrides.resultsDir });
      const { resultsDir: _r, ...rest } = args.overrides;
      await runExperiment(base, { resume: args.resume, resumeOverrides: rest });
    } else {
      await runExperiment(resolveConfig(args.profile, args.overrides));
    }
  }, HELP);
}
