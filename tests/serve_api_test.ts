// `deno task serve`'s JSON API on a tiny copy run trained here: results, the batching queue, every limit and bad
// request with its status and message, run ids confined to the results folder, and tensors that do not pile up.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { relative } from "node:path";
import { initBackend } from "../lib/backend/choose.ts";
import { summarizeTexts } from "../lib/infer/summarize.ts";
import { extractInferenceModels } from "../lib/infer/models.ts";
import { evaluationConfig, loadOpenedModel, openRun } from "../lib/run/folder.ts";
import type { TextResult } from "../lib/serve/analysis.ts";
import { DecodeQueue } from "../lib/serve/queue.ts";
import { startServer } from "../lib/serve/server.ts";
import { corpusSnippets, trainTinyCopyRun } from "./fixtures/serve_run.ts";

await initBackend({});
const { resultsDir, id: RUN } = await trainTinyCopyRun("serve_api_test_");
const lines: string[] = [];
const limits = { maxBodyBytes: 4000, maxTexts: 4, maxChars: 600, maxQueued: 8 };
const server = await startServer({ resultsDir, port: 0, limits, log: (l) => lines.push(l) });
const url = server.url;

async function post(body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) {
  const res = await fetch(`${url}api/summarize`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function refused(
  status: number,
  message: string | RegExp,
  body: unknown,
  headers?: Record<string, string>,
) {
  const r = await post(body, headers);
  assertEquals(r.status, status, JSON.stringify(r.body));
  assertEquals(r.body.status, status);
  if (typeof message === "string") assertStringIncludes(r.body.error, message);
  else assertMatch(r.body.error, message);
}

Deno.test("the API summarizes as `deno task summarize`'s code does, with tokens, attention rows and p_gen", async () => {
  const texts = corpusSnippets(3);
  const r = await post({ texts });
  assertEquals(r.status, 200);
  assertEquals(r.body.run, RUN);
  const opened = await openRun(resultsDir, RUN);
  const model = await loadOpenedModel(opened);
  const direct = await summarizeTexts(
    {
      cfg: evaluationConfig(opened.cfg),
      model,
      tokenizer: opened.tokenizer,
      models: extractInferenceModels(model),
    },
    texts,
  );
  model.dispose();
  const results = r.body.results as TextResult[];
  assertEquals(results.map((x) => x.summary), direct.map((s) => s.summary));
  for (const x of results) {
    assertEquals(x.attention.length, x.tokens.length);
    for (const row of x.attention) {
      assertEquals(row.length, x.input.length);
      assert(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-2, "an attention row sums to 1");
    }
    assertEquals(x.pGen?.length, x.tokens.length); // a copy run, greedy: one gate per output word
    assert(x.tokens.every((t) => t.pGen !== null && t.pGen >= 0 && t.pGen <= 1));
    // the output words are the summary's words (decoding writes no start token into the text)
    assertEquals(x.tokens.map((t) => t.word).filter((w) => w !== "sostok").join(" "), x.summary);
  }
});

Deno.test("summarizeTexts() with beam search: texts searched together get the summaries each gets alone (cpu)", async () => {
  const backend = tf.getBackend();
  await tf.setBackend("cpu"); // row-independent products: the batched search is the one-at-a-time search exactly
  try {
    const opened = await openRun(resultsDir, RUN);
    const model = await loadOpenedModel(opened);
    const run = {
      cfg: evaluationConfig(opened.cfg),
      model,
      tokenizer: opened.tokenizer,
      models: extractInferenceModels(model),
    };
    const texts = [...corpusSnippets(5), ""]; // an empty text among them keeps its place and its problem
    const together = await summarizeTexts(run, texts, { beam: true });
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await summarizeTexts(run, [texts[i]], { beam: true });
      assertEquals(together[i], alone, `text ${i}`);
    }
    assert(together.slice(0, 5).every((s) => s.summary.length > 0));
    model.dispose();
  } finally {
    await tf.setBackend(backend);
  }
});

Deno.test("unknown words, words past the input length and an empty text are reported per text", async () => {
  const long = Array.from({ length: 70 }, (_, i) => `word${i}`).join(" ");
  const r = await post({ texts: ["the zorblax glacier melts " + long, "   "] });
  assertEquals(r.status, 200);
  const [a, empty] = r.body.results as TextResult[];
  assert(a.unknownWords.includes("zorblax"));
  assertEquals(a.input.length, 50);
  assertEquals(a.unread.length, 74 - 50);
  assert(a.notes.some((n) => n.includes("past the input length")), a.notes.join("; "));
  assertEquals(empty.summary, "");
  assertEquals(empty.tokens, []);
  assertStringIncludes(empty.notes.join(" "), "no words to summarize");
});

Deno.test("beam search answers through the same API and says it records no p_gen", async () => {
  const r = await post({ texts: corpusSnippets(1), beam: true, run: RUN });
  assertEquals(r.status, 200);
  const [x] = r.body.results as TextResult[];
  assertEquals([x.decoding, x.pGen], ["beam", null]);
  assertEquals(x.attention.length, x.tokens.length);
  assert(x.notes.some((n) => n.includes("beam search does not record p_gen")));
});

Deno.test("concurrent requests get the results they get alone, and the runs and health routes answer", async () => {
  const texts = corpusSnippets(4); // the limit per request here
  const alone = await post({ texts });
  const together = await Promise.all(texts.map((t) => post({ texts: [t] })));
  assertEquals(
    together.map((r) => r.body.results[0].summary),
    alone.body.results.map((x: TextResult) => x.summary),
  );
  const runs = await (await fetch(`${url}api/runs`)).json();
  assertEquals(runs.default, RUN);
  assertEquals(runs.runs.map((x: { id: string; copy: boolean }) => [x.id, x.copy]), [[RUN, true]]);
  const health = await (await fetch(`${url}api/health`)).json();
  assertEquals([health.ok, health.loadedRuns], [true, [RUN]]);
});

Deno.test("tensors do not pile up: the count after 10 more requests equals the count before", async () => {
  await post({ texts: corpusSnippets(2) });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    await post({ texts: corpusSnippets(3) });
    await post({ texts: corpusSnippets(1), beam: true });
  }
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("each limit and bad request gets its status and a message that names the problem", async () => {
  await refused(415, "Content-Type: application/json", { texts: ["x"] }, { "content-type": "text/plain" });
  await refused(400, "not valid JSON", "{texts: [", { "content-type": "application/json" });
  await refused(400, "must be a JSON object", "[1, 2]");
  await refused(400, '"texts" must be an array of strings (got none)', { beam: true });
  await refused(400, "unknown field(s) prompt", { texts: ["x"], prompt: "y" });
  await refused(400, "texts[1] is a number, not a string", { texts: ["x", 5] });
  await refused(400, '"texts" is empty', { texts: [] });
  await refused(400, '"beam" must be true or false', { texts: ["x"], beam: "yes" });
  await refused(413, "5 texts in one request: the limit is 4", { texts: ["a", "b", "c", "d", "e"] });
  await refused(413, "texts[0] has 601 characters: the limit is 600", { texts: ["x".repeat(601)] });
  await refused(413, /the body has \d+ bytes: the limit is 4000/, { texts: ["x".repeat(5000)] });
  await refused(404, 'unknown run "no-such-run": no such folder', { texts: ["x"], run: "no-such-run" });
  await refused(404, 'unknown run "../etc"', { texts: ["x"], run: "../etc" });
  await refused(404, "unknown run", { texts: ["x"], run: "a/b" });
  const page = await fetch(`${url}nothing-here`);
  assertEquals([page.status, (await page.json()).error], [404, "no such page: GET /nothing-here"]);
  const wrong = await fetch(`${url}api/summarize`);
  assertEquals([wrong.status, (await wrong.json()).error], [405, "/api/summarize takes POST, not GET"]);
});

Deno.test("a run id cannot lead outside the results folder, not even through a symbolic link", async () => {
  const outside = await Deno.makeTempDir({ prefix: "serve_outside_" });
  await Deno.symlink(`${resultsDir}/${RUN}`, `${outside}/copy`);
  await Deno.symlink(outside, `${resultsDir}/escape`);
  await Deno.symlink(`${resultsDir}/${RUN}`, `${resultsDir}/alias`); // a link that stays inside is fine
  try {
    await refused(404, 'unknown run "escape": it leads outside the results folder', {
      texts: ["x"],
      run: "escape",
    });
    await refused(404, "a run id names a folder of the results folder", { texts: ["x"], run: "escape/copy" });
    const inside = await post({ texts: ["the ice melts"], run: "alias" });
    assertEquals(inside.status, 200);
  } finally {
    await Deno.remove(`${resultsDir}/escape`);
    await Deno.remove(`${resultsDir}/alias`);
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a full queue refuses with 429 and says to retry", async () => {
  // a long batching window holds the first request in the queue, so the second finds it full
  const busy = await startServer({
    resultsDir,
    port: 0,
    windowMs: 1500,
    limits: { maxQueued: 1 },
    log: () => {},
  });
  try {
    const first = fetch(`${busy.url}api/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ texts: ["the ice melts"] }),
    });
    while (busy.queue.queued < 1) await new Promise((r) => setTimeout(r, 5));
    const second = await fetch(`${busy.url}api/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ texts: ["the sea rises"] }),
    });
    const body = await second.json();
    assertEquals(second.status, 429);
    assertStringIncludes(body.error, "too many requests waiting (1, the limit is 1): retry shortly");
    assertEquals((await first).status, 200);
  } finally {
    await busy.shutdown();
  }
});

Deno.test("every request is one log line: time, client, method, path, status, duration and what it asked", () => {
  assert(lines.length > 20);
  const ok = lines.find((l) => l.includes("POST /api/summarize 200"))!;
  assertMatch(
    ok,
    /^\d{4}-\d\d-\d\dT[\d:.]+Z 127\.0\.0\.1 POST \/api\/summarize 200 [\d.]+ms run=\S+ texts=\d+ batch=\d+$/,
  );
  const bad = lines.find((l) => l.includes(" 415 "))!;
  assertStringIncludes(bad, 'error="the body must be JSON');
  assert(lines.every((l) => !l.includes("\n")));
});

Deno.test("the queue decodes requests that wait together as one batch, up to the batch size, greedy and beam apart", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const batches: number[] = [], beams: boolean[] = [];
  const q = new DecodeQueue<string>({
    decode: async (_run, texts, beam) => {
      batches.push(texts.length);
      beams.push(beam);
      if (batches.length === 1) await gate; // the first decode runs while the others arrive
      return texts.map((t) => t + "!");
    },
    maxBatch: 4,
    windowMs: 0,
    maxQueued: 100,
  });
  const first = q.submit("r", ["a"], false);
  while (batches.length === 0) await new Promise((r) => setTimeout(r, 1)); // the first decode has started
  const rest = ["b", "c", "d", "e", "f"].map((t) => q.submit("r", [t], false));
  const beam = ["g", "h"].map((t) => q.submit("r", [t], true));
  release();
  const out = await Promise.all([first, ...rest, ...beam]);
  assertEquals(out.map((o) => o.results[0]), ["a!", "b!", "c!", "d!", "e!", "f!", "g!", "h!"]);
  assertEquals(batches, [1, 4, 1, 2]); // a; b-e together (the batch size); f (g and h are beam); g and h together
  assertEquals(beams, [false, false, false, true]);
  assertEquals(out.map((o) => o.batchTexts), [1, 4, 4, 4, 4, 1, 2, 2]);
});

/** A copy of the trained run as `${dir}/${name}` (a copy, not a link: a link would lead outside `dir`). */
async function copyRun(dir: string, name: string): Promise<void> {
  const out = await new Deno.Command("cp", { args: ["-R", `${resultsDir}/${RUN}`, `${dir}/${name}`] })
    .output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test("a results folder made after the server started (given as a relative path) serves the runs put in it", async () => {
  const base = await Deno.makeTempDir({ prefix: "serve_later_" });
  const later = relative(Deno.cwd(), `${base}/results`);
  assert(!later.startsWith("/"), later);
  const log: string[] = [];
  const s = await startServer({ resultsDir: later, port: 0, log: (l) => log.push(l) });
  try {
    assertEquals(s.defaultRun, null);
    await Deno.mkdir(`${base}/results`);
    await copyRun(`${base}/results`, "r1");
    const res = await fetch(`${s.url}api/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ texts: ["the ice melts"], run: "r1" }),
    });
    const body = await res.json();
    assertEquals([res.status, body.run], [200, "r1"], JSON.stringify(body));
    const runs = await (await fetch(`${s.url}api/runs`)).json();
    assertEquals(runs.runs.map((r: { id: string }) => r.id), ["r1"]);
  } finally {
    await s.shutdown();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a run id with line breaks (and a megabyte long) is one log line, its id quoted and shortened", async () => {
  const log: string[] = [];
  const s = await startServer({ resultsDir, port: 0, log: (l) => log.push(l) });
  try {
    const forged = "x\n2026-12-02T10:00:00.000Z 10.0.0.1 POST /api/summarize 200 1.0ms run=admin\n";
    const res = await fetch(`${s.url}api/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ texts: ["the ice melts"], run: forged + "y".repeat(1_000_000) }),
    });
    const body = await res.json();
    assertEquals(res.status, 404);
    assertStringIncludes(body.error, `unknown run ${JSON.stringify(forged).slice(0, -1)}`); // quoted: \n
    assertStringIncludes(body.error, `... (${forged.length + 1_000_000} characters)`);
    assertEquals(log.length, 1);
    assertEquals(log[0].split("\n").length, 1, log[0].slice(0, 300));
    assert(log[0].length < 600, `${log[0].length} characters`);
    assertMatch(log[0], /^\S+Z 127\.0\.0\.1 POST \/api\/summarize 404 [\d.]+ms texts=1 error="unknown run /);
  } finally {
    await s.shutdown();
  }
});

Deno.test("the runs route lists only runs that a request can name (no spaces, no leading '_')", async () => {
  for (const name of ["with space", "_underscore"]) await copyRun(resultsDir, name);
  try {
    const runs = await (await fetch(`${url}api/runs`)).json();
    assertEquals(runs.runs.map((x: { id: string }) => x.id), [RUN]);
    await refused(404, "a run id names a folder of the results folder", { texts: ["x"], run: "with space" });
  } finally {
    for (const name of ["with space", "_underscore"]) {
      await Deno.remove(`${resultsDir}/${name}`, { recursive: true });
    }
  }
});

Deno.test({
  name: "deno task serve logs one line per request on stdout and stops cleanly on Ctrl-C (SIGINT), exit 0",
  sanitizeResources: false,
  fn: async () => {
    const dir = resultsDir, id = RUN;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "cli/serve.ts", `--resultsDir=${dir}`, "--port=0"],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const err = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!/at (http:\S+)/.test(seen)) {
      const { done, value } = await err.read();
      if (done) throw new Error(`serve exited: ${seen}`);
      seen += value;
    }
    assertStringIncludes(seen, `serving run ${id} of ${dir} at http://127.0.0.1:`);
    const url = /at (http:\S+)/.exec(seen)![1];
    assertEquals((await (await fetch(`${url}api/health`)).json()).ok, true);
    child.kill("SIGINT");
    let rest = "";
    while (true) {
      const { done, value } = await err.read();
      if (done) break;
      rest += value;
    }
    const status = await child.status;
    const stdout = new TextDecoder().decode(await new Response(child.stdout).arrayBuffer());
    assertEquals(status.code, 0);
    assertStringIncludes(rest, "Ctrl-C: stopping (finishing the requests in flight)...\nstopped");
    assertMatch(stdout.trim(), /^\S+Z 127\.0\.0\.1 GET \/api\/health 200 [\d.]+ms$/);
  },
});

Deno.test({
  name: "the server stops cleanly: shutdown ends it and disposes the loaded models",
  sanitizeResources: false,
  fn: async () => {
    const before = tf.memory().numTensors;
    await server.shutdown();
    await server.finished;
    assert(tf.memory().numTensors < before, "the model's weights were disposed");
    await Deno.remove(resultsDir, { recursive: true });
  },
});
