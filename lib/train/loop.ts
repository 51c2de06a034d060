/**
 * The training loop: RMSprop on the padding-masked cross-entropy with teacher forcing, validation after every
 * epoch, early stopping on validation loss that restores the best weights, a progress line per epoch, NaN
 * detection, and checkpoints after every finished epoch from which an interrupted run resumes exactly.
 *
 * Reproducibility: every epoch re-seeds `Math.random` (tfjs dropout) and the shuffle from `(seed, epoch)`, and
 * the checkpoint holds the optimizer state, so a run resumed after a kill ends with the same weights and
 * history as an uninterrupted run (times aside).
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { trainModel } from "./loop.ts";
 * // a toy task at toy sizes: input length 4, output length 3 (sostok/eostok included), vocabulary 12
 * const cfg = resolveConfig("tiny", { maxInputLen: 4, maxOutputLen: 3, vocabSize: 12, epochs: 2, batchSize: 2 });
 * const rows = [[5, 6, 7, 0], [8, 9, 0, 0], [10, 11, 5, 0], [6, 7, 0, 0]];
 * const data = {
 *   n: 4,
 *   encIn: Int32Array.from(rows.flat()),
 *   decIn: Int32Array.from(rows.flatMap((r) => [2, r[0], r[1]])), // sostok, then the first two words
 *   decOut: Int32Array.from(rows.flatMap((r) => [r[0], r[1], 3])), // the first two words, then eostok
 * };
 * const lines: string[] = [];
 * const model = buildSeq2Seq(cfg);
 * const result = await trainModel({ cfg, model, train: data, val: data, log: (l) => lines.push(l) });
 * assertEquals(result.history.map((h) => h.epoch), [1, 2]); // no runDir: nothing written to disk
 * assert(result.history.every((h) => Number.isFinite(h.loss) && h.valAcc >= 0 && h.valAcc <= 1));
 * assertEquals(result.stopped, "completed");
 * assert(lines.length >= 2); // one progress line per epoch at least
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { loadModelDir, saveModelDir } from "../model/io.ts";
import { isCopyModel, modelOutputs } from "../model/seq2seq.ts";
import { type Batch, batchIndices, batchInputs, disposeBatch, makeBatch, type SeqData } from "./batches.ts";
import {
  CheckpointError,
  type EpochLog,
  locateBest,
  readCheckpoint,
  type TrainState,
  writeCheckpoint,
  writeDirAtomic,
} from "./checkpoint.ts";
import { COVERAGE_LOSS_WEIGHT, maskedHits, maskedMean, maskedNll, targetMask } from "./loss.ts";
import { seedEpoch } from "./seed.ts";

/** The training part of the config. */
export type TrainConfig = Pick<
  Config,
  | "batchSize"
  | "epochs"
  | "patience"
  | "learningRate"
  | "clipNorm"
  | "seed"
  | "maxInputLen"
  | "maxOutputLen"
>;

/** Options of {@linkcode trainModel}. */
export interface TrainOptions {
  cfg: TrainConfig;
  model: tf.LayersModel;
  train: SeqData;
  val: SeqData;
  /** Run folder for checkpoints (`checkpoint/`, `best/`, `history.json`); none when absent. */
  runDir?: string;
  /** Continue from `runDir/checkpoint` when it exists. */
  resume?: boolean;
  /** Where progress lines go (default: console.log). */
  log?: (line: string) => void;
  /** Called after every finished epoch (after its checkpoint is written). */
  onEpochEnd?: (log: EpochLog, state: TrainState) => void | Promise<void>;
  /** Called after every training step with the 1-based epoch and step and the step's loss. */
  onBatchEnd?: (epoch: number, step: number, loss: number) => void | Promise<void>;
  /** Stop (as if killed) after this many epochs of this call; for tests and notebooks run in slices. */
  maxEpochsThisCall?: number;
  /** How the training steps and the validation compute the loss (default: from the probabilities). */
  batchLoss?: BatchLoss;
  /**
   * Turns the run's optimizer ({@linkcode makeOptimizer}) into an equivalent one, e.g. lib/speed/fast_rmsprop.ts's
   * one-pass update (lib/experiment.ts passes it with the fast layers). Default: the optimizer as it is.
   */
  optimizer?: (stock: tf.Optimizer) => tf.Optimizer;
  /**
   * JSON values recorded in the `model.json` of every checkpoint and `best/` besides the epoch (lib/experiment.ts
   * records what binds the model to its run's config and tokenizer: lib/run/folder.ts's `modelBinding`).
   */
  modelMetadata?: Record<string, unknown>;
}

/** What {@linkcode trainModel} returns. */
export interface TrainResult {
  history: EpochLog[];
  bestEpoch: number;
  bestValLoss: number;
  stopped: TrainState["stopped"] | "paused";
  /** Epochs that were restored from a checkpoint instead of being trained in this call. */
  resumedEpochs: number;
}

/** Thrown when the loss becomes NaN or infinite; the last good checkpoint stays on disk. */
export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingDivergedError";
  }
}

/** What {@linkcode evaluateLoss} measures. */
export interface LossEval {
  /** Mean masked cross-entropy per real target token. */
  loss: number;
  /** Teacher-forced accuracy over all real target tokens. */
  acc: number;
  /** Teacher-forced accuracy at the first summary word alone (position 1). */
  acc1: number;
  /** Teacher-forced accuracy at positions 2 and later. */
  accRest: number;
  tokens: number;
}

/** A run that cannot be resumed as asked (printed in one line by the CLI). */
export class ResumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResumeError";
  }
}

/**
 * Per target position of a batch: the cross-entropy `-log(p(target) + 1e-7)` and the hit (1 where the most probable
 * word is the target), both `(B, Tout)` and 0 at padding, and the coverage loss of a model with coverage (else null).
 */
export interface PositionLosses {
  nll: tf.Tensor2D;
  hits: tf.Tensor2D;
  coverageLoss: tf.Tensor2D | null;
}

/**
 * How a training step and the validation get a batch's {@linkcode PositionLosses}: `model` applied to `inputs` (with
 * dropout when `training`). The default, {@linkcode lossFromProbs}, reads the model's probabilities;
 * lib/speed/fused_loss.ts gives the same numbers from the logits in fewer passes (lib/experiment.ts hands it to
 * {@linkcode trainModel}, as it attaches the fast layers).
 */
export type BatchLoss = (
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  target: tf.Tensor2D,
  training: boolean,
) => PositionLosses;

/** The default {@linkcode BatchLoss}: the model's probabilities, then lib/train/loss.ts's masked terms. */
export function lossFromProbs(
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  target: tf.Tensor2D,
  training: boolean,
): PositionLosses {
  const { probs, coverageLoss } = modelOutputs(model.apply(inputs, { training }) as tf.Tensor[]);
  return { nll: maskedNll(probs, target), hits: maskedHits(probs, target), coverageLoss };
}

/** Masked loss and accuracy (all positions, position 1, the rest) of `model` on `data` without dropout. */
export async function evaluateLoss(
  model: tf.LayersModel,
  data: SeqData,
  cfg: Pick<Config, "batchSize" | "maxInputLen" | "maxOutputLen">,
  batchLoss: BatchLoss = lossFromProbs,
): Promise<LossEval> {
  let lossSum = 0, correct = 0, tokens = 0, first = 0, firstN = 0;
  const copy = isCopyModel(model);
  for (const rows of batchIndices(data.n, cfg.batchSize)) {
    const b = makeBatch(data, rows, cfg.maxInputLen, cfg.maxOutputLen, copy);
    const out = tf.tidy(() => {
      const { nll, hits } = batchLoss(model, batchInputs(b), b.target, false);
      const firstColumn = (t: tf.Tensor2D) => tf.slice(t, [0, 0], [t.shape[0], 1]);
      return [nll, hits, firstColumn(hits), firstColumn(targetMask(b.target))].map((t) =>
        tf.sum(t) as tf.Scalar
      );
    });
    const [lv, cv, fv, fn] = await Promise.all(out.map((t) => t.data()));
    lossSum += lv[0];
    correct += cv[0];
    first += fv[0];
    firstN += fn[0];
    tokens += b.tokens;
    tf.dispose(out);
    disposeBatch(b);
  }
  return {
    loss: lossSum / Math.max(tokens, 1),
    acc: correct / Math.max(tokens, 1),
    acc1: first / Math.max(firstN, 1),
    accRest: (correct - first) / Math.max(tokens - firstN, 1),
    tokens,
  };
}

/** Seconds as "1h02m", "3m05s" or "12.3s". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The progress line of one epoch. */
export function epochLine(e: EpochLog, epochs: number, etaSeconds: number, note = ""): string {
  return `epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}  loss ${e.loss.toFixed(4)}  ` +
    `acc ${e.acc.toFixed(4)}  val_loss ${e.valLoss.toFixed(4)}  val_acc ${e.valAcc.toFixed(4)}  ` +
    (e.valAcc1 !== undefined ? `(word 1: ${e.valAcc1.toFixed(4)}, rest ${e.valAccRest!.toFixed(4)})  ` : "") +
    `${formatDuration(e.seconds)}  ETA ${formatDuration(etaSeconds)}${note ? "  " + note : ""}`;
}

function clipByGlobalNorm(grads: tf.NamedTensorMap, clipNorm: number): tf.NamedTensorMap {
  if (!(clipNorm > 0)) return grads;
  const names = Object.keys(grads);
  const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
  const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
  const out: tf.NamedTensorMap = {};
  for (const n of names) out[n] = tf.mul(grads[n], scale);
  return out;
}

/** RMSprop as Keras configures it (rho 0.9, no momentum, epsilon 1e-7) with the config's learning rate. */
export function makeOptimizer(cfg: Pick<Config, "learningRate">): tf.Optimizer {
  return tf.train.rmsprop(cfg.learningRate, 0.9, 0, 1e-7);
}

/**
 * One training step with teacher forcing: forward with dropout, masked loss, gradients of all trainable
 * weights (clipped by global norm when `clipNorm` > 0), optimizer update. Returns the batch's loss and its
 * number of correctly predicted target tokens as scalars for the caller to read and dispose. A model with
 * coverage is trained on the cross-entropy plus `COVERAGE_LOSS_WEIGHT` times its mean coverage loss; the loss
 * returned is the cross-entropy alone, comparable with models without coverage. `batchLoss` computes the
 * per-position terms ({@linkcode BatchLoss}; from the probabilities by default).
 */
export function makeTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  cfg: Pick<Config, "clipNorm">,
  batchLoss: BatchLoss = lossFromProbs,
): (b: Batch) => { loss: tf.Scalar; correct: tf.Scalar } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return (b) => {
    let correct: tf.Scalar | null = null;
    let crossEntropy: tf.Scalar | null = null;
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const out = batchLoss(model, batchInputs(b), b.target, true);
        correct = tf.keep(tf.sum(out.hits) as tf.Scalar);
        const ce = tf.keep(maskedMean(out.nll, b.target));
        crossEntropy = ce;
        if (!out.coverageLoss) return ce;
        return tf.add(ce, tf.mul(maskedMean(out.coverageLoss, b.target), COVERAGE_LOSS_WEIGHT)) as tf.Scalar;
      }, vars);
      optimizer.applyGradients(clipByGlobalNorm(grads, cfg.clipNorm));
    });
    return { loss: crossEntropy as unknown as tf.Scalar, correct: correct as unknown as tf.Scalar };
  };
}

/**
 * Train `model` (built, not compiled) on `train`, validating on `val` after every epoch. See the module
 * documentation for checkpoints, resume and reproducibility.
 */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  if (opts.train.n === 0) throw new Error("trainModel: the training split is empty");
  if (opts.val.n === 0) {
    throw new Error("trainModel: the validation split is empty (early stopping needs it)");
  }
  const run = newTrainingRun(opts);
  try {
    if (opts.resume && opts.runDir) await resumeFromCheckpoint(run, opts.runDir);
    let epochsThisCall = 0;
    while (run.state.epoch < run.cfg.epochs && run.state.stopped === "") {
      if (opts.maxEpochsThisCall !== undefined && epochsThisCall >= opts.maxEpochsThisCall) {
        return { ...summary(run.state), stopped: "paused", resumedEpochs: run.resumedEpochs };
      }
      const entry = await trainEpoch(run, run.state.epoch + 1, opts.onBatchEnd);
      await recordEpoch(run, entry);
      epochsThisCall++;
      await opts.onEpochEnd?.(entry, run.state);
    }
    if (run.best) run.model.setWeights(run.best);
    return { ...summary(run.state), stopped: run.state.stopped, resumedEpochs: run.resumedEpochs };
  } finally {
    if (run.best) tf.dispose(run.best);
    run.optimizer.dispose();
  }
}

/** A training run in progress: what {@linkcode trainModel}'s steps share and update. */
interface TrainingRun {
  cfg: TrainConfig;
  model: tf.LayersModel;
  train: SeqData;
  val: SeqData;
  runDir?: string;
  log: (line: string) => void;
  optimizer: tf.Optimizer;
  trainStep: (b: Batch) => { loss: tf.Scalar; correct: tf.Scalar };
  batchLoss: BatchLoss;
  /** The model has copy attention (batches then carry extended ids). */
  copy: boolean;
  state: TrainState;
  /** Weights of the best epoch so far (restored at the end), owned by the run. */
  best: tf.Tensor[] | null;
  /** Epochs restored from a checkpoint instead of trained in this call. */
  resumedEpochs: number;
  /** {@linkcode TrainOptions.modelMetadata}. */
  metadata: Record<string, unknown>;
}

/** A fresh run: a new optimizer, no epoch done. */
function newTrainingRun(opts: TrainOptions): TrainingRun {
  const { cfg, model, train, val, runDir } = opts;
  const optimizer = (opts.optimizer ?? ((o) => o))(makeOptimizer(cfg));
  const batchLoss = opts.batchLoss ?? lossFromProbs;
  return {
    cfg,
    model,
    train,
    val,
    runDir,
    log: opts.log ?? ((l: string) => console.log(l)),
    optimizer,
    trainStep: makeTrainStep(model, optimizer, cfg, batchLoss),
    batchLoss,
    copy: isCopyModel(model),
    state: { epoch: 0, history: [], bestValLoss: Infinity, bestEpoch: 0, wait: 0, stopped: "" },
    best: null,
    resumedEpochs: 0,
    metadata: opts.modelMetadata ?? {},
  };
}

/**
 * Continue from `runDir/checkpoint` when there is one: weights, optimizer state, training state and the best
 * weights; `history.json` rewritten from the checkpoint. A run that had ended goes on when given more epochs or
 * more patience.
 */
async function resumeFromCheckpoint(run: TrainingRun, runDir: string): Promise<void> {
  const { cfg, model, log } = run;
  const ck = await readCheckpoint(`${runDir}/checkpoint`).catch((e) => {
    throw e instanceof CheckpointError ? new ResumeError(`cannot resume: ${e.message}`) : e;
  });
  if (!ck) {
    log(`no checkpoint in ${runDir}/checkpoint: starting from epoch 1`);
    return;
  }
  model.setWeights(ck.model.getWeights());
  ck.model.dispose();
  await run.optimizer.setWeights(ck.optimizer);
  tf.dispose(ck.optimizer.map((o) => o.tensor));
  run.state = ck.state;
  run.resumedEpochs = run.state.epoch;
  // a run resumed with more epochs or more patience than it ended with goes on
  const { stopped, epoch, wait } = run.state;
  if (
    (stopped === "completed" && epoch < cfg.epochs) || (stopped === "early_stopping" && wait < cfg.patience)
  ) {
    log(`continuing a run that had ended (${stopped}) with epochs ${cfg.epochs}, patience ${cfg.patience}`);
    run.state = { ...run.state, stopped: "" };
  }
  if (run.state.bestEpoch > 0) run.best = await bestWeights(run, runDir);
  // the kill may have come between the checkpoint and history.json: rewrite it from the checkpoint
  await writeTextAtomic(`${runDir}/history.json`, JSON.stringify(run.state.history, null, 1));
  log(`resumed from ${ck.dir} after epoch ${run.state.epoch} (best epoch ${run.state.bestEpoch})`);
  await endIfOver(run, ck.dir);
}

/**
 * A run resumed with fewer epochs than it has trained, or less patience than the epochs it has waited, has
 * ended: say so, and record it in the checkpoint's `state.json` (as the loop records an ending) so that readers
 * do not list it as unfinished.
 */
async function endIfOver(run: TrainingRun, checkpointDir: string): Promise<void> {
  const { epoch, wait, stopped } = run.state;
  if (stopped !== "") return;
  const ending = wait >= run.cfg.patience && epoch > 0
    ? "early_stopping" as const
    : epoch >= run.cfg.epochs
    ? "completed" as const
    : null;
  if (ending === null) return;
  run.state = { ...run.state, stopped: ending };
  run.log(
    `the run has ended (${ending}): ${epoch} epochs trained, ${wait} without a better val loss, with epochs ` +
      `${run.cfg.epochs}, patience ${run.cfg.patience}`,
  );
  await writeTextAtomic(`${checkpointDir}/state.json`, JSON.stringify(run.state, null, 1));
}

/** The best epoch's weights of a resumed run, from `best/`, or from the checkpoint (then `best/` is repaired). */
async function bestWeights(run: TrainingRun, runDir: string): Promise<tf.Tensor[]> {
  const { model, state } = run;
  const where = await locateBest(runDir, state);
  if (where.dir === null) throw new ResumeError(`cannot resume: ${where.problem}`);
  if (!where.fromCheckpoint) {
    const bestModel = await loadModelDir(where.dir);
    const best = bestModel.getWeights().map((w) => w.clone());
    bestModel.dispose();
    return best;
  }
  // stopped between the checkpoint and best/ of a new best epoch: the weights just loaded are the best
  const best = model.getWeights().map((w) => w.clone());
  await writeDirAtomic(
    `${runDir}/best`,
    (tmp) => saveModelDir(model, tmp, { ...run.metadata, epoch: state.bestEpoch }),
  );
  run.log(`repaired ${runDir}/best from the checkpoint (epoch ${state.bestEpoch})`);
  return best;
}

/**
 * One epoch: re-seed from `(seed, epoch)`, a training step per shuffled batch (a progress line every tenth of
 * a long epoch), then the validation loss and accuracies. Throws {@linkcode TrainingDivergedError} on a loss
 * that is not finite.
 */
async function trainEpoch(
  run: TrainingRun,
  epoch: number,
  onBatchEnd: TrainOptions["onBatchEnd"],
): Promise<EpochLog> {
  const { cfg, train } = run;
  const stepsPerEpoch = Math.ceil(train.n / cfg.batchSize);
  const logEvery = stepsPerEpoch >= 200 ? Math.ceil(stepsPerEpoch / 10) : 0;
  const t0 = performance.now();
  const order = seedEpoch(cfg.seed, epoch, train.n);
  let lossSum = 0, correct = 0, tokens = 0, step = 0, lastYield = t0;
  for (const rows of batchIndices(train.n, cfg.batchSize, order)) {
    step++;
    if (performance.now() - lastYield > 50) {
      // give the event loop a turn every 50 ms (a timer turn costs well under 1 ms): awaiting tensor data resolves
      // through microtasks only, so without this a Ctrl-C listener (main.ts) or a timer would wait for the epoch's end
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
    const b = makeBatch(train, rows, cfg.maxInputLen, cfg.maxOutputLen, run.copy);
    const count = b.tokens;
    const { loss: lossT, correct: correctT } = run.trainStep(b);
    const [lv, cv] = await Promise.all([lossT.data(), correctT.data()]);
    tf.dispose([lossT, correctT]);
    disposeBatch(b);
    if (!Number.isFinite(lv[0])) {
      throw new TrainingDivergedError(
        `training loss became ${lv[0]} at epoch ${epoch}, step ${step}/${stepsPerEpoch}; ` +
          keptCheckpoint(run, "") + `. ${lowerRateHint(cfg)}`,
      );
    }
    await onBatchEnd?.(epoch, step, lv[0]);
    lossSum += lv[0] * count;
    correct += cv[0];
    tokens += count;
    if (logEvery && step % logEvery === 0 && step < stepsPerEpoch) {
      const el = (performance.now() - t0) / 1000;
      run.log(
        `  epoch ${epoch} step ${step}/${stepsPerEpoch}  loss ${(lossSum / tokens).toFixed(4)}  ` +
          `acc ${(correct / tokens).toFixed(4)}  ${formatDuration(el)} (epoch ETA ${
            formatDuration(el / step * (stepsPerEpoch - step))
          })`,
      );
    }
  }
  const v = await evaluateLoss(run.model, run.val, cfg, run.batchLoss);
  if (!Number.isFinite(v.loss)) {
    throw new TrainingDivergedError(
      `validation loss became ${v.loss} after epoch ${epoch}; ` + keptCheckpoint(run, ".") + ` ` +
        lowerRateHint(cfg),
    );
  }
  return {
    epoch,
    loss: lossSum / Math.max(tokens, 1),
    acc: correct / Math.max(tokens, 1),
    valLoss: v.loss,
    valAcc: v.acc,
    valAcc1: v.acc1,
    valAccRest: v.accRest,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** What a divergence leaves on disk: the last good checkpoint, or none; `end` closes the sentence. */
function keptCheckpoint(run: TrainingRun, end: string): string {
  const { epoch } = run.state;
  if (epoch === 0) return `no epoch had finished, so there is no checkpoint${end}`;
  return `the last good checkpoint (epoch ${epoch}) is kept${
    run.runDir ? ` in ${run.runDir}/checkpoint` : ""
  }${end}`;
}

const lowerRateHint = (cfg: TrainConfig) =>
  `Try a lower --learningRate (now ${cfg.learningRate}) or gradient clipping (--clipNorm=1).`;

/**
 * Record a finished epoch: the training state (best epoch, patience, early stopping or completion), the best
 * weights, the checkpoint, `best/` and `history.json` (with a run folder), and the epoch's progress line.
 */
async function recordEpoch(run: TrainingRun, entry: EpochLog): Promise<void> {
  const { cfg, model, runDir } = run;
  const { epoch } = entry;
  const improved = entry.valLoss < run.state.bestValLoss;
  const state: TrainState = {
    ...run.state,
    epoch,
    history: [...run.state.history, entry],
    bestValLoss: improved ? entry.valLoss : run.state.bestValLoss,
    bestEpoch: improved ? epoch : run.state.bestEpoch,
    wait: improved ? 0 : run.state.wait + 1,
  };
  run.state = state;
  if (improved) {
    if (run.best) tf.dispose(run.best);
    run.best = model.getWeights().map((w) => w.clone());
  }
  let note = improved ? "(best)" : `(no improvement ${state.wait}/${cfg.patience})`;
  if (!improved && state.wait >= cfg.patience) {
    state.stopped = "early_stopping";
    note += `  early stopping: restoring epoch ${state.bestEpoch}`;
  } else if (epoch >= cfg.epochs) state.stopped = "completed";
  if (runDir) {
    // the checkpoint first: if it cannot be written, best/ still holds the epoch state.json names as best;
    // if best/ then fails, the checkpoint holds the new best weights and readers take them from there
    await writeCheckpoint(`${runDir}/checkpoint`, model, run.optimizer, state, run.metadata);
    if (improved) {
      await writeDirAtomic(`${runDir}/best`, (tmp) => saveModelDir(model, tmp, { ...run.metadata, epoch }));
    }
    await writeTextAtomic(`${runDir}/history.json`, JSON.stringify(state.history, null, 1));
  }
  const timed = state.history.slice(run.resumedEpochs);
  const mean = timed.reduce((s, h) => s + h.seconds, 0) /
    Math.max(1, state.history.length - run.resumedEpochs);
  run.log(epochLine(entry, cfg.epochs, mean * (cfg.epochs - epoch), note));
}

function summary(state: TrainState) {
  return { history: state.history, bestEpoch: state.bestEpoch, bestValLoss: state.bestValLoss };
}
