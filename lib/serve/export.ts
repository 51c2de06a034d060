/**
 * `deno task export-web --run=ID --out=DIR`: a static folder that summarizes in the browser, no server needed
 * beyond a static file host:
 *
 * | file                         | what                                                                         |
 * | ---------------------------- | ---------------------------------------------------------------------------- |
 * | `index.html`                 | the page (lib/serve/page.ts, as the server's)                                |
 * | `app.js`                     | one bundle: lib/serve/web.ts, the project's cleaning, tokenizer and decoding code, TensorFlow.js |
 * | `plotly.min.js`              | Plotly, as npm ships it                                                      |
 * | `model/model.json`, `model/weights.bin` | the run's best model (checked first: size and SHA-256)            |
 * | `tokenizer.json`, `config.json` | the run's                                                                 |
 * | `run.json`                   | id, profile, copy, test F1 and the config keys summarizing reads             |
 * @module
 */
import { InputError } from "../commands/cli.ts";
import { readRunInfo } from "../run/discover.ts";
import { evaluationConfig, openRun } from "../run/folder.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { plotlyJs } from "../plot/plotly.ts";
import { bundleScript } from "./bundle.ts";
import { pageHtml } from "./page.ts";
import { exampleSnippet } from "./server.ts";
import type { ExportedRunInfo } from "./web.ts";

/** The files {@linkcode exportWeb} writes, relative to the output folder. */
export const EXPORTED_FILES = [
  "index.html",
  "app.js",
  "plotly.min.js",
  "model/model.json",
  "model/weights.bin",
  "tokenizer.json",
  "config.json",
  "run.json",
] as const;

/**
 * Write the static page of run `id` of `resultsDir` into `out` (created if missing; an existing folder must be
 * empty or an earlier export). Returns the files written with their sizes.
 */
export async function exportWeb(
  resultsDir: string,
  id: string,
  out: string,
): Promise<{ file: string; bytes: number }[]> {
  const opened = await openRun(resultsDir, id); // checks the model files (size, SHA-256) and the tokenizer
  const info = await readRunInfo(`${resultsDir}/${id}`);
  try {
    const names = [];
    for await (const e of Deno.readDir(out)) names.push(e.name);
    const ours = new Set(EXPORTED_FILES.map((f) => f.split("/")[0]));
    const foreign = names.filter((n) => !ours.has(n));
    if (foreign.length > 0) {
      throw new InputError(
        `${out}: the folder holds other files (${
          foreign.slice(0, 3).join(", ")
        }): give an empty or new folder`,
      );
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(`${out}/model`, { recursive: true });
  const cfg = evaluationConfig(opened.cfg);
  const run: ExportedRunInfo = {
    id,
    profile: info.profile,
    copy: cfg.copy === true,
    testF1: info.testF1,
    cfg: {
      maxInputLen: cfg.maxInputLen,
      maxOutputLen: cfg.maxOutputLen,
      sentenceBoundaries: cfg.sentenceBoundaries,
      beamWidth: cfg.beamWidth,
      lengthPenalty: cfg.lengthPenalty,
    },
  };
  // model.json with one weight file, `weights.bin`: the bytes the run check read (joined when saved in parts)
  const modelJson = JSON.parse(await Deno.readTextFile(`${opened.bestDir}/model.json`));
  const weights = modelJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  modelJson.weightsManifest = [{ paths: ["weights.bin"], weights }];
  await writeTextAtomic(`${out}/app.js`, await bundleScript("web"));
  await writeTextAtomic(`${out}/plotly.min.js`, plotlyJs());
  await writeTextAtomic(`${out}/index.html`, pageHtml("static", exampleSnippet()));
  await writeTextAtomic(`${out}/model/model.json`, JSON.stringify(modelJson));
  await Deno.writeFile(`${out}/model/weights.bin`, opened.saved.weights);
  await writeTextAtomic(`${out}/tokenizer.json`, JSON.stringify(opened.tokenizer.toJSON()));
  await writeTextAtomic(`${out}/config.json`, JSON.stringify(opened.cfg, null, 2));
  await writeTextAtomic(`${out}/run.json`, JSON.stringify(run, null, 2));
  return await Promise.all(
    EXPORTED_FILES.map(async (file) => ({ file, bytes: (await Deno.stat(`${out}/${file}`)).size })),
  );
}
