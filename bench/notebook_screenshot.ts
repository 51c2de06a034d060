/**
 * Notebooks in a real browser: start the classic Jupyter Notebook server (127.0.0.1, a free port,
 * a random token, `JUPYTER_PATH=<project>/jupyter`), open each notebook in headless Debian Chromium
 * (playwright-core), run its cells one by one, wait for the Plotly figures of its cells tagged `figure` to be
 * drawn, save a full-page screenshot to `results/screenshots/<name>.png`, shut its kernel down and print one
 * JSON line per notebook. The server's log goes to `results/screenshots/server.log`; each JSON line counts
 * the log's `Invalid Signature` lines while that notebook ran (jupyter_client drops such a message).
 *
 * Usage: `deno run -A bench/notebook_screenshot.ts [notebooks/NAME.ipynb ...] [--timeout=SECONDS] [--run-all]
 * [--repeat=N] [--progress-shots=N]` (default: every notebook; `--run-all`: queue all cells at once, as the "Run
 * All" menu does, instead of one by one; `--repeat`: run each notebook N times, the last screenshot is kept;
 * `--progress-shots`: while cells run, also take up to N screenshots of a live progress bar
 * (`lib/plot/progress.ts`) mid-epoch, each at a different step, as `NAME-progress-K.png`, and report the bar's
 * text in each: the proof that the bar moves in place).
 *
 * Skips (exit 0, JSON `skipped`) when Chromium or the notebook server is missing. Autosave is
 * switched off in the page, and the source notebooks are checked (and restored) afterwards, so the
 * run never leaves outputs in them. Exit 1 when a cell shows an error, an output sits under the wrong
 * cell, or a cell tagged `figure` shows no drawn figure.
 *
 * @module
 */
import { basename, join, relative, resolve } from "node:path";
import { CHROMIUM_INSTALL, chromiumPath, type Page, withChromium } from "../lib/plot/browser.ts";
import { FIGURE_TAG, JUPYTER_DIR, JUPYTER_INSTALL, PROJECT_ROOT } from "../tools/run_notebooks.ts";

interface Options {
  notebooks: string[];
  timeoutS: number;
  /** Queue all cells at once ("Run All") instead of one by one. */
  runAll: boolean;
  /** Runs of each notebook. */
  repeat: number;
  /** Screenshots of a live progress bar taken mid-epoch (0 = none). */
  progressShots: number;
}

function parseArgs(args: string[]): Options {
  const opts: Options = { notebooks: [], timeoutS: 300, runAll: false, repeat: 1, progressShots: 0 };
  for (const a of args) {
    if (a.startsWith("--timeout=")) opts.timeoutS = Number(a.slice("--timeout=".length));
    else if (a.startsWith("--repeat=")) opts.repeat = Number(a.slice("--repeat=".length));
    else if (a === "--run-all") opts.runAll = true;
    else if (a.startsWith("--progress-shots=")) {
      opts.progressShots = Number(a.slice("--progress-shots=".length));
    } else if (a.startsWith("--")) {
      throw new Error(
        `notebook_screenshot: unknown option ${a} (--timeout=SECONDS, --run-all, --repeat=N, --progress-shots=N)`,
      );
    } else opts.notebooks.push(resolve(a));
  }
  if (!(opts.timeoutS > 0)) {
    throw new Error("notebook_screenshot: --timeout must be a positive number of seconds");
  }
  if (!Number.isInteger(opts.progressShots) || opts.progressShots < 0) {
    throw new Error("notebook_screenshot: --progress-shots must be an integer >= 0");
  }
  if (!Number.isInteger(opts.repeat) || opts.repeat < 1) {
    throw new Error("notebook_screenshot: --repeat must be a positive integer");
  }
  if (opts.notebooks.length === 0) {
    const dir = join(PROJECT_ROOT, "notebooks");
    opts.notebooks = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ipynb"))
      .map((e) => join(dir, e.name)).sort();
  }
  return opts;
}

/** Indices (among all cells) of the notebook's cells tagged `figure`. */
function figureCells(ipynb: string): number[] {
  const nb = JSON.parse(ipynb) as { cells: { metadata?: { tags?: string[] } }[] };
  return nb.cells.flatMap((c, i) => (c.metadata?.tags ?? []).includes(FIGURE_TAG) ? [i] : []);
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

/**
 * While `stop.done` is false, poll the page for the newest live progress bar (`.seq2seq-progress`) showing a
 * step (not its final "done" state) and take a viewport screenshot of it each time its text has changed, at
 * least `gapMs` after the previous one, up to `max` shots (`${base}-progress-K.png`). Returns the bar's text in
 * each shot.
 */
async function progressShots(
  page: Page,
  base: string,
  max: number,
  stop: { done: boolean },
  gapMs = 1500,
): Promise<string[]> {
  const texts: string[] = [];
  let last = 0;
  while (!stop.done && texts.length < max) {
    const text = await page.evaluate<string | null>(`(() => {
      const bars = [...document.querySelectorAll(".seq2seq-progress")];
      const bar = bars[bars.length - 1];
      if (!bar || !/step \\d+\\/\\d+/.test(bar.textContent)) return null;
      bar.scrollIntoView({ block: "center" });
      return bar.textContent;
    })()`).catch(() => null);
    if (text !== null && !texts.includes(text) && Date.now() - last >= gapMs) {
      await page.screenshot({ path: `${base}-progress-${texts.length + 1}.png`, type: "png" });
      texts.push(text);
      last = Date.now();
    }
    await new Promise((ok) => setTimeout(ok, 300));
  }
  return texts;
}

/** Make the notebook's scrolling container as tall as its content, so a full-page screenshot shows it all. */
const UNSCROLL = `(() => {
  for (const el of [document.documentElement, document.body, document.getElementById("site")]) {
    if (el) { el.style.height = "auto"; el.style.overflow = "visible"; }
  }
})()`;

/** What one run of one notebook showed. */
interface NotebookReport {
  plots: number;
  figureDivs: number;
  /** Cells tagged `figure` (indices among all cells) without a drawn Plotly figure. */
  figureCellsWithout: number[];
  errors: string[];
  loader: boolean;
  misplaced: string[];
  pageErrors: string[];
  /** The live progress bar's text in each mid-epoch screenshot (`--progress-shots`). */
  progressShots?: string[];
}

/**
 * Shut down every kernel session of the server (REST API), so that each notebook runs on a fresh kernel and no
 * kernel, busy or not, stays alive after its notebook (also after a timeout).
 */
async function shutdownSessions(base: string, token: string): Promise<void> {
  const r = await fetch(`${base}/api/sessions?token=${token}`);
  const sessions = await r.json() as { id: string }[];
  for (const s of sessions) {
    const d = await fetch(`${base}/api/sessions/${s.id}?token=${token}`, { method: "DELETE" });
    await d.body?.cancel();
  }
}

/** Open one notebook, run it and screenshot it. */
async function screenshotNotebook(
  browser: { newPage(): Promise<Page> },
  url: string,
  figures: number[],
  shot: string,
  opts: Options,
): Promise<NotebookReport> {
  const page = await browser.newPage();
  try {
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.toString()));
    await page.goto(url, { waitUntil: "load", timeout: 60_000 });
    const stop = { done: false };
    const shots = opts.progressShots > 0
      ? progressShots(page, shot.replace(/\.png$/, ""), opts.progressShots, stop)
      : Promise.resolve([]);
    try {
      await runCells(page, opts.timeoutS * 1000, opts.runAll);
    } finally {
      stop.done = true;
    }
    const progressTexts = await shots;
    if (figures.length > 0) {
      await page.waitForSelector(".js-plotly-plot", { timeout: 30_000, state: "attached" });
      // Plotly draws its SVG asynchronously: wait for every figure to have its main plot layer
      await page.waitForFunction(
        `[...document.querySelectorAll(".seq2seq-figure")].every((d) => d.querySelector(".main-svg"))`,
        undefined,
        { timeout: 30_000 },
      );
    }
    const counts = await page.evaluate<Omit<NotebookReport, "pageErrors">>(
      `({
        plots: document.querySelectorAll(".js-plotly-plot").length,
        figureDivs: document.querySelectorAll(".seq2seq-figure").length,
        figureCellsWithout: ${JSON.stringify(figures)}.filter((i) =>
          !Jupyter.notebook.get_cell(i).element[0].querySelector(".output .js-plotly-plot .main-svg")),
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
    return { ...counts, pageErrors, ...(opts.progressShots > 0 ? { progressShots: progressTexts } : {}) };
  } finally {
    await page.close();
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(Deno.args);
  if (!chromiumPath()) {
    console.log(JSON.stringify({ notebooks: opts.notebooks, skipped: `no Chromium: ${CHROMIUM_INSTALL}` }));
    return 0;
  }
  const serverCmd = await notebookServerCommand();
  if (!serverCmd) {
    console.log(
      JSON.stringify({
        notebooks: opts.notebooks,
        skipped: `no classic notebook 6 server: ${JUPYTER_INSTALL}`,
      }),
    );
    return 0;
  }
  const originals = new Map<string, Uint8Array>();
  for (const nb of opts.notebooks) {
    if (relative(PROJECT_ROOT, nb).startsWith("..")) {
      throw new Error(`notebook_screenshot: ${nb} is not inside ${PROJECT_ROOT}`);
    }
    originals.set(nb, await Deno.readFile(nb));
  }

  const shotDir = join(PROJECT_ROOT, "results", "screenshots");
  await Deno.mkdir(shotDir, { recursive: true });
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
      SEQ2SEQ_PLOTLY_LOADER: "inline", // the browser draws the figures with it
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const serverLog: string[] = [];
  const logText = () => serverLog.join("");
  const invalidSignatures = () => (logText().match(/Invalid Signature/g) ?? []).length;
  const logDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of server.stderr) serverLog.push(dec.decode(chunk, { stream: true }));
  })();

  let code = 0;
  try {
    await waitForServer(`http://127.0.0.1:${port}/api/status?token=${token}`, 60_000, server);
    await withChromium(async (browser) => {
      for (const nb of opts.notebooks) {
        const rel = relative(PROJECT_ROOT, nb);
        const name = basename(nb, ".ipynb");
        const shot = join(shotDir, `${name}.png`);
        const figures = figureCells(new TextDecoder().decode(originals.get(nb)!));
        for (let run = 1; run <= opts.repeat; run++) {
          const t0 = performance.now();
          const sigBefore = invalidSignatures();
          const url = `http://127.0.0.1:${port}/notebooks/${encodeURI(rel)}?token=${token}`;
          let report: NotebookReport;
          try {
            report = await screenshotNotebook(browser, url, figures, shot, opts);
          } catch (err) {
            code = 1;
            console.log(JSON.stringify({ notebook: rel, run, ok: false, error: String(err).slice(0, 500) }));
            continue;
          } finally {
            await shutdownSessions(`http://127.0.0.1:${port}`, token);
          }
          const ok = report.errors.length === 0 && report.figureCellsWithout.length === 0 &&
            report.plots === report.figureDivs && report.misplaced.length === 0;
          if (!ok) code = 1;
          console.log(JSON.stringify({
            notebook: rel,
            run,
            screenshot: relative(PROJECT_ROOT, shot),
            mode: opts.runAll ? "run-all" : "one-by-one",
            ok,
            figureCells: figures.length,
            plots: report.plots,
            figureOutputs: report.figureDivs,
            figureCellsWithoutFigure: report.figureCellsWithout,
            loaderShown: report.loader,
            cellErrors: report.errors,
            misplacedOutputs: report.misplaced,
            pageErrors: report.pageErrors,
            invalidSignatures: invalidSignatures() - sigBefore,
            ...(report.progressShots ? { progressShots: report.progressShots } : {}),
            seconds: Math.round((performance.now() - t0) / 100) / 10,
          }));
        }
      }
    });
  } catch (err) {
    console.error(logText().split("\n").slice(-30).join("\n"));
    throw err;
  } finally {
    try {
      server.kill("SIGTERM");
    } catch {
      // already exited
    }
    await server.status;
    await logDone.catch(() => {});
    await Deno.writeTextFile(join(shotDir, "server.log"), logText()).catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    for (const [nb, original] of originals) {
      const after = await Deno.readFile(nb);
      if (after.length !== original.length || after.some((b, i) => b !== original[i])) {
        await Deno.writeFile(nb, original);
        console.error(
          `notebook_screenshot: the server modified ${relative(PROJECT_ROOT, nb)}; restored the original`,
        );
      }
    }
  }
  return code;
}

if (import.meta.main) Deno.exit(await main());
