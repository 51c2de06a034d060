/**
 * Save/load round trips of the Seq2Seq model: our folder format read back by loadModelDir() and by stock
 * `tf.loadLayersModel("http://…/model.json")`, both giving bit-identical predictions.
 */
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { loadModelDir, saveModelDir } from "../lib/model/io.ts";
import { LAYER } from "../lib/model/seq2seq.ts";
import { decoderRows, encoderRows, tinyConfig, tinyModel } from "./fixtures/tiny_seq2seq.ts";

await tf.setBackend("cpu");

const N = 6;

function predictAll(model: tf.LayersModel, cfg: ReturnType<typeof tinyConfig>): Float32Array {
  return tf.tidy(() => {
    const enc = tf.tensor2d(encoderRows(N, cfg), [N, cfg.maxInputLen], "int32");
    const dec = tf.tensor2d(decoderRows(N, cfg), [N, cfg.maxOutputLen], "int32");
    return (model.predict([enc, dec]) as tf.Tensor).dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const shared of [false, true]) {
  Deno.test(`saveModelDir() -> loadModelDir() gives identical weights and predictions (sharedEmbedding ${shared})`, async () => {
    const cfg = tinyConfig({ sharedEmbedding: shared, encoderLayers: 2 });
    const model = tinyModel(cfg, 3);
    const dir = await Deno.makeTempDir({ prefix: "model_io_test_" });
    try {
      await saveModelDir(model, dir);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["model.json", "weights.bin"]);
      const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
      assertEquals(json.format, "layers-model");
      assertStringIncludes(JSON.stringify(json.modelTopology), '"class_name":"BahdanauAttention"');
      assertEquals((await Deno.stat(`${dir}/weights.bin`)).size, model.countParams() * 4);

      const loaded = await loadModelDir(dir);
      try {
        assertEquals(loaded.countParams(), model.countParams());
        assertEquals(loaded.layers.map((l) => l.name), model.layers.map((l) => l.name));
        const w1 = model.getWeights(), w2 = loaded.getWeights();
        for (let i = 0; i < w1.length; i++) assertEquals(w2[i].dataSync(), w1[i].dataSync(), `weight ${i}`);
        assertEquals(maxAbsDiff(predictAll(loaded, cfg), predictAll(model, cfg)), 0);
      } finally {
        loaded.dispose();
      }
    } finally {
      model.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("stock tf.loadLayersModel('http://127.0.0.1:<port>/model.json') reads the folder: identical predictions", async () => {
  const cfg = tinyConfig();
  const model = tinyModel(cfg, 4);
  const dir = await Deno.makeTempDir({ prefix: "model_io_http_test_" });
  const ac = new AbortController();
  const requests: string[] = [];
  let server: Deno.HttpServer | undefined;
  try {
    await saveModelDir(model, dir);
    const port = await new Promise<number>((resolve) => {
      server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        signal: ac.signal,
        onListen: ({ port }) => resolve(port),
      }, async (req) => {
        const name = new URL(req.url).pathname.slice(1);
        requests.push(name);
        if (name !== "model.json" && name !== "weights.bin") {
          return new Response("not found", { status: 404 });
        }
        return new Response(await Deno.readFile(`${dir}/${name}`));
      });
    });
    const loaded = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
    try {
      assertEquals(requests.sort(), ["model.json", "weights.bin"]);
      assertEquals(loaded.getLayer(LAYER.attention).getClassName(), "BahdanauAttention");
      assertEquals(maxAbsDiff(predictAll(loaded, cfg), predictAll(model, cfg)), 0);
    } finally {
      loaded.dispose();
    }
  } finally {
    ac.abort();
    await (server as Deno.HttpServer | undefined)?.finished;
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModelDir() on a folder without model.json names the missing file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "model_io_missing_test_" });
  try {
    await assertRejects(() => loadModelDir(dir), Error, `${dir}/model.json`);
    await Deno.writeTextFile(`${dir}/model.json`, "{}");
    await assertRejects(() => loadModelDir(dir), Error, "lacks modelTopology or weightsManifest");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a model.json written before the fast layers moved to lib/speed (class FastLSTM, FastTimeDistributed) loads as the stock model", async () => {
  const cfg = tinyConfig();
  const model = tinyModel(cfg, 5, 1);
  const dir = await Deno.makeTempDir();
  try {
    await saveModelDir(model, dir);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    const text = JSON.stringify(json).replaceAll('"class_name":"LSTM"', '"class_name":"FastLSTM"')
      .replaceAll('"class_name":"TimeDistributed"', '"class_name":"FastTimeDistributed"');
    assertStringIncludes(text, '"FastLSTM"');
    await Deno.writeTextFile(`${dir}/model.json`, text);
    const loaded = await loadModelDir(dir);
    assertEquals(loaded.getLayer(LAYER.decoderLstm).getClassName(), "LSTM");
    assertEquals(loaded.getLayer(LAYER.output).getClassName(), "TimeDistributed");
    const n = 2;
    const enc = tf.tensor2d(encoderRows(n, cfg), [n, cfg.maxInputLen], "int32");
    const dec = tf.tensor2d(decoderRows(n, cfg), [n, cfg.maxOutputLen], "int32");
    const [a, b] = [model, loaded].map((m) => m.predict([enc, dec]) as tf.Tensor);
    assertEquals(Array.from(b.dataSync()), Array.from(a.dataSync()));
    tf.dispose([enc, dec, a, b]);
    loaded.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
