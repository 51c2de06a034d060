/**
 * A notebook in a real browser: start the classic Jupyter Notebook server (127.0.0.1, a free port,
 * a random token, `JUPYTER_PATH=<project>/jupyter`), open a notebook in headless Debian Chromium
 * (playwright-core), run its cells one by one, wait for the Plotly figures to be drawn, save a full-page
 * screenshot to `results/screenshots/<name>.png` and print one JSON line.
 *
 * Usage: `deno run -A bench/notebook_screenshot.ts [notebooks/01_data_preparation.ipynb] [--timeout=SECONDS] [--run-all]`
 * (`--run-all`: queue all cells at once, as the "Run All" menu does, instead of one by one).
 *
 * Skips (exit 0, JSON `skipped`) when Chromium or the notebook server is missing. Autosave is
 * switched off in the page, and the source notebook is checked (and restored) afterwards, so the
 * run never leaves outputs in it. Exit 1 when a cell shows an error, an output sits under the wrong
 * cell, or no figure appears.
 *
 * @module
 */
import { basename, join, relative, resolve } from "node:path";
import { CHROMIUM_INSTALL, chromiumPath, type Page, withChromium } from "../lib/plot/browser.ts";
import { JUPYTER_DIR, JUPYTER_INSTALL, PROJECT_ROOT } from "../tools/run_notebooks.ts";

interface Options {
  notebook: string;
  timeoutS: number;
  /** Queue all cells at once ("Run All") instead of one by one. */
  runAll: boolean;
}

function parseArgs(args: string[]): Options {
  const opts: Options = {
    notebook: join(PROJECT_ROOT, "notebooks", "01_data_preparation.ipynb"),
    timeoutS: 300,
    runAll: false,
  };
  for (const a of args) {
    if (a.startsWith("--timeout=")) opts.timeoutS = Number(a.slice("--timeout=".length));
    else if (a === "--run-all") opts.runAll = true;
    else if (a.startsWith("--")) {
      throw new Error(`notebook_screenshot: unknown option ${a} (--timeout=SECONDS, --run-all)`);
    } else opts.notebook = resolve(a);
  }
  if (!(opts.timeoutS > 0)) {
    throw new Error("notebook_screenshot: --timeout must be a positive number of seconds");
  }
  return opts;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The command that starts classic Notebook 6, or null: Debian's python module, else `jupyter-notebook`. */
async function notebookServerCommand(): Promise<string[] | null> {
  for (const cmd of [["/usr/bin/python3", "-m", "notebook"], ["jupyter-notebook"]]) {
    try {
      const r = await new Deno.Command(cmd[0], {
        args: [...cmd.slice(1), "--version"],
        stdout: "piped",
        stderr: "null",
      })
        .output();
      const version = new TextDecoder().decode(r.stdout).trim();
      if (r.success && version.startsWith("6.")) return cmd;
    } catch {
      // not installed
    }
  }
  return null;
}

async function waitForServer(url: string, timeoutMs: number, server: Deno.ChildProcess): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  server.status.then(() => exited = true);
  while (Date.now() < end) {
    if (exited) {
      throw new Error("notebook_screenshot: the notebook server exited during start-up (see its log above)");
    }
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error(
    `notebook_screenshot: the notebook server did not answer ${url} within ${timeoutMs / 1000} s`,
  );
}

const KERNEL_IDLE = `document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null`;

/**
 * Run the open classic notebook's cells one at a time, as a learner pressing Shift-Enter would:
 * each cell is started once the previous one has finished and the kernel is idle. (With "Run All"
 * the cells are queued, and the Deno 2.9 kernel then sometimes shows a cell's output under the
 * next cell; see jupyter/README.md.) `runAll` queues them all instead, to measure that defect.
 */
async function runCells(page: Page, timeoutMs: number, runAll: boolean): Promise<void> {
  await page.waitForFunction(
    `window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()
     && ${KERNEL_IDLE}`,
    undefined,
    { timeout: 90_000 },
  );
  await page.evaluate("Jupyter.notebook.set_autosave_interval(0)");
  if (runAll) {
    await page.evaluate("Jupyter.notebook.execute_all_cells()");
    await page.waitForFunction(
      `Jupyter.notebook.get_cells().every((c) => c.cell_type !== "code" || c.get_text().trim() === "" ||
        typeof c.input_prompt_number === "number") && ${KERNEL_IDLE}`,
      undefined,
      { timeout: timeoutMs },
    );
    await new Promise((ok) => setTimeout(ok, 1000)); // let late outputs arrive
    return;
  }
  const n = await page.evaluate<number>("Jupyter.notebook.ncells()");
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < n; i++) {
    const kind = await page.evaluate<string>(`Jupyter.notebook.get_cell(${i}).cell_type`);
    if (kind !== "code") continue;
    if (await page.evaluate<boolean>(`Jupyter.notebook.get_cell(${i}).get_text().trim() === ""`)) continue;
    await page.evaluate(`Jupyter.notebook.get_cell(${i}).execute()`);
    await page.waitForFunction(
      `typeof Jupyter.notebook.get_cell(${i}).input_prompt_number === "number" && ${KERNEL_IDLE}`,
      undefined,
      { timeout: Math.max(1000, end - Date.now()) },
    );
    await new Promise((ok) => setTimeout(ok, 300)); // let late outputs of this cell arrive
  }
}

/** Make the notebook's scrolling container as tall as its content, so a full-page screenshot shows it all. */
const UNSCROLL = `(() => {
  for (const el of [document.documentElement, document.body, document.getElementById("site")]) {
    if (el) { el.style.height = "auto"; el.style.overflow = "visible"; }
  }
})()`;

async function main(): Promise<number> {
  const opts = parseArgs(Deno.args);
  const name = basename(opts.notebook, ".ipynb");
  if (!chromiumPath()) {
    console.log(JSON.stringify({ notebook: opts.notebook, skipped: `no Chromium: ${CHROMIUM_INSTALL}` }));
    return 0;
  }
  const serverCmd = await notebookServerCommand();
  if (!serverCmd) {
    console.log(
      JSON.stringify({
        notebook: opts.notebook,
        skipped: `no classic notebook 6 server: ${JUPYTER_INSTALL}`,
      }),
    );
    return 0;
  }
  const rel = relative(PROJECT_ROOT, opts.notebook);
  if (rel.startsWith("..")) {
    throw new Error(`notebook_screenshot: ${opts.notebook} is not inside ${PROJECT_ROOT}`);
  }
  const original = await Deno.readFile(opts.notebook);

  const t0 = performance.now();
  const tmp = await Deno.makeTempDir({ prefix: "notebook-screenshot-" });
  const port = freePort();
  const token = crypto.randomUUID().replaceAll("-", "");
  const server = new Deno.Command(serverCmd[0], {
    args: [
      ...serverCmd.slice(1),
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${PROJECT_ROOT}`,
      ...(Deno.uid() === 0 ? ["--allow-root"] : []), // containers and CI often run as root
    ],
    env: {
      JUPYTER_PATH: JUPYTER_DIR,
      JUPYTER_CONFIG_DIR: join(tmp, "config"),
      JUPYTER_DATA_DIR: join(tmp, "data"),
      JUPYTER_RUNTIME_DIR: join(tmp, "runtime"),
      SEQ2SEQ_PROFILE: Deno.env.get("SEQ2SEQ_PROFILE") ?? "tiny",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const serverLog: string[] = [];
  const logDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of server.stderr) serverLog.push(dec.decode(chunk));
  })();

  let code = 0;
  try {
    await waitForServer(`http://127.0.0.1:${port}/api/status?token=${token}`, 60_000, server);
    const shot = join(PROJECT_ROOT, "results", "screenshots", `${name}.png`);
    await Deno.mkdir(join(PROJECT_ROOT, "results", "screenshots"), { recursive: true });
    const report = await withChromium(async (browser) => {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.toString()));
      await page.goto(`http://127.0.0.1:${port}/notebooks/${encodeURI(rel)}?token=${token}`, {
        waitUntil: "load",
        timeout: 60_000,
      });
      await runCells(page, opts.timeoutS * 1000, opts.runAll);
      await page.waitForSelector(".js-plotly-plot", { timeout: 30_000, state: "attached" });
      // Plotly draws its SVG asynchronously: wait for every figure to have its main plot layer
      await page.waitForFunction(
        `[...document.querySelectorAll(".seq2seq-figure")].every((d) => d.querySelector(".main-svg"))`,
        undefined,
        { timeout: 30_000 },
      );
      const counts = await page.evaluate<
        { plots: number; figureDivs: number; errors: string[]; loader: boolean; misplaced: string[] }
      >(
        `({
          plots: document.querySelectorAll(".js-plotly-plot").length,
          figureDivs: document.querySelectorAll(".seq2seq-figure").length,
          errors: [...document.querySelectorAll(".output_error")].map((e) => e.textContent.slice(0, 300)),
          loader: !!document.querySelector(".seq2seq-plotly-loader"),
          // an "Out[k]" under a cell whose "In" number is not k: output shown under the wrong cell
          misplaced: Jupyter.notebook.get_cells().flatMap((c, i) => c.cell_type !== "code" ? [] :
            [...c.element[0].querySelectorAll(".output_prompt")].map((p) => p.textContent.trim())
              .filter((t) => t !== "" && t !== "Out[" + c.input_prompt_number + "]:")
              .map((t) => "cell " + i + " (In [" + c.input_prompt_number + "]) shows " + t)),
        })`,
      );
      await page.evaluate(UNSCROLL);
      await page.screenshot({ path: shot, fullPage: true, type: "png" });
      return { ...counts, pageErrors };
    });
    const ok = report.errors.length === 0 && report.plots > 0 && report.plots === report.figureDivs &&
      report.misplaced.length === 0;
    code = ok ? 0 : 1;
    console.log(JSON.stringify({
      notebook: rel,
      screenshot: relative(PROJECT_ROOT, shot),
      mode: opts.runAll ? "run-all" : "one-by-one",
      ok,
      plots: report.plots,
      figureOutputs: report.figureDivs,
      loaderShown: report.loader,
      cellErrors: report.errors,
      misplacedOutputs: report.misplaced,
      pageErrors: report.pageErrors,
      server: serverCmd.join(" "),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    }));
  } catch (err) {
    console.error(serverLog.join("").split("\n").slice(-30).join("\n"));
    throw err;
  } finally {
    try {
      server.kill("SIGTERM");
    } catch {
      // already exited
    }
    await server.status;
    await logDone.catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    const after = await Deno.readFile(opts.notebook);
    if (after.length !== original.length || after.some((b, i) => b !== original[i])) {
      await Deno.writeFile(opts.notebook, original);
      console.error(`notebook_screenshot: the server modified ${rel}; restored the original`);
    }
  }
  return code;
}

if (import.meta.main) Deno.exit(await main());
