// lib/model/ is the model as taught: importing it changes nothing global (no console patch, no backend), and a
// saved best/model.json, written by a model that trained with the fast layers of lib/speed, loads and predicts
// in a process that imports lib/model/ alone.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { resolveConfig } from "../lib/config.ts";
import { saveModelDir } from "../lib/model/io.ts";
import { buildSeq2Seq } from "../lib/model/seq2seq.ts";
import { accelerate, fastPaths } from "../lib/speed/accelerate.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Run a TypeScript program in a fresh deno process from the project root; its stdout. */
async function runScript(source: string, args: string[] = []): Promise<string> {
  const file = await Deno.makeTempFile({ dir: `${ROOT}tests`, prefix: ".standalone_", suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, source);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", file, ...args],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, `the script failed: ${stderr}`);
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("importing lib/model/ leaves console.warn, the backend and the kernel registry as they were", async () => {
  const out = await runScript(`
    import * as tf from "@tensorflow/tfjs";
    const warn = console.warn;
    const kernels = tf.getKernelsForBackend("cpu").length;
    await import("./../lib/model/seq2seq.ts");
    await import("./../lib/model/io.ts");
    console.log(JSON.stringify({
      sameWarn: console.warn === warn,
      wasm: tf.findBackendFactory("wasm") !== null,
      kernels: tf.getKernelsForBackend("cpu").length === kernels,
    }));
  `);
  assertEquals(JSON.parse(out), { sameWarn: true, wasm: false, kernels: true });
});

for (const encoderBidirectional of [false, true]) {
  Deno.test(`a model trained with fast layers saves as the stock model: a process importing only lib/model/ loads it and predicts the same${encoderBidirectional ? " (bidirectional encoder)" : ""}`, async () => {
    await initBackend({ backend: "cpu" });
    const cfg = resolveConfig("tiny", {
      encoderLayers: 2,
      maxInputLen: 12,
      maxOutputLen: 8,
      encoderBidirectional,
    });
    const model = accelerate(buildSeq2Seq(cfg));
    assert(fastPaths(model).every((p) => p.implementation.startsWith("Fast")));
    const dir = await Deno.makeTempDir();
    try {
      await saveModelDir(model, `${dir}/best`);
      const saved = await Deno.readTextFile(`${dir}/best/model.json`);
      assert(
        saved.includes('"class_name":"LSTM"') && !saved.includes('"class_name":"Fast'),
        "model.json names stock classes",
      );
      const enc = tf.tensor2d(
        [[5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
        undefined,
        "int32",
      );
      const dec = tf.tensor2d([[2, 9, 0, 0, 0, 0, 0, 0]], undefined, "int32");
      const here = Array.from((model.predict([enc, dec]) as tf.Tensor).dataSync());
      const out = await runScript(
        `
      import * as tf from "@tensorflow/tfjs";
      import { loadModelDir } from "./../lib/model/io.ts";
      await tf.setBackend("cpu");
      const m = await loadModelDir(Deno.args[0]);
      const enc = tf.tensor2d([${JSON.stringify(Array.from(enc.dataSync()))}], undefined, "int32");
      const dec = tf.tensor2d([${JSON.stringify(Array.from(dec.dataSync()))}], undefined, "int32");
      const classes = m.layers.map((l) => l.constructor.name);
      console.log(JSON.stringify({ classes, probs: Array.from(m.predict([enc, dec]).dataSync()) }));
    `,
        [`${dir}/best`],
      );
      const there = JSON.parse(out) as { classes: string[]; probs: number[] };
      assert(!there.classes.some((c) => c.startsWith("Fast")), there.classes.join(", "));
      assertEquals(there.probs.length, here.length);
      const diff = Math.max(...here.map((p, i) => Math.abs(p - there.probs[i])));
      assert(diff < 1e-6, `predictions differ by ${diff}`);
      tf.dispose([enc, dec]);
    } finally {
      model.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
