/**
 * Check that two backends train identically: run the same optimizer steps from the same initial
 * weights with the same random draws (Math.random seeded: tfjs dropout and initialisers draw their
 * seeds from it) and compare per-step losses and final weights.
 *
 * @example
 * ```ts
 * const cmp = await compareBackends(() => {
 *   const model = buildMyModel(cfg);                       // created on the current backend
 *   const optimizer = tf.train.rmsprop(1e-3);
 *   return {
 *     variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
 *     step: () => myTrainStep(model, optimizer, batch),    // returns the loss before the update
 *     dispose: () => { model.dispose(); optimizer.dispose(); },
 *   };
 * }, { backends: ["cpu", "wasm"], steps: 3 });
 * // cmp.maxLossRelDiff, cmp.maxWeightRelDiff < 1e-5
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../util/rng.ts";

/** What {@link compareBackends} trains: built fresh on each backend by the caller's `build`. */
export interface TrainingSubject {
  /** Every variable that defines the model, in a fixed order (copied from the first run to the second). */
  variables: tf.Variable[];
  /** One optimizer step (step index given); returns the loss computed before the update. */
  step(index: number): number | Promise<number>;
  /** Release the model, optimizer and data (called after each run). */
  dispose?(): void;
}

/** Options of {@link compareBackends}. */
export interface CompareOptions {
  /** The two backends, reference first (default ["cpu", "wasm"]). */
  backends?: [string, string];
  /** Optimizer steps per backend (default 3). */
  steps?: number;
  /** Seed for Math.random during build and steps (default 7). */
  seed?: number;
}

/** Per-variable difference after the run. */
export interface VariableDiff {
  name: string;
  shape: number[];
  /** max |w_a - w_b| after the steps. */
  maxAbsDiff: number;
  /** max |w_a| after the steps (the scale for the relative difference). */
  maxAbs: number;
}

/** Result of {@link compareBackends}. */
export interface BackendComparison {
  backends: [string, string];
  /** Loss of each step on each backend. */
  losses: [number[], number[]];
  /** max over steps of |loss_a - loss_b| / |loss_a|. */
  maxLossRelDiff: number;
  /** max over variables of maxAbsDiff. */
  maxWeightAbsDiff: number;
  /** max over variables of maxAbsDiff / maxAbs. */
  maxWeightRelDiff: number;
  /** Largest change of any weight during the run on the first backend (the steps did move them). */
  maxWeightChange: number;
  variables: VariableDiff[];
}

/**
 * Replace Math.random by a seeded generator; returns a function that puts the original back.
 * tfjs draws dropout and initialiser seeds from Math.random, so this makes them reproducible.
 */
export function seedMathRandom(seed: number): () => void {
  const original = Math.random;
  Math.random = mulberry32(seed);
  return () => {
    Math.random = original;
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

async function runOn(
  backend: string,
  build: () => TrainingSubject | Promise<TrainingSubject>,
  steps: number,
  seed: number,
  init: Float32Array[] | null,
): Promise<
  { init: Float32Array[]; final: Float32Array[]; losses: number[]; names: string[]; shapes: number[][] }
> {
  if (!(await tf.setBackend(backend))) {
    throw new Error(`compareBackends: backend '${backend}' failed to initialise`);
  }
  const restore = seedMathRandom(seed);
  let subject: TrainingSubject | null = null;
  try {
    subject = await build();
    const vars = subject.variables;
    if (init) {
      if (init.length !== vars.length) {
        throw new Error(
          `compareBackends: ${vars.length} variables on ${backend}, ${init.length} on the first backend`,
        );
      }
      vars.forEach((v, i) => {
        if (v.size !== init[i].length) {
          throw new Error(
            `compareBackends: variable ${i} (${v.name}) has ${v.size} values, expected ${init[i].length}`,
          );
        }
        const t = tf.tensor(init[i], v.shape, v.dtype);
        v.assign(t);
        t.dispose();
      });
    }
    const start = await Promise.all(vars.map(async (v) => Float32Array.from(await v.data())));
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      Math.random = mulberry32(seed * 1009 + s + 1);
      losses.push(await subject.step(s));
    }
    return {
      init: start,
      final: await Promise.all(vars.map(async (v) => Float32Array.from(await v.data()))),
      losses,
      names: vars.map((v) => v.name),
      shapes: vars.map((v) => v.shape.slice()),
    };
  } finally {
    subject?.dispose?.();
    restore();
  }
}

/**
 * Train a freshly built subject for `steps` steps on each of two backends, the second starting from
 * the first's initial weights, and compare losses and weights. Restores the previous backend.
 */
export async function compareBackends(
  build: () => TrainingSubject | Promise<TrainingSubject>,
  opts: CompareOptions = {},
): Promise<BackendComparison> {
  const backends = opts.backends ?? ["cpu", "wasm"];
  const steps = opts.steps ?? 3;
  const seed = opts.seed ?? 7;
  const previous = tf.getBackend();
  try {
    const a = await runOn(backends[0], build, steps, seed, null);
    const b = await runOn(backends[1], build, steps, seed, a.init);
    const variables: VariableDiff[] = a.final.map((w, i) => ({
      name: a.names[i],
      shape: a.shapes[i],
      maxAbsDiff: maxAbsDiff(w, b.final[i]),
      maxAbs: maxAbs(w),
    }));
    const rel = (d: VariableDiff) => d.maxAbs > 0 ? d.maxAbsDiff / d.maxAbs : d.maxAbsDiff;
    return {
      backends,
      losses: [a.losses, b.losses],
      maxLossRelDiff: Math.max(
        0,
        ...a.losses.map((l, i) => Math.abs(l - b.losses[i]) / Math.max(Math.abs(l), 1e-30)),
      ),
      maxWeightAbsDiff: Math.max(0, ...variables.map((d) => d.maxAbsDiff)),
      maxWeightRelDiff: Math.max(0, ...variables.map(rel)),
      maxWeightChange: Math.max(0, ...a.final.map((w, i) => maxAbsDiff(w, a.init[i]))),
      variables,
    };
  } finally {
    if (previous) await tf.setBackend(previous);
  }
}

/**
 * Run `f` on each backend in turn (inputs must be created inside `f`) and return the values of
 * the tensor(s) it returns, which are disposed. Restores the previous backend.
 */
export async function valuesOnBackends(
  f: () => tf.Tensor | tf.Tensor[],
  backends: string[] = ["cpu", "wasm"],
): Promise<Float32Array[][]> {
  const previous = tf.getBackend();
  const out: Float32Array[][] = [];
  try {
    for (const b of backends) {
      if (!(await tf.setBackend(b))) throw new Error(`valuesOnBackends: backend '${b}' failed to initialise`);
      const res = tf.tidy(f);
      const list = Array.isArray(res) ? res : [res];
      out.push(await Promise.all(list.map(async (t) => Float32Array.from(await t.data()))));
      tf.dispose(list);
    }
  } finally {
    if (previous) await tf.setBackend(previous);
  }
  return out;
}

/**
 * Largest |a[i] - b[i]| / (atol + rtol * |b[i]|): at most 1 means close (numpy's allclose rule);
 * 0 when equal, Infinity for a NaN or a length mismatch.
 */
export function closeness(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (diff === 0) continue;
    const d = diff / (atol + rtol * Math.abs(b[i]));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
