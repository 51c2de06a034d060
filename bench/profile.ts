/**
 * Where the time goes: a per-kernel profile of one training step (`train`) or of batched greedy decoding
 * (`decode`) on the active backend. Every kernel registered for the backend is wrapped with a timer; a kernel
 * that calls other kernels (our overrides build on native ones) is charged its own time only (self time), so the
 * rows add up to the time spent inside kernels. What is left of the wall time is tfjs's own JavaScript (tape,
 * tidy, shape checks) and ours.
 *
 * Prints a table (kernel, calls, ms per step, share) with the three costliest shapes of each kernel, then one JSON
 * line `{"bench":"profile",...}` with the totals.
 *
 * Run: `deno run -A bench/profile.ts [train|decode] [--profile=paper] [--steps=3] [--blas=true] [--layers=fast]
 *   [--fusedLoss=true] [--n=64]` (`--fusedLoss=false`: the training step's loss from the probabilities, as before
 *   lib/speed/fused_loss.ts)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { resolveConfig } from "../lib/config.ts";
import { buildSeq2Seq } from "../lib/model/seq2seq.ts";
import { accelerate } from "../lib/speed/accelerate.ts";
import { fastBatchLoss } from "../lib/speed/fused_loss.ts";
import { batchIndices, disposeBatch, makeBatch } from "../lib/train/batches.ts";
import { makeOptimizer, makeTrainStep } from "../lib/train/loop.ts";
import { accelerateOptimizer } from "../lib/speed/fast_rmsprop.ts";
import { seedEverything } from "../lib/train/seed.ts";
import { extractInferenceModels } from "../lib/infer/models.ts";
import { greedyDecodeBatch } from "../lib/infer/greedy.ts";
import { paddingShares, syntheticData } from "./train_step.ts";
import { benchInputs, benchModel } from "./decode.ts";

/** Time and calls of one kernel, with time per input-shape signature. */
interface KernelStat {
  ms: number;
  calls: number;
  shapes: Map<string, { ms: number; calls: number }>;
}

/** Per-kernel self times since {@linkcode installProfiler} (or the last {@linkcode resetProfile}). */
export const profile = new Map<string, KernelStat>();

/** Clear the collected times. */
export function resetProfile(): void {
  profile.clear();
}

/**
 * Wrap every kernel registered for `backendName` with a self-time counter. Call after the backend is set up and
 * every override is installed; returns a function that puts the unwrapped kernels back.
 */
export function installProfiler(backendName: string): () => void {
  const originals = tf.getKernelsForBackend(backendName);
  const stack: number[] = []; // child time accumulated per open frame
  for (const k of originals) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        stack.push(0);
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          const dt = performance.now() - t0;
          const child = stack.pop()!;
          if (stack.length) stack[stack.length - 1] += dt;
          const self = dt - child;
          const s = profile.get(k.kernelName) ?? { ms: 0, calls: 0, shapes: new Map() };
          s.ms += self;
          s.calls++;
          const sig = Object.values(args.inputs).map((t) => t ? `[${t.shape}]` : "-").join("") +
            (args.attrs && ("transposeA" in args.attrs || "transposeB" in args.attrs)
              ? ` t${args.attrs.transposeA ? 1 : 0}${args.attrs.transposeB ? 1 : 0}`
              : "") +
            (args.attrs && "axis" in args.attrs ? ` axis ${args.attrs.axis}` : "") +
            (args.attrs && "perm" in args.attrs ? ` perm ${args.attrs.perm}` : "");
          const e = s.shapes.get(sig) ?? { ms: 0, calls: 0 };
          e.ms += self;
          e.calls++;
          s.shapes.set(sig, e);
          profile.set(k.kernelName, s);
        }
      },
    });
  }
  return () => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backendName);
      tf.registerKernel(k);
    }
  };
}

/** Print the profile as a table, per `per` repetitions (steps or decodes), against `wallMs` in all. */
export function printProfile(wallMs: number, per: number, top = 25): { kernelMs: number; wallMs: number } {
  const rows = [...profile.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
  const f = (x: number) => (x / per).toFixed(1).padStart(8);
  console.log(`${"kernel".padEnd(26)} ${"calls".padStart(7)} ${"ms/rep".padStart(8)}  share`);
  for (const [name, s] of rows.slice(0, top)) {
    console.log(
      `${name.padEnd(26)} ${String(Math.round(s.calls / per)).padStart(7)} ${f(s.ms)}  ${
        (100 * s.ms / wallMs).toFixed(1)
      }%`,
    );
    const shapes = [...s.shapes.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 3);
    for (const [sig, e] of shapes) {
      console.log(`    ${sig.slice(0, 70).padEnd(70)} x${Math.round(e.calls / per)} ${f(e.ms)}`);
    }
  }
  console.log(
    `kernels ${f(kernelMs)} ms/rep, wall ${f(wallMs)} ms/rep, outside kernels ${f(wallMs - kernelMs)} ms/rep`,
  );
  return { kernelMs: kernelMs / per, wallMs: wallMs / per };
}

if (import.meta.main) {
  const mode = Deno.args.find((a) => !a.startsWith("--")) ?? "train";
  const opt = (k: string, d: string) =>
    Deno.args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
  const cfg = resolveConfig(opt("profile", "paper"));
  const report = await initBackend({ backend: "wasm", blas: opt("blas", "true") === "true" });
  console.log(formatBackendReport(report));
  seedEverything(cfg.seed, 0);
  const fastLayers = opt("layers", "fast") === "fast";
  // decode: bench/decode.ts's model and inputs (every summary runs the full length)
  const model = mode === "train"
    ? accelerate(buildSeq2Seq(cfg), { layers: fastLayers })
    : benchModel(cfg, fastLayers);
  const reps = Number(opt("steps", "3"));
  if (mode === "train") {
    const optimizer = accelerateOptimizer(makeOptimizer(cfg)); // as lib/experiment.ts trains
    const b = cfg.batchSize;
    const shares = paddingShares(opt("profile", "paper"));
    const data = syntheticData(b, cfg.maxInputLen, cfg.maxOutputLen, cfg.vocabSize, cfg.seed, shares);
    const batch = makeBatch(data, batchIndices(b, b)[0], cfg.maxInputLen, cfg.maxOutputLen, cfg.copy);
    const fusedLoss = opt("fusedLoss", "true") === "true";
    const step = makeTrainStep(model, optimizer, cfg, fusedLoss ? fastBatchLoss(model) : undefined);
    const run = async () => {
      const { loss, correct } = step(batch);
      await loss.data();
      tf.dispose([loss, correct]);
    };
    await run();
    await run();
    installProfiler("wasm");
    resetProfile();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await run();
    const totals = printProfile(performance.now() - t0, reps);
    console.log(JSON.stringify({ bench: "profile", mode, profile: opt("profile", "paper"), ...totals }));
    disposeBatch(batch);
  } else {
    const inf = extractInferenceModels(model);
    const n = Number(opt("n", "64"));
    const encIn = benchInputs(n, cfg);
    await greedyDecodeBatch(inf, encIn, n, { maxLen: 2 });
    installProfiler("wasm");
    resetProfile();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await greedyDecodeBatch(inf, encIn, n, { maxLen: cfg.maxOutputLen });
    const totals = printProfile(performance.now() - t0, reps);
    console.log(JSON.stringify({ bench: "profile", mode, profile: opt("profile", "paper"), n, ...totals }));
  }
}
