/**
 * {@linkcode FastRMSProp}: tfjs's RMSprop with each variable's update in one pass over its numbers, in place on the
 * wasm heap (the SIMD kernel `rmsprop`, lib/backend/simd/source.ts; a plain JavaScript loop took 33 ms per paper
 * step, the kernel a few). tfjs's optimizer composes the update from about ten tensor ops per variable (square, two products,
 * an add, a product, add epsilon, sqrt, a division, a product, a subtraction), each a pass over the variable and
 * a fresh tensor: for the paper model's (512, 10000) output kernel alone that was 27 ms of a 614 ms step.
 *
 * The update is tfjs's own (`RMSPropOptimizer`, not centered), element by element:
 *
 *     ms  = decay * ms + (1 - decay) * g^2
 *     mom = momentum * mom + lr * g / sqrt(ms + epsilon)
 *     v   = v - mom
 *
 * The accumulators are tfjs's (the same names, `getWeights`/`setWeights` as the stock class, so checkpoints are
 * interchangeable). The in-place pass runs only where it is safe: on the wasm backend, and for a variable whose
 * buffer and accumulators' are each held by one tensor (the project's `Identity` shares buffers between clones,
 * lib/backend/wasm_fast.ts; a snapshot of the weights must not move with them). Anything else
 * (another backend, `centered`, a shared buffer) takes tfjs's composed update for that variable.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { FastRMSProp } from "./fast_rmsprop.ts";
 * const v = tf.variable(tf.tensor1d([1, 2]));
 * const opt = new FastRMSProp(0.1, 0.9, 0, 1e-7);
 * opt.applyGradients({ [v.name]: tf.tensor1d([0.5, -1]) });
 * // ms = 0.1 g^2, so the step is lr * g / sqrt(0.1 g^2) = lr * sign(g) / sqrt(0.1)
 * assertAlmostEquals(v.dataSync()[0], 1 - 0.1 / Math.sqrt(0.1), 1e-5);
 * assertAlmostEquals(v.dataSync()[1], 2 + 0.1 / Math.sqrt(0.1), 1e-5);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasm, heapOffset } from "../backend/kernel_registry.ts";
import { simdExports } from "../backend/simd/module.ts";

type NamedGrads = Parameters<tf.Optimizer["applyGradients"]>[0];
interface Slot {
  originalName: string;
  variable: tf.Variable;
}
/** The stock optimizer's fields this class reads (private in tfjs's typings, plain properties at run time). */
interface RmsPropState {
  learningRate: number;
  decay: number;
  momentum: number;
  epsilon: number;
  centered: boolean;
  accumulatedMeanSquares: Slot[];
  accumulatedMoments: Slot[];
}

/** Counts of variables updated in place and by tfjs's composed ops (for tests and benchmarks). */
export const rmspropStats = { fused: 0, composed: 0 };

/** RMSprop with a one-pass in-place update per variable on wasm (see the module documentation). */
export class FastRMSProp extends tf.RMSPropOptimizer {
  override applyGradients(variableGradients: NamedGrads): void {
    const self = this as unknown as RmsPropState;
    const backend = tf.backend();
    if (tf.getBackend() !== "wasm" || self.centered) {
      rmspropStats.composed += Array.isArray(variableGradients)
        ? variableGradients.length
        : Object.keys(variableGradients).length;
      return super.applyGradients(variableGradients);
    }
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((g) => g.name)
      : Object.keys(variableGradients);
    const composed: tf.NamedTensorMap = {};
    names.forEach((name, i) => {
      const gradient = Array.isArray(variableGradients)
        ? variableGradients[i].tensor
        : variableGradients[name];
      if (gradient == null) return;
      const value = tf.engine().registeredVariables[name];
      // the accumulators, created as the stock class does (and at the same index, so getWeights keeps its order)
      self.accumulatedMeanSquares[i] ??= slot(`${name}/rms`, value);
      self.accumulatedMoments[i] ??= slot(`${name}/momentum`, value);
      const ms = self.accumulatedMeanSquares[i].variable, mom = self.accumulatedMoments[i].variable;
      // written in place: only buffers no other tensor holds (the gradient is only read)
      const owned = [value, ms, mom].every((t) => backend.refCount(t.dataId) === 1);
      if (!owned || gradient.dtype !== "float32") {
        composed[name] = gradient;
        return;
      }
      const wasm = asWasm(backend), at = (t: tf.Tensor) => heapOffset(wasm, t);
      simdExports(wasm).rmsprop(
        at(value),
        at(ms),
        at(mom),
        at(gradient),
        value.size,
        self.learningRate,
        self.decay,
        1 - self.decay, // rounded to float32 on the way in, as tfjs's scalar tensor of it is
        self.momentum,
        self.epsilon,
      );
      rmspropStats.fused++;
    });
    const rest = Object.keys(composed);
    if (rest.length > 0) {
      rmspropStats.composed += rest.length;
      composedUpdate(self, names, composed);
    }
    this.incrementIterations();
  }
}

/**
 * The {@linkcode FastRMSProp} equivalent of a fresh tfjs RMSprop optimizer (its learning rate, decay, momentum and
 * epsilon), for the training loop's `optimizer` option (lib/train/loop.ts); any other optimizer is returned as it is.
 */
export function accelerateOptimizer(stock: tf.Optimizer): tf.Optimizer {
  // the class itself, not `instanceof`: tfjs's Optimizer answers `instanceof` by duck typing (any object with
  // minimize, computeGradients and applyGradients is "an instance" of every optimizer class, FastRMSProp included),
  // which once made this function hand back every optimizer unchanged
  if (Object.getPrototypeOf(stock) !== tf.RMSPropOptimizer.prototype) return stock;
  const o = stock as unknown as RmsPropState;
  if (o.centered) return stock;
  stock.dispose();
  return new FastRMSProp(o.learningRate, o.decay, o.momentum, o.epsilon);
}

function slot(originalName: string, value: tf.Variable): Slot {
  return { originalName, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
}

/** tfjs's composed update (not centered) for the variables in `grads`, with their accumulators at their indices. */
function composedUpdate(o: RmsPropState, names: string[], grads: tf.NamedTensorMap): void {
  names.forEach((name, i) => {
    const gradient = grads[name];
    if (gradient == null) return;
    const value = tf.engine().registeredVariables[name];
    const ms = o.accumulatedMeanSquares[i].variable, mom = o.accumulatedMoments[i].variable;
    tf.tidy(() => {
      const newMs = tf.add(tf.mul(ms, o.decay), tf.mul(tf.square(gradient), 1 - o.decay));
      const newMom = tf.add(
        tf.mul(mom, o.momentum),
        tf.div(tf.mul(gradient, o.learningRate), tf.sqrt(tf.add(newMs, o.epsilon))),
      );
      ms.assign(newMs);
      mom.assign(newMom);
      value.assign(tf.sub(value, newMom));
    });
  });
}
