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
import { type BackendReport, formatBackendReport, initBackend } from "./backend/choose.ts";
import { resolve as resolvePath } from "node:path";
import { type Config, type Overrides, resolveConfig } from "./config.ts";
import { resolveDataDir } from "./data/corpus.ts";
import { encoderInputWords, type Example, prepareData, type PreparedData } from "./data/prep.ts";
import type { Tokenizer } from "./data/tokenizer.ts";
import { writeTextAtomic } from "./io/atomic.ts";
import { pathExists } from "./io/exists.ts";
import { buildSeq2Seq } from "./model/seq2seq.ts";
import { formatSummary, modelSummary } from "./model/summary.ts";
import { newRunId, readRunConfig, writeRunInputs } from "./run/folder.ts";
import { ResumeError, trainModel, type TrainResult } from "./train/loop.ts";
import { seedEverything } from "./train/seed.ts";
import { beamSearch, modelStepper } from "./infer/beam.ts";
import { type Decoded, greedyDecodeBatch } from "./infer/greedy.ts";
import { extractInferenceModels } from "./infer/models.ts";
import { metricsJson, writeEvalReport } from "./eval/report.ts";
import { type EvalResult, evaluateSystems, verdict } from "./eval/score.ts";
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
    throw new ResumeError(
      `cannot resume with --${bad.join(", --")}: a resumed run keeps the settings it started with ` +
        `(${dir}/config.json); only ${RESUME_KEYS.join(", ")} may change`,
    );
  }
  let saved: Config;
  try {
    saved = await readRunConfig(dir);
  } catch (e) {
    throw new ResumeError(`cannot resume: ${(e as Error).message}`);
  }
  try {
    return resolveConfig(saved.profile, { ...saved, ...overrides });
  } catch (e) {
    throw new ResumeError(`cannot resume: ${dir}/config.json: ${(e as Error).message}`);
  }
}

/** Build a fresh, seeded model for the prepared data (vocabulary size from the fitted tokenizer). */
export function buildModelFor(cfg: Config, data: Pick<PreparedData, "tokenizer">): tf.LayersModel {
  seedEverything(cfg.seed, 0);
  return buildSeq2Seq({ ...cfg, vocabSize: data.tokenizer.size }, { fastLayers: cfg.fastLayers });
}

/** Told after each batch (greedy) or input (beam) how many of `total` inputs a decoding phase has done. */
export type DecodeProgress = (phase: "greedy" | "beam", done: number, total: number) => void | Promise<void>;

/** Decoded examples and the evaluation of all systems. */
export interface EvaluationOutput {
  n: number;
  greedy: Decoded[];
  beam: Decoded[];
  result: EvalResult;
  /** Summaries per second of the batched greedy decoder and of beam search (one input at a time). */
  speed: { batched: number; beam: number };
  verdict: string;
}

/** Settings of {@linkcode evaluateExamples}: the config's decoding and scoring keys. */
export type EvalConfig = Pick<
  Config,
  | "maxInputLen"
  | "maxOutputLen"
  | "beamWidth"
  | "lengthPenalty"
  | "bootstrap"
  | "seed"
  | "leadWords"
  | "labelSentences"
  | "sentenceBoundaries"
>;

/**
 * Decode `examples` (their encoder rows in `encIn`, row-major `n x maxInputLen`) with the batched greedy
 * decoder and, unless `opts.beam` is false, beam search, and score model and baselines against the examples'
 * targets. Decoded ids become text through `tokenizer.decode`, which drops the sentence boundary.
 * `opts.onProgress` hears how many inputs each phase (`greedy`, `beam`) has decoded (e.g. a notebook's
 * `CountProgress`, lib/plot/progress.ts).
 */
export async function evaluateExamples(
  cfg: EvalConfig,
  model: tf.LayersModel,
  tokenizer: Tokenizer,
  examples: Example[],
  encIn: Int32Array,
  opts: { beam?: boolean; log?: (line: string) => void; onProgress?: DecodeProgress } = {},
): Promise<EvaluationOutput> {
  const log = opts.log ?? console.log;
  const n = examples.length;
  if (n === 0) throw new Error("evaluateExamples: no examples to evaluate");
  if (encIn.length !== n * cfg.maxInputLen) {
    throw new Error(`evaluateExamples: ${encIn.length} encoder ids is not ${n} x ${cfg.maxInputLen}`);
  }
  // the inference models share the trained layers (and so own no weights): nothing to dispose afterwards
  const models = extractInferenceModels(model);
  const maxLen = cfg.maxOutputLen;
  const tin = cfg.maxInputLen;
  // copy attention: the words each input position holds (an extended id names one) and the rows in extended ids
  const copy = models.layers.pointer !== null;
  const source = copy ? examples.map((ex) => encoderInputWords(ex, cfg.sentenceBoundaries, tin)) : [];
  const extended = new Int32Array(copy ? n * tin : 0);
  source.forEach((ws, i) => tokenizer.extendInput(ws, tin, extended, i * tin));

  // each phase is announced at 0 first, so a progress bar measures its speed from its start
  await opts.onProgress?.("greedy", 0, n);
  let t0 = performance.now();
  const greedy = await greedyDecodeBatch(models, encIn, n, {
    maxLen,
    ...(copy ? { extended } : {}),
    onProgress: (done, total) => opts.onProgress?.("greedy", done, total),
  });
  const batched = n / ((performance.now() - t0) / 1000);

  const beam: Decoded[] = [];
  let beamSpeed = NaN;
  if (opts.beam !== false) {
    await opts.onProgress?.("beam", 0, n);
    t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const row = (m: Int32Array) => m.subarray(i * tin, (i + 1) * tin);
      const stepper = modelStepper(models, row(encIn), copy ? row(extended) : undefined);
      try {
        beam.push(
          await beamSearch(stepper, { beamWidth: cfg.beamWidth, lengthPenalty: cfg.lengthPenalty, maxLen }),
        );
      } finally {
        stepper.dispose();
      }
      await opts.onProgress?.("beam", i + 1, n);
    }
    beamSpeed = n / ((performance.now() - t0) / 1000);
  }
  log(
    `decoded ${n} inputs: batched greedy ${batched.toFixed(1)}/s` +
      (opts.beam !== false ? `, beam (width ${cfg.beamWidth}) ${beamSpeed.toFixed(1)}/s` : ""),
  );

  const text = (d: Decoded, i: number) => tokenizer.decode(d.ids, source[i]);
  const systems: Record<string, string[]> = { model_greedy: greedy.map(text) };
  if (opts.beam !== false) systems.model_beam = beam.map(text);
  const result = evaluateSystems(examples, systems, {
    bootstrap: cfg.bootstrap,
    seed: cfg.seed,
    leadWords: cfg.leadWords,
    labelSentences: cfg.labelSentences,
  });
  return { n, greedy, beam, result, speed: { batched, beam: beamSpeed }, verdict: verdict(result) };
}

/**
 * Decode the first `cfg.evalExamples` test examples (all when 0) with the batched greedy decoder and beam
 * search, and score model and baselines on the test split.
 */
export function evaluateModel(
  cfg: Config,
  model: tf.LayersModel,
  data: PreparedData,
  log: (line: string) => void = console.log,
  onProgress?: DecodeProgress,
): Promise<EvaluationOutput> {
  const test = data.encoded.test;
  const n = cfg.evalExamples > 0 ? Math.min(cfg.evalExamples, test.n) : test.n;
  if (n === 0) throw new Error("evaluateModel: the test split is empty");
  return evaluateExamples(
    cfg,
    model,
    data.tokenizer,
    data.splits.test.slice(0, n),
    test.encIn.subarray(0, n * cfg.maxInputLen),
    { log, ...(onProgress ? { onProgress } : {}) },
  );
}

/** The scores of every system as aligned text lines (what the CLIs print). */
export function scoreTable(metrics: ReturnType<typeof metricsJson>): string {
  const lines = [
    `${metrics.split} (n=${metrics.n})      F1      ROUGE-1 ROUGE-2 ROUGE-L first word / 3 words`,
  ];
  for (const [k, v] of Object.entries(metrics.systems)) {
    lines.push(
      `  ${k.padEnd(15)} ${[v.f1, v.rouge1, v.rouge2, v.rougeL].map((x) => x.toFixed(4)).join("  ")}  ` +
        `${v.first_word.toFixed(3)} / ${v.first_3_words.toFixed(3)}`,
    );
  }
  const diffs = metrics.systems.model_greedy?.f1_minus ?? {};
  for (const [b, d] of Object.entries(diffs)) {
    const ci = d.ci[0] === null
      ? `no CI${metrics.ci_note ? "" : " (bootstrap off)"}`
      : `95% CI [${d.ci[0].toFixed(4)}, ${d.ci[1]!.toFixed(4)}]`;
    lines.push(`  model_greedy F1 - ${b}: ${d.mean >= 0 ? "+" : ""}${d.mean.toFixed(4)} (paired ${ci})`);
  }
  if (metrics.ci_note) lines.push(`  no CI: ${metrics.ci_note}`);
  const tf = metrics.teacher_forced;
  if (tf) {
    lines.push(
      `  teacher-forced validation accuracy (best epoch ${tf.epoch}): ${tf.acc.toFixed(4)}` +
        (tf.acc1 !== null ? `; first word ${tf.acc1.toFixed(4)}, later words ${tf.accRest!.toFixed(4)}` : ""),
    );
  }
  return lines.join("\n");
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
  // a resumed run reads the data its config names ("" = embedded corpus), whatever ENVNEWS_DIR says now
  const dataDir = opts.resume ? (cfg.data.trim() === "" ? null : cfg.data) : resolveDataDir(cfg.data);
  cfg = { ...cfg, data: dataDir === null ? "" : resolvePath(dataDir) };
  // the backend first: a forced backend that cannot load fails before anything is written
  const backend = await initBackend({ backend: cfg.backend, blas: cfg.blas });
  log(formatBackendReport(backend));
  // the data before the folder: a bad data path or corpus leaves nothing behind
  const data = await prepareData(cfg, undefined, { useEnv: false });
  const newFolder = !opts.resume && !(await pathExists(dir));
  await Deno.mkdir(dir, { recursive: true });
  log(`run ${id} (profile ${cfg.profile}) -> ${dir}`);
  try {
    return await trainAndEvaluate(cfg, id, dir, backend, data, opts, log);
  } catch (e) {
    // a new run that failed before finishing its first epoch has nothing worth keeping
    if (
      newFolder && !(await pathExists(`${dir}/checkpoint`)) && !(await pathExists(`${dir}/checkpoint.old`))
    ) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    throw e;
  }
}

async function trainAndEvaluate(
  cfg: Config,
  id: string,
  dir: string,
  backend: BackendReport,
  data: PreparedData,
  opts: RunOptions,
  log: (line: string) => void,
): Promise<ExperimentResult> {
  await writeTextAtomic(`${dir}/backend.json`, JSON.stringify(backend, null, 1));
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
      throw new ResumeError(
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
  const bestLog = train.history.find((h) => h.epoch === train.bestEpoch);
  await writeEvalReport(dir, evaluation.result, {
    decodeSpeed,
    verdict: evaluation.verdict,
    teacherForced: bestLog,
  });
  await writeTextAtomic(
    `${dir}/attention.json`,
    JSON.stringify(
      evaluation.greedy.slice(0, 10).map((d, i) => {
        const input = encoderInputWords(data.splits.test[i], cfg.sentenceBoundaries, cfg.maxInputLen);
        return {
          input,
          output: d.ids.map((id) => data.tokenizer.tokenOf(id, input)),
          weights: d.attention.map((row) => row.map((w) => Number(w.toFixed(5)))),
          ...(d.pGen ? { p_gen: d.pGen.map((g) => Number(g.toFixed(4))) } : {}),
        };
      }),
    ),
  );
  const figures = await saveRunFigures(`${dir}/figures`, {
    lengths: data.report.lengths,
    limits: { input: cfg.maxInputLen, target: cfg.maxOutputLen - 1 },
    history: train.history,
    inputWordsOf: (ex) => encoderInputWords(ex, cfg.sentenceBoundaries, cfg.maxInputLen),
    result: evaluation.result,
    greedy: evaluation.greedy,
    tokenOf: (id, input) => data.tokenizer.tokenOf(id, input),
    png: cfg.png,
  });
  log(`figures: ${figures.length} files in ${dir}/figures`);
  const metrics = metricsJson(evaluation.result, "test", decodeSpeed, bestLog);
  log(scoreTable(metrics));
  log(evaluation.verdict);
  log(`results: ${dir} (report.md, metrics.json, predictions.csv, best/model.json)`);
  return { id, dir, cfg, backend, data, model, train, evaluation, metrics };
}
