/**
 * `deno task errors --run=ID [--against=ID2] [--beam] [--resultsDir=DIR]`: where a run's lost F1 goes, by error
 * class (lib/commands/errors.ts); with `--against`, two runs class by class with the paired F1 difference.
 * @module
 */
import { errorsReport } from "../lib/commands/errors.ts";
import { InputError, parseFlags, runCli } from "../lib/commands/cli.ts";

const HELP = `usage: deno task errors --run=ID [--against=ID2] [--beam] [--resultsDir=DIR]
  --run=ID         an evaluated run folder under --resultsDir (default results/)
  --against=ID2    a second run on the same test split: both side by side, and F1 of ID2 - ID with a paired 95% CI
  --beam           analyse the beam-search summaries (the run must have been evaluated with beam search)
prints each error class's summaries, share, mean F1 and the F1 points it costs (lib/eval/errors.ts)`;

if (import.meta.main) {
  await runCli(async () => {
    const { flags, rest } = parseFlags(Deno.args, {
      run: "string",
      against: "string",
      beam: "bool",
      resultsDir: "string",
    }, "errors");
    if (rest.length > 0) throw new InputError(`errors: unexpected argument(s) ${rest.join(" ")}; see --help`);
    if (typeof flags.run !== "string") throw new InputError("errors: --run=ID is required; see --help");
    const report = await errorsReport({
      run: flags.run,
      against: flags.against as string | undefined,
      beam: flags.beam === true,
      resultsDir: (flags.resultsDir as string | undefined) ?? "results",
    });
    console.log(report.text);
  }, HELP);
}
