/**
 * `deno task evaluate --run=ID [--data=PATH] [--beam] [--evalExamples=N] [--resultsDir=DIR]`: score a finished
 * run's best model, with the same baselines, confidence intervals and files as an experiment, under
 * `results/<ID>/eval/<name>/`:
 *
 * - without `--data`: on the run's own test split (the run's data is prepared again with the run's config; the
 *   vocabulary must come out as the run saved it), `<name>` = `test`;
 * - with `--data=PATH` (a folder in the Kaggle layout, `TelevisionNews/*.csv`): on every distinct snippet of that
 *   folder that the run did not train or validate on (those are counted and left out when the run's own data
 *   can be read; otherwise the report says it could not check), `<name>` = the folder's name and a short hash of
 *   its full path (two folders of the same name never share an evaluation).
 *
 * The report files are written into a fresh folder that replaces `eval/<name>/` only once all are written.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { evaluateRun } from "./evaluate.ts";
 * import { RunError } from "../run/folder.ts";
 * await assertRejects(() => evaluateRun({ run: "missing", resultsDir: "results" }), RunError);
 * ```
 * @module
 */
import { resolve } from "node:path";
import { formatBackendReport, initBackend } from "../backend/choose.ts";
import type { Config } from "../config.ts";
import { cleanRows, encodeExamples, type Example, labelExamples, loadRows } from "../data/prep.ts";
import { evaluateExamples, type EvaluationOutput } from "../eval/evaluate.ts";
import { metricsJson, type ReportExtras, writeEvalReport } from "../eval/report.ts";
import {
  evaluationConfig,
  loadOpenedModel,
  type OpenedRun,
  prepareRunData,
  RunFolder,
} from "../run/folder.ts";
import { InputError } from "./cli.ts";

/** Options of {@linkcode evaluateRun}. */
export interface EvaluateOptions {
  /** Run id (a folder name under `resultsDir`). */
  run: string;
  resultsDir: string;
  /** A Kaggle-layout folder to evaluate on instead of the run's test split. */
  data?: string;
  /** Also decode with beam search (slow: one input at a time). */
  beam?: boolean;
  /** Examples scored (0 = all); default: the run's `evalExamples` for its test split, all for `data`. */
  evalExamples?: number;
  /** Bootstrap resamples (default: the run's). */
  bootstrap?: number;
  /** Skip (and count) malformed rows and files of `data` instead of failing (as the experiment's `--lenient`). */
  lenient?: boolean;
  /** Where progress lines go (default console.error: stdout stays for results). */
  log?: (line: string) => void;
}

/** What {@linkcode evaluateRun} did. */
export interface EvaluateResult {
  /** Folder the report files were written to. */
  dir: string;
  /** Evaluation name: `test`, or the data folder's name and a hash of its path. */
  name: string;
  evaluation: EvaluationOutput;
  metrics: ReturnType<typeof metricsJson>;
  /** Distinct snippets of `data` left out because the run trained or validated on them (null: not checked). */
  seenLeftOut: number | null;
}

/** A finished run opened, with its model loaded. */
type LoadedRun = OpenedRun & { model: Awaited<ReturnType<typeof loadOpenedModel>> };

/** The examples an evaluation scores, their encoder ids, its name and where they came from. */
interface EvalInput {
  name: string;
  examples: Example[];
  encIn: Int32Array;
  provenance: Record<string, string | number | null>;
  seenLeftOut: number | null;
  /** The run's training targets (the examples without one are scored again on their own); null: not read. */
  trainTargets: ReadonlySet<string> | null;
}

/** Evaluate a finished run; see the module documentation. */
export async function evaluateRun(opts: EvaluateOptions): Promise<EvaluateResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const folder = new RunFolder(opts.resultsDir, opts.run);
  const opened = await folder.open(); // the model's files, vocabulary and config are checked here
  const cfg = evaluationConfig(opened.cfg, {
    evalExamples: opts.evalExamples,
    bootstrap: opts.bootstrap,
    lenient: opts.lenient,
  });
  const backend = await initBackend({ backend: cfg.backend, blas: cfg.blas });
  log(formatBackendReport(backend));
  // one read of the run: the weights loaded and the teacher-forced figures are those of the folder opened
  const teacherForced = await folder.bestEpochLog();
  const run: LoadedRun = { ...opened, model: await loadOpenedModel(opened) };
  try {
    const input = opts.data === undefined
      ? await testSplitInput(run, cfg)
      : await folderInput(run, cfg, opts.data, opts.evalExamples, log);
    const evaluation = await evaluateExamples(cfg, run.model, run.tokenizer, input.examples, input.encIn, {
      beam: opts.beam ?? false,
      log,
      trainTargets: input.trainTargets ?? undefined,
    });
    const decodeSpeed: Record<string, number> = { model_greedy: evaluation.speed.batched };
    if (opts.beam) decodeSpeed.model_beam = evaluation.speed.beam;
    const { name, provenance, seenLeftOut } = input;
    const extras: ReportExtras = {
      decodeSpeed,
      verdict: evaluation.verdict,
      split: name,
      teacherForced,
      provenance,
      unseenTargets: evaluation.unseenTargets,
    };
    // written whole into a fresh folder and moved into place: two evaluations never mix their files
    const dir = await folder.writeEval(name, (tmp) => writeEvalReport(tmp, evaluation.result, extras));
    const metrics = metricsJson(evaluation.result, extras);
    return { dir, name, evaluation, metrics, seenLeftOut };
  } finally {
    run.model.dispose();
  }
}

/** The run's own test split, rebuilt from its config (the first `cfg.evalExamples` examples when > 0). */
async function testSplitInput(run: LoadedRun, cfg: Config): Promise<EvalInput> {
  const data = await prepareRunData(
    { ...run, cfg },
    ", so its test split cannot be rebuilt; evaluate on a folder with --data",
  );
  const n = cfg.evalExamples > 0 ? Math.min(cfg.evalExamples, data.encoded.test.n) : data.encoded.test.n;
  return {
    name: "test",
    examples: data.splits.test.slice(0, n),
    encIn: data.encoded.test.encIn.subarray(0, n * cfg.maxInputLen),
    provenance: { data: "the run's test split" },
    seenLeftOut: null,
    trainTargets: new Set(data.splits.train.map((e) => e.target)),
  };
}

/**
 * Every distinct snippet of the folder `data` that the run neither trained nor validated on (the first
 * `evalExamples` when > 0), encoded with the run's vocabulary.
 */
async function folderInput(
  run: LoadedRun,
  cfg: Config,
  data: string,
  evalExamples: number | undefined,
  log: (line: string) => void,
): Promise<EvalInput> {
  const name = await RunFolder.evalName(data);
  const loaded = await loadRows({ ...cfg, data, useEnv: false });
  const labelled = labelExamples(cleanRows(loaded), cfg);
  const seen = new Set<string>();
  const distinct = labelled.examples.filter((e) => !seen.has(e.input) && seen.add(e.input));
  log(
    `data: ${loaded.dataDir}: ${loaded.rows.length} rows -> ${labelled.examples.length} with words -> ` +
      `${distinct.length} distinct snippets`,
  );
  const { unseen, seenLeftOut, trainTargets } = await leaveOutLearned(run, cfg, distinct, log);
  const provenance = {
    data: resolve(data),
    distinct_snippets: seenLeftOut === null ? unseen.length : unseen.length + seenLeftOut,
    left_out_seen_in_training: seenLeftOut,
    note: seenLeftOut === null
      ? "the run's own data could not be read: snippets it trained on may be included"
      : "snippets the run trained or validated on are left out",
  };
  if (unseen.length === 0) {
    throw new InputError(`${data}: no snippet left to evaluate on (all were empty or seen in training)`);
  }
  const limit = evalExamples !== undefined && evalExamples > 0 ? evalExamples : unseen.length;
  const examples = unseen.slice(0, limit);
  const enc = encodeExamples(examples, { ...cfg, tokenizer: run.tokenizer });
  log(
    `encoded ${examples.length} inputs with the run's vocabulary: ` +
      `${(100 * enc.stats.inputOovRate).toFixed(2)}% of input tokens outside it`,
  );
  return { name, examples, encIn: enc.encoded.encIn, provenance, seenLeftOut, trainTargets };
}

/** Leave out what the run learned from, when its own data can be read (`seenLeftOut` null when it cannot). */
async function leaveOutLearned(
  run: LoadedRun,
  cfg: Config,
  distinct: Example[],
  log: (line: string) => void,
): Promise<{ unseen: Example[]; seenLeftOut: number | null; trainTargets: ReadonlySet<string> | null }> {
  try {
    const own = await prepareRunData({ ...run, cfg });
    const learned = new Set([...own.splits.train, ...own.splits.val].map((e) => e.input));
    const unseen = distinct.filter((e) => !learned.has(e.input));
    const seenLeftOut = distinct.length - unseen.length;
    log(`left out ${seenLeftOut} snippets the run trained or validated on; ${unseen.length} remain`);
    return { unseen, seenLeftOut, trainTargets: new Set(own.splits.train.map((e) => e.target)) };
  } catch (e) {
    log(
      `warning: could not read the run's own data (${(e as Error).message}); snippets the run trained on ` +
        `are not left out, and examples whose target is a training target are not scored apart`,
    );
    return { unseen: distinct, seenLeftOut: null, trainTargets: null };
  }
}
