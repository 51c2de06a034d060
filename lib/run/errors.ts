/**
 * The error analysis of a finished run (lib/eval/errors.ts) from its own files: the summaries of its evaluation
 * (`predictions.csv`, greedy or beam) and its test examples, prepared again from its config so that each summary
 * meets the cleaned snippet the label was chosen from.
 *
 * @module
 */
import { parse } from "@std/csv";
import type { Example } from "../data/prep.ts";
import { analyseErrors, type ErrorAnalysis, type SummaryToClassify } from "../eval/errors.ts";
import { openRun, prepareRunData, RunError } from "./folder.ts";

/** Which summaries of the run to analyse: the greedy ones (default) or beam search's. */
export interface RunErrorOptions {
  system?: "greedy" | "beam";
  /**
   * Read the summaries of a later `deno task evaluate` (`eval/<name>/predictions.csv`) instead of the run's own
   * evaluation; only `test` (the run's test split) can be analysed: other evaluations scored other snippets.
   */
  evalName?: string;
}

/** A run's error analysis with where it came from. */
export interface RunErrorAnalysis extends ErrorAnalysis {
  runId: string;
  system: "greedy" | "beam";
}

/** The rows of a run's `predictions.csv` as `{ id, prediction }`, for `system`. */
async function readPredictions(
  path: string,
  system: "greedy" | "beam",
  missing: string,
): Promise<Map<number, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new RunError(`${path}: not found (${missing})`);
    }
    throw e;
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { skipFirstRow: true }) as Record<string, string>[];
  } catch (e) {
    throw new RunError(`${path}: not a readable CSV (${e instanceof Error ? e.message.split("\n")[0] : e})`);
  }
  if (rows.length === 0) throw new RunError(`${path}: no summaries in it (a header and no rows)`);
  const column = system === "greedy" ? "prediction" : "prediction_beam";
  if (!(column in rows[0])) {
    throw new RunError(
      `${path}: no ${column} column (beam summaries come from a run evaluated with beam search, or from ` +
        `deno task evaluate --beam, read with --eval=test)`,
    );
  }
  const out = new Map<number, string>();
  rows.forEach((r, i) => {
    const id = /^\d+$/.test(r.id ?? "") ? Number(r.id) : NaN;
    if (!Number.isSafeInteger(id)) {
      throw new RunError(`${path}: line ${i + 2}: id "${r.id}" is not an integer`);
    }
    if (out.has(id)) throw new RunError(`${path}: line ${i + 2}: id ${id} appears twice`);
    out.set(id, r[column]);
  });
  return out;
}

/**
 * The error analysis of the run in `dir` (its test evaluation's summaries): the run's config decides the input and
 * output lengths, the sentence boundaries and the label rule. Throws a `RunError` naming the file when the run was
 * not evaluated or a summary's example is not in the test split prepared again.
 */
export async function runErrorAnalysis(dir: string, opts: RunErrorOptions = {}): Promise<RunErrorAnalysis> {
  const system = opts.system ?? "greedy";
  const run = await openRun(dir);
  const name = opts.evalName;
  if (name !== undefined && name !== "test") {
    throw new RunError(
      `${run.dir}/eval/${name}: only eval/test can be analysed (the run's test split); eval/${name} scored other snippets`,
    );
  }
  const path = name === undefined ? `${run.dir}/predictions.csv` : `${run.dir}/eval/${name}/predictions.csv`;
  const predictions = await readPredictions(
    path,
    system,
    name === undefined
      ? "the run was not evaluated"
      : `no deno task evaluate --run=${run.id} has scored its test split`,
  );
  const data = await prepareRunData(run);
  const byId = new Map<number, Example>(data.splits.test.map((e) => [e.id, e]));
  const items: SummaryToClassify[] = [];
  for (const [id, prediction] of predictions) {
    const e = byId.get(id);
    if (!e) throw new RunError(`${path}: example ${id} is not in the run's test split`);
    items.push({ id, cleaned: e.cleaned, label: e.target, prediction });
  }
  return { ...analyseErrors(items, run.cfg), runId: run.id, system };
}
