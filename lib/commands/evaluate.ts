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
import { loadCorpus } from "../data/corpus.ts";
import { encodeSplit, type Example, makeExamples } from "../data/prep.ts";
import { evaluateExamples, type EvaluationOutput } from "../eval/evaluate.ts";
import { metricsJson, writeEvalReport } from "../eval/report.ts";
import { evaluationConfig, loadOpenedModel, prepareRunData, RunFolder } from "../run/folder.ts";
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
  const run = { ...opened, model: await loadOpenedModel(opened) };
  try {
    let examples: Example[];
    let encIn: Int32Array;
    let name: string;
    let seenLeftOut: number | null = null;
    let provenance: Record<string, string | number | null> = { data: "the run's test split" };
    if (opts.data === undefined) {
      name = "test";
      const data = await prepareRunData(
        { ...run, cfg },
        ", so its test split cannot be rebuilt; evaluate on a folder with --data",
      );
      const n = cfg.evalExamples > 0 ? Math.min(cfg.evalExamples, data.encoded.test.n) : data.encoded.test.n;
      examples = data.splits.test.slice(0, n);
      encIn = data.encoded.test.encIn.subarray(0, n * cfg.maxInputLen);
    } else {
      name = await RunFolder.evalName(opts.data);
      const loaded = await loadCorpus(opts.data, { lenient: cfg.lenient });
      const made = makeExamples(loaded.rows, cfg.labelSentences, cfg.sentenceBoundaries);
      const seen = new Set<string>();
      let distinct = made.examples.filter((e) => !seen.has(e.input) && seen.add(e.input));
      log(
        `data: ${loaded.report.dir}: ${loaded.rows.length} rows -> ${made.examples.length} with words -> ` +
          `${distinct.length} distinct snippets`,
      );
      // leave out what the run learned from, when its own data can be read
      try {
        const own = await prepareRunData({ ...run, cfg });
        const learned = new Set([...own.splits.train, ...own.splits.val].map((e) => e.input));
        const before = distinct.length;
        distinct = distinct.filter((e) => !learned.has(e.input));
        seenLeftOut = before - distinct.length;
        log(`left out ${seenLeftOut} snippets the run trained or validated on; ${distinct.length} remain`);
      } catch (e) {
        log(
          `warning: could not read the run's own data (${
            (e as Error).message
          }); snippets the run trained on ` +
            `are not left out`,
        );
      }
      provenance = {
        data: resolve(opts.data),
        distinct_snippets: seenLeftOut === null ? distinct.length : distinct.length + seenLeftOut,
        left_out_seen_in_training: seenLeftOut,
        note: seenLeftOut === null
          ? "the run's own data could not be read: snippets it trained on may be included"
          : "snippets the run trained or validated on are left out",
      };
      if (distinct.length === 0) {
        throw new InputError(
          `${opts.data}: no snippet left to evaluate on (all were empty or seen in training)`,
        );
      }
      const limit = opts.evalExamples !== undefined && opts.evalExamples > 0
        ? opts.evalExamples
        : distinct.length;
      examples = distinct.slice(0, limit);
      const enc = encodeSplit(
        run.tokenizer,
        examples,
        cfg.maxInputLen,
        cfg.maxOutputLen,
        undefined,
        cfg.sentenceBoundaries,
      );
      encIn = enc.encoded.encIn;
      log(
        `encoded ${examples.length} inputs with the run's vocabulary: ` +
          `${(100 * enc.stats.inputOovRate).toFixed(2)}% of input tokens outside it`,
      );
    }

    const evaluation = await evaluateExamples(cfg, run.model, run.tokenizer, examples, encIn, {
      beam: opts.beam ?? false,
      log,
    });
    const decodeSpeed: Record<string, number> = { model_greedy: evaluation.speed.batched };
    if (opts.beam) decodeSpeed.model_beam = evaluation.speed.beam;
    // written whole into a fresh folder and moved into place: two evaluations never mix their files
    const dir = await folder.writeEval(name, (tmp) =>
      writeEvalReport(tmp, evaluation.result, {
        decodeSpeed,
        verdict: evaluation.verdict,
        split: name,
        teacherForced,
        provenance,
      }));
    const metrics = metricsJson(evaluation.result, name, decodeSpeed, teacherForced, provenance);
    return { dir, name, evaluation, metrics, seenLeftOut };
  } finally {
    run.model.dispose();
  }
}
