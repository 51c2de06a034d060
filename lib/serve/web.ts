/// <reference lib="dom" />
/**
 * The exported page's script (`deno task export-web`, bundled into `app.js` with TensorFlow.js): loads the
 * run's model, tokenizer and config from beside the page and summarizes in the browser with the project's own
 * code (cleaning, sentence splitting, tokenizer, batched greedy and beam decoding: lib/serve/analysis.ts). The
 * status line names the TensorFlow.js backend (`webgl` where the browser offers WebGL, else `cpu`; `?backend=cpu`
 * forces one). `window.summarizeInBrowser(texts, beam)` is there for scripts and the tests.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SummarizerRun } from "../infer/summarize.ts";
import { Tokenizer } from "../data/tokenizer.ts";
import { extractInferenceModels } from "../infer/models.ts";
import { buildModel, type ModelDir, sha256Hex } from "../model/io.ts";
import { analyzeTexts, type TextResult } from "./analysis.ts";
import { runLabel, setStatus, wirePage } from "./ui.ts";

/** What export-web writes beside the page as `run.json`. */
export interface ExportedRunInfo {
  id: string;
  profile: string;
  copy: boolean;
  testF1: number | null;
  /** The config keys summarizing reads. */
  cfg: SummarizerRun["cfg"];
}

async function fetchOk(path: string): Promise<Response> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`cannot fetch ${path}: HTTP ${r.status}`);
  return r;
}

/** Fetch model/model.json and its weights, check them as lib/model/io.ts does on disk, build the model. */
async function loadModel(): Promise<tf.LayersModel> {
  const json = await (await fetchOk("model/model.json")).json();
  const group = json.weightsManifest[0];
  const weights = new Uint8Array(await (await fetchOk(`model/${group.paths[0]}`)).arrayBuffer());
  const meta = json.userDefinedMetadata ?? {};
  if (typeof meta.weightsSha256 === "string" && (await sha256Hex(weights)) !== meta.weightsSha256) {
    throw new Error("model/weights.bin is not the weight file saved with model/model.json (SHA-256 differs)");
  }
  const dir: ModelDir = {
    dir: "model",
    topology: json.modelTopology,
    specs: group.weights,
    weights,
    metadata: meta,
  };
  return await buildModel(dir);
}

async function main(): Promise<void> {
  const wanted = new URLSearchParams(location.search).get("backend");
  if (wanted) {
    // a forced backend that is unknown or cannot start says so (tf.ready() would fall back to another one)
    const known = Object.keys(tf.engine().registryFactory);
    if (!known.includes(wanted)) {
      throw new Error(`?backend=${wanted} is not a TensorFlow.js backend of this page (${known.join(", ")})`);
    }
    if (!(await tf.setBackend(wanted))) throw new Error(`?backend=${wanted} cannot start in this browser`);
  }
  await tf.ready();
  setStatus(`loading the model (TensorFlow.js backend: ${tf.getBackend()})...`);
  const [info, tokJson] = await Promise.all(
    ["run.json", "tokenizer.json"].map(async (f) => (await fetchOk(f)).json()),
  );
  const run = info as ExportedRunInfo;
  const cfg = run.cfg;
  const tokenizer = Tokenizer.fromJSON(tokJson);
  const model = await loadModel();
  const models = extractInferenceModels(model);
  const summarizer = { cfg, model, tokenizer, models };
  const summarize = (texts: string[], beam = false): Promise<TextResult[]> =>
    analyzeTexts(summarizer, texts, { beam });
  (globalThis as unknown as { summarizeInBrowser: typeof summarize }).summarizeInBrowser = summarize;
  wirePage({
    runs: [{ id: run.id, label: runLabel(run) }],
    selected: run.id,
    info: `in this browser: TensorFlow.js ${tf.version.tfjs}, backend ${tf.getBackend()}`,
    summarize: async (text, beam) => (await summarize([text], beam))[0],
  });
  document.body.setAttribute("data-backend", tf.getBackend());
}

main().catch((e) => setStatus(`cannot load the model: ${e instanceof Error ? e.message : e}`, true));
