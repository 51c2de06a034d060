/**
 * `deno task serve [--run=ID] [--resultsDir=DIR] [--port=8000] [--host=127.0.0.1] [--batch=64]`: the model in
 * a web page and a JSON API (lib/serve/server.ts). Without `--run` the newest finished run of the results
 * folder is the default; the page's run picker lists them all. It listens on 127.0.0.1 (this machine only)
 * unless `--host` says otherwise. One line per request on stdout; Ctrl-C stops it cleanly.
 * @module
 */
import { ConfigError } from "../lib/config.ts";
import { formatBackendReport, initBackend } from "../lib/backend/choose.ts";
import { parseFlags, runCli } from "../lib/commands/cli.ts";
import { readRunInfo } from "../lib/run/discover.ts";
import { startServer } from "../lib/serve/server.ts";
import { DEFAULT_LIMITS } from "../lib/serve/api.ts";

const HELP =
  `usage: deno task serve [--run=ID] [--resultsDir=DIR] [--port=8000] [--host=127.0.0.1] [--batch=64]
  Serves a page (text box, greedy or beam, the summary with copied words marked, the attention heatmap,
  p_gen for copy runs) and a JSON API:
    POST /api/summarize  {"texts": ["..."], "beam": false, "run": "ID"}  -> {"run", "results": [...]}
    GET  /api/runs       the finished runs (id, profile, copy, test F1)
    GET  /api/health     backend, queue, loaded runs, tensors, memory
  Requests that wait together (of one run, all greedy or all beam) share one batched decode of up to --batch
  texts. Limits: body ${DEFAULT_LIMITS.maxBodyBytes} bytes, ${DEFAULT_LIMITS.maxTexts} texts per request, ${DEFAULT_LIMITS.maxChars} characters per text, ${DEFAULT_LIMITS.maxQueued} requests waiting.
  --host=0.0.0.0 makes it reachable from other machines (there is no authentication).`;

/** A positive integer flag within [min, max], or a ConfigError naming it. */
function intFlag(
  name: string,
  v: string | boolean | undefined,
  dflt: number,
  min: number,
  max: number,
): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `serve: --${name} takes an integer from ${min} to ${max} (got ${JSON.stringify(v)})`,
    );
  }
  return n;
}

if (import.meta.main) {
  await runCli(async () => {
    const { flags, rest } = parseFlags(Deno.args, {
      run: "string",
      resultsDir: "string",
      port: "string",
      host: "string",
      batch: "string",
    }, "serve");
    if (rest.length > 0) {
      throw new ConfigError(`serve: unexpected argument ${JSON.stringify(rest[0])}; see --help`);
    }
    const port = intFlag("port", flags.port, 8000, 0, 65535);
    const maxBatch = intFlag("batch", flags.batch, 64, 1, 4096);
    const resultsDir = typeof flags.resultsDir === "string" ? flags.resultsDir : "results";
    const run = typeof flags.run === "string" ? flags.run : undefined;
    const cfg = run ? (await readRunInfo(`${resultsDir}/${run}`).catch(() => null))?.config : undefined;
    const backend = await initBackend({ backend: cfg?.backend, blas: cfg?.blas });
    console.error(formatBackendReport(backend));
    const server = await startServer({
      resultsDir,
      run,
      port,
      host: typeof flags.host === "string" ? flags.host : "127.0.0.1",
      maxBatch,
    });
    console.error(
      `serving ${
        server.defaultRun ? `run ${server.defaultRun}` : `no finished run yet (${resultsDir} has none)`
      }` +
        ` of ${resultsDir} at ${server.url} (Ctrl-C stops)`,
    );
    const stop = async (signal: string) => {
      console.error(`${signal}: stopping (finishing the requests in flight)...`);
      await server.shutdown();
      console.error("stopped");
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", () => void stop("Ctrl-C"));
    Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
    await server.finished;
  }, HELP);
}
