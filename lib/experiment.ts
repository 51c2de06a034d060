/**
 * The experiment pipeline shared by the CLI (`deno task experiment`) and the notebooks:
 * backend -> data -> model -> training -> inference models -> decoding -> evaluation -> report.
 *
 * Each stage is a function of its own so a notebook can run them one cell at a time; {@linkcode runExperiment}
 * runs them all. A run writes `results/<run-id>/`: `config.json`, `backend.json`, `prep_report.json`,
 * `tokenizer.json`, `summary.txt`, `history.json`, `best/` (model.json + weights.bin, loadable by stock
 * TensorFlow.js), `checkpoint/` (last finished epoch, with optimizer state), `metrics.json`, `predictions.csv`,
 * `examples.json`, `attention.json`, `report.md` and `figures/` (HTML, and PNG with `--png`).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { resolveConfig } from "./config.ts";
 * import { runExperiment } from "./experiment.ts";
 * const resultsDir = await Deno.makeTempDir();
 * const result = await runExperiment(resolveConfig("tiny", { resultsDir }), { log: () => {} });
 * const f1 = result.metrics.systems.model_greedy.f1;
 * assert(f1 >= 0 && f1 <= 1 && result.dir.startsWith(resultsDir));
 * result.model.dispose();
 * await Deno.remove(resultsDir, { recursive: true });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type BackendReport,
  formatBackendReport,
  initBackend,
  kernelUsage,
  resetKernelUsage,
} from "./backend/choose.ts";
import { resolve as resolvePath } from "node:path";
import type { Config, Overrides } from "./config.ts";
import { resolveDataDir } from "./data/corpus.ts";
import { encoderInputWords, prepareData, type PreparedData } from "./data/prep.ts";
import { loadNoticesLine, sharedCutInputsLine, sharedTargetsLine } from "./data/prep_display.ts";
import { writeTextAtomic } from "./io/atomic.ts";
import { buildSeq2Seq } from "./model/seq2seq.ts";
import { formatSummary, modelSummary } from "./model/summary.ts";
import { accelerate, fastPaths, formatFastPaths } from "./speed/accelerate.ts";
import { fastBatchLoss } from "./speed/fused_loss.ts";
import { accelerateOptimizer } from "./speed/fast_rmsprop.ts";
import { checkModelMatches, modelBinding, RunError, RunFolder } from "./run/folder.ts";
import type { OwnerLock } from "./run/owner.ts";
import { ResumeError, trainModel, type TrainResult } from "./train/loop.ts";
import { completeDir } from "./train/checkpoint.ts";
import { readModelDir } from "./model/io.ts";
import { seedEverything } from "./train/seed.ts";
import { evaluateModel, type EvaluationOutput } from "./eval/evaluate.ts";
import {
  attentionRecords,
  metricsJson,
  type ReportExtras,
  scoreTable,
  writeEvalReport,
} from "./eval/report.ts";
import { saveRunFigures } from "./plot/run_figures.ts";

/** Options of {@linkcode runExperiment}. */
export interface RunOptions {
  /** Continue the run with this id (its saved config is used, with `resumeOverrides` applied). */
  resume?: string;
  /** Settings that may change when resuming (keys in `RESUME_KEYS`, lib/run/folder.ts); others are an error. */
  resumeOverrides?: Overrides;
  /** Use this run id instead of a generated one; an existing folder of that id is an error unless `replace`. */
  runId?: string;
  /** With `runId`: empty an existing folder of that id first (notebooks rerun into the same folder). */
  replace?: boolean;
  /** The clock for generated run ids (tests fix it to start runs "in the same second"). */
  now?: () => Date;
  /** Told the run's id and folder once the folder is taken, before training. */
  onStart?: (run: { id: string; dir: string; resumed: boolean }) => void;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

/** Everything a finished run produced. */
export interface ExperimentResult {
  id: string;
  dir: string;
  cfg: Config;
  backend: BackendReport;
  data: PreparedData;
  model: tf.LayersModel;
  train: TrainResult;
  evaluation: EvaluationOutput;
  metrics: ReturnType<typeof metricsJson>;
}

/**
 * Build a fresh, seeded model for the prepared data (vocabulary size from the fitted tokenizer), with the fast
 * layers the config asks for (`fastLayers`: lib/speed/accelerate.ts) attached for training.
 */
export function buildModelFor(cfg: Config, data: Pick<PreparedData, "tokenizer">): tf.LayersModel {
  seedEverything(cfg.seed, 0);
  return accelerate(buildSeq2Seq({ ...cfg, vocabSize: data.tokenizer.size }), { layers: cfg.fastLayers });
}

/**
 * Run the whole experiment; see the module documentation for what it writes. The run folder is taken for this
 * process (`owner.json`) from before training to the end, so a second writer (another experiment resuming the
 * same id, a notebook replacing it) is refused in one line.
 */
export async function runExperiment(cfgIn: Config, opts: RunOptions = {}): Promise<ExperimentResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  let cfg = cfgIn;
  let resumeFolder: RunFolder | null = null;
  if (opts.resume) {
    resumeFolder = new RunFolder(cfgIn.resultsDir, opts.resume);
    try {
      cfg = { ...(await resumeFolder.resumeConfig(opts.resumeOverrides)), resultsDir: cfgIn.resultsDir };
    } catch (e) {
      const msg = (e as Error).message;
      throw new ResumeError(msg.startsWith("cannot resume") ? msg : `cannot resume: ${msg}`);
    }
  }
  // record where the data really came from (ENVNEWS_DIR, a relative path), so a resume reads the same data;
  // a resumed run reads the data its config names ("" = embedded corpus), whatever ENVNEWS_DIR says now
  const dataDir = opts.resume ? (cfg.data.trim() === "" ? null : cfg.data) : resolveDataDir(cfg.data);
  cfg = { ...cfg, data: dataDir === null ? "" : resolvePath(dataDir) };
  // the backend first: a forced backend that cannot load fails before anything is written
  const backend = await initBackend({ backend: cfg.backend, blas: cfg.blas });
  log(formatBackendReport(backend));
  resetKernelUsage(); // backend.json counts this run's kernel calls and fallbacks
  // the data before the folder: a bad data path or corpus leaves nothing behind
  const data = await prepareData(cfg, undefined, { useEnv: false });
  let folder: RunFolder, lock: OwnerLock;
  if (resumeFolder) {
    folder = resumeFolder;
    lock = await folder.lock("training (resumed)");
  } else {
    ({ folder, lock } = await RunFolder.create(cfg.resultsDir, cfg.profile, {
      ...(opts.runId !== undefined ? { id: opts.runId } : {}),
      replace: opts.replace,
      now: opts.now,
    }));
  }
  const { id, dir } = folder;
  try {
    log(`run ${id} (profile ${cfg.profile}) -> ${dir}`);
    opts.onStart?.({ id, dir, resumed: resumeFolder !== null });
    return await trainAndEvaluate(cfg, folder, backend, data, opts, log);
  } catch (e) {
    // a new run that failed before finishing its first epoch has nothing worth keeping
    if (!resumeFolder && (await completeDir(folder.path("checkpoint"))) === null) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    throw e;
  } finally {
    await lock.release();
  }
}

/**
 * A resumed run must rebuild the model its checkpoint holds: same vocabulary, same config. Its `tokenizer.json`
 * may be missing only before the first checkpoint (it is written again from the data then).
 */
async function checkResumable(folder: RunFolder, cfg: Config, data: PreparedData): Promise<void> {
  const ck = await completeDir(folder.path("checkpoint"));
  let saved;
  try {
    saved = await folder.tokenizer();
  } catch (e) {
    if (ck !== null) throw new ResumeError(`cannot resume: ${(e as Error).message}`);
    saved = null;
  }
  if (saved !== null && !saved.sameVocabulary(data.tokenizer)) {
    throw new ResumeError(
      `cannot resume: the data (${cfg.data || "embedded corpus"}) no longer gives the vocabulary saved in ` +
        `${folder.path("tokenizer.json")}; resume with the data the run started with`,
    );
  }
  if (ck === null) return;
  try {
    await checkModelMatches(await readModelDir(ck), cfg, data.tokenizer, {
      config: folder.path("config.json"),
      tokenizer: folder.path("tokenizer.json"),
    });
  } catch (e) {
    throw new ResumeError(`cannot resume: ${(e as Error).message}`);
  }
}

/** Run `write`; a failure (a full disk, a removed folder) is a {@linkcode RunError} saying what was kept. */
async function writeStep<T>(what: string, kept: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    throw new RunError(
      `cannot write ${what}: ${(e as Error).message.replace(/^cannot write [^:]+: /, "")}; ${kept}`,
    );
  }
}

async function trainAndEvaluate(
  cfg: Config,
  folder: RunFolder,
  backend: BackendReport,
  data: PreparedData,
  opts: RunOptions,
  log: (line: string) => void,
): Promise<ExperimentResult> {
  const { id, dir } = folder;
  log(dataLine(data));
  if (opts.resume) await checkResumable(folder, cfg, data);
  await folder.writeInputs(cfg, data, backend, { config: !opts.resume });

  const model = buildModelFor(cfg, data);
  const summaryText = formatSummary(modelSummary(model));
  await writeTextAtomic(folder.path("summary.txt"), summaryText + "\n");
  log(`model: ${model.countParams().toLocaleString("en-US")} parameters (per layer in ${dir}/summary.txt)`);
  log(formatFastPaths(model));

  const train = await trainModel({
    cfg,
    model,
    train: data.encoded.train,
    val: data.encoded.val,
    runDir: dir,
    resume: opts.resume !== undefined,
    log,
    // with the fast layers, the loss from logits where the model allows (lib/speed/fused_loss.ts): the same numbers
    batchLoss: cfg.fastLayers ? fastBatchLoss(model) : undefined,
    // and RMSprop's update in one pass per variable (lib/speed/fast_rmsprop.ts): the same numbers
    optimizer: cfg.fastLayers ? accelerateOptimizer : undefined,
    // checkpoints and best/ record the config and vocabulary they were trained with (checkModelMatches)
    modelMetadata: { ...(await modelBinding(cfg, data.tokenizer)) },
  });
  log(
    `training ended (${train.stopped}); best epoch ${train.bestEpoch}, val_loss ${
      train.bestValLoss.toFixed(4)
    }`,
  );

  const evaluation = await evaluateModel(cfg, model, data, log);
  const decodeSpeed = { model_greedy: evaluation.speed.batched, model_beam: evaluation.speed.beam };
  const bestLog = train.history.find((h) => h.epoch === train.bestEpoch);
  // one set of extras for the score table and for the report written below
  const extras: ReportExtras = {
    decodeSpeed,
    verdict: evaluation.verdict,
    teacherForced: bestLog,
    unseenTargets: evaluation.unseenTargets,
  };
  const metrics = metricsJson(evaluation.result, extras);
  // the scores first: a write that fails below (a full disk) cannot hide what was measured
  log(scoreTable(metrics));
  log(evaluation.verdict);
  await writeReports(cfg, folder, data, { train, evaluation, extras }, log);
  await writeSpeedPaths(folder, backend, model, log);
  return { id, dir, cfg, backend, data, model, train, evaluation, metrics };
}

/** The one line saying where the data came from and how it was split. */
function dataLine(data: PreparedData): string {
  const c = data.report.counts;
  const where = data.report.dataDir ? ` (${data.report.dataDir})` : "";
  return `data: ${data.report.source}${where}, ${c.rows} rows -> ${c.unique} unique examples ` +
    `(${c.duplicatesRemoved} duplicates removed) -> train ${c.train} / val ${c.val} / test ${c.test}; ` +
    `vocabulary ${data.tokenizer.size} ids; ${sharedCutInputsLine(data.report)}; ` +
    `${sharedTargetsLine(data.report)}${loadNoticesLine(data.report)}`;
}

/** What a finished training and its evaluation leave in the run folder besides the model. */
interface RunOutcome {
  train: TrainResult;
  evaluation: EvaluationOutput;
  /** What the evaluation report holds besides the scores (`writeEvalReport`). */
  extras: ReportExtras;
}

/**
 * Write the evaluation report, `attention.json` and the figures. A failed write is a {@linkcode RunError} saying
 * that the trained model is kept and how to score it again.
 */
async function writeReports(
  cfg: Config,
  folder: RunFolder,
  data: PreparedData,
  { train, evaluation, extras }: RunOutcome,
  log: (line: string) => void,
): Promise<void> {
  const { id, dir } = folder;
  const kept = `the model is trained (${dir}/best); score it again with deno task evaluate --run=${id}`;
  await writeStep(
    `the evaluation report of ${dir}`,
    kept,
    () => writeEvalReport(dir, evaluation.result, extras),
  );
  await writeStep(folder.path("attention.json"), kept, () =>
    writeTextAtomic(
      folder.path("attention.json"),
      JSON.stringify(attentionRecords(evaluation.greedy.slice(0, 10), (i) => {
        const input = encoderInputWords(data.splits.test[i], cfg.sentenceBoundaries, cfg.maxInputLen);
        return { input, tokenOf: (id) => data.tokenizer.tokenOf(id, input) };
      })),
    ));
  const figures = await writeStep(
    `the figures in ${dir}/figures`,
    kept,
    () =>
      saveRunFigures(`${dir}/figures`, {
        lengths: data.report.lengths,
        limits: { input: cfg.maxInputLen, target: cfg.maxOutputLen - 1 },
        history: train.history,
        inputWordsOf: (ex) => encoderInputWords(ex, cfg.sentenceBoundaries, cfg.maxInputLen),
        result: evaluation.result,
        greedy: evaluation.greedy,
        tokenOf: (id, input) => data.tokenizer.tokenOf(id, input),
        png: cfg.png,
      }),
  );
  log(`figures: ${figures.length} files in ${dir}/figures`);
  log(`results: ${dir} (report.md, metrics.json, predictions.csv, best/model.json)`);
}

/**
 * Complete `backend.json` (written before training with the backend's kernel chains) with what ran: the fast layers
 * (lib/speed) and every kernel's calls and fallbacks with their reasons (lib/backend's counters), and log the
 * fallbacks, so a run that silently fell off a fast path says so.
 */
async function writeSpeedPaths(
  folder: RunFolder,
  backend: BackendReport,
  model: tf.LayersModel,
  log: (line: string) => void,
): Promise<void> {
  const usage = kernelUsage();
  const record = { ...backend, fastLayers: fastPaths(model), kernelUsage: usage };
  await writeStep(
    folder.path("backend.json"),
    "the scores and the model are written",
    () => writeTextAtomic(folder.path("backend.json"), JSON.stringify(record, null, 1)),
  );
  const fallbacks = usage.flatMap((u) =>
    u.fallbacks.map((f) =>
      `${u.kernel}${f.from === "kernel" ? "" : ` ${f.from}`} -> ${f.to} x${f.count} (${f.reason})`
    )
  );
  if (fallbacks.length > 0) log(`kernel fallbacks: ${fallbacks.join("; ")} (all calls: backend.json)`);
}
