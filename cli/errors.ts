/**
 * `deno task errors --run=ID [--against=ID2] [--beam] [--eval=test] [--bootstrap=N] [--resultsDir=DIR]`: where a run's lost F1 goes, by error
 * class (lib/commands/errors.ts); with `--against`, two runs class by class with the paired F1 difference.
 * @module
 */
import { errorsReport } from "../lib/commands/errors.ts";
import { InputError, parseFlags, runCli } from "../lib/commands/cli.ts";
import { checkKey } from "../lib/config.ts";

const HELP =
  `usage: deno task errors --run=ID [--against=ID2] [--beam] [--eval=test] [--bootstrap=N] [--resultsDir=DIR]
  --run=ID         an evaluated run folder under --resultsDir (default results/)
  --against=ID2    a second run on the same test examples: the classes of both side by side, where the shared
                   summaries moved, and F1 of ID2 - ID with a paired 95% CI (none on fewer than 30 pairs)
  --beam           analyse the beam-search summaries (the evaluation must have decoded with beam search)
  --eval=test      read eval/test/predictions.csv (a later deno task evaluate) instead of the run's own
  --bootstrap=N    resamples of the paired CI (default 2000; 0: no interval)
prints, for one run, each error class's summaries, share, mean F1, F1 points lost and share of the loss
(lib/eval/errors.ts); for two, each class's summaries and F1 points lost in both`;

if (import.meta.main) {
  await runCli(async () => {
    const { flags, rest } = parseFlags(Deno.args, {
      run: "string",
      against: "string",
      beam: "bool",
      eval: "string",
      bootstrap: "string",
      resultsDir: "string",
    }, "errors");
    if (rest.length > 0) throw new InputError(`errors: unexpected argument(s) ${rest.join(" ")}; see --help`);
    if (typeof flags.run !== "string") throw new InputError("errors: --run=ID is required; see --help");
    const report = await errorsReport({
      run: flags.run,
      against: flags.against as string | undefined,
      beam: flags.beam === true,
      evalName: flags.eval as string | undefined,
      resamples: flags.bootstrap === undefined ? undefined : checkKey("bootstrap", flags.bootstrap),
      resultsDir: (flags.resultsDir as string | undefined) ?? "results",
    });
    console.log(report.text);
  }, HELP);
}
