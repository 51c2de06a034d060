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
 * import { resolveConfig } from "./config.ts";
 * import { runExperiment } from "./experiment.ts";
 * const result = await runExperiment(resolveConfig("tiny"));
 * console.log(result.dir, result.metrics.systems.model_greedy.f1);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendReport, formatBackendReport, initBackend } from "./backend/choose.ts";
import { resolve as resolvePath } from "node:path";
import { type Config, type Overrides, resolveConfig } from "./config.ts";
import { resolveDataDir } from "./data/corpus.ts";
import { prepareData, type PreparedData } from "./data/prep.ts";
import { Tokenizer } from "./data/tokenizer.ts";
import { writeTextAtomic } from "./io/atomic.ts";
import { buildSeq2Seq } from "./model/seq2seq.ts";
import { loadModelDir } from "./model/io.ts";
import { formatSummary, modelSummary } from "./model/summary.ts";
import { completeDir } from "./train/checkpoint.ts";
import { trainModel, type TrainResult } from "./train/loop.ts";
import { seedEverything } from "./train/seed.ts";
import { beamSearch, modelStepper } from "./infer/beam.ts";
import { type Decoded, greedyDecodeBatch, greedyDecodeLoop } from "./infer/greedy.ts";
import { extractInferenceModels } from "./infer/models.ts";
import { type EvalResult, evaluateSystems, metricsJson, verdict, writeEvalReport } from "./eval/report.ts";
import { saveRunFigures } from "./plot/run_figures.ts";

/** Options of {@linkcode runExperiment}. */
export interface RunOptions {
  /** Continue the run with this id (its saved config is used, with `resumeOverrides` applied). */
  resume?: string;
  /** Settings that may change when resuming (keys in {@linkcode RESUME_KEYS}); others are an error. */
  resumeOverrides?: Overrides;
  /** Use this run id instead of a generated one. */
  runId?: string;
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

/** A new run id: `<UTC date-time>-<profile>`. */
export function newRunId(cfg: Config, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
  return `${t}-${cfg.profile}`;
}

/**
 * Keys a resumed run may change: how long and where it trains, and how it is evaluated. Everything that
 * shapes the data or the model must stay as the run started.
 */
export const RESUME_KEYS: readonly (keyof Config)[] = [
  "epochs",
  "patience",
  "backend",
  "blas",
  "evalExamples",
  "bootstrap",
  "beamWidth",
  "lengthPenalty",
  "png",
];

/** The saved config of run `dir`, validated, with the allowed `overrides` applied (for `--resume`). */
export async function resumeConfig(dir: string, overrides: Overrides = {}): Promise<Config> {
  const bad = Object.keys(overrides).filter((k) => !(RESUME_KEYS as readonly string[]).includes(k));
  if (bad.length > 0) {
    throw new Error(
      `cannot resume with --${bad.join(", --")}: a resumed run keeps the settings it started with ` +
        `(${dir}/config.json); only ${RESUME_KEYS.join(", ")} may change`,
    );
  }
  const saved = await readRunConfig(dir);
  try {
    return resolveConfig(saved.profile, { ...saved, ...overrides });
  } catch (e) {
    throw new Error(`cannot resume: ${dir}/config.json: ${(e as Error).message}`);
  }
}

/** Read the config saved by a run (for `--resume`). */
export async function readRunConfig(dir: string): Promise<Config> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/config.json`)) as Config;
  } catch (e) {
    throw new Error(`cannot resume: ${dir}/config.json is missing or unreadable (${(e as Error).message})`);
  }
}

/**
 * Write what a run folder needs before training: `config.json` (unless `opts.config` is false, as when
 * resuming), `tokenizer.json` and `prep_report.json`. The CLI and the training notebook both start runs so.
 */
export async function writeRunInputs(
  dir: string,
  cfg: Config,
  data: Pick<PreparedData, "tokenizer" | "report">,
  opts: { config?: boolean } = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  if (opts.config !== false) await writeTextAtomic(`${dir}/config.json`, JSON.stringify(cfg, null, 1));
  await writeTextAtomic(`${dir}/tokenizer.json`, JSON.stringify(data.tokenizer.toJSON()));
  await writeTextAtomic(`${dir}/prep_report.json`, JSON.stringify(data.report, null, 1));
}

/** Build a fresh, seeded model for the prepared data (vocabulary size from the fitted tokenizer). */
export function buildModelFor(cfg: Config, data: Pick<PreparedData, "tokenizer">): tf.LayersModel {
  seedEverything(cfg.seed, 0);
  return buildSeq2Seq({ ...cfg, vocabSize: data.tokenizer.size }, { fastLayers: cfg.fastLayers });
}

/** Load a finished run's best model and tokenizer. */
export async function loadRun(
  dir: string,
): Promise<{ cfg: Config; model: tf.LayersModel; tokenizer: Tokenizer }> {
  const cfg = await readRunConfig(dir);
  const best = await completeDir(`${dir}/best`);
  if (!best) throw new Error(`${dir}/best holds no model: has the run finished an epoch?`);
  const model = await loadModelDir(best);
  const tokenizer = Tokenizer.fromJSON(JSON.parse(await Deno.readTextFile(`${dir}/tokenizer.json`)));
  return { cfg, model, tokenizer };
}

/** Decoded test examples and the evaluation of all systems. */
export interface EvaluationOutput {
  n: number;
  greedy: Decoded[];
  beam: Decoded[];
  result: EvalResult;
  /** Summaries per second of each decoder. */
  speed: { batched: number; loop: number; beam: number; loopSample: number };
  verdict: string;
}

/**
 * Decode the first `cfg.evalExamples` test examples with the batched greedy decoder and beam search, time the
 * report's one-at-a-time loop on a sample, and score model and baselines on the test split.
 */
export async function evaluateModel(
  cfg: Config,
  model: tf.LayersModel,
  data: PreparedData,
  log: (line: string) => void = console.log,
): Promise<EvaluationOutput> {
  const test = data.encoded.test;
  const n = cfg.evalExamples > 0 ? Math.min(cfg.evalExamples, test.n) : test.n;
  if (n === 0) throw new Error("evaluateModel: the test split is empty");
  const examples = data.splits.test.slice(0, n);
  const encIn = test.encIn.subarray(0, n * cfg.maxInputLen);
  // the inference models share the trained layers (and so own no weights): nothing to dispose afterwards
  const models = extractInferenceModels(model);
  const maxLen = cfg.maxOutputLen;

  let t0 = performance.now();
  const greedy = await greedyDecodeBatch(models, encIn, n, { maxLen });
  const batched = n / ((performance.now() - t0) / 1000);

  const loopSample = Math.min(n, 20);
  t0 = performance.now();
  for (let i = 0; i < loopSample; i++) {
    await greedyDecodeLoop(models, encIn.subarray(i * cfg.maxInputLen, (i + 1) * cfg.maxInputLen), maxLen);
  }
  const loop = loopSample / ((performance.now() - t0) / 1000);

  t0 = performance.now();
  const beam: Decoded[] = [];
  for (let i = 0; i < n; i++) {
    const stepper = modelStepper(models, encIn.subarray(i * cfg.maxInputLen, (i + 1) * cfg.maxInputLen));
    try {
      beam.push(
        await beamSearch(stepper, { beamWidth: cfg.beamWidth, lengthPenalty: cfg.lengthPenalty, maxLen }),
      );
    } finally {
      stepper.dispose();
    }
  }
  const beamSpeed = n / ((performance.now() - t0) / 1000);
  log(
    `decoded ${n} test inputs: batched greedy ${batched.toFixed(1)}/s, one-at-a-time loop ${
      loop.toFixed(1)
    }/s ` +
      `(${loopSample} inputs), beam (width ${cfg.beamWidth}) ${beamSpeed.toFixed(1)}/s`,
  );

  const text = (d: Decoded) => data.tokenizer.decode(d.ids);
  const result = evaluateSystems(examples, {
    model_greedy: greedy.map(text),
    model_beam: beam.map(text),
  }, {
    bootstrap: cfg.bootstrap,
    seed: cfg.seed,
    leadWords: cfg.leadWords,
    labelSentences: cfg.labelSentences,
  });
  return {
    n,
    greedy,
    beam,
    result,
    speed: { batched, loop, beam: beamSpeed, loopSample },
    verdict: verdict(result),
  };
}

/** Run the whole experiment; see the module documentation for what it writes. */
export async function runExperiment(cfgIn: Config, opts: RunOptions = {}): Promise<ExperimentResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const id = opts.resume ?? opts.runId ?? newRunId(cfgIn);
  const dir = `${cfgIn.resultsDir}/${id}`;
  let cfg = opts.resume
    ? { ...(await resumeConfig(dir, opts.resumeOverrides)), resultsDir: cfgIn.resultsDir }
    : cfgIn;
  // record where the data really came from (ENVNEWS_DIR, a relative path), so a resume reads the same data
  const dataDir = resolveDataDir(cfg.data);
  cfg = { ...cfg, data: dataDir === null ? "" : resolvePath(dataDir) };
  // the backend first: a forced backend that cannot load fails before anything is written
  const backend = await initBackend({ backend: cfg.backend, blas: cfg.blas });
  await Deno.mkdir(dir, { recursive: true });
  log(`run ${id} (profile ${cfg.profile}) -> ${dir}`);
  log(formatBackendReport(backend));
  await writeTextAtomic(`${dir}/backend.json`, JSON.stringify(backend, null, 1));

  const data = await prepareData(cfg);
  const c = data.report.counts;
  log(
    `data: ${data.report.source}${
      data.report.dataDir ? ` (${data.report.dataDir})` : ""
    }, ${c.rows} rows -> ` +
      `${c.unique} unique examples (${c.duplicatesRemoved} duplicates removed) -> train ${c.train} / val ${c.val} / ` +
      `test ${c.test}; vocabulary ${data.tokenizer.size} ids`,
  );
  if (opts.resume) {
    const saved = await Deno.readTextFile(`${dir}/tokenizer.json`).catch(() => null);
    if (saved !== null && saved !== JSON.stringify(data.tokenizer.toJSON())) {
      throw new Error(
        `cannot resume: the data (${
          cfg.data || "embedded corpus"
        }) no longer gives the vocabulary saved in ` +
          `${dir}/tokenizer.json; resume with the data the run started with`,
      );
    }
  }
  await writeRunInputs(dir, cfg, data);

  const model = buildModelFor(cfg, data);
  const summaryText = formatSummary(modelSummary(model));
  await writeTextAtomic(`${dir}/summary.txt`, summaryText + "\n");
  log(`model: ${model.countParams().toLocaleString("en-US")} parameters (per layer in ${dir}/summary.txt)`);

  const train = await trainModel({
    cfg,
    model,
    train: data.encoded.train,
    val: data.encoded.val,
    runDir: dir,
    resume: opts.resume !== undefined,
    log,
  });
  log(
    `training ended (${train.stopped}); best epoch ${train.bestEpoch}, val_loss ${
      train.bestValLoss.toFixed(4)
    }`,
  );

  const evaluation = await evaluateModel(cfg, model, data, log);
  const decodeSpeed = { model_greedy: evaluation.speed.batched, model_beam: evaluation.speed.beam };
  await writeEvalReport(dir, evaluation.result, { decodeSpeed, verdict: evaluation.verdict });
  await writeTextAtomic(
    `${dir}/attention.json`,
    JSON.stringify(
      evaluation.greedy.slice(0, 10).map((d, i) => ({
        input: data.splits.test[i].input.split(" ").slice(0, cfg.maxInputLen),
        output: d.ids.map((id) => data.tokenizer.tokenOf(id)),
        weights: d.attention.map((row) => row.map((w) => Number(w.toFixed(5)))),
      })),
    ),
  );
  const figures = await saveRunFigures(`${dir}/figures`, {
    lengths: data.report.lengths,
    limits: { input: cfg.maxInputLen, target: cfg.maxOutputLen - 1 },
    history: train.history,
    result: evaluation.result,
    greedy: evaluation.greedy,
    tokenOf: (id) => data.tokenizer.tokenOf(id),
    png: cfg.png,
  });
  log(`figures: ${figures.length} files in ${dir}/figures`);
  const metrics = metricsJson(evaluation.result, "test", decodeSpeed);
  const s = metrics.systems;
  log(
    `test (n=${metrics.n}) F1 / ROUGE-1 / ROUGE-2 / ROUGE-L:\n` +
      Object.entries(s).map(([k, v]) =>
        `  ${k.padEnd(15)} ${v.f1.toFixed(4)}  ${v.rouge1.toFixed(4)}  ${v.rouge2.toFixed(4)}  ${
          v.rougeL.toFixed(4)
        }`
      ).join("\n"),
  );
  log(evaluation.verdict);
  log(`results: ${dir} (report.md, metrics.json, predictions.csv, best/model.json)`);
  return { id, dir, cfg, backend, data, model, train, evaluation, metrics };
}
