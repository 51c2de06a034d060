/**
 * Decoding speed at the `paper` shapes (vocabulary 10,000, 3 x LSTM 256 encoder, input 50, output 20): the batched
 * greedy decoder, the report's one-input-at-a-time loop, beam search one input at a time and batched
 * (`beamSearchBatch`, as evaluation and `summarize` decode), on the same inputs and the same model.
 * Prints one JSON line per decoder, e.g.
 * `{"bench":"decode","mode":"batched","summaries_per_s":180.2,"n":120,...}`, then a `"mode":"speedup"` line
 * with batched / loop.
 *
 * Then a `"mode":"torch"` line: the same decoding in PyTorch (bench/torch_peer.py via bench/peer.ts: the same shapes,
 * inputs of the same lengths, batch size and output length, attention keys computed once per input), scanned over its
 * settings (threads, `OMP_WAIT_POLICY`, allocator), then `--pairs=N` (default 3) A/B pairs of our batched decode and
 * PyTorch's at its best setting; `vs_torch` on the speedup line is the median of the pairs' ratios (batched /
 * PyTorch). Without PyTorch the torch line says why.
 *
 * The weights are untrained (seeded); the output bias of eostok and <pad> is pushed down so that every decoder
 * generates the full 20 tokens for every input: all modes do the same amount of work per summary.
 *
 * Run: `deno run -A bench/decode.ts [--n=256] [--loop-n=12] [--beam-n=6] [--beam-batch-n=64] [--batch-size=64]
 *   [--layers=stock|fast] [--backend=auto] [--blas=true] [--peer=true] [--pairs=3]` (or `deno task bench decode …`).
 * @module
 */
import process from "node:process";
import * as tf from "@tensorflow/tfjs";
import { formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { type BackendName, BACKENDS, type Config, resolveConfig } from "../lib/config.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { EOS, PAD, RESERVED } from "../lib/data/tokenizer.ts";
import { beamSearch, beamSearchBatch, modelStepper } from "../lib/infer/beam.ts";
import { type Decoded, greedyDecodeBatch, greedyDecodeLoop } from "../lib/infer/greedy.ts";
import { extractInferenceModels, type InferenceModels } from "../lib/infer/models.ts";
import { buildSeq2Seq, LAYER } from "../lib/model/seq2seq.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import { abPairs, describeSetting, runTorchPeer, runTorchPeerAt } from "./peer.ts";
import { peerShapeArgs } from "./train_step.ts";

/** One result line. */
export interface DecodeBenchRow {
  bench: "decode";
  mode: "batched" | "loop" | "beam" | "beam_batched" | "speedup" | "torch";
  /** Summaries per wall-clock second. */
  summaries_per_s?: number;
  /** Inputs decoded, tokens generated in all, wall and CPU seconds (the machine may be shared). */
  n?: number;
  tokens?: number;
  seconds?: number;
  cpuSeconds?: number;
  /** batched / loop summaries per second (speedup line only). */
  ratio?: number;
  /** The median over A/B pairs of batched / PyTorch's batched summaries per second (speedup line only). */
  vs_torch?: number;
  /** The PyTorch peer's best setting, its figure under each setting scanned, and the A/B pairs (torch line only). */
  setting?: string;
  scan?: { setting: string; summaries_per_s: number }[];
  pairs?: { ours_per_s: number; torch_per_s: number; ratio: number; first: string; load: [number, number] }[];
  /** Why PyTorch was not compared (torch line only). */
  skipped?: string;
  /** Whether the loop (or beam width 1) produced the batched decoder's ids on the same inputs. */
  sameIdsAsBatched?: boolean;
  /**
   * Whether batched beam search gave the one-at-a-time searches' ids on the inputs both decoded (beam_batched
   * line; with OpenBLAS a near-tie may go the other way: `beamSearchBatch` in lib/infer/beam.ts).
   */
  sameIdsAsOneAtATime?: boolean;
  backend: string;
  /** "stock" (tfjs LSTM) or "fast" (FastLSTM) layers. */
  layers: "stock" | "fast";
  batchSize?: number;
  beamWidth?: number;
  maxLen: number;
}

/** Options of {@linkcode benchDecode}. */
export interface DecodeBenchOptions {
  /** Inputs decoded by the batched decoder (default 256). */
  n?: number;
  /** The first `loopN` of those decoded by the loop (default 12). */
  loopN?: number;
  /** The first `beamN` decoded by beam search with the config's width (default 6; 0 skips beam). */
  beamN?: number;
  /**
   * The first `beamBatchN` decoded by batched beam search (`beamSearchBatch`, 32 inputs at a time, as evaluation
   * and `summarize` decode; default 64; 0 skips it).
   */
  beamBatchN?: number;
  /** Batch size of the batched decoder (default 64, the batch of PyTorch's figure in issue 13). */
  batchSize?: number;
  backend?: BackendName;
  blas?: boolean;
  /** Build the model with FastLSTM layers (lib/speed/accelerate.ts) or tfjs's LSTM (default: the profile's). */
  fastLayers?: boolean;
  /** Model shapes (default: the `paper` profile). */
  config?: Config;
  /** Print the JSON lines (default true). */
  print?: boolean;
  /** Decode the same number of inputs, in the same batches, with the PyTorch peer (bench/peer.ts); default true. */
  peer?: boolean;
  /** A/B pairs of our batched decode and PyTorch's at its best setting (default 3). */
  pairs?: number;
}

/** Build the model with seeded values and the eostok/<pad> bias pushed down (full-length outputs). */
export function benchModel(cfg: Config, fastLayers: boolean): tf.LayersModel {
  // tfjs's orthogonal initializer runs a QR decomposition of many small ops (seconds per 256 x 1024 kernel on
  // wasm, minutes on cpu); every weight is overwritten below, so it is swapped for a plain normal draw here.
  type InitializerLike = { prototype: { apply: (shape: number[], dtype?: tf.DataType) => tf.Tensor } };
  const classes = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown[]>;
  const orthogonal = classes["Orthogonal"][0] as InitializerLike;
  const original = orthogonal.prototype.apply;
  orthogonal.prototype.apply = (shape, dtype) => tf.randomNormal(shape, 0, 1, dtype as "float32");
  let model: tf.LayersModel;
  try {
    model = accelerate(buildSeq2Seq(cfg), { layers: fastLayers });
  } finally {
    orthogonal.prototype.apply = original;
  }
  const rand = mulberry32(cfg.seed);
  const values = model.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const scale = 1 / Math.sqrt(shape[0]); // keeps activations in a sensible range
    return tf.tensor(Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale), shape);
  });
  model.setWeights(values);
  tf.dispose(values);
  const out = model.getLayer(LAYER.output);
  const [kernel, bias] = out.getWeights();
  const b = bias.dataSync().slice();
  b[EOS] -= 100;
  b[PAD] -= 100;
  const nb = tf.tensor1d(b);
  out.setWeights([kernel, nb]);
  nb.dispose();
  return model;
}

/** `n` input rows of 25..Tin word ids, padded with 0 at the end (real snippets average ~41 words). */
export function benchInputs(n: number, cfg: Config): Int32Array {
  const rand = mulberry32(cfg.seed + 1);
  const tin = cfg.maxInputLen;
  const rows = new Int32Array(n * tin);
  for (let i = 0; i < n; i++) {
    const len = Math.min(tin, 25 + Math.floor(rand() * (tin - 24)));
    for (let t = 0; t < len; t++) {
      rows[i * tin + t] = RESERVED + Math.floor(rand() * (cfg.vocabSize - RESERVED));
    }
  }
  return rows;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { value, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Decode the same inputs with the batched decoder, the loop and beam search; print (unless `print` is false)
 * and return one row per decoder plus the batched / loop speedup.
 */
export async function benchDecode(opts: DecodeBenchOptions = {}): Promise<DecodeBenchRow[]> {
  const cfg = opts.config ?? resolveConfig("paper");
  const n = opts.n ?? 256, loopN = Math.min(opts.loopN ?? 12, n), beamN = Math.min(opts.beamN ?? 6, n);
  const report = await initBackend({ backend: opts.backend ?? cfg.backend, blas: opts.blas ?? cfg.blas });
  const backend = report.name + (report.blas.enabled ? "+blas" : "");
  const fastLayers = opts.fastLayers ?? cfg.fastLayers; // the profile's, as the kit trains and decodes
  const layers = fastLayers ? "fast" : "stock";
  if (opts.print ?? true) console.error(formatBackendReport(report));
  const model = benchModel(cfg, fastLayers);
  const inf: InferenceModels = extractInferenceModels(model);
  const rows = benchInputs(n, cfg), tin = cfg.maxInputLen, maxLen = cfg.maxOutputLen;
  const row = (i: number) => rows.subarray(i * tin, (i + 1) * tin);
  const batchSize = opts.batchSize ?? 64;
  const out: DecodeBenchRow[] = [];
  const emit = (r: DecodeBenchRow) => {
    out.push(r);
    if (opts.print ?? true) console.log(JSON.stringify(r));
  };
  const tokensOf = (ds: Decoded[]) => ds.reduce((s, d) => s + d.ids.length, 0);

  try {
    // warm-up, one full batch and one full loop decode: the first calls compile the JavaScript and wasm, grow the
    // wasm heap and allocate what tfjs keeps (the PyTorch peer warms up the same way)
    const warm = Math.min(batchSize, n);
    await greedyDecodeBatch(inf, rows.subarray(0, warm * tin), warm, { maxLen, batchSize });
    await greedyDecodeLoop(inf, row(0), maxLen);

    const batched = await timed(() => greedyDecodeBatch(inf, rows, n, { maxLen, batchSize }));
    const batchedRate = n / batched.seconds;
    emit({
      bench: "decode",
      mode: "batched",
      summaries_per_s: r3(batchedRate),
      n,
      tokens: tokensOf(batched.value),
      seconds: r3(batched.seconds),
      cpuSeconds: r3(batched.cpuSeconds),
      backend,
      layers,
      batchSize,
      maxLen,
    });

    const loop = await timed(async () => {
      const ds: Decoded[] = [];
      for (let i = 0; i < loopN; i++) ds.push(await greedyDecodeLoop(inf, row(i), maxLen));
      return ds;
    });
    const loopRate = loopN / loop.seconds;
    emit({
      bench: "decode",
      mode: "loop",
      summaries_per_s: r3(loopRate),
      n: loopN,
      tokens: tokensOf(loop.value),
      seconds: r3(loop.seconds),
      cpuSeconds: r3(loop.cpuSeconds),
      sameIdsAsBatched: loop.value.every((d, i) => d.ids.join() === batched.value[i].ids.join()),
      backend,
      layers,
      maxLen,
    });

    if (beamN > 0) {
      const beam = await timed(async () => {
        const ds: Decoded[] = [];
        for (let i = 0; i < beamN; i++) {
          const stepper = modelStepper(inf, row(i));
          try {
            ds.push(
              await beamSearch(stepper, {
                beamWidth: cfg.beamWidth,
                lengthPenalty: cfg.lengthPenalty,
                maxLen,
              }),
            );
          } finally {
            stepper.dispose();
          }
        }
        return ds;
      });
      emit({
        bench: "decode",
        mode: "beam",
        summaries_per_s: r3(beamN / beam.seconds),
        n: beamN,
        tokens: tokensOf(beam.value),
        seconds: r3(beam.seconds),
        cpuSeconds: r3(beam.cpuSeconds),
        backend,
        layers,
        beamWidth: cfg.beamWidth,
        maxLen,
      });
      const beamBatchN = Math.min(opts.beamBatchN ?? 64, n);
      if (beamBatchN > 0) {
        const beamOpts = {
          beamWidth: cfg.beamWidth,
          lengthPenalty: cfg.lengthPenalty,
          maxLen,
          batchSize: 32,
        };
        const many = await timed(() =>
          beamSearchBatch(inf, rows.subarray(0, beamBatchN * tin), beamBatchN, beamOpts)
        );
        emit({
          bench: "decode",
          mode: "beam_batched",
          summaries_per_s: r3(beamBatchN / many.seconds),
          n: beamBatchN,
          tokens: tokensOf(many.value),
          seconds: r3(many.seconds),
          cpuSeconds: r3(many.cpuSeconds),
          sameIdsAsOneAtATime: beam.value.every((d, i) =>
            i >= beamBatchN || d.ids.join() === many.value[i].ids.join()
          ),
          backend,
          layers,
          batchSize: 32,
          beamWidth: cfg.beamWidth,
          maxLen,
        });
      }
    }
    let vsTorch: number | undefined;
    if (opts.peer ?? true) {
      const peerArgs = [`--n=${n}`, `--batch-size=${batchSize}`, ...peerShapeArgs(cfg)];
      const scan = await runTorchPeer("decode", peerArgs);
      if (scan.ok) {
        // A/B pairs at PyTorch's best setting: our batched decode timed again, then theirs (bench/peer.ts)
        const ab = await abPairs(
          opts.pairs ?? 3,
          async () => n / (await timed(() => greedyDecodeBatch(inf, rows, n, { maxLen, batchSize }))).seconds,
          async () =>
            (await runTorchPeerAt(scan.python, "decode", peerArgs, scan.best.setting)).summaries_per_s!,
          (ours, theirs) => ours / theirs,
        );
        vsTorch = r3(ab.medianRatio);
        emit({
          bench: "decode",
          mode: "torch",
          summaries_per_s: r3(ab.medianTheirs),
          n,
          backend: `pytorch ${scan.best.torch}`,
          layers,
          batchSize,
          maxLen,
          setting: describeSetting(scan.best.setting),
          scan: scan.all.map((r) => ({
            setting: describeSetting(r.setting),
            summaries_per_s: r.summaries_per_s!,
          })),
          pairs: ab.pairs.map((p) => ({
            ours_per_s: r3(p.ours),
            torch_per_s: p.theirs,
            ratio: r3(p.ratio),
            first: p.first,
            load: p.load,
          })),
        });
      } else {
        emit({ bench: "decode", mode: "torch", skipped: scan.skipped, backend: "pytorch", layers, maxLen });
      }
    }
    emit({
      bench: "decode",
      mode: "speedup",
      ratio: r3(batchedRate / loopRate),
      ...(vsTorch !== undefined ? { vs_torch: vsTorch } : {}),
      backend,
      layers,
      maxLen,
    });
  } finally {
    model.dispose();
  }
  return out;
}

/**
 * Parse `--n=`, `--loop-n=`, `--beam-n=`, `--beam-batch-n=`, `--batch-size=`, `--layers=stock|fast`, `--backend=`, `--blas=`, `--peer=`,
 * `--pairs=`;
 * anything else is an error naming the option.
 */
export function parseDecodeArgs(args: string[]): DecodeBenchOptions {
  const opts: DecodeBenchOptions = {};
  for (const a of args) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (!m) {
      throw new Error(
        `bench/decode: bad argument "${a}": expected --n=, --loop-n=, --beam-n=, --beam-batch-n=, --batch-size=, ` +
          "--layers=, --backend=, --blas=, --peer=, --pairs=",
      );
    }
    const [, key, value] = m;
    const int = () => {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 0) {
        throw new Error(`bench/decode: --${key} must be an integer >= 0 (got "${value}")`);
      }
      return v;
    };
    if (key === "n") opts.n = Math.max(1, int());
    else if (key === "loop-n") opts.loopN = Math.max(1, int());
    else if (key === "beam-n") opts.beamN = int();
    else if (key === "beam-batch-n") opts.beamBatchN = int();
    else if (key === "batch-size") opts.batchSize = Math.max(1, int());
    else if (key === "layers") {
      if (value !== "stock" && value !== "fast") {
        throw new Error(`bench/decode: --layers must be stock or fast (got "${value}")`);
      }
      opts.fastLayers = value === "fast";
    } else if (key === "backend") {
      if (!(BACKENDS as readonly string[]).includes(value)) {
        throw new Error(`bench/decode: --backend must be one of ${BACKENDS.join(", ")} (got "${value}")`);
      }
      opts.backend = value as BackendName;
    } else if (key === "blas") opts.blas = value !== "false" && value !== "0";
    else if (key === "peer") opts.peer = value !== "false" && value !== "0";
    else if (key === "pairs") opts.pairs = Math.max(1, int());
    else throw new Error(`bench/decode: unknown option --${key}`);
  }
  return opts;
}

if (import.meta.main) {
  let opts: DecodeBenchOptions;
  try {
    opts = parseDecodeArgs(Deno.args);
  } catch (e) {
    // a bad option: one line and exit 1, not a stack trace
    console.error((e as Error).message);
    Deno.exit(1);
  }
  await benchDecode(opts);
}
