/**
 * `deno task bench serve`: summaries per second through `deno task serve` with 1, 8 and 64 concurrent clients
 * (each sends one snippet, waits for its answer, sends the next), against the same run's in-process figures
 * measured in the same run: batched greedy (`--batch` snippets per decode through the page's analysis code)
 * and one at a time. The figures are measured side by side in rounds (default 3 rounds of 4 s each) and the
 * medians compared. Prints one JSON line per figure, e.g.
 * `{"bench":"serve","mode":"clients","clients":64,"summaries_per_s":...,"share_of_batched":...,"p99_ms":...}`,
 * and a line counting failed requests.
 *
 * `--load=SECONDS` is the load test instead: after 30 s of warm-up at the same load, 64 clients for that long,
 * the server's RSS, JS heap and tfjs tensor count sampled every second (`GET /api/health`), and a
 * `"mode":"load"` line with failed requests and the measures over the first and the last 10 seconds and per
 * 10 seconds.
 *
 * The server runs as its own process (`cli/serve.ts`), the clients in this one: on a 2-core machine they share
 * the cores, as they would with the clients on the same host.
 *
 * Run: `deno task bench serve [--run=ID] [--resultsDir=results] [--seconds=4] [--rounds=3] [--clients=1,8,64]
 *   [--batch=64] [--load=60]`.
 * @module
 */
import { formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { generateCorpus } from "../lib/data/embedded.ts";
import { extractInferenceModels } from "../lib/infer/models.ts";
import type { SummarizerRun } from "../lib/infer/summarize.ts";
import { listRuns } from "../lib/run/discover.ts";
import { evaluationConfig, loadOpenedModel, openRun } from "../lib/run/folder.ts";
import { analyzeTexts } from "../lib/serve/analysis.ts";

/** Options of {@linkcode benchServe}. */
export interface ServeBenchOptions {
  run?: string;
  resultsDir?: string;
  /** Seconds per measurement (default 4). */
  seconds?: number;
  /** Rounds: each figure is measured once per round, the medians compared (default 3). */
  rounds?: number;
  clients?: number[];
  /** The server's batch size and the batched figure's (default 64). */
  batch?: number;
  /** Load test seconds (absent: the throughput benchmark). */
  load?: number;
}

/** Parse `--key=value` options of {@linkcode benchServe}. */
export function parseServeArgs(args: string[]): ServeBenchOptions {
  const opts: ServeBenchOptions = {};
  for (const a of args) {
    const m = /^--([A-Za-z]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`bench serve: cannot read option ${a} (expected --key=value)`);
    const [, k, v] = m;
    const num = () => {
      const n = Number(v);
      if (!(n > 0)) throw new Error(`bench serve: --${k} takes a positive number (got ${v})`);
      return n;
    };
    if (k === "run") opts.run = v;
    else if (k === "resultsDir") opts.resultsDir = v;
    else if (k === "seconds") opts.seconds = num();
    else if (k === "batch") opts.batch = num();
    else if (k === "rounds") opts.rounds = num();
    else if (k === "load") opts.load = num();
    else if (k === "clients") opts.clients = v.split(",").map(Number);
    else {throw new Error(
        `bench serve: unknown option --${k} (run, resultsDir, seconds, rounds, clients, batch, load)`,
      );}
  }
  return opts;
}

/** The p-th percentile (0-100) of `xs`, nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** In-process summaries per second: `perCall` snippets per analyzeTexts call, for `seconds`. */
async function inProcess(run: SummarizerRun, texts: string[], perCall: number, seconds: number) {
  await analyzeTexts(run, texts.slice(0, perCall)); // warm-up
  let n = 0, at = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const batch = Array.from({ length: perCall }, () => texts[at++ % texts.length]);
    await analyzeTexts(run, batch);
    n += perCall;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Start `cli/serve.ts` on a free port; resolves with its URL and the child process. */
async function spawnServer(resultsDir: string, run: string, batch: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli/serve.ts", import.meta.url).pathname,
      `--resultsDir=${resultsDir}`,
      `--run=${run}`,
      "--port=0",
      `--batch=${batch}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/at (http:\S+)/.test(seen)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`bench serve: the server exited: ${seen}`);
    seen += value;
  }
  void (async () => { // keep draining its stderr
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { url: /at (http:\S+)/.exec(seen)![1], child };
}

/** `clients` loops of POST-one-snippet for `seconds`: counts, failures, latencies. */
async function drive(
  url: string,
  texts: string[],
  clients: number,
  seconds: number,
  onSecond?: () => Promise<void>,
) {
  const latencies: number[] = [];
  let failed = 0, at = 0;
  const end = performance.now() + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const text = texts[at++ % texts.length];
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}api/summarize`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ texts: [text] }),
        });
        await res.json();
        if (res.ok) latencies.push(performance.now() - t0);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  const ticker = onSecond
    ? (async () => {
      while (performance.now() < end) {
        await new Promise((r) => setTimeout(r, 1000));
        await onSecond();
      }
    })()
    : Promise.resolve();
  const t0 = performance.now();
  await Promise.all([...Array.from({ length: clients }, client), ticker]);
  const wall = (performance.now() - t0) / 1000;
  return { done: latencies.length, failed, latencies, wall };
}

/** The run to measure: `--run`, else the newest finished run of the results folder (null: none). */
async function pickRun(resultsDir: string, id?: string): Promise<string | null> {
  if (id) return id;
  const runs = (await listRuns(resultsDir)).runs.filter((r) => r.finished);
  return runs[0]?.id ?? null;
}

/** The load test: 64 clients for `seconds`, health sampled every second. */
async function loadTest(url: string, texts: string[], seconds: number, common: Record<string, unknown>) {
  const samples: { t: number; rss: number; heap: number; wasm: number; numTensors: number }[] = [];
  const t0 = performance.now();
  const sample = async () => {
    const h = await (await fetch(`${url}api/health`)).json();
    samples.push({
      t: (performance.now() - t0) / 1000,
      rss: h.rssBytes,
      heap: h.heapUsedBytes,
      wasm: h.wasmHeapBytes ?? 0,
      numTensors: h.numTensors,
    });
  };
  const r = await drive(url, texts, 64, seconds, sample);
  const first = samples.filter((s) => s.t <= 10), last = samples.filter((s) => s.t > seconds - 10);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const mib = (xs: typeof samples) => round(mean(xs.map((s) => s.rss)) / 2 ** 20);
  console.log(JSON.stringify({
    bench: "serve",
    mode: "load",
    clients: 64,
    seconds,
    requests: r.done,
    failed: r.failed,
    summaries_per_s: round(r.done / r.wall),
    p99_ms: round(percentile(r.latencies, 99)),
    rss_mib_first10s: mib(first),
    rss_mib_last10s: mib(last),
    // every 10 s: the mean RSS and JS heap in use (MiB), to tell a plateau from a leak
    rss_mib_by_10s: Array.from(
      { length: Math.ceil(seconds / 10) },
      (_, k) => mib(samples.filter((s) => s.t > 10 * k && s.t <= 10 * (k + 1))),
    ),
    heap_mib_by_10s: Array.from(
      { length: Math.ceil(seconds / 10) },
      (_, k) =>
        round(mean(samples.filter((s) => s.t > 10 * k && s.t <= 10 * (k + 1)).map((s) => s.heap)) / 2 ** 20),
    ),
    wasm_heap_mib_by_10s: Array.from(
      { length: Math.ceil(seconds / 10) },
      (_, k) =>
        round(
          Math.max(...samples.filter((s) => s.t > 10 * k && s.t <= 10 * (k + 1)).map((s) => s.wasm)) /
            2 ** 20,
        ),
    ),
    tensors_first10s: [
      Math.min(...first.map((s) => s.numTensors)),
      Math.max(...first.map((s) => s.numTensors)),
    ],
    tensors_last10s: [Math.min(...last.map((s) => s.numTensors)), Math.max(...last.map((s) => s.numTensors))],
    ...common,
  }));
}

/** The run loaded in this process, as the server loads it. */
async function loadInProcess(resultsDir: string, id: string): Promise<SummarizerRun> {
  const opened = await openRun(resultsDir, id);
  const model = await loadOpenedModel(opened);
  return {
    cfg: evaluationConfig(opened.cfg),
    model,
    tokenizer: opened.tokenizer,
    models: extractInferenceModels(model),
  };
}

const median = (xs: number[]) => percentile(xs, 50);

/**
 * The throughput benchmark in `rounds` rounds (the machine may be shared: its speed drifts within a minute, so
 * every figure is measured once per round, side by side, and the medians are compared): each round measures
 * batched greedy and one at a time in this process (the server idle), then each client count.
 */
async function throughput(
  url: string,
  run: SummarizerRun,
  texts: string[],
  opts: { batch: number; seconds: number; rounds: number; clients: number[] },
  common: Record<string, unknown>,
) {
  const figures: Record<string, number[]> = { batched: [], one_at_a_time: [] };
  const latencies: Record<number, number[]> = {};
  let failed = 0;
  for (let round_ = 0; round_ < opts.rounds; round_++) {
    figures.batched.push(await inProcess(run, texts, opts.batch, opts.seconds));
    figures.one_at_a_time.push(await inProcess(run, texts, 1, opts.seconds));
    for (const c of opts.clients) {
      const r = await drive(url, texts, c, opts.seconds);
      (figures[c] ??= []).push(r.done / r.wall);
      (latencies[c] ??= []).push(...r.latencies);
      failed += r.failed;
    }
  }
  const batched = median(figures.batched), single = median(figures.one_at_a_time);
  for (const [mode, xs] of Object.entries(figures)) {
    const clients = Number(mode);
    console.log(JSON.stringify({
      bench: "serve",
      mode: Number.isNaN(clients) ? mode : "clients",
      ...(Number.isNaN(clients) ? {} : { clients }),
      summaries_per_s: round(median(xs)),
      rounds: xs.map((x) => round(x)),
      ...(Number.isNaN(clients) ? {} : {
        share_of_batched: round(median(xs) / batched, 3),
        vs_one_at_a_time: round(median(xs) / single, 2),
        p50_ms: round(percentile(latencies[clients], 50)),
        p99_ms: round(percentile(latencies[clients], 99)),
      }),
      ...common,
    }));
  }
  console.log(JSON.stringify({ bench: "serve", mode: "failed_requests", failed, ...common }));
}

/** Run the benchmark (or the load test) and print its lines. */
export async function benchServe(opts: ServeBenchOptions = {}): Promise<void> {
  const resultsDir = opts.resultsDir ?? "results";
  const id = await pickRun(resultsDir, opts.run);
  if (id === null) {
    const why = `no finished run in ${resultsDir}: train one (deno task experiment) or give --run=ID`;
    console.log(JSON.stringify({ bench: "serve", skipped: why }));
    return;
  }
  const batch = opts.batch ?? 64;
  const texts = generateCorpus(512, 77).map((r) => r.snippet);
  const backend = await initBackend({});
  const common = {
    run: id,
    backend: formatBackendReport(backend).split(" [")[0].replace(/ \(.*?\)/g, ""),
    load_at_start: Deno.loadavg().map((x) => round(x, 2)),
    date: new Date().toISOString(),
  };
  const { url, child } = await spawnServer(resultsDir, id, batch);
  try {
    await drive(url, texts, 8, 1); // warm-up: loads the model, compiles the paths
    if (opts.load !== undefined) {
      // the wasm heap, the allocator and V8's heap grow to what a full load needs in the first half minute (a
      // 240 s test after 10 s of warm-up rose from 276 to ~290 MiB in its first 40 s, then stayed): warm up at full
      // load for 30 s, so the test's window measures what a leak would change
      await drive(url, texts, 64, 30);
      return await loadTest(url, texts, opts.load, common);
    }
    const run = await loadInProcess(resultsDir, id);
    await throughput(url, run, texts, {
      batch,
      seconds: opts.seconds ?? 4,
      rounds: opts.rounds ?? 3,
      clients: opts.clients ?? [1, 8, 64],
    }, common);
    run.model.dispose();
    console.log(
      JSON.stringify({ bench: "serve", mode: "end", load_at_end: Deno.loadavg().map((x) => round(x, 2)) }),
    );
  } finally {
    try {
      child.kill("SIGINT");
    } catch { /* already stopped */ }
    await child.status;
  }
}

if (import.meta.main) await benchServe(parseServeArgs(Deno.args));
