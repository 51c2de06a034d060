// lib/plot/progress.ts: a progress bar updated in place (one display id), a loss curve redrawn per epoch.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  CountProgress,
  countText,
  NotebookProgress,
  progressFraction,
  progressText,
  shortDuration,
} from "../lib/plot/progress.ts";
import { greedyDecodeBatch } from "../lib/infer/greedy.ts";
import { resolveConfig } from "../lib/config.ts";
import { prepareData } from "../lib/data/prep.ts";
import { buildModelFor } from "../lib/experiment.ts";
import { evaluateExamples } from "../lib/eval/evaluate.ts";
import { extractInferenceModels } from "../lib/infer/models.ts";
import { encoderRows, tinyConfig, tinyModel } from "./fixtures/tiny_seq2seq.ts";
import * as tf from "@tensorflow/tfjs";

await tf.setBackend("cpu"); // importing lib/experiment.ts registers wasm first
import { PLOTLY_MIME } from "../lib/plot/plotly.ts";

type Sent = { type: string; content: { data: Record<string, unknown>; transient: { display_id: string } } };

function recorder(): { sent: Sent[]; send: (t: string, c: Record<string, unknown>) => Promise<void> } {
  const sent: Sent[] = [];
  return { sent, send: (type, content) => (sent.push({ type, content } as Sent), Promise.resolve()) };
}

const epochLog = (epoch: number, loss: number) => ({
  epoch,
  loss,
  acc: 0.5,
  valLoss: loss + 0.1,
  valAcc: 0.4,
});

Deno.test("NotebookProgress shows one bar and one curve, then only updates them by display id", async () => {
  const { sent, send } = recorder();
  let t = 0;
  const p = new NotebookProgress({ epochs: 2, stepsPerEpoch: 4, send, minIntervalMs: 0, now: () => t });
  await p.start();
  const { onBatchEnd, onEpochEnd } = p.callbacks(); // what trainModel calls
  for (let epoch = 1; epoch <= 2; epoch++) {
    for (let step = 1; step <= 4; step++) {
      t += 1000; // one second per step
      await onBatchEnd(epoch, step, 3 - epoch);
    }
    await onEpochEnd(epochLog(epoch, 3 - epoch));
  }
  await p.finish();
  assertEquals(sent.filter((m) => m.type === "display_data").map((m) => m.content.transient.display_id), [
    p.barId,
    p.curveId,
  ]);
  const updates = sent.filter((m) => m.type === "update_display_data");
  assert(
    updates.every((m) =>
      m.content.transient.display_id === p.barId || m.content.transient.display_id === p.curveId
    ),
  );
  // 8 steps + 2 epochs + finish for the bar, one figure per epoch for the curve
  assertEquals(updates.filter((m) => m.content.transient.display_id === p.barId).length, 11);
  const curves = updates.filter((m) => m.content.transient.display_id === p.curveId);
  assertEquals(curves.length, 2);
  const fig = curves[1].content.data[PLOTLY_MIME] as { data: { name: string; x: number[] }[] };
  assertEquals(fig.data[0].x, [1, 2]); // the second redraw holds both epochs
  const last = String(updates.at(-1)!.content.data["text/plain"]);
  assertStringIncludes(last, "done: 2 epoch(s)");
  assertStringIncludes(last, "took 8s");
});

Deno.test("NotebookProgress: ETA from the speed so far, running loss of the epoch, throttled updates", async () => {
  const { sent, send } = recorder();
  let t = 0;
  const p = new NotebookProgress({
    epochs: 1,
    stepsPerEpoch: 10,
    send,
    minIntervalMs: 5000,
    curve: false,
    now: () => t,
  });
  await p.start();
  for (let step = 1; step <= 4; step++) {
    t += 2000; // 2 s per step
    await p.step(1, step, step); // losses 1, 2, 3, 4
  }
  // at 2 s per step, an update every 5 s: steps 1 (first) and 4 (6 s after step 1)
  const bars = sent.filter((m) => m.type === "update_display_data");
  assertEquals(bars.length, 2);
  const text = String(bars[1].content.data["text/plain"]);
  assertStringIncludes(text, "epoch 1/1, step 4/10");
  assertStringIncludes(text, "loss 2.5000"); // mean of 1..4
  assertStringIncludes(text, "ETA 12s"); // 6 steps left at 2 s each
  await p.step(1, 10, 1); // the last step of an epoch is always shown
  assertEquals(sent.filter((m) => m.type === "update_display_data").length, 3);
});

Deno.test("NotebookProgress sends nothing outside the Jupyter kernel, and counts a resumed run's epochs", async () => {
  const quiet = new NotebookProgress({ epochs: 2, stepsPerEpoch: 3, send: null });
  assertEquals(quiet.active, false);
  await quiet.start();
  await quiet.step(1, 1, 1);
  // epochs 3-4 of a run resumed after epoch 2: epoch 3 is this call's first
  const { sent, send } = recorder();
  const p = new NotebookProgress({ epochs: 2, stepsPerEpoch: 3, startEpoch: 2, send, minIntervalMs: 0 });
  await p.start();
  await p.step(3, 3, 1);
  assertStringIncludes(String(sent.at(-1)!.content.data["text/plain"]), "epoch 1/2, step 3/3  |  50%");
});

Deno.test("progress helpers: fraction of all steps, durations, the text line", () => {
  assertEquals(progressFraction({ epoch: 2, epochs: 4, step: 5, stepsPerEpoch: 10 }), 0.375);
  assertEquals([shortDuration(null), shortDuration(42.4), shortDuration(185), shortDuration(3725)], [
    "?",
    "42s",
    "3m05s",
    "1h02m",
  ]);
  const text = progressText({
    epoch: 1,
    epochs: 2,
    step: 1,
    stepsPerEpoch: 2,
    loss: 1.5,
    last: null,
    etaSeconds: 3,
    elapsedSeconds: 1,
    done: false,
  });
  assertEquals(text, "epoch 1/2, step 1/2  |  25%  |  loss 1.5000  |  ETA 3s");
});

Deno.test("CountProgress draws one bar per decoding phase, updates it in place and ends it green", async () => {
  const { sent, send } = recorder();
  let t = 0;
  const bar = new CountProgress({ send, minIntervalMs: 1000, now: () => t });
  await bar.update("greedy", 256, 300);
  t = 500;
  await bar.update("greedy", 300, 300); // the last item is always shown, whatever the interval
  await bar.update("beam", 1, 300); // a new phase: a new bar
  t = 700;
  await bar.update("beam", 2, 300); // within 1 s of the previous update: skipped
  t = 2500;
  await bar.update("beam", 300, 300);
  assertEquals(sent.map((m) => m.type), [
    "display_data",
    "update_display_data",
    "display_data",
    "update_display_data",
  ]);
  const [g0, g1, b0, b1] = sent;
  assertEquals(g0.content.transient.display_id, g1.content.transient.display_id);
  assert(b0.content.transient.display_id !== g0.content.transient.display_id);
  assertEquals(b1.content.transient.display_id, b0.content.transient.display_id);
  assertStringIncludes(String(g1.content.data["text/html"]), "#2ca02c"); // done: green
  assertEquals(b1.content.data["text/plain"], "beam: 300/300  |  100%  |  150.0/s  |  took 2s");
  assertEquals(countText("beam", 0, 10, 0), "beam: 0/10  |  0%  |  0.0/s  |  ETA ?");
  assertEquals(new CountProgress({ send: null }).active, false);
});

Deno.test("greedyDecodeBatch() reports its progress after every batch", async () => {
  const cfg = tinyConfig();
  const model = tinyModel(cfg, 2, 1);
  const calls: [number, number][] = [];
  await greedyDecodeBatch(extractInferenceModels(model), encoderRows(7, cfg), 7, {
    maxLen: 3,
    batchSize: 3,
    onProgress: (done, n) => {
      calls.push([done, n]);
    },
  });
  assertEquals(calls, [[3, 7], [6, 7], [7, 7]]);
  model.dispose();
});

Deno.test("evaluateExamples() announces each decoding phase at 0, then counts it to the end", async () => {
  const cfg = resolveConfig("tiny", { evalExamples: 5, bootstrap: 0 });
  const data = await prepareData(cfg);
  const model = buildModelFor(cfg, data);
  const calls: string[] = [];
  await evaluateExamples(
    cfg,
    model,
    data.tokenizer,
    data.splits.test.slice(0, 5),
    data.encoded.test.encIn.subarray(0, 5 * cfg.maxInputLen),
    { log: () => {}, onProgress: (phase, done, total) => void calls.push(`${phase} ${done}/${total}`) },
  );
  assertEquals(calls, [
    "greedy 0/5",
    "greedy 5/5",
    "beam 0/5",
    "beam 5/5", // beams are decoded in batches of inputs, as greedy summaries are
  ]);
  model.dispose();
});
