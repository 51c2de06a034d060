/**
 * `deno task serve`: the model in a web page and a JSON API, on `Deno.serve`.
 *
 * | route                    | what                                                                          |
 * | ------------------------ | ----------------------------------------------------------------------------- |
 * | `GET /`                  | the page (lib/serve/page.ts; its script `app.js`, and `plotly.min.js`)          |
 * | `POST /api/summarize`    | `{"texts": [...], "beam": false, "run": "ID"}` -> `{"run", "results": [...]}`  |
 * | `GET /api/runs`          | the finished runs of the results folder (id, profile, copy, test F1), newest first |
 * | `GET /api/health`        | backend, queue, decodes, loaded runs, tensors and RSS                          |
 *
 * Requests wait in one {@linkcode DecodeQueue}: greedy requests for the same run that wait together share one
 * batched decode. Limits and refusals: lib/serve/api.ts. A run id names a folder directly inside the results
 * folder (checked by name and by its real path, so a symbolic link cannot lead out); up to `maxLoadedRuns`
 * models stay loaded (the least recently used one is disposed). One log line per request.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { resolve } from "node:path";
import { asWasm, wasmHeap } from "../backend/kernel_registry.ts";
import { generateCorpus } from "../data/embedded.ts";
import { extractInferenceModels } from "../infer/models.ts";
import type { SummarizerRun } from "../infer/summarize.ts";
import { plotlyJs } from "../plot/plotly.ts";
import { listRuns, readRunInfo, type RunInfo } from "../run/discover.ts";
import { evaluationConfig, loadOpenedModel, openRun, RunError } from "../run/folder.ts";
import { analyzeTexts, type TextResult } from "./analysis.ts";
import {
  ApiError,
  checkJsonContentType,
  checkRunId,
  DEFAULT_LIMITS,
  isRunId,
  type Limits,
  parseSummarizeBody,
  quoteRunId,
  readBody,
} from "./api.ts";
import { bundleScript } from "./bundle.ts";
import { pageHtml } from "./page.ts";
import { DecodeQueue, QueueFullError } from "./queue.ts";

/** A run as `GET /api/runs` lists it. */
export interface RunEntry {
  id: string;
  profile: string;
  status: string;
  /** Trained with copy attention (`p_gen` on the page). */
  copy: boolean;
  /** Greedy token F1 on its test split, and copying the input's (null: not evaluated). */
  testF1: number | null;
  copyInputF1: number | null;
  epochs: number;
  /** The data folder, or null for the embedded corpus. */
  data: string | null;
}

/** Options of {@linkcode startServer}. */
export interface ServeOptions {
  resultsDir: string;
  /** The default run (absent: the newest finished run). */
  run?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Interface (default 127.0.0.1: this machine only). */
  host?: string;
  limits?: Partial<Limits>;
  /** Most texts in one greedy decode (default 64). */
  maxBatch?: number;
  /** How long an idle queue waits for requests to batch with (default 3 ms). */
  windowMs?: number;
  /** Models kept loaded (default 3). */
  maxLoadedRuns?: number;
  /** Where the request lines go (default console.log). */
  log?: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port/`. */
  url: string;
  port: number;
  /** The default run's id (null when the folder has no finished run). */
  defaultRun: string | null;
  queue: DecodeQueue<TextResult>;
  /** Stop accepting requests, finish the ones in flight, dispose the models. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

interface LoadedRun {
  id: string;
  summarizer: SummarizerRun;
}

/** The {@linkcode RunEntry} of a run listed by lib/run/discover.ts. */
export function runEntry(r: RunInfo): RunEntry {
  return {
    id: r.id,
    profile: r.profile,
    status: r.status,
    copy: r.config.copy === true,
    testF1: r.testF1,
    copyInputF1: r.copyInputF1,
    epochs: r.epochs,
    data: r.data,
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });

/** The example in the page's text box: a snippet of the embedded corpus (always the same one). */
export function exampleSnippet(): string {
  return generateCorpus(1, 2026)[0].snippet;
}

/** The runs a server of `resultsDir` may use, by id: checked names inside it, finished training. */
class RunBook {
  /** The results folder's real path, once it exists (a folder made after the start is found then). */
  #root: string | null = null;
  #loaded = new Map<string, Promise<LoadedRun>>();
  constructor(readonly resultsDir: string, readonly maxLoaded: number) {}

  /** The results folder's real path; its absolute path while it does not exist. */
  async root(): Promise<string> {
    if (this.#root !== null) return this.#root;
    try {
      return (this.#root = await Deno.realPath(this.resultsDir));
    } catch {
      return resolve(this.resultsDir);
    }
  }

  /** The finished runs that a request can name, newest first. */
  async list(): Promise<RunEntry[]> {
    const { runs } = await listRuns(this.resultsDir);
    return runs.filter((r) => r.finished && isRunId(r.id)).map(runEntry);
  }

  /** Check that `id` is a finished run inside the results folder (404 otherwise); returns its folder. */
  async check(id: string): Promise<string> {
    checkRunId(id);
    const root = await this.root();
    const notFound = (why: string) => new ApiError(404, `unknown run ${quoteRunId(id)}: ${why}`);
    let real: string;
    try {
      real = await Deno.realPath(`${root}/${id}`);
    } catch {
      throw notFound(`no such folder in the results folder ${this.resultsDir}`);
    }
    if (!real.startsWith(`${root}/`) || real.slice(root.length + 1).includes("/")) {
      throw notFound("it leads outside the results folder");
    }
    let info: RunInfo;
    try {
      info = await readRunInfo(real);
    } catch (e) {
      throw notFound((e as Error).message);
    }
    if (!info.finished) throw notFound(`its training has not finished (status: ${info.status})`);
    return real;
  }

  /** The loaded run `id` (loaded on first use; the least recently used beyond `maxLoaded` is disposed). */
  load(id: string, dir: string): Promise<LoadedRun> {
    let p = this.#loaded.get(id);
    if (p) {
      this.#loaded.delete(id); // re-insert: most recently used last
      this.#loaded.set(id, p);
      return p;
    }
    p = (async () => {
      const opened = await openRun(dir);
      const cfg = evaluationConfig(opened.cfg);
      const model = await loadOpenedModel(opened);
      return {
        id,
        summarizer: { cfg, model, tokenizer: opened.tokenizer, models: extractInferenceModels(model) },
      };
    })();
    p.catch(() => this.#loaded.delete(id));
    this.#loaded.set(id, p);
    while (this.#loaded.size > this.maxLoaded) {
      const [oldest, q] = this.#loaded.entries().next().value!;
      this.#loaded.delete(oldest);
      q.then((r) => r.summarizer.model.dispose()).catch(() => {});
    }
    return p;
  }

  loadedIds(): string[] {
    return [...this.#loaded.keys()];
  }

  async disposeAll(): Promise<void> {
    for (const p of this.#loaded.values()) await p.then((r) => r.summarizer.model.dispose()).catch(() => {});
    this.#loaded.clear();
  }
}

/** What a request's log line adds after its status (texts, run, batch, error). */
type LogExtra = Record<string, string | number>;

/** The static files of the served page, by path: body and content type. */
type Files = Record<string, [string, string]>;

/** The server's state and its request handling, route by route. */
class ServeApp {
  readonly queue: DecodeQueue<TextResult>;
  readonly #started = performance.now();
  /** Checked run folders, by id. */
  readonly #dirs = new Map<string, string>();

  constructor(
    readonly opts: ServeOptions,
    readonly limits: Limits,
    readonly book: RunBook,
    readonly defaultRun: string | null,
    readonly files: Files,
  ) {
    this.queue = new DecodeQueue<TextResult>({
      decode: async (id, texts, beam) => {
        const run = await book.load(id, this.#dirs.get(id)!);
        return await analyzeTexts(run.summarizer, texts, { beam });
      },
      maxBatch: opts.maxBatch ?? 64,
      windowMs: opts.windowMs ?? 3,
      maxQueued: limits.maxQueued,
    });
  }

  /** Check run `id` once (404 when it is not a finished run of the results folder). */
  async checkRun(id: string): Promise<void> {
    if (!this.#dirs.has(id)) this.#dirs.set(id, await this.book.check(id));
  }

  async summarize(req: Request, extra: LogExtra): Promise<Response> {
    checkJsonContentType(req.headers.get("content-type"));
    const body = parseSummarizeBody(await readBody(req, this.limits.maxBodyBytes), this.limits);
    const id = body.run ?? this.defaultRun;
    if (id === null) throw new ApiError(404, `no finished run in the results folder ${this.opts.resultsDir}`);
    // the run id is logged once checked (one word of letters, digits, '.', '_', '-'); a refused one is logged
    // only in its error, quoted and shortened, so that a line break in it cannot forge log lines
    await this.checkRun(id).catch((e) => {
      extra.texts = body.texts.length;
      throw e;
    });
    extra.run = id;
    extra.texts = body.texts.length;
    const t0 = performance.now();
    const done = await this.queue.submit(id, body.texts, body.beam);
    extra.batch = done.batchTexts;
    return json(200, {
      run: id,
      decoding: body.beam ? "beam" : "greedy",
      results: done.results,
      batchTexts: done.batchTexts,
      ms: Math.round(performance.now() - t0),
    });
  }

  health(): Record<string, unknown> {
    return {
      ok: true,
      backend: tf.getBackend(),
      uptimeS: Math.round((performance.now() - this.#started) / 1000),
      defaultRun: this.defaultRun,
      queued: this.queue.queued,
      decodes: this.queue.decodes,
      decodedTexts: this.queue.decodedTexts,
      loadedRuns: this.book.loadedIds(),
      numTensors: tf.memory().numTensors,
      rssBytes: Deno.memoryUsage().rss,
      heapUsedBytes: Deno.memoryUsage().heapUsed,
      // the wasm backend's heap: it grows to the largest batch's needs and never shrinks
      wasmHeapBytes: tf.getBackend() === "wasm" ? wasmHeap(asWasm(tf.backend())).length : null,
    };
  }

  async route(req: Request, path: string, extra: LogExtra): Promise<Response> {
    const api = ["/api/summarize", "/api/runs", "/api/health"];
    const method = path === "/api/summarize" ? "POST" : "GET";
    if (api.includes(path) && req.method !== method) {
      throw new ApiError(405, `${path} takes ${method}, not ${req.method}`);
    }
    if (path === "/api/summarize") return await this.summarize(req, extra);
    if (path === "/api/runs") return json(200, { default: this.defaultRun, runs: await this.book.list() });
    if (path === "/api/health") return json(200, this.health());
    const file = req.method === "GET" || req.method === "HEAD" ? this.files[path] : undefined;
    if (!file) throw new ApiError(404, `no such page: ${req.method} ${path}`);
    return new Response(file[0], { headers: { "content-type": file[1] } });
  }

  /** Answer one request (an error as its JSON refusal) and log one line. */
  async handle(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    const t0 = performance.now();
    const path = new URL(req.url).pathname;
    const extra: LogExtra = {};
    let res: Response;
    try {
      res = await this.route(req, path, extra);
    } catch (e) {
      const status = e instanceof ApiError ? e.status : e instanceof QueueFullError ? 429 : 500;
      const message = e instanceof Error ? e.message : String(e);
      extra.error = JSON.stringify(message);
      const allow: Record<string, string> = status === 405
        ? { allow: path === "/api/summarize" ? "POST" : "GET" }
        : {};
      res = json(status, { error: message, status }, allow);
    }
    const addr = info.remoteAddr as Deno.NetAddr;
    const tail = Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(" ");
    const ms = (performance.now() - t0).toFixed(1);
    (this.opts.log ?? console.log)(
      `${new Date().toISOString()} ${addr.hostname} ${req.method} ${path} ${res.status} ${ms}ms${
        tail ? " " + tail : ""
      }`,
    );
    return res;
  }
}

/** The app of {@linkcode startServer}: the default run checked, the page's script bundled. */
async function makeApp(opts: ServeOptions): Promise<ServeApp> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const book = new RunBook(opts.resultsDir, opts.maxLoadedRuns ?? 3);
  const defaultRun = opts.run ?? (await book.list())[0]?.id ?? null;
  const page = pageHtml("server", exampleSnippet());
  const html = "text/html; charset=utf-8", js = "text/javascript; charset=utf-8";
  const files: Files = {
    "/": [page, html],
    "/index.html": [page, html],
    "/app.js": [await bundleScript("client"), js],
    "/plotly.min.js": [plotlyJs(), js],
  };
  const app = new ServeApp(opts, limits, book, defaultRun, files);
  if (opts.run !== undefined) {
    try {
      await app.checkRun(opts.run);
    } catch (e) {
      throw new RunError((e as Error).message);
    }
  }
  return app;
}

/**
 * Start the server (the backend must be ready: `initBackend`). Checks the default run and builds the page's
 * script first, then listens; resolves once it accepts requests.
 */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const app = await makeApp(opts);
  let ready!: (addr: Deno.NetAddr) => void;
  const listening = new Promise<Deno.NetAddr>((r) => (ready = r));
  const server = Deno.serve({
    port: opts.port ?? 8000,
    hostname: opts.host ?? "127.0.0.1",
    onListen: (addr) => ready(addr as Deno.NetAddr),
  }, (req, info) => app.handle(req, info));
  const addr = await listening;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${host}:${addr.port}/`,
    port: addr.port,
    defaultRun: app.defaultRun,
    queue: app.queue,
    finished: server.finished,
    shutdown: async () => {
      await server.shutdown();
      await app.book.disposeAll();
    },
  };
}
