/**
 * A screenshot of the served page after summarizing one snippet (for the README): starts the server on a run
 * in this process, opens the page in headless Chromium, puts the text in the box, clicks Summarize and saves the
 * whole page as a PNG once the heatmap is drawn.
 *
 * Run: `deno run -A bench/serve_screenshot.ts --run=ID [--resultsDir=results] [--out=docs/serve_page.png]
 *   [--text="..."] [--beam]` (without `--text`: the page's own example, a snippet of the embedded corpus).
 * @module
 */
import { initBackend } from "../lib/backend/choose.ts";
import { parseFlags } from "../lib/commands/cli.ts";
import { withChromium } from "../lib/plot/browser.ts";
import { startServer } from "../lib/serve/server.ts";

const { flags } = parseFlags(Deno.args, {
  run: "string",
  resultsDir: "string",
  out: "string",
  text: "string",
  beam: "bool",
}, "serve_screenshot");
const out = typeof flags.out === "string" ? flags.out : "docs/serve_page.png";
await initBackend({});
const server = await startServer({
  resultsDir: typeof flags.resultsDir === "string" ? flags.resultsDir : "results",
  run: typeof flags.run === "string" ? flags.run : undefined,
  port: 0,
  log: () => {},
});
try {
  await withChromium(async (browser) => {
    const page = await browser.newPage();
    await page.goto(server.url, { waitUntil: "load" });
    await page.waitForFunction("document.getElementById('status').textContent === 'ready'", undefined, {
      timeout: 60_000,
    });
    await page.evaluate(([text, beam]: [string | null, boolean]) => {
      const d = (globalThis as unknown as {
        document: {
          getElementById(id: string): { value: string; click(): void };
          querySelector(s: string): { click(): void };
        };
      }).document;
      if (text !== null) d.getElementById("text").value = text;
      if (beam) d.querySelector('input[value="beam"]').click();
      d.getElementById("go").click();
    }, [typeof flags.text === "string" ? flags.text : null, flags.beam === true] as [string | null, boolean]);
    await page.waitForFunction(
      "document.getElementById('result').getAttribute('data-rendered') === 'yes'",
      undefined,
      {
        timeout: 60_000,
      },
    );
    await new Promise((r) => setTimeout(r, 500)); // Plotly's fonts and transitions settle
    await page.screenshot({ path: out, fullPage: true, type: "png" });
  }, { viewport: { width: 1200, height: 900 } });
  console.log(`wrote ${out}`);
} finally {
  await server.shutdown();
}
