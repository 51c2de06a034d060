/**
 * Save and load a tfjs-layers model as `model.json` + `weights.bin` in a folder, the format stock
 * TensorFlow.js reads with `tf.loadLayersModel("…/model.json")` (the project's two custom layers must be
 * registered first, which importing lib/model/attention.ts and lib/model/pointer.ts does). Works without tfjs-node, whose
 * `file://` handler is not available here. Files are written atomically (write, then rename).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { buildSeq2Seq } from "./seq2seq.ts";
 * import { loadModelDir, saveModelDir } from "./io.ts";
 * const model = buildSeq2Seq(resolveConfig("tiny"));
 * const dir = await Deno.makeTempDir();
 * await saveModelDir(model, `${dir}/best`); // best/model.json + best/weights.bin
 * const again = await loadModelDir(`${dir}/best`);
 * const [before, after] = [model.getWeights(), again.getWeights()];
 * assertEquals(after.length, before.length);
 * after.forEach((w, i) => { // every weight: the same shape and the same numbers
 *   assertEquals(w.shape, before[i].shape);
 *   assertEquals(w.dataSync(), before[i].dataSync());
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { writeBytesAtomic, writeTextAtomic } from "../io/atomic.ts";
import "./attention.ts";
import "./pointer.ts";
import "./reverse.ts";
import { loadWithFixes } from "./support/tfjs_fixes.ts";
import { withoutKnownTfjsWarnings } from "./support/warnings.ts";

/**
 * Class names that run folders written before the fast layers moved behind lib/speed (2026-12) carry in
 * `model.json`, and the stock classes they hold the weights of (the same weights, by construction).
 */
const LEGACY_CLASS_NAMES: Record<string, string> = {
  FastLSTM: "LSTM",
  FastTimeDistributed: "TimeDistributed",
};

/** `topology` with every legacy class name (see {@linkcode LEGACY_CLASS_NAMES}) replaced by its stock one. */
function withStockClassNames(topology: unknown): unknown {
  if (Array.isArray(topology)) return topology.map(withStockClassNames);
  if (topology === null || typeof topology !== "object") return topology;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(topology)) {
    out[k] = k === "class_name" && typeof v === "string" && v in LEGACY_CLASS_NAMES
      ? LEGACY_CLASS_NAMES[v]
      : withStockClassNames(v);
  }
  return out;
}

/** The model artifacts of `model` (topology, weight specs, weight bytes) without writing anything. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  // serializing the decoder's node prints tfjs's harmless initialState warning (./support/warnings.ts)
  await withoutKnownTfjsWarnings(() =>
    model.save(tf.io.withSaveHandler((artifacts) => {
      captured = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
    }))
  );
  if (!captured) throw new Error("modelArtifacts: the save handler was not called");
  return captured;
}

/** Join tfjs weight data (one buffer or several) into one byte array. */
export function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** A saved model folder that does not hold what its `model.json` says (printed in one line by the CLIs). */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelFileError";
  }
}

/**
 * What {@linkcode saveModelDir} records in `model.json`'s `userDefinedMetadata` (stock TensorFlow.js reads and
 * ignores it): the weight file's size and SHA-256, so a reader can prove the weights are the ones saved with
 * this topology, and whatever the caller adds (the training loop adds the epoch).
 */
export interface SavedModelMetadata {
  weightsBytes: number;
  weightsSha256: string;
  [key: string]: unknown;
}

/** The hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Write `model` to `dir/model.json` and `dir/weights.bin`; `metadata` (JSON values) joins the weight file's size
 * and hash in `model.json`'s `userDefinedMetadata`.
 */
export async function saveModelDir(
  model: tf.LayersModel,
  dir: string,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const art = await modelArtifacts(model);
  await Deno.mkdir(dir, { recursive: true });
  const bytes = weightBytes(art.weightData);
  await writeBytesAtomic(`${dir}/weights.bin`, bytes);
  const userDefinedMetadata: SavedModelMetadata = {
    ...metadata,
    weightsBytes: bytes.length,
    weightsSha256: await sha256Hex(bytes),
  };
  const json = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: art.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: art.weightSpecs }],
    userDefinedMetadata,
  };
  await writeTextAtomic(`${dir}/model.json`, JSON.stringify(json));
}

/** Bytes per element of the weight dtypes tfjs saves. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, int16: 2 };

/** A saved model folder, read and checked by {@linkcode readModelDir}. */
export interface ModelDir {
  dir: string;
  /** `model.json`'s `modelTopology`. */
  topology: tf.io.ModelJSON["modelTopology"];
  /** Every weight, in the order of the weight file. */
  specs: tf.io.WeightsManifestEntry[];
  /** The weight file(s), joined. */
  weights: Uint8Array;
  /** `userDefinedMetadata` (absent in folders written before it was recorded). */
  metadata: Partial<SavedModelMetadata>;
}

/** Element counts per layer (the part of each weight's name before its first `/`), from weight specs. */
export function paramsPerLayer(specs: readonly tf.io.WeightsManifestEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs) {
    const layer = s.name.split("/")[0];
    out[layer] = (out[layer] ?? 0) + s.shape.reduce((a, b) => a * b, 1);
  }
  return out;
}

/**
 * Read `dir/model.json` and its weight file and prove they belong together before tfjs sees them: the weight
 * file holds exactly the bytes the weight specs describe (a file a few bytes short or long is refused), and,
 * when `model.json` records them, the file's size and SHA-256 match what was saved. Any failure is a
 * {@linkcode ModelFileError} naming the file.
 */
export async function readModelDir(dir: string): Promise<ModelDir> {
  let json: {
    modelTopology?: tf.io.ModelJSON["modelTopology"];
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: Partial<SavedModelMetadata>;
  };
  try {
    json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  } catch (e) {
    throw new ModelFileError(`cannot read ${dir}/model.json: ${(e as Error).message}`);
  }
  if (!json || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(`${dir}/model.json lacks modelTopology or weightsManifest`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  const files: string[] = [];
  for (const group of json.weightsManifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new ModelFileError(`${dir}/model.json: a weightsManifest entry lacks paths or weights`);
    }
    specs.push(...group.weights);
    for (const p of group.paths) {
      if (typeof p !== "string" || p.includes("/") || p.includes("\\")) {
        throw new ModelFileError(
          `${dir}/model.json: weight path ${JSON.stringify(p)} is not a file of ${dir}`,
        );
      }
      try {
        parts.push(await Deno.readFile(`${dir}/${p}`));
      } catch (e) {
        throw new ModelFileError(`cannot read ${dir}/${p}: ${(e as Error).message}`);
      }
      files.push(`${dir}/${p}`);
    }
  }
  let expected = 0;
  for (const s of specs) {
    const per = DTYPE_BYTES[s.dtype];
    if (per === undefined || !Array.isArray(s.shape) || s.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ModelFileError(`${dir}/model.json: weight ${s.name} has a bad shape or dtype`);
    }
    expected += per * s.shape.reduce((a, b) => a * b, 1);
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const fileNames = files.join(" + ");
  if (total !== expected) {
    throw new ModelFileError(
      `${fileNames} holds ${total.toLocaleString("en-US")} bytes but ${dir}/model.json describes ` +
        `${expected.toLocaleString("en-US")} (${total < expected ? "truncated" : "extra bytes"}): ` +
        `the model and its weights do not belong together`,
    );
  }
  const weights = parts.length === 1 ? parts[0] : new Uint8Array(total);
  if (parts.length !== 1) {
    let off = 0;
    for (const p of parts) {
      weights.set(p, off);
      off += p.length;
    }
  }
  const metadata = json.userDefinedMetadata ?? {};
  if (typeof metadata.weightsSha256 === "string") {
    const hash = await sha256Hex(weights);
    if (hash !== metadata.weightsSha256 || metadata.weightsBytes !== total) {
      throw new ModelFileError(
        `${fileNames} is not the weight file saved with ${dir}/model.json (SHA-256 differs): ` +
          `the file was changed or comes from another save`,
      );
    }
  }
  return { dir, topology: json.modelTopology, specs, weights, metadata };
}

/**
 * Read a folder written by {@linkcode saveModelDir} (or any tfjs layers-model folder), checked first by
 * {@linkcode readModelDir}; a folder that fails the check, or that tfjs cannot build, is a
 * {@linkcode ModelFileError} naming it.
 */
export async function loadModelDir(dir: string): Promise<tf.LayersModel> {
  return buildModel(await readModelDir(dir));
}

/** Build the tfjs model of a folder already read and checked by {@linkcode readModelDir} (no second read). */
export async function buildModel(m: ModelDir): Promise<tf.LayersModel> {
  const dir = m.dir;
  try {
    return await loadWithFixes(() =>
      tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: withStockClassNames(m.topology) as tf.io.ModelJSON["modelTopology"],
        weightSpecs: m.specs,
        weightData: m.weights.byteOffset === 0 && m.weights.byteLength === m.weights.buffer.byteLength
          ? m.weights.buffer as ArrayBuffer
          : m.weights.slice().buffer as ArrayBuffer,
      }))
    );
  } catch (e) {
    throw new ModelFileError(
      `${dir}/model.json: tfjs cannot build the saved model (${(e as Error).message})`,
    );
  }
}
