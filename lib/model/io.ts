/**
 * Save and load a tfjs-layers model as `model.json` + `weights.bin` in a folder, the format stock
 * TensorFlow.js reads with `tf.loadLayersModel("…/model.json")` (the project's custom layers must be
 * registered first, which importing lib/model/attention.ts and lib/model/support/fast_lstm.ts does). Works without tfjs-node, whose
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
 * assertEquals(again.countParams(), model.countParams());
 * assertEquals(again.getWeights()[0].dataSync(), model.getWeights()[0].dataSync()); // the same numbers
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { writeBytesAtomic, writeTextAtomic } from "../io/atomic.ts";
import "./attention.ts";
import "./support/fast_lstm.ts"; // registers FastLSTM and FastTimeDistributed for loading
import { fixMultiOutputLayers } from "./support/tfjs_fixes.ts";

/** The model artifacts of `model` (topology, weight specs, weight bytes) without writing anything. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    captured = artifacts;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  if (!captured) throw new Error("modelArtifacts: the save handler was not called");
  return captured;
}

/** Join tfjs weight data (one buffer or several) into one byte array. */
export function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** Write `model` to `dir/model.json` and `dir/weights.bin`. */
export async function saveModelDir(model: tf.LayersModel, dir: string): Promise<void> {
  const art = await modelArtifacts(model);
  await Deno.mkdir(dir, { recursive: true });
  await writeBytesAtomic(`${dir}/weights.bin`, weightBytes(art.weightData));
  const json = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: art.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: art.weightSpecs }],
  };
  await writeTextAtomic(`${dir}/model.json`, JSON.stringify(json));
}

/** Read a folder written by {@linkcode saveModelDir} (or any tfjs layers-model folder with one weight file). */
export async function loadModelDir(dir: string): Promise<tf.LayersModel> {
  let json: {
    modelTopology?: tf.io.ModelJSON["modelTopology"];
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  } catch (e) {
    throw new Error(`loadModelDir: cannot read ${dir}/model.json: ${(e as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`loadModelDir: ${dir}/model.json lacks modelTopology or weightsManifest`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(await Deno.readFile(`${dir}/${p}`));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    buf.set(p, off);
    off += p.length;
  }
  return fixMultiOutputLayers(
    await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: buf.buffer,
    })),
  );
}
