// The two pages in a real Chromium (Debian's `chromium` through playwright-core), on a tiny copy run trained
// here: the served page summarizes a snippet and draws the attention heatmap; the exported page, served by a
// static file server, summarizes in the browser exactly as `deno task summarize` does on 20 corpus snippets.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { initBackend } from "../lib/backend/choose.ts";
import { type Browser, chromiumPath, launchChromium, type Page } from "../lib/plot/browser.ts";
import type { TextResult } from "../lib/serve/analysis.ts";
import { exportWeb } from "../lib/serve/export.ts";
import { type RunningServer, startServer } from "../lib/serve/server.ts";
import { corpusSnippets, trainTinyCopyRun } from "./fixtures/serve_run.ts";

const NO_CHROMIUM = chromiumPath() === null;
const ignore = NO_CHROMIUM; // needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  bin: "application/octet-stream",
};

/** A plain static file server for `root` (what any static host does: files by path, nothing else). */
function staticServer(root: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const file = path === "/" ? "/index.html" : path;
    if (file.includes("..")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(`${root}${file}`);
      return new Response(body, { headers: { "content-type": CONTENT_TYPES[file.split(".").pop()!] ?? "" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

/** `deno task summarize` on `texts` (one summary per line of stdout). */
async function cliSummaries(
  resultsDir: string,
  run: string,
  texts: string[],
  beam = false,
): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli/summarize.ts",
      `--resultsDir=${resultsDir}`,
      `--run=${run}`,
      ...(beam ? ["--beam"] : []),
      "--",
      ...texts,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).replace(/\n$/, "").split("\n");
}

let setup: {
  resultsDir: string;
  id: string;
  server: RunningServer;
  statics: Deno.HttpServer<Deno.NetAddr>;
  out: string;
  browser: Browser;
} | null = null;

async function ready() {
  if (setup) return setup;
  await initBackend({});
  const { resultsDir, id } = await trainTinyCopyRun("serve_browser_test_");
  const server = await startServer({ resultsDir, port: 0, log: () => {} });
  const out = await Deno.makeTempDir({ prefix: "serve_export_" });
  await exportWeb(resultsDir, id, out);
  const statics = staticServer(out);
  const browser = await launchChromium({ viewport: { width: 1200, height: 1400 } });
  setup = { resultsDir, id, server, statics, out, browser };
  return setup;
}

/** Close the browser and both servers, remove the temporary folders. */
async function teardown(): Promise<void> {
  if (!setup) return;
  await setup.browser.close();
  await setup.statics.shutdown();
  await setup.server.shutdown();
  await Deno.remove(setup.out, { recursive: true });
  await Deno.remove(setup.resultsDir, { recursive: true });
  setup = null;
}

async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.toString()));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction("document.getElementById('status').textContent === 'ready'", undefined, {
    timeout: 60_000,
  });
  return { page, errors };
}

/** Put `text` in the box, click Summarize and wait for the result panel. */
async function summarizeOnPage(page: Page, text: string): Promise<void> {
  await page.evaluate((t: string) => {
    const g = globalThis as unknown as {
      document: { getElementById(id: string): { value: string; click(): void } };
    };
    g.document.getElementById("text").value = t;
    g.document.getElementById("go").click();
  }, text);
  await page.waitForFunction(
    "document.getElementById('result').getAttribute('data-rendered') === 'yes'",
    undefined,
    {
      timeout: 60_000,
    },
  );
}

/** What the page drew: summary words and their classes, heatmap rows and columns, p_gen rows, the run picker. */
const DRAWN = `(() => {
  const heat = document.getElementById("heatmap");
  return {
    words: [...document.querySelectorAll("#summary .tok")].map((s) => [s.textContent, s.dataset.origin]),
    rows: heat.data ? heat.data[0].z.length : 0,
    cols: heat.data ? heat.data[0].z[0].length : 0,
    colorscale: heat.data ? heat.data[0].colorscale : null,
    svg: heat.querySelectorAll(".main-svg").length,
    pgenRows: document.querySelectorAll("#pgen tr").length - 1,
    picker: [...document.querySelectorAll("#run option")].map((o) => o.textContent),
    status: document.getElementById("status").textContent,
    info: document.getElementById("run-info").textContent,
  };
})()`;

interface Drawn {
  words: [string, string][];
  rows: number;
  cols: number;
  colorscale: string | null;
  svg: number;
  pgenRows: number;
  picker: string[];
  status: string;
  info: string;
}

Deno.test({
  name: "the served page summarizes a snippet and draws its attention heatmap, one row per output word",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { server, id, browser } = await ready();
    const text = corpusSnippets(1)[0];
    const { page, errors } = await openPage(browser, server.url);
    await summarizeOnPage(page, text);
    const drawn = await page.evaluate<Drawn>(DRAWN);
    const api = await (await fetch(`${server.url}api/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ texts: [text] }),
    })).json();
    const r = api.results[0] as TextResult;
    assertEquals(drawn.words, r.tokens.map((t) => [t.word, t.origin]));
    assert(drawn.words.length > 0);
    assertEquals([drawn.rows, drawn.cols], [r.tokens.length, r.input.length]);
    assertEquals(drawn.colorscale, "Blues"); // notebook 05's figure (lib/plot/figures.ts attentionHeatmap)
    assert(drawn.svg > 0, "Plotly drew the heatmap");
    assertEquals(drawn.pgenRows, r.tokens.length); // a copy run: one p_gen row per output word
    assertEquals(drawn.picker.length, 1);
    assertStringIncludes(drawn.picker[0], `${id} (tiny, copy, test F1 0.`);
    assertStringIncludes(drawn.status, "done in");
    assertEquals(errors, []);
    await page.close();
  },
});

Deno.test({
  name:
    "a bidirectional run's exported page gives deno task summarize's summaries too (ReverseValid in the browser)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { browser } = await ready();
    // its own results folder: the served page's run picker lists the shared folder's runs
    const { resultsDir, id } = await trainTinyCopyRun("serve_browser_bi_", { encoderBidirectional: true });
    const out = await Deno.makeTempDir({ prefix: "serve_export_bi_" });
    await exportWeb(resultsDir, id, out);
    const statics = staticServer(out);
    try {
      const texts = corpusSnippets(8);
      const expected = await cliSummaries(resultsDir, id, texts);
      const expectedBeam = await cliSummaries(resultsDir, id, texts.slice(0, 2), true);
      const { page, errors } = await openPage(browser, `http://127.0.0.1:${statics.addr.port}/`);
      const inBrowser = (t: string[], beam: boolean) =>
        page.evaluate(async ([t, beam]: [string[], boolean]) => {
          const g = globalThis as unknown as {
            summarizeInBrowser(t: string[], b: boolean): Promise<TextResult[]>;
          };
          return (await g.summarizeInBrowser(t, beam)).map((x) => x.summary);
        }, [t, beam] as [string[], boolean]);
      assertEquals(await inBrowser(texts, false), expected);
      assertEquals(await inBrowser(texts.slice(0, 2), true), expectedBeam);
      assertEquals(errors, []);
      await page.close();
    } finally {
      await statics.shutdown();
      await Deno.remove(out, { recursive: true });
      await Deno.remove(resultsDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the exported page, on a static file server, gives deno task summarize's summaries for 20 snippets",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { resultsDir, id, statics, browser } = await ready();
    const texts = corpusSnippets(20);
    const expected = await cliSummaries(resultsDir, id, texts);
    const expectedBeam = await cliSummaries(resultsDir, id, texts.slice(0, 3), true);
    const { page, errors } = await openPage(browser, `http://127.0.0.1:${statics.addr.port}/`);
    const got = await page.evaluate(async ([t, beam]: [string[], boolean]) => {
      const g = globalThis as unknown as {
        summarizeInBrowser(t: string[], b: boolean): Promise<TextResult[]>;
      };
      return (await g.summarizeInBrowser(t, beam)).map((x) => x.summary);
    }, [texts, false] as [string[], boolean]);
    assertEquals(got, expected);
    const gotBeam = await page.evaluate(async ([t, beam]: [string[], boolean]) => {
      const g = globalThis as unknown as {
        summarizeInBrowser(t: string[], b: boolean): Promise<TextResult[]>;
      };
      return (await g.summarizeInBrowser(t, beam)).map((x) => x.summary);
    }, [texts.slice(0, 3), true] as [string[], boolean]);
    assertEquals(gotBeam, expectedBeam);
    // the page itself: a summary, the heatmap, and the backend it runs on
    await summarizeOnPage(page, texts[0]);
    const drawn = await page.evaluate<Drawn>(DRAWN);
    assertEquals(drawn.words.map(([w]) => w).join(" "), expected[0]);
    assert(drawn.svg > 0 && drawn.rows === drawn.words.length);
    assert(/backend (cpu|webgl|wasm)/.test(drawn.info), drawn.info);
    console.log(`exported page: ${drawn.info}`);
    assertEquals(errors, []);
    await page.close();
    await teardown(); // the last test of the file
  },
});
