/**
 * Training checkpoints: the model (model.json + weights.bin, loadable by stock TensorFlow.js), the
 * optimizer's state (RMSprop accumulators and iteration count) and the loop's state (finished epochs, history,
 * early-stopping counters), kept together in one folder.
 *
 * A checkpoint is written to `<name>.tmp/` and then swapped in with renames, so a run killed at any moment
 * leaves either the previous or the new checkpoint complete, never a mix; {@linkcode readCheckpoint} also
 * recovers from a kill between the two renames.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { makeOptimizer } from "./loop.ts";
 * import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await readCheckpoint(`${dir}/checkpoint`), null); // none yet: start from epoch 0
 * const cfg = resolveConfig("tiny");
 * const model = buildSeq2Seq(cfg);
 * await writeCheckpoint(`${dir}/checkpoint`, model, makeOptimizer(cfg), {
 *   epoch: 1, history: [], bestValLoss: 2.5, bestEpoch: 1, wait: 0, stopped: "",
 * });
 * const ck = await readCheckpoint(`${dir}/checkpoint`);
 * assertEquals([ck?.state.epoch, ck?.state.bestValLoss], [1, 2.5]); // finished epochs, early-stopping state
 * assertEquals(ck?.model.countParams(), model.countParams());
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { writeBytesAtomic, writeTextAtomic } from "../io/atomic.ts";
import { loadModelDir, saveModelDir } from "../model/io.ts";
import { pathExists } from "../io/exists.ts";

/** Figures of one finished epoch. */
export interface EpochLog {
  epoch: number;
  loss: number;
  acc: number;
  valLoss: number;
  valAcc: number;
  /**
   * Teacher-forced validation accuracy at the first summary word alone (position 1): the decision greedy
   * decoding cannot recover from, hidden inside `valAcc` (absent in runs made before it was recorded).
   */
  valAcc1?: number;
  /** Teacher-forced validation accuracy at positions 2 and later. */
  valAccRest?: number;
  seconds: number;
}

/** Everything the training loop needs to continue after its last finished epoch. */
export interface TrainState {
  /** Number of finished epochs. */
  epoch: number;
  history: EpochLog[];
  bestValLoss: number;
  /** Epoch (1-based) whose weights are the best so far; 0 before the first epoch. */
  bestEpoch: number;
  /** Epochs since the best one (early-stopping counter). */
  wait: number;
  /** Why training ended, once it has. */
  stopped: "" | "completed" | "early_stopping";
}

/** A checkpoint read back from disk. */
export interface Checkpoint {
  dir: string;
  state: TrainState;
  model: tf.LayersModel;
  optimizer: { name: string; tensor: tf.Tensor }[];
}

interface OptimizerManifest {
  entries: { name: string; shape: number[]; dtype: "float32" | "int32" }[];
}

/** Write a folder atomically: fill `dir.tmp/` with `fill`, then swap it in place of `dir`. */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp`, old = `${dir}.old`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  await fill(tmp);
  if (await pathExists(dir)) {
    await Deno.remove(old, { recursive: true }).catch(() => {});
    await Deno.rename(dir, old);
  }
  await Deno.rename(tmp, dir);
  await Deno.remove(old, { recursive: true }).catch(() => {});
}

/** The folder holding the newest complete copy of `dir` (`dir` itself or its `.old` twin), or null. */
export async function completeDir(dir: string): Promise<string | null> {
  for (const d of [dir, `${dir}.old`]) if (await pathExists(`${d}/model.json`)) return d;
  return null;
}

/** The epoch a saved model folder records (`userDefinedMetadata.epoch`), or null when it records none. */
export async function savedEpoch(dir: string): Promise<number | null> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/model.json`)).userDefinedMetadata;
    return typeof meta?.epoch === "number" ? meta.epoch : null;
  } catch {
    return null;
  }
}

/** Where the best epoch's weights of a run are, as {@linkcode locateBest} finds them. */
export type BestLocation =
  | { dir: string; fromCheckpoint: boolean }
  | { dir: null; problem: string };

/**
 * The folder holding the weights of the epoch `state` names as best. `best/` records its epoch; the training
 * loop writes the checkpoint before `best/`, so a run stopped between the two (a kill, a full disk) has a
 * checkpoint of a new best epoch and a `best/` of an older one, or none yet: the checkpoint's weights are the
 * best ones then (`fromCheckpoint`, and `best/` should be rewritten from them). Folders written before epochs
 * were recorded are taken as they are. Anything else is a `problem`. Used by `--resume` and by every reader.
 */
export async function locateBest(
  runDir: string,
  state: Pick<TrainState, "epoch" | "bestEpoch">,
): Promise<BestLocation> {
  const best = await completeDir(`${runDir}/best`);
  const bestEpoch = best ? await savedEpoch(best) : null;
  if (best && (bestEpoch === null || bestEpoch === state.bestEpoch)) {
    return { dir: best, fromCheckpoint: false };
  }
  const ck = await completeDir(`${runDir}/checkpoint`);
  if (ck && state.epoch === state.bestEpoch && (await savedEpoch(ck)) === state.bestEpoch) {
    return { dir: ck, fromCheckpoint: true };
  }
  return {
    dir: null,
    problem: `${runDir}/best holds ${best ? `epoch ${bestEpoch}` : "no model"}, but ` +
      `${runDir}/checkpoint/state.json says epoch ${state.bestEpoch} was the best`,
  };
}

/** Save model, optimizer state and loop state to `dir`. */
export async function writeCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: TrainState,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const named = await optimizer.getWeights();
  const arrays = await Promise.all(named.map((n) => n.tensor.data()));
  // getWeights() may return a fresh tensor for the iteration count: dispose what the optimizer does not own
  const manifest: OptimizerManifest = {
    entries: named.map((n) => ({
      name: n.name,
      shape: n.tensor.shape,
      dtype: n.tensor.dtype === "int32" ? "int32" as const : "float32" as const,
    })),
  };
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const a of arrays) {
    flat.set(a, off); // the int32 iteration count is stored exactly as a float
    off += a.length;
  }
  if (named.length > 0 && named[0].name === "iter") named[0].tensor.dispose();
  await writeDirAtomic(dir, async (tmp) => {
    await saveModelDir(model, tmp, { ...metadata, epoch: state.epoch });
    await writeBytesAtomic(`${tmp}/optimizer.bin`, new Uint8Array(flat.buffer));
    await writeTextAtomic(`${tmp}/optimizer.json`, JSON.stringify(manifest));
    await writeTextAtomic(`${tmp}/state.json`, JSON.stringify(state, null, 1));
  });
}

/** A checkpoint file that cannot be read as what it should hold; the message names the file. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** `path` parsed as JSON; a missing or unparsable file is a {@linkcode CheckpointError} naming it. */
async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new CheckpointError(`${path} is missing or not JSON (${(e as Error).message})`);
  }
}

/** Read the checkpoint in `dir` (or its `.old` twin); null when there is none. Bad files are named. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const d = await completeDir(dir);
  if (d === null) return null;
  const state = await readJson(`${d}/state.json`) as TrainState;
  if (typeof state?.epoch !== "number" || !Array.isArray(state.history)) {
    throw new CheckpointError(`${d}/state.json is not a training state (epoch, history missing)`);
  }
  // the optimizer's files are checked before the model is loaded: a refusal leaves nothing to dispose
  const manifest = await readJson(`${d}/optimizer.json`) as OptimizerManifest;
  if (!Array.isArray(manifest?.entries)) {
    throw new CheckpointError(`${d}/optimizer.json lists no optimizer entries`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(`${d}/optimizer.bin`);
  } catch (e) {
    throw new CheckpointError(`${d}/optimizer.bin cannot be read (${(e as Error).message})`);
  }
  if (bytes.byteLength % 4 !== 0) {
    throw new CheckpointError(`${d}/optimizer.bin holds ${bytes.byteLength} bytes, not whole float32 values`);
  }
  // a copy: the file's bytes need not be 4-aligned in their buffer
  const flat = new Float32Array(bytes.slice().buffer);
  const described = manifest.entries.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0);
  if (described !== flat.length) {
    throw new CheckpointError(
      `${d}/optimizer.bin holds ${flat.length} floats, optimizer.json describes ${described}`,
    );
  }
  const model = await loadModelDir(d);
  let off = 0;
  const optimizer = manifest.entries.map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.slice(off, off + n), e.shape, e.dtype);
    off += n;
    return { name: e.name, tensor: t };
  });
  return { dir: d, state, model, optimizer };
}
