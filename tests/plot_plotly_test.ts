import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { chromiumPath } from "../lib/plot/browser.ts";
import {
  type Figure,
  figureHtml,
  plot,
  PLOTLY_MIME,
  plotlyBundle,
  plotlyJs,
  plotlyJsPath,
  plotlyLoader,
  plotlyVersion,
  saveFigure,
  standaloneHtml,
} from "../lib/plot/plotly.ts";

const FIG: Figure = {
  data: [{ type: "bar", name: "</script><b>x</b>", x: ["a", "b"], y: [1, 2] }],
  layout: { title: { text: "t<1>" }, height: 300 },
};

function display(obj: object): Record<string, unknown> {
  const fn = (obj as Record<symbol, unknown>)[Symbol.for("Jupyter.display")];
  assert(typeof fn === "function", "no Jupyter.display method");
  return fn() as Record<string, unknown>;
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

Deno.test("plotlyJsPath() finds plotly.min.js of the plotly.js-dist-min package", () => {
  const path = plotlyJsPath();
  assertMatch(path, /plotly\.js-dist-min\/plotly\.min\.js$/);
  const pkg = JSON.parse(Deno.readTextFileSync(path.replace(/plotly\.min\.js$/, "package.json")));
  assertEquals(pkg.name, "plotly.js-dist-min");
  assertEquals(plotlyVersion(), pkg.version);
  assert(plotlyJs().length > 1_000_000);
});

Deno.test("plot() gives the kernel a Plotly MIME bundle with an HTML fallback and plain text", () => {
  const bundle = display(plot(FIG));
  assertEquals(Object.keys(bundle).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
  assertEquals(bundle[PLOTLY_MIME], { data: FIG.data, layout: FIG.layout, config: {} });
  assertEquals(bundle["text/plain"], 'Plotly figure "t<1>" (1 trace(s))');
  const html = bundle["text/html"] as string;
  assertStringIncludes(html, "window.Plotly.newPlot");
  assertStringIncludes(html, "height:300px");
  // plotly.js itself is not inlined in a figure: it is loaded once by plotlyLoader()
  assert(html.length < 5000, `figure HTML is ${html.length} chars`);
  assert(!html.includes(plotlyJs().slice(0, 200)));
  // data containing "</script>" cannot end the script element early
  assertEquals(count(html, "</script>"), 1);
});

Deno.test("figureHtml() waits for its element and window.Plotly, then draws the figure once", () => {
  const html = figureHtml(FIG);
  const id = /<div id="([^"]+)"/.exec(html)![1];
  const script = /<script type="text\/javascript">([\s\S]*)<\/script>$/.exec(html)![1];
  const calls: unknown[][] = [];
  const timers: (() => void)[] = [];
  const el = { textContent: "" };
  let lookups = 0;
  const fakeWindow: { Plotly?: { newPlot: (...a: unknown[]) => void } } = {};
  const fakeDocument = {
    // the element is attached to the page only on the third look-up (as in classic Notebook)
    getElementById: (want: string) => (want === id && ++lookups >= 3 ? el : null),
  };
  new Function("window", "document", "setTimeout", script)(
    fakeWindow,
    fakeDocument,
    (f: () => void) => timers.push(f),
  );
  for (let i = 0; i < 5 && timers.length; i++) {
    if (i === 3) fakeWindow.Plotly = { newPlot: (...a: unknown[]) => calls.push(a) };
    timers.shift()!();
  }
  assertEquals(calls.length, 1);
  assertEquals(calls[0][0], el);
  assertEquals(calls[0][1], FIG.data);
  assertEquals(calls[0][2], FIG.layout);
  assertEquals(calls[0][3], { responsive: true });
  assertEquals(timers.length, 0);
});

Deno.test("plotlyLoader({ inline: false }) sends one line instead of plotly.js (headless runs)", () => {
  const bundle = display(plotlyLoader({ inline: false }));
  const html = bundle["text/html"] as string;
  assert(html.length < 300, `${html.length} characters`);
  assertEquals(
    bundle["text/plain"],
    `plotly.js ${plotlyVersion()} loader skipped (SEQ2SEQ_PLOTLY_LOADER=skip)`,
  );
});

Deno.test("plotlyLoader() embeds plotly.js once, hiding require.js's define so window.Plotly is set", () => {
  const bundle = display(plotlyLoader({ inline: true }));
  const html = bundle["text/html"] as string;
  assertEquals(count(html, plotlyJs().slice(0, 300)), 1);
  assertStringIncludes(html, "(function(define, module, exports) {");
  assertStringIncludes(html, "}).call(window);");
  assertEquals(
    bundle["text/plain"],
    `plotly.js ${plotlyVersion()} loader (renders in an HTML notebook front end)`,
  );
  // with define/module/exports undefined the UMD header falls through to `self.Plotly = ...`
  const header = plotlyJs().slice(0, 600);
  assertMatch(header, /"function"==typeof define&&define\.amd/);
  assertMatch(header, /t\.Plotly=e\(\)\}\(self,/);
});

Deno.test("standaloneHtml() is a complete offline document with an escaped title", () => {
  const html = standaloneHtml(FIG);
  assert(html.startsWith("<!DOCTYPE html>"));
  assertStringIncludes(html, "<title>t&lt;1&gt;</title>");
  assertEquals(count(html, plotlyJs().slice(0, 300)), 1);
  assert(!/<script[^>]+src=/.test(html), "no external script");
  assertStringIncludes(html, 'setAttribute("data-plotted"');
});

Deno.test("saveFigure({png: false}) writes only the HTML file and says why there is no PNG", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const saved = await saveFigure(FIG, `${dir}/sub/fig`, { png: false, plotlyJs: "inline" });
    assertEquals(saved, { files: [`${dir}/sub/fig.html`], pngSkipped: "png: false" });
    assertEquals(await Deno.readTextFile(`${dir}/sub/fig.html`), standaloneHtml(FIG));
    assertEquals([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["fig.html"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveFigure() by default writes plotly.min.js once per folder and loads it from there", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveFigure(FIG, `${dir}/a`, { png: false });
    await saveFigure(FIG, `${dir}/b`, { png: false });
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a.html", "b.html", "plotly.min.js"]);
    assertEquals(await Deno.readTextFile(`${dir}/plotly.min.js`), plotlyJs());
    const html = await Deno.readTextFile(`${dir}/a.html`);
    assertStringIncludes(html, '<script type="text/javascript" src="plotly.min.js"></script>');
    assert(html.length < 100_000, `the figure file stays small (${html.length} bytes)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "saveFigure() also writes a PNG of the requested size when Chromium is installed",
  ignore: chromiumPath() === null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const saved = await saveFigure(FIG, `${dir}/fig`, { width: 320, height: 200, scale: 1 });
      assertEquals(saved, { files: [`${dir}/fig.html`, `${dir}/fig.png`] });
      const png = await Deno.readFile(`${dir}/fig.png`);
      assertEquals([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]); // PNG signature
      const view = new DataView(png.buffer, png.byteOffset);
      assertEquals([view.getUint32(16), view.getUint32(20)], [320, 200]); // IHDR width, height
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

if (chromiumPath() === null) {
  console.log("plot_plotly_test: no Chromium installed: the PNG export test is skipped");
}

// keep the bundle helper in the public surface exercised
Deno.test("plotlyBundle() and plot() agree on the Plotly JSON", () => {
  assertEquals(plotlyBundle(FIG)[PLOTLY_MIME], display(plot(FIG))[PLOTLY_MIME]);
});
