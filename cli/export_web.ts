/**
 * `deno task export-web --run=ID --out=DIR [--resultsDir=DIR]`: a static folder that summarizes in the browser
 * with TensorFlow.js (lib/serve/export.ts). Serve it with any static file server, e.g.
 * `python3 -m http.server -d DIR 8080`, and open http://127.0.0.1:8080/ (a page opened as a file:// URL cannot
 * fetch its model).
 * @module
 */
import { ConfigError } from "../lib/config.ts";
import { parseFlags, runCli } from "../lib/commands/cli.ts";
import { exportWeb } from "../lib/serve/export.ts";

const HELP = `usage: deno task export-web --run=ID --out=DIR [--resultsDir=DIR]
  Writes DIR/index.html, app.js (one bundle of the project's code and TensorFlow.js), plotly.min.js,
  model/, tokenizer.json, config.json and run.json. Serve DIR with a static file server, for example
  python3 -m http.server -d DIR 8080, and open http://127.0.0.1:8080/.`;

if (import.meta.main) {
  await runCli(async () => {
    const { flags, rest } = parseFlags(
      Deno.args,
      { run: "string", out: "string", resultsDir: "string" },
      "export-web",
    );
    if (rest.length > 0) throw new ConfigError(`export-web: unexpected argument ${JSON.stringify(rest[0])}`);
    if (typeof flags.run !== "string") throw new ConfigError("export-web: --run=ID is required; see --help");
    if (typeof flags.out !== "string") throw new ConfigError("export-web: --out=DIR is required; see --help");
    const resultsDir = typeof flags.resultsDir === "string" ? flags.resultsDir : "results";
    const files = await exportWeb(resultsDir, flags.run, flags.out);
    for (const f of files) console.log(`${flags.out}/${f.file}  ${f.bytes.toLocaleString("en-US")} bytes`);
    console.log(`serve it with a static file server, e.g.: python3 -m http.server -d ${flags.out} 8080`);
  }, HELP);
}
