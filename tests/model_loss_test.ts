/** Masked sparse categorical cross-entropy and accuracy against hand-computed values. */
import { assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { disposeBatch, makeBatch } from "../lib/train/batches.ts";
import {
  maskedCorrect,
  maskedHits,
  maskedLoss,
  maskedLossSum,
  maskedNll,
  targetMask,
} from "../lib/train/loss.ts";

await tf.setBackend("cpu");

// B=2, T=3, V=4. Row 0 has targets [1, 2, 0] (last position padding); row 1 has [3, 0, 0].
const PROBS = [
  [[0.1, 0.6, 0.2, 0.1], [0.25, 0.25, 0.4, 0.1], [0.7, 0.1, 0.1, 0.1]],
  [[0.1, 0.2, 0.6, 0.1], [0.9, 0.05, 0.03, 0.02], [0.1, 0.1, 0.1, 0.7]],
];
const TARGET = [[1, 2, 0], [3, 0, 0]];
// real positions: p(1)=0.6 (argmax 1: hit), p(2)=0.4 (argmax 2: hit), p(3)=0.1 (argmax 2: miss)
const HAND_SUM = -Math.log(0.6) - Math.log(0.4) - Math.log(0.1);

function scalar(t: tf.Scalar): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

Deno.test("maskedLoss() is the mean of -log p(target) over the 3 real tokens only (hand value)", () => {
  const p = tf.tensor3d(PROBS), y = tf.tensor2d(TARGET, [2, 3], "int32");
  assertAlmostEquals(scalar(maskedLossSum(p, y)), HAND_SUM, 1e-5);
  assertAlmostEquals(scalar(maskedLoss(p, y)), HAND_SUM / 3, 1e-6); // (0.5108 + 0.9163 + 2.3026) / 3
  assertAlmostEquals(scalar(maskedLoss(p, y)), 1.2432333, 1e-6);
  tf.dispose([p, y]);
});

/** The loss's denominator as the training loop gets it: makeBatch's count of non-padding target ids. */
function realTokens(target: number[][]): number {
  const n = target.length, t = target[0].length;
  const flat = Int32Array.from(target.flat());
  const b = makeBatch(
    { n, encIn: new Int32Array(n), decIn: flat, decOut: flat },
    Int32Array.from([0, 1]),
    1,
    t,
  );
  disposeBatch(b);
  return b.tokens;
}

Deno.test("maskedCorrect() counts 2 hits among the 3 real tokens; makeBatch() counts 3 tokens; targetMask() marks them", () => {
  const p = tf.tensor3d(PROBS), y = tf.tensor2d(TARGET, [2, 3], "int32");
  assertEquals(scalar(maskedCorrect(p, y)), 2);
  assertEquals(realTokens(TARGET), 3);
  const m = targetMask(y);
  assertEquals(m.arraySync(), [[1, 1, 0], [1, 0, 0]]);
  tf.dispose([p, y, m]);
});

Deno.test("maskedNll() and maskedHits() give the per-position terms of the sum and the count, 0 at padding", () => {
  const p = tf.tensor3d(PROBS), y = tf.tensor2d(TARGET, [2, 3], "int32");
  const nll = maskedNll(p, y).arraySync();
  [[-Math.log(0.6), -Math.log(0.4), 0], [-Math.log(0.1), 0, 0]].forEach((row, b) =>
    row.forEach((v, t) => assertAlmostEquals(nll[b][t], v, 1e-5))
  );
  assertEquals(maskedHits(p, y).arraySync(), [[1, 1, 0], [0, 0, 0]]);
  tf.dispose([p, y]);
});

Deno.test("changing the probabilities at padded positions changes neither loss nor accuracy", () => {
  const other = PROBS.map((row, b) =>
    row.map((dist, t) => (TARGET[b][t] === 0 ? [0.01, 0.01, 0.01, 0.97] : dist))
  );
  const p1 = tf.tensor3d(PROBS), p2 = tf.tensor3d(other), y = tf.tensor2d(TARGET, [2, 3], "int32");
  assertEquals(scalar(maskedLoss(p2, y)), scalar(maskedLoss(p1, y)));
  assertEquals(scalar(maskedCorrect(p2, y)), scalar(maskedCorrect(p1, y)));
  // while an unmasked loss would have changed: position (1,1) has p(0) = 0.9 vs 0.01
  tf.dispose([p1, p2, y]);
});

Deno.test("a zero probability costs -log(0 + 1e-7) = 16.118, not Infinity", () => {
  const p = tf.tensor3d([[[1, 0]]]), y = tf.tensor2d([[1]], [1, 1], "int32");
  assertAlmostEquals(scalar(maskedLoss(p, y)), -Math.log(1e-7), 1e-4);
  tf.dispose([p, y]);
});

Deno.test("an all-padding batch has loss 0 and 0 correct (no division by zero)", () => {
  const p = tf.tensor3d(PROBS), y = tf.zeros([2, 3], "int32") as tf.Tensor2D;
  assertEquals(scalar(maskedLoss(p, y)), 0);
  assertEquals(scalar(maskedCorrect(p, y)), 0);
  assertEquals(realTokens([[0, 0, 0], [0, 0, 0]]), 0);
  tf.dispose([p, y]);
});

Deno.test("the loss functions leave no tensors behind", () => {
  const p = tf.tensor3d(PROBS), y = tf.tensor2d(TARGET, [2, 3], "int32");
  const before = tf.memory().numTensors;
  scalar(maskedLoss(p, y));
  scalar(maskedLossSum(p, y));
  scalar(maskedCorrect(p, y));
  tf.dispose([maskedNll(p, y), maskedHits(p, y)]);
  assertEquals(tf.memory().numTensors, before);
  tf.dispose([p, y]);
});
