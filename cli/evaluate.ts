/**
 * `deno task evaluate --run=ID [--data=PATH] [--beam] [--lenient] [--evalExamples=N] [--bootstrap=N] [--resultsDir=DIR]`:
 * score a finished run's best model (lib/commands/evaluate.ts). Progress goes to stderr, the scores to stdout.
 * @module
 */
import { evaluateRun } from "../lib/commands/evaluate.ts";
import { InputError, parseFlags, runCli } from "../lib/commands/cli.ts";
import { scoreTable } from "../lib/eval/report.ts";
import { checkKey, ConfigError } from "../lib/config.ts";

const HELP =
  `usage: deno task evaluate --run=ID [--data=PATH] [--beam] [--lenient] [--evalExamples=N] [--bootstrap=N] [--resultsDir=DIR]
  --run=ID         a run folder under --resultsDir (default results/)
  --data=PATH      a folder in the Kaggle layout (TelevisionNews/*.csv) to score on, instead of the run's test split;
                   snippets the run trained or validated on are left out
  --beam           also decode with beam search (slow)
  --lenient        skip (and count) malformed rows and files of --data instead of failing
writes <resultsDir>/<ID>/eval/<name>/ (metrics.json, predictions.csv, examples.json, report.md): <name> is test, or
  the --data folder's name and a short hash of its full path`;

/** A count flag checked like the config key of the same name (its kind and limits, lib/config.ts). */
function count(v: string | boolean | undefined, key: "evalExamples" | "bootstrap"): number | undefined {
  if (v === undefined) return undefined;
  return checkKey(key, v);
}

if (import.meta.main) {
  await runCli(async () => {
    const { flags, rest } = parseFlags(Deno.args, {
      run: "string",
      data: "string",
      beam: "bool",
      lenient: "bool",
      evalExamples: "string",
      bootstrap: "string",
      resultsDir: "string",
    }, "evaluate");
    if (rest.length > 0) {
      throw new InputError(`evaluate: unexpected argument(s) ${rest.join(" ")}; see --help`);
    }
    if (typeof flags.run !== "string") throw new ConfigError("evaluate: --run=ID is required; see --help");
    const out = await evaluateRun({
      run: flags.run,
      resultsDir: typeof flags.resultsDir === "string" ? flags.resultsDir : "results",
      data: typeof flags.data === "string" ? flags.data : undefined,
      beam: flags.beam === true,
      lenient: flags.lenient === true,
      evalExamples: count(flags.evalExamples, "evalExamples"),
      bootstrap: count(flags.bootstrap, "bootstrap"),
    });
    if (out.seenLeftOut !== null) {
      console.log(`left out ${out.seenLeftOut} snippets of the folder that the run trained or validated on`);
    } else if (out.name !== "test") {
      console.log("warning: the run's own data could not be read: snippets it trained on may be included");
    }
    console.log(scoreTable(out.metrics));
    console.log(out.evaluation.verdict);
    console.log(`report: ${out.dir}/report.md`);
  }, HELP);
}
