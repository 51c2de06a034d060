/**
 * Benchmark of one full training step of the Seq2Seq model (the training loop's own step, `makeTrainStep` in
 * lib/train/loop.ts: forward with dropout, masked loss, backward, clipping when the profile clips, RMSprop
 * update) on a synthetic batch padded as the profile's real data is ({@linkcode PADDING_SHARES}), per configuration.
 * Prints one JSON line each:
 *
 * `{"bench":"train_step","profile":"paper","backend":"wasm","ms_per_step":…,"gflops":…,"peak_gflops":…,
 *   "ratio":…,"heap_mb":…, …}`
 *
 * - `ms_per_step`: median wall time of the timed steps (after `warmup` untimed ones); `cpu_ms_per_step`: median
 *   CPU time of the process over the same steps (all threads; less sensitive to other load on the machine).
 * - `gflops`: `3 * forwardFlops(cfg, batch)` (bench/flops.ts) per step, divided by `ms_per_step`.
 * - `peak_gflops`: the machine's sgemm peak (`measureSgemmPeak()`, bench/kernels.ts) measured in the same
 *   process, once before and twice after the steps; the largest of the three (a peak: on a shared machine a
 *   single measurement can come out low, which would flatter the ratio). `ratio` = gflops / peak_gflops.
 * - `heap_mb`: the wasm heap (WebAssembly memory) size at the end: the heap never shrinks, so this is the peak.
 *   Each configuration runs in its own process so that its heap, and an abort, are its own; a configuration
 *   that aborts gives a line with `error`.
 * - `load_avg`: the 1-minute load average before and after (the machine may be shared).
 * - `torch_scan`, `torch_setting`: the same step in PyTorch (bench/torch_peer.py, run by bench/peer.ts) under each of
 *   its settings (threads, `OMP_WAIT_POLICY`, allocator), and the best of them. Then `pairs`: `--pairs=N` (default 3)
 *   A/B pairs of our step (a fresh child process) and PyTorch's at that best setting, alternating who goes first,
 *   each with its ratio and the load average; `vs_torch` is the median of the pairs' ratios (above 1: this kit is
 *   faster) and `ms_per_step`, `torch_ms_per_step` the medians. Where PyTorch is not installed the row says why in
 *   `torch_skipped`; `--peer=false` skips it. The peer is built with the case's shapes and shared embedding
 *   ({@linkcode peerShapeArgs}); a case whose model has what the peer's lacks (copy attention, coverage, a
 *   bidirectional encoder: {@linkcode peerLacks}) is not compared.
 *
 * Configurations (default): `paper` and `default` at their batch size, and `paper` at batch 120 (must not
 * abort), each with the fast layers (lib/speed/accelerate.ts) and, as a run has with them, the loss from logits
 * (lib/speed/fused_loss.ts). `--layers=fast,stock` adds tfjs's own layers with the loss from probabilities.
 * A case is its profile as configured; `+copy`/`+coverage` switch copy attention or coverage on and `-copy`/`-coverage`
 * off (lib/model/pointer.ts, attention.ts), e.g. `--profiles=envnews-copy,envnews,envnews+coverage` times the
 * `envnews` profile without its copy attention, as it is, and with coverage, side by side.
 *
 * Run alone: `deno run -A bench/train_step.ts [--profiles=paper,default] [--batch=120] [--layers=fast,stock]
 * [--steps=5] [--warmup=2] [--backend=wasm] [--blas=false] [--peer=false] [--pairs=3]`, or `deno task bench train_step`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { wasmHeap } from "../lib/backend/kernel_registry.ts";
import type { BackendWasm } from "../lib/backend/kernel_registry.ts";
import { type BackendName, BACKENDS, type Config, resolveConfig } from "../lib/config.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { buildSeq2Seq } from "../lib/model/seq2seq.ts";
import { forwardFlops } from "./flops.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import { fastBatchLoss } from "../lib/speed/fused_loss.ts";
import { batchIndices, disposeBatch, makeBatch, type SeqData } from "../lib/train/batches.ts";
import { makeOptimizer, makeTrainStep } from "../lib/train/loop.ts";
import { accelerateOptimizer } from "../lib/speed/fast_rmsprop.ts";
import { seedEverything } from "../lib/train/seed.ts";
import { measureSgemmPeak } from "./kernels.ts";
import { abPairs, describeSetting, loadAvg, median, runTorchPeer, runTorchPeerAt } from "./peer.ts";

/** Which layer implementations the model is built with. */
export type LayerKind = "fast" | "stock";

/** One configuration to time. */
export interface TrainStepCase {
  /** A profile name, optionally with `+copy`, `-copy`, `+coverage`, `-coverage` (see {@linkcode caseConfig}). */
  profile: string;
  /** Batch size (default: the profile's). */
  batch?: number;
  layers: LayerKind;
}

/** Options of {@linkcode benchTrainStep} and {@linkcode runTrainStepCase}. */
export interface TrainStepOptions {
  /** Timed steps (median taken; at least 5 for a reported figure). Default 5. */
  steps?: number;
  /** Untimed steps before timing. Default 2. */
  warmup?: number;
  backend?: Exclude<BackendName, "auto">;
  /** Use OpenBLAS for matmuls on wasm (when available). Default true. */
  blas?: boolean;
  /** Time the same step in PyTorch (bench/torch_peer.py) after each case, when it is installed. Default true. */
  peer?: boolean;
  /** A/B pairs of ours and PyTorch per case (bench/peer.ts `abPairs`). Default 3. */
  pairs?: number;
}

/** One result line. */
export interface TrainStepRow {
  bench: "train_step";
  profile: string;
  backend: string;
  ms_per_step: number;
  gflops: number;
  peak_gflops: number;
  ratio: number;
  heap_mb: number | null;
  batch: number;
  /** The padding shares of the timed batch (inputs, targets), drawn to match the profile's real data. */
  padding: PaddingShares;
  layers: LayerKind;
  steps: number;
  cpu_ms_per_step: number | null;
  gflop_per_step: number;
  loss_first: number;
  loss_last: number;
  /** Backend line (which matmul path). */
  backend_report: string;
  load_avg: [number, number];
  /** Set when the configuration failed (e.g. the wasm heap ran out); the numbers are then 0. */
  error?: string;
  /** PyTorch's ms for the same step at its best setting (bench/peer.ts): the median over the pairs. */
  torch_ms_per_step?: number;
  /** The median over the pairs of each pair's `torch ms / our ms`: above 1 when this kit's step is the faster. */
  vs_torch?: number;
  /** Every A/B pair: our ms, PyTorch's, the ratio, who ran first, the load average before and after. */
  pairs?: { ours_ms: number; torch_ms: number; ratio: number; first: string; load: [number, number] }[];
  /** The setting of PyTorch's best figure in the scan, and the scan: its figure under each setting tried. */
  torch_setting?: string;
  torch_scan?: { setting: string; ms: number }[];
  /** Why PyTorch was not compared (not installed, or a model with what the peer lacks: {@linkcode peerLacks}). */
  torch_skipped?: string;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** CPU time (user + system, all threads) of this process in ms, or null where /proc is not readable. */
function cpuTimeMs(): number | null {
  try {
    const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return null;
  }
}

/** The share of padding (id 0) in a batch's encoder inputs and in its targets. */
export interface PaddingShares {
  input: number;
  target: number;
}

/**
 * The padding of each profile's encoded training split, measured with `prepareData` (lib/data/prep.ts) on
 * 2026-12-03: `paper` and `envnews` on the real corpus (`../shared/data/envnews`), `default` on the embedded one.
 * The synthetic batch is drawn to match, because the training loss computes logits at the real target positions
 * only: with the earlier batch's 22-25% padding whatever the profile, a `paper` step did less output-layer work
 * than one of its real batches (8%) and an `envnews` step more (41%). Other profiles take `default`'s.
 */
export const PADDING_SHARES: Readonly<Record<string, PaddingShares>> = {
  paper: { input: 0.179, target: 0.082 },
  envnews: { input: 0.307, target: 0.412 },
  default: { input: 0.205, target: 0.234 },
};

/** The padding shares of a case's profile (`name`, `name+copy`, `name-copy`, ...): {@linkcode PADDING_SHARES}. */
export function paddingShares(profile: string): PaddingShares {
  return PADDING_SHARES[profile.split(/[+-]/)[0]] ?? PADDING_SHARES.default;
}

/**
 * The shortest row of a synthetic batch whose rows are `len` long with `share` of their positions padding:
 * lengths are drawn uniformly from `[shortest, len]`, whose mean `(shortest + len) / 2` is `(1 - share) len`
 * (at least 1; a share above about a half cannot be reached this way and gives 1).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shortestRow } from "./train_step.ts";
 * assertEquals(shortestRow(20, 0.082), 17); // paper's targets: lengths 17-20, 7.5% padding
 * assertEquals(shortestRow(40, 0.9), 1);
 * ```
 */
export function shortestRow(len: number, share: number): number {
  return Math.min(len, Math.max(1, Math.round((1 - 2 * share) * len)));
}

/**
 * Synthetic encoded data shaped like the real data: encoder rows of random length in `[shortestRow(Tin,
 * shares.input), Tin]` and decoder rows in `[shortestRow(Tout, shares.target), Tout]` (the rest padding, id 0),
 * token ids uniform in [1, V); the target is the decoder input shifted by one with an end token (id 3), so a
 * row of k words has k real target positions. bench/torch_peer.py draws its batch the same way.
 */
export function syntheticData(
  n: number,
  tin: number,
  tout: number,
  vocab: number,
  seed: number,
  shares: PaddingShares = PADDING_SHARES.default,
): SeqData {
  const rand = mulberry32(seed);
  const rows = (len: number, share: number) => {
    const a = new Int32Array(n * len), lo = shortestRow(len, share);
    for (let r = 0; r < n; r++) {
      const k = lo + Math.floor(rand() * (len - lo + 1));
      for (let j = 0; j < k; j++) a[r * len + j] = 1 + Math.floor(rand() * (vocab - 1));
    }
    return a;
  };
  const encIn = rows(tin, shares.input), decIn = rows(tout, shares.target);
  const decOut = new Int32Array(decIn.length);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < tout; j++) {
      const next = j + 1 < tout ? decIn[r * tout + j + 1] : 0;
      decOut[r * tout + j] = decIn[r * tout + j] !== 0 && next === 0 ? 3 : next;
    }
  }
  return { n, encIn, decIn, decOut };
}

/** The share of zeros (padding) in `ids`. */
export function zeroShare(ids: Int32Array): number {
  let z = 0;
  for (const x of ids) if (x === 0) z++;
  return ids.length ? z / ids.length : 0;
}

/** Time one configuration in this process (see the module documentation) and return its row. */
export async function runTrainStepCase(c: TrainStepCase, opts: TrainStepOptions = {}): Promise<TrainStepRow> {
  const steps = opts.steps ?? 5, warmup = opts.warmup ?? 2;
  const load0 = loadAvg();
  const report = await initBackend({ backend: opts.backend ?? "wasm", blas: opts.blas ?? true });
  const cfg = caseConfig(c.profile, c.batch);
  const b = cfg.batchSize;
  seedEverything(cfg.seed, 0);
  const model = accelerate(buildSeq2Seq(cfg), { layers: c.layers === "fast" });
  const optimizer = c.layers === "fast" ? accelerateOptimizer(makeOptimizer(cfg)) : makeOptimizer(cfg);
  const shares = paddingShares(c.profile);
  const data = syntheticData(b, cfg.maxInputLen, cfg.maxOutputLen, cfg.vocabSize, cfg.seed, shares);
  const padding = { input: round(zeroShare(data.encIn), 3), target: round(zeroShare(data.decOut), 3) };
  const batch = makeBatch(data, batchIndices(b, b)[0], cfg.maxInputLen, cfg.maxOutputLen, cfg.copy);
  // the training loop's own step (lib/train/loop.ts)
  const trainStep = makeTrainStep(
    model,
    optimizer,
    cfg,
    c.layers === "fast" ? fastBatchLoss(model) : undefined,
  );
  const step = async (): Promise<number> => {
    const { loss, correct } = trainStep(batch);
    const [lv] = await Promise.all([loss.data(), correct.data()]);
    tf.dispose([loss, correct]);
    return lv[0];
  };
  const peakBefore = measureSgemmPeak();
  const wall: number[] = [], cpu: number[] = [], losses: number[] = [];
  try {
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now(), c0 = cpuTimeMs();
      losses.push(await step());
      const t1 = performance.now(), c1 = cpuTimeMs();
      if (i >= warmup) {
        wall.push(t1 - t0);
        if (c0 !== null && c1 !== null) cpu.push(c1 - c0);
      }
    }
  } finally {
    optimizer.dispose();
    model.dispose();
    disposeBatch(batch);
  }
  const peak = Math.max(peakBefore, measureSgemmPeak(), measureSgemmPeak());
  const flop = 3 * forwardFlops(cfg, b);
  const ms = median(wall);
  const gflops = flop / ms / 1e6;
  const heap = report.name === "wasm"
    ? wasmHeap(tf.backend() as unknown as BackendWasm).byteLength / 2 ** 20
    : null;
  return {
    bench: "train_step",
    profile: c.profile,
    backend: report.name,
    ms_per_step: round(ms, 1),
    gflops: round(gflops, 2),
    peak_gflops: round(peak, 1),
    ratio: peak > 0 ? round(gflops / peak, 3) : 0,
    heap_mb: heap === null ? null : round(heap, 1),
    batch: b,
    padding,
    layers: c.layers,
    steps,
    cpu_ms_per_step: cpu.length ? median(cpu) : null,
    gflop_per_step: round(flop / 1e9, 2),
    loss_first: round(losses[0], 4),
    loss_last: round(losses.at(-1)!, 4),
    backend_report: formatBackendReport(report),
    load_avg: [load0, loadAvg()],
  };
}

/** The options a case may switch on (`+copy`) or off (`-copy`) on top of its profile. */
const CASE_OPTIONS = ["copy", "coverage"] as const;

/**
 * The config of a case: the profile as it is configured (`envnews` has copy attention, `paper` not), with
 * `+copy`/`+coverage` switching an option on and `-copy`/`-coverage` off (`envnews-copy`: envnews without copy
 * attention), and the batch.
 */
export function caseConfig(profile: string, batch?: number): Config {
  const [name, ...parts] = profile.split(/(?=[+-])/);
  const options: Partial<Record<(typeof CASE_OPTIONS)[number], boolean>> = {};
  for (const part of parts) {
    const option = CASE_OPTIONS.find((o) => o === part.slice(1));
    if (option === undefined) {
      throw new Error(
        `train_step: profile "${profile}": unknown option ${part} (${
          CASE_OPTIONS.map((o) => `+${o}, -${o}`).join(", ")
        })`,
      );
    }
    options[option] = part[0] === "+";
  }
  return resolveConfig(name, { ...(batch ? { batchSize: batch } : {}), ...options });
}

/** The default configurations. */
export const DEFAULT_CASES: readonly TrainStepCase[] = [
  { profile: "paper", layers: "fast" },
  { profile: "default", layers: "fast" },
  { profile: "paper", batch: 120, layers: "fast" },
];

const PROJECT_ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

const caseArg = (c: TrainStepCase) => `${c.profile}:${c.batch ?? 0}:${c.layers}`;

function optionArgs(opts: TrainStepOptions): string[] {
  const a: string[] = [];
  if (opts.steps !== undefined) a.push(`--steps=${opts.steps}`);
  if (opts.warmup !== undefined) a.push(`--warmup=${opts.warmup}`);
  if (opts.backend !== undefined) a.push(`--backend=${opts.backend}`);
  if (opts.blas !== undefined) a.push(`--blas=${opts.blas}`);
  return a;
}

/** Time one case in a child process (`deno run -A` of this file); a child that fails gives a row with `error`. */
async function runChild(c: TrainStepCase, opts: TrainStepOptions): Promise<TrainStepRow> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--config=${PROJECT_ROOT}deno.json`,
      new URL(import.meta.url).pathname,
      `--case=${caseArg(c)}`,
      ...optionArgs(opts),
    ],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const line = stdout.split("\n").reverse().find((l) => l.startsWith('{"bench":"train_step"'));
  if (out.success && line) return JSON.parse(line) as TrainStepRow;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
  return {
    bench: "train_step",
    profile: c.profile,
    backend: opts.backend ?? "wasm",
    ms_per_step: 0,
    gflops: 0,
    peak_gflops: 0,
    ratio: 0,
    heap_mb: null,
    batch: c.batch ?? caseConfig(c.profile).batchSize,
    padding: { input: 0, target: 0 },
    layers: c.layers,
    steps: 0,
    cpu_ms_per_step: null,
    gflop_per_step: 0,
    loss_first: NaN,
    loss_last: NaN,
    backend_report: "",
    load_avg: [loadAvg(), loadAvg()],
    error: `exit code ${out.code}${out.signal ? ` (${out.signal})` : ""}: ${err || "no output"}`,
  };
}

/**
 * Run every case in its own child process, with the PyTorch peer in A/B pairs where it is installed (see the module
 * documentation), print each row as a JSON line unless `quiet`, and return the rows.
 */
export async function benchTrainStep(
  opts: TrainStepOptions & { cases?: readonly TrainStepCase[]; quiet?: boolean } = {},
): Promise<TrainStepRow[]> {
  const rows: TrainStepRow[] = [];
  for (const c of opts.cases ?? DEFAULT_CASES) {
    let row = await runChild(c, opts);
    if (opts.peer ?? true) row = await withPeer(row, c, opts);
    rows.push(row);
    if (!opts.quiet) console.log(JSON.stringify(row));
  }
  return rows;
}

/**
 * The case against PyTorch: a scan of the peer's settings, then A/B pairs of a fresh child of ours and the peer at
 * its best setting. Returns `row` with the pairs, and its speed figures replaced by the medians over the pairs.
 */
async function withPeer(row: TrainStepRow, c: TrainStepCase, opts: TrainStepOptions): Promise<TrainStepRow> {
  if (row.error) return row;
  const cfg = caseConfig(c.profile, c.batch);
  const lacks = peerLacks(cfg);
  if (lacks.length > 0) return { ...row, torch_skipped: `the PyTorch peer has no ${lacks.join(", ")}` };
  const peerArgs = [
    `--batch=${cfg.batchSize}`,
    `--steps=${opts.steps ?? 5}`,
    `--warmup=${opts.warmup ?? 2}`,
    ...peerShapeArgs(cfg),
    ...peerPaddingArgs(cfg, paddingShares(c.profile)),
  ];
  const scan = await runTorchPeer("train", peerArgs);
  if (!scan.ok) return { ...row, torch_skipped: scan.skipped };
  const setting = scan.best.setting;
  let last = row;
  const ab = await abPairs(
    opts.pairs ?? 3,
    async () => {
      const r = await runChild(c, opts);
      if (r.error) throw new Error(`train_step ${c.profile}: ${r.error}`);
      last = r;
      return r.ms_per_step;
    },
    async () => (await runTorchPeerAt(scan.python, "train", peerArgs, setting)).ms_per_step!,
    (ours, theirs) => theirs / ours,
  );
  const ms = ab.medianOurs;
  const gflops = row.gflop_per_step * 1e3 / ms;
  const peak = Math.max(row.peak_gflops, last.peak_gflops);
  return {
    ...row,
    ms_per_step: round(ms, 1),
    gflops: round(gflops, 2),
    peak_gflops: peak,
    ratio: peak > 0 ? round(gflops / peak, 3) : 0,
    load_avg: [row.load_avg[0], last.load_avg[1]],
    torch_ms_per_step: round(ab.medianTheirs, 1),
    vs_torch: round(ab.medianRatio, 3),
    pairs: ab.pairs.map((p) => ({
      ours_ms: p.ours,
      torch_ms: p.theirs,
      ratio: round(p.ratio, 3),
      first: p.first,
      load: p.load,
    })),
    torch_setting: describeSetting(setting),
    torch_scan: scan.all.map((r) => ({ setting: describeSetting(r.setting), ms: r.ms_per_step! })),
  };
}

/**
 * What a case's model has that bench/torch_peer.py's does not (copy attention, coverage, a bidirectional encoder): a
 * case with any is timed on our side only, since the two would not do the same work.
 */
export function peerLacks(cfg: Config): string[] {
  return [
    cfg.copy ? "copy attention" : "",
    cfg.coverage ? "coverage" : "",
    cfg.encoderBidirectional ? "bidirectional encoder" : "",
  ].filter((x) => x !== "");
}

/** The model shapes of `cfg` as bench/torch_peer.py options. */
export function peerShapeArgs(cfg: Config): string[] {
  return [
    `--vocab=${cfg.vocabSize}`,
    `--emb=${cfg.embeddingDim}`,
    `--units=${cfg.units}`,
    `--att=${cfg.attentionUnits}`,
    `--layers=${cfg.encoderLayers}`,
    `--tin=${cfg.maxInputLen}`,
    `--tout=${cfg.maxOutputLen}`,
    `--shared_emb=${cfg.sharedEmbedding ? 1 : 0}`,
  ];
}

/** The synthetic batch's shortest rows as bench/torch_peer.py options (the same lengths as {@linkcode syntheticData}). */
export function peerPaddingArgs(cfg: Config, shares: PaddingShares): string[] {
  return [
    `--tin_min=${shortestRow(cfg.maxInputLen, shares.input)}`,
    `--tout_min=${shortestRow(cfg.maxOutputLen, shares.target)}`,
  ];
}

/** Parse `--case=profile:batch:layers`, `--profiles=`, `--batch=`, `--layers=` and the options. */
export function parseTrainStepArgs(
  args: string[],
): TrainStepOptions & { cases: TrainStepCase[]; one: boolean } {
  const kv = new Map<string, string>();
  for (const a of args) {
    const m = /^--([a-z0-9]+)(?:=(.*))?$/i.exec(a);
    if (!m) throw new Error(`train_step: unexpected argument "${a}"`);
    kv.set(m[1], m[2] ?? "true");
  }
  const known = new Set([
    "case",
    "profiles",
    "batch",
    "layers",
    "steps",
    "warmup",
    "backend",
    "blas",
    "peer",
    "pairs",
  ]);
  for (const k of kv.keys()) {
    if (!known.has(k)) {
      throw new Error(`train_step: unknown option --${k}: expected one of ${[...known].join(", ")}`);
    }
  }
  const int = (k: string, min: number): number | undefined => {
    const v = kv.get(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`train_step: --${k}=${v}: expected an integer >= ${min}`);
    }
    return n;
  };
  const layerList = (v: string): LayerKind[] =>
    v.split(",").map((s) => {
      if (s !== "fast" && s !== "stock") throw new Error(`train_step: --layers: "${s}" is not fast or stock`);
      return s;
    });
  const backend = kv.get("backend");
  if (backend !== undefined && (backend === "auto" || !(BACKENDS as readonly string[]).includes(backend))) {
    throw new Error(
      `train_step: --backend=${backend}: expected one of ${BACKENDS.filter((b) => b !== "auto")}`,
    );
  }
  const blas = kv.get("blas"), peer = kv.get("peer");
  if (blas !== undefined && blas !== "true" && blas !== "false") {
    throw new Error(`train_step: --blas=${blas}: expected true or false`);
  }
  if (peer !== undefined && peer !== "true" && peer !== "false") {
    throw new Error(`train_step: --peer=${peer}: expected true or false`);
  }
  let cases: TrainStepCase[];
  const one = kv.get("case");
  if (one !== undefined) {
    const [profile, batch, layers] = one.split(":");
    cases = [{ profile, batch: Number(batch) || undefined, layers: layerList(layers ?? "fast")[0] }];
  } else {
    const profiles = kv.get("profiles")?.split(",");
    const batch = int("batch", 1);
    const layers = layerList(kv.get("layers") ?? "fast");
    cases = [];
    for (const l of layers) {
      if (profiles || batch) {
        for (const p of profiles ?? ["paper"]) cases.push({ profile: p, batch, layers: l });
      } else {
        for (const c of DEFAULT_CASES) cases.push({ ...c, layers: l });
      }
    }
  }
  for (const c of cases) caseConfig(c.profile); // unknown profile: a clear error now
  return {
    cases,
    one: one !== undefined,
    steps: int("steps", 1),
    warmup: int("warmup", 0),
    backend: backend as TrainStepOptions["backend"],
    blas: blas === undefined ? undefined : blas === "true",
    peer: peer === undefined ? undefined : peer === "true",
    pairs: int("pairs", 1),
  };
}

if (import.meta.main) {
  let p: ReturnType<typeof parseTrainStepArgs>;
  try {
    p = parseTrainStepArgs(Deno.args);
  } catch (e) {
    // a bad option: one line and exit 1, not a stack trace
    console.error((e as Error).message);
    Deno.exit(1);
  }
  if (p.one) console.log(JSON.stringify(await runTrainStepCase(p.cases[0], p)));
  else await benchTrainStep(p);
}
