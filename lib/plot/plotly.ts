/**
 * Plotly figures as notebook outputs and as files.
 *
 * - In a notebook (Deno Jupyter kernel): run {@linkcode plotlyLoader} once near the top (it embeds
 *   plotly.js, offline, in that one output), then make {@linkcode plot}`(fig)` a cell's last value.
 *   Each figure output is a MIME bundle: `application/vnd.plotly.v1+json` (VS Code, JupyterLab with
 *   the Plotly renderer), a `text/html` fallback that draws with the already loaded `window.Plotly`
 *   (classic Notebook 6 renders only this one), and `text/plain`.
 * - As files: {@linkcode standaloneHtml} is a fully offline HTML document; {@linkcode saveFigure}
 *   writes `<path>.html` and, when Debian Chromium is installed, `<path>.png`.
 *
 * plotly.js comes from the npm package `plotly.js-dist-min` (import-map name), read from disk.
 *
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { plot, PLOTLY_MIME, plotlyLoader } from "./plotly.ts";
 * const show = (d: ReturnType<typeof plot>) => d[Symbol.for("Jupyter.display")]();
 * // cell 1: as the last value of the cell, loads plotly.js into the page (offline, from npm)
 * assertStringIncludes(String(show(plotlyLoader())["text/html"]), "<script");
 * // a later cell: a figure; Plotly JSON for front ends that render it, HTML drawn by the loaded plotly.js
 * const bundle = show(plot({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }], layout: {} }));
 * assertEquals((bundle[PLOTLY_MIME] as { data: { y: number[] }[] }).data[0].y, [1, 2]);
 * assertEquals(bundle["text/plain"], 'Plotly figure "figure" (1 trace(s))');
 * ```
 * @module
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { pathExists } from "../io/exists.ts";
import { writeBytesAtomic, writeTextAtomic } from "../io/atomic.ts";
import { CHROMIUM_INSTALL, chromiumPath, withChromium } from "./browser.ts";

/** A Plotly axis (the keys this project sets are typed; any other Plotly key is allowed). */
export interface Axis {
  title?: { text: string };
  range?: [number, number];
  autorange?: boolean | "reversed";
  domain?: [number, number];
  anchor?: string;
  tickmode?: "array" | "auto" | "linear";
  tickvals?: number[];
  ticktext?: string[];
  tickangle?: number;
  [key: string]: unknown;
}

/** Keys common to every trace. */
interface TraceBase {
  name?: string;
  xaxis?: string;
  yaxis?: string;
  legendgroup?: string;
  showlegend?: boolean;
  marker?: Record<string, unknown>;
  hovertemplate?: string;
  [key: string]: unknown;
}

/** A line/marker trace. */
export interface ScatterTrace extends TraceBase {
  type: "scatter";
  x: (number | string)[];
  y: (number | null)[];
  mode?: "lines" | "markers" | "lines+markers";
  line?: { color?: string; dash?: "solid" | "dash" | "dot"; width?: number };
}

/** A bar trace (also used for precomputed histograms: x = bin centres, y = counts). */
export interface BarTrace extends TraceBase {
  type: "bar";
  x: (number | string)[];
  y: number[];
  width?: number | number[];
  opacity?: number;
  error_y?: { type: "data"; symmetric: false; array: number[]; arrayminus: number[]; visible: boolean };
}

/** A heatmap trace; `z[row][col]`, rows along y, columns along x. */
export interface HeatmapTrace extends TraceBase {
  type: "heatmap";
  z: number[][];
  x: number[];
  y: number[];
  colorscale?: string;
  /** Flip the colour scale (plotly's "Blues" runs dark-to-light as values grow). */
  reversescale?: boolean;
  zmin?: number;
  zmax?: number;
  text?: string[][];
}

/** The trace kinds the project's figures use. */
export type Trace = ScatterTrace | BarTrace | HeatmapTrace;

/** A Plotly layout (typed where the project sets keys; any other Plotly key is allowed). */
export interface Layout {
  title?: { text: string };
  height?: number;
  width?: number;
  barmode?: "group" | "overlay" | "stack";
  xaxis?: Axis;
  yaxis?: Axis;
  xaxis2?: Axis;
  yaxis2?: Axis;
  xaxis3?: Axis;
  yaxis3?: Axis;
  shapes?: Record<string, unknown>[];
  annotations?: Record<string, unknown>[];
  [key: string]: unknown;
}

/** A complete Plotly figure, serialisable as JSON. */
export interface Figure {
  data: Trace[];
  layout: Layout;
  config?: Record<string, unknown>;
}

/** A Jupyter MIME bundle: MIME type -> payload. */
export type MimeBundle = Record<string, unknown>;

/** An object the Deno Jupyter kernel renders through `Symbol.for("Jupyter.display")`. */
export interface Displayable {
  [key: symbol]: () => MimeBundle;
}

/** The MIME type of Plotly figure JSON. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** Default figure height in pixels when the layout sets none. */
export const DEFAULT_HEIGHT = 450;

/** Absolute path of `plotly.min.js` from the npm package `plotly.js-dist-min`. */
export function plotlyJsPath(): string {
  const tried: string[] = [];
  try {
    const url = import.meta.resolve("plotly.js-dist-min");
    if (url.startsWith("file:")) return fileURLToPath(url);
    tried.push(`import.meta.resolve -> ${url}`);
  } catch (err) {
    tried.push(`import.meta.resolve: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return createRequire(import.meta.url).resolve("plotly.js-dist-min");
  } catch (err) {
    tried.push(`require.resolve: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new Error(
    `plotlyJsPath: cannot find plotly.js-dist-min/plotly.min.js (run \`deno install\` in the project; ` +
      `deno.json must map "plotly.js-dist-min" and set "nodeModulesDir": "auto"). Tried: ${tried.join("; ")}`,
  );
}

let plotlyJsCache: { source: string; version: string } | undefined;

function loadPlotlyJs(): { source: string; version: string } {
  if (plotlyJsCache) return plotlyJsCache;
  const path = plotlyJsPath();
  const source = Deno.readTextFileSync(path);
  const m = /plotly\.js v(\d+\.\d+\.\d+)/.exec(source.slice(0, 300));
  plotlyJsCache = { source, version: m ? m[1] : "unknown" };
  return plotlyJsCache;
}

/** The source text of `plotly.min.js` (read once, then cached). */
export function plotlyJs(): string {
  return loadPlotlyJs().source;
}

/** The version of the bundled plotly.js, e.g. "2.35.2". */
export function plotlyVersion(): string {
  return loadPlotlyJs().version;
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no HTML comment openers). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(
    /\u2029/g,
    "\\u2029",
  );
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A `<script>` element that defines `window.Plotly` from the bundled plotly.js. The bundle is run
 * with `define`, `module` and `exports` hidden, so it sets the global even under classic Notebook's
 * require.js (whose `define.amd` would otherwise capture it as an anonymous AMD module).
 */
export function plotlyScriptTag(): string {
  const src = plotlyJs().replace(/<\/script/gi, "<\\/script");
  return `<script type="text/javascript">(function(define, module, exports) {\n${src}\n}).call(window);</script>`;
}

/** The environment variable that makes {@linkcode plotlyLoader} leave plotly.js out (value `skip`). */
export const PLOTLY_LOADER_ENV = "SEQ2SEQ_PLOTLY_LOADER";

function loaderSkipped(): boolean {
  try {
    return Deno.env.get(PLOTLY_LOADER_ENV) === "skip";
  } catch {
    return false; // no permission to read the environment
  }
}

/**
 * The display object of the notebook's plotly.js loader: make it the last value of one cell near
 * the top of a notebook. Its HTML output embeds plotly.js (~4.5 MB, offline) once; every later
 * {@linkcode plot} output draws with it. Its `text/plain` names the version.
 *
 * With `inline: false` (default: false when `SEQ2SEQ_PLOTLY_LOADER=skip`, as the headless notebook runs set
 * it) the output is one line and plotly.js is not sent: nothing renders HTML there, and the Deno kernel can
 * corrupt a message this large on a busy machine (it writes another message into the middle of it; see
 * jupyter/README.md, "Invalid Signature").
 */
export function plotlyLoader(opts: { inline?: boolean } = {}): Displayable {
  const version = plotlyVersion();
  const inline = opts.inline ?? !loaderSkipped();
  return {
    [Symbol.for("Jupyter.display")]: () =>
      inline
        ? {
          "text/html":
            `${plotlyScriptTag()}<div class="seq2seq-plotly-loader" style="color:#777;font-size:90%">` +
            `plotly.js ${escapeHtml(version)} loaded (offline)</div>`,
          "text/plain": `plotly.js ${version} loader (renders in an HTML notebook front end)`,
        }
        : {
          "text/html": `<div class="seq2seq-plotly-loader" style="color:#777;font-size:90%">` +
            `plotly.js ${escapeHtml(version)} not loaded (${PLOTLY_LOADER_ENV}=skip)</div>`,
          "text/plain": `plotly.js ${version} loader skipped (${PLOTLY_LOADER_ENV}=skip)`,
        },
  };
}

function figureHeight(fig: Figure): number {
  return typeof fig.layout.height === "number" ? fig.layout.height : DEFAULT_HEIGHT;
}

function figureTitle(fig: Figure): string {
  return fig.layout.title?.text ?? "figure";
}

/**
 * HTML fragment that draws `fig` with an already loaded `window.Plotly` (see
 * {@linkcode plotlyLoader}). It waits up to 20 s for both plotly.js and its own `<div>` to be in
 * the page (classic Notebook runs an output's scripts before attaching it), then says what is
 * missing instead of failing silently.
 */
export function figureHtml(fig: Figure): string {
  const id = `seq2seq-fig-${crypto.randomUUID()}`;
  const spec = { data: fig.data, layout: fig.layout, config: { responsive: true, ...fig.config } };
  return `<div id="${id}" class="seq2seq-figure" style="width:100%;height:${figureHeight(fig)}px"></div>` +
    `<script type="text/javascript">(function() {` +
    `var id = ${scriptJson(id)}, fig = ${scriptJson(spec)}, t0 = Date.now();` +
    `function draw() {` +
    `var el = document.getElementById(id);` +
    `if (el && window.Plotly) { window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); return; }` +
    `if (Date.now() - t0 < 20000) { setTimeout(draw, 50); return; }` +
    `if (el) el.textContent = "plotly.js is not loaded in this page: run the cell that shows plotlyLoader() ` +
    `first, then this one again.";` +
    `}` +
    `draw();` +
    `})();</script>`;
}

/** The MIME bundle of a figure output: Plotly JSON, the HTML fallback and a plain-text line. */
export function plotlyBundle(fig: Figure): MimeBundle {
  return {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: fig.config ?? {} },
    "text/html": figureHtml(fig),
    "text/plain": `Plotly figure "${figureTitle(fig)}" (${fig.data.length} trace(s))`,
  };
}

/**
 * The display object of a figure: as the last value of a notebook cell, the Deno kernel shows it
 * through `Symbol.for("Jupyter.display")` as {@linkcode plotlyBundle}`(fig)`.
 */
export function plot(fig: Figure): Displayable {
  return { [Symbol.for("Jupyter.display")]: () => plotlyBundle(fig) };
}

/**
 * A complete, offline HTML document showing `fig`: plotly.js inlined (~4.5 MB), or loaded from
 * `opts.scriptSrc` (a path relative to the HTML file). When drawing has finished, `<body>` gets the
 * attribute `data-plotted` (used by the PNG export).
 */
export function standaloneHtml(
  fig: Figure,
  title = figureTitle(fig),
  opts: { scriptSrc?: string } = {},
): string {
  const spec = { data: fig.data, layout: fig.layout, config: { responsive: true, ...fig.config } };
  const lib = opts.scriptSrc === undefined
    ? plotlyScriptTag()
    : `<script type="text/javascript" src="${escapeHtml(opts.scriptSrc)}"></script>`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${
    escapeHtml(title)
  }</title>\n` +
    `${lib}\n</head><body style="margin:0">\n` +
    `<div id="fig" style="width:100%;height:${figureHeight(fig)}px"></div>\n` +
    `<script type="text/javascript">var fig = ${scriptJson(spec)};` +
    `window.Plotly.newPlot("fig", fig.data, fig.layout, fig.config)` +
    `.then(function() { document.body.setAttribute("data-plotted", "1"); });</script>\n</body></html>\n`;
}

/** Options of {@linkcode saveFigure}. */
export interface SaveFigureOptions {
  /** Also write a PNG when Chromium is installed (default true). */
  png?: boolean;
  /**
   * `"shared"` (default): write `plotly.min.js` once beside the HTML files and load it from there, so a run
   * folder with many figures holds plotly.js once (the folder works offline); `"inline"`: one self-contained
   * file per figure (~4.5 MB each).
   */
  plotlyJs?: "shared" | "inline";
  /** PNG size in CSS pixels (default: layout width or 1000, layout height or 450) and pixel ratio (default 2). */
  width?: number;
  height?: number;
  scale?: number;
}

/** What {@linkcode saveFigure} wrote. */
export interface SavedFigure {
  /** Paths written, HTML first. */
  files: string[];
  /** Why no PNG was written, when none was. */
  pngSkipped?: string;
}

/** Render `fig` to PNG bytes with plotly.js in headless Chromium (`Plotly.toImage`). */
export async function figurePng(
  fig: Figure,
  opts: { width?: number; height?: number; scale?: number } = {},
): Promise<Uint8Array> {
  const width = opts.width ?? (typeof fig.layout.width === "number" ? fig.layout.width : 1000);
  const height = opts.height ?? figureHeight(fig);
  const scale = opts.scale ?? 2;
  return await withChromium(async (browser) => {
    const page = await browser.newPage();
    await page.setContent(standaloneHtml(fig), { waitUntil: "load" });
    await page.waitForSelector("body[data-plotted]", { timeout: 30_000, state: "attached" });
    const url = await page.evaluate(
      ([w, h, s]) =>
        (globalThis as unknown as {
          Plotly: { toImage(id: string, o: Record<string, unknown>): Promise<string> };
        }).Plotly.toImage("fig", { format: "png", width: w, height: h, scale: s }),
      [width, height, scale] as [number, number, number],
    );
    const b64 = url.slice(url.indexOf(",") + 1);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  });
}

/**
 * Write `fig` as `<pathWithoutExt>.html` (always; offline) and `<pathWithoutExt>.png` (when
 * `opts.png` is not false and Debian Chromium is installed). Parent folders are created; files are
 * written atomically. Returns the paths written and, when there is no PNG, why (no Chromium,
 * `png: false`, or the export failed, e.g. `playwright-core` could not be fetched).
 */
export async function saveFigure(
  fig: Figure,
  pathWithoutExt: string,
  opts: SaveFigureOptions = {},
): Promise<SavedFigure> {
  const slash = pathWithoutExt.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(pathWithoutExt.slice(0, slash), { recursive: true });
  const html = `${pathWithoutExt}.html`;
  if (opts.plotlyJs === "inline") {
    await writeTextAtomic(html, standaloneHtml(fig));
  } else {
    const lib = `${slash > 0 ? pathWithoutExt.slice(0, slash) : "."}/plotly.min.js`;
    if (!(await pathExists(lib))) await writeTextAtomic(lib, plotlyJs());
    await writeTextAtomic(html, standaloneHtml(fig, figureTitle(fig), { scriptSrc: "plotly.min.js" }));
  }
  const out: SavedFigure = { files: [html] };
  if (opts.png === false) {
    out.pngSkipped = "png: false";
  } else if (!chromiumPath()) {
    out.pngSkipped = `no Chromium installed (${CHROMIUM_INSTALL})`;
  } else {
    const png = `${pathWithoutExt}.png`;
    try {
      await writeBytesAtomic(png, await figurePng(fig, opts));
      out.files.push(png);
    } catch (err) {
      // e.g. playwright-core cannot be fetched (offline): the HTML is written, the PNG is reported missing
      out.pngSkipped = `PNG export failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return out;
}
