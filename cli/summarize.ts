/**
 * `deno task summarize --run=ID [--beam] [--resultsDir=DIR] "TEXT" | --input=FILE.csv | -`: summaries of new
 * text from a trained run (lib/commands/summarize.ts).
 *
 * - `"TEXT"` (one or more arguments): one summary per argument on stdout;
 * - `--input=FILE.csv`: the CSV with `summary`, `oov_words` and `oov_list` columns added (or their values
 *   replaced, when the input is an earlier output), on stdout (or `--output=FILE`); the text is the `Snippet`
 *   column (the Kaggle layout) or a `text` column;
 * - `-`: one text per line of standard input, one summary per line on stdout.
 *
 * `--` ends the options: the arguments after it are texts, so a text that starts with a dash can be given
 * (`-- "-x marks the spot"`); `-x` before it is an unknown option. `--output` is checked (its folder exists and
 * takes files) before the model is loaded.
 *
 * Notes about each text (words outside the vocabulary, words past the input length, empty texts) go to stderr.
 * @module
 */
import { ConfigError } from "../lib/config.ts";
import { formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { InputError, parseFlags, runCli } from "../lib/commands/cli.ts";
import {
  checkOutputPath,
  noteFor,
  readTextCsv,
  summarizeTexts,
  summaryCsv,
  writeOutput,
} from "../lib/commands/summarize.ts";
import { evaluationConfig, loadOpenedModel, openRun } from "../lib/run/folder.ts";

const HELP = `usage: deno task summarize --run=ID [--beam] [--resultsDir=DIR] "TEXT" ["TEXT" ...]
       deno task summarize --run=ID [--beam] --input=FILE.csv [--output=OUT.csv]
       deno task summarize --run=ID [--beam] -            (one text per line of standard input)
       deno task summarize --run=ID [--beam] -- "-TEXT" ...  (after --, every argument is a text)
  CSV input: a Snippet column (the Kaggle layout) or a text column; output: the same CSV plus summary,
  oov_words (count) and oov_list columns (replaced in place when the input already has them). --output's
  folder must exist and be writable; it is checked before the model is loaded.
  Texts: a text that starts with a dash and a letter goes after -- (-x alone is an unknown option); a number
  such as "-5 degrees" needs no --. Notes per text (unknown words among the words read, words past the input
  length, empty texts) go to stderr.`;

async function readStdinLines(): Promise<string[]> {
  const text = await new Response(Deno.stdin.readable).text();
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

if (import.meta.main) {
  await runCli(
    async () => {
      const { flags, rest } = parseFlags(Deno.args, {
        run: "string",
        beam: "bool",
        input: "string",
        output: "string",
        resultsDir: "string",
      }, "summarize");
      if (typeof flags.run !== "string") throw new ConfigError("summarize: --run=ID is required; see --help");
      const csv = typeof flags.input === "string" ? flags.input : undefined;
      const stdin = rest.includes("-");
      if (stdin && rest.length > 1) {
        throw new InputError("summarize: - (standard input) cannot be mixed with texts");
      }
      if (csv !== undefined && rest.length > 0) {
        throw new InputError("summarize: give either --input=FILE.csv or texts, not both");
      }
      if (csv === undefined && rest.length === 0) {
        throw new InputError(
          'summarize: nothing to summarize: give "TEXT", --input=FILE.csv or - (stdin); see --help',
        );
      }
      if (flags.output !== undefined && csv === undefined) {
        throw new InputError("summarize: --output is for --input=FILE.csv");
      }
      // a bad --output fails now, not after the model was loaded and every summary decoded
      if (typeof flags.output === "string") await checkOutputPath(flags.output);
      // read the input before loading anything: a bad file fails fast
      const table = csv !== undefined ? await readTextCsv(csv) : null;
      const texts = table
        ? table.rows.map((r) => r[table.column] ?? "")
        : stdin
        ? await readStdinLines()
        : rest;
      if (texts.length === 0) throw new InputError("summarize: standard input held no lines to summarize");

      const resultsDir = typeof flags.resultsDir === "string" ? flags.resultsDir : "results";
      const run = await openRun(resultsDir, flags.run);
      const cfg = evaluationConfig(run.cfg);
      const backend = await initBackend({ backend: cfg.backend, blas: cfg.blas });
      console.error(formatBackendReport(backend));
      const model = await loadOpenedModel(run);
      const summaries = await summarizeTexts({ cfg, model, tokenizer: run.tokenizer }, texts, {
        beam: flags.beam === true,
      });
      summaries.forEach((s, i) => {
        const note = noteFor(table ? `data row ${i + 1}` : stdin ? `line ${i + 1}` : `text ${i + 1}`, s);
        if (note) console.error(note);
      });
      if (table) {
        const out = summaryCsv(table.header, table.rows, summaries);
        if (typeof flags.output === "string") {
          await writeOutput(flags.output, out);
          console.error(`wrote ${summaries.length} summaries to ${flags.output}`);
        } else await Deno.stdout.write(new TextEncoder().encode(out));
      } else {
        for (const s of summaries) console.log(s.summary);
      }
      model.dispose();
    },
    HELP,
    { textsAfterDashes: true },
  );
}
