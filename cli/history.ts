/**
 * `deno task history --run=ID [--resultsDir=DIR]`: a run's epochs as a Markdown table (lib/commands/history.ts),
 * while it trains or after.
 * @module
 */
import { historyReport } from "../lib/commands/history.ts";
import { InputError, parseFlags, runCli } from "../lib/commands/cli.ts";

const HELP = `usage: deno task history --run=ID [--resultsDir=DIR]
  --run=ID         a run folder under --resultsDir (default results/), finished or not
prints where training stands (epochs, best epoch, how it ended), then one row per epoch from history.json:
train and validation loss and accuracy, the first summary word's validation accuracy, the epoch's wall time`;

if (import.meta.main) {
  await runCli(async () => {
    const { flags, rest } = parseFlags(Deno.args, { run: "string", resultsDir: "string" }, "history");
    if (rest.length > 0) {
      throw new InputError(`history: unexpected argument(s) ${rest.join(" ")}; see --help`);
    }
    if (typeof flags.run !== "string") throw new InputError("history: --run=ID is required; see --help");
    const report = await historyReport({
      run: flags.run,
      resultsDir: (flags.resultsDir as string | undefined) ?? "results",
    });
    console.log(report.text);
  }, HELP);
}
