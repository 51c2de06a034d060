/**
 * The HTML of the page, the same for the served page (`deno task serve`: the run picker lists the results
 * folder, summaries come from `POST /api/summarize`) and the exported one (`deno task export-web`: one run,
 * summarized in the browser). Both load `plotly.min.js` and `app.js` from beside the page.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { pageHtml } from "./page.ts";
 * const html = pageHtml("server", "the ice melts");
 * assert(html.includes('data-mode="server"') && html.includes("the ice melts"));
 * assert(pageHtml("static", "a <b> & c").includes("a &lt;b&gt; &amp; c"));
 * ```
 * @module
 */
import { PAGE_CSS } from "./render.ts";

/** `s` with `&`, `<`, `>` and `"` escaped for HTML text and attributes. */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** The page: `mode` says where summaries come from; `example` fills the text box. */
export function pageHtml(mode: "server" | "static", example: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>envnews-seq2seq: summary and attention</title>
<style>${PAGE_CSS}</style>
</head>
<body data-mode="${mode}">
<h1>Summarize a news snippet and see where the model looked</h1>
<p class="muted">An LSTM encoder-decoder with Bahdanau attention (this project's model), ${
    mode === "server"
      ? "served by <code>deno task serve</code>"
      : "running in this browser with TensorFlow.js"
  }.</p>
<div class="controls">
  <label>Run <select id="run"></select></label>
  <span id="run-info" class="muted"></span>
</div>
<textarea id="text" rows="6" spellcheck="false">${escapeHtml(example)}</textarea>
<div class="controls">
  <label><input type="radio" name="decoding" value="greedy" checked> greedy</label>
  <label><input type="radio" name="decoding" value="beam"> beam search</label>
  <button id="go" disabled>Summarize</button>
  <span id="status">loading...</span>
</div>
<div id="result"></div>
<script src="plotly.min.js"></script>
<script type="module" src="app.js"></script>
</body>
</html>
`;
}
