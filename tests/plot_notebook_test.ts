import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  attentionInput,
  barChart,
  entriesTable,
  formatCell,
  lengthsFromCounts,
  plotAndSave,
  systemRows,
  table,
  topTokens,
} from "../lib/plot/notebook.ts";
import { PLOTLY_MIME } from "../lib/plot/plotly.ts";
import type { MimeBundle } from "../lib/plot/plotly.ts";
import { evaluateSystems } from "../lib/eval/score.ts";
import { listFiles } from "../lib/run/folder.ts";
import type { Example } from "../lib/data/prep.ts";

function bundle(d: { [key: symbol]: () => MimeBundle }): MimeBundle {
  return d[Symbol.for("Jupyter.display")]();
}

Deno.test("formatCell() prints integers as they are, other numbers with fixed decimals, and no-values plainly", () => {
  assertEquals(formatCell(42), "42");
  assertEquals(formatCell(0.123456), "0.1235");
  assertEquals(formatCell(2 / 3, 2), "0.67");
  assertEquals(formatCell(NaN), "n/a");
  assertEquals(formatCell(null), "");
  assertEquals(formatCell(undefined), "");
  assertEquals(formatCell([1, 0.5]), "1, 0.5000");
  assertEquals(formatCell({ a: 1 }), '{"a":1}');
  assertEquals(formatCell(true), "true");
});

Deno.test("table() renders escaped HTML, right-aligns numeric columns and notes the rows left out", () => {
  const rows = [{ name: "<b>x</b>", f1: 0.5 }, { name: "y & z", f1: 1 }, { name: "w", f1: null }];
  const b = bundle(table(rows, { title: "T", maxRows: 2 }));
  const html = String(b["text/html"]);
  // the title above the table, as wide as the output (a <caption> would wrap to the table's width)
  assert(
    html.startsWith('<div class="seq2seq-table-title" style="font-weight:bold;margin:0.3em 0">T</div><table'),
  );
  assert(!html.includes("<caption"));
  assertStringIncludes(html, "&lt;b&gt;x&lt;/b&gt;");
  assertStringIncludes(html, "y &amp; z");
  assert(!html.includes("<b>x</b>"));
  assertStringIncludes(html, '<th style="text-align:right">f1</th>');
  assertStringIncludes(html, '<th style="text-align:left">name</th>');
  assertStringIncludes(html, "1 more row(s) not shown (3 in all)");
  assertEquals(html.match(/<tr>/g)?.length, 3); // header + 2 rows
  const text = String(b["text/plain"]).split("\n");
  assertEquals(text[0], "T");
  // widths: name 8 ("<b>x</b>"), f1 6 ("0.5000"); numbers and their header right-aligned
  assertEquals(text[1], "name" + " ".repeat(4 + 2 + 4) + "f1");
  assertEquals(text[2], "--------  ------");
  assertEquals(text[3], "<b>x</b>  0.5000");
  assertEquals(text[4], "y & z" + " ".repeat(3 + 2 + 5) + "1");
});

Deno.test("table() of no rows says so under its title instead of an empty table", () => {
  const b = bundle(table([], { title: "Runs that differ" }));
  assertStringIncludes(String(b["text/html"]), "Runs that differ</div>");
  assertStringIncludes(String(b["text/html"]), "(no rows)");
  assertEquals(String(b["text/plain"]).split("\n").filter((l) => l.trim() !== ""), [
    "Runs that differ",
    "(no rows)",
  ]);
});

Deno.test("table() takes its columns in order of first appearance, or the ones given", () => {
  const rows = [{ a: 1 }, { b: 2, a: 3 }];
  assertStringIncludes(String(bundle(table(rows))["text/plain"]), "a  b");
  const only = String(bundle(table(rows, { columns: ["b"] }))["text/plain"]).split("\n");
  assertEquals(only, ["b", "-", " ", "2"]);
  assertThrows(() => table([1 as unknown as object]), Error, "rows[0] is not an object");
});

Deno.test("entriesTable() shows the chosen keys of an object and rejects unknown ones", () => {
  const cfg = { units: 32, dropout: 0.1, name: "tiny" };
  const text = String(bundle(entriesTable(cfg, ["units", "dropout"]))["text/plain"]).split("\n");
  // the value column holds only numbers: right-aligned
  assertEquals(text, ["key       value", "-------  ------", "units        32", "dropout  0.1000"]);
  assertThrows(() => entriesTable(cfg, ["nope" as keyof typeof cfg]), Error, 'no key "nope"');
});

Deno.test("attentionInput() keeps the positions the encoder read and one row per generated token", () => {
  const decoded = { ids: [7, 9], attention: [[0.5, 0.3, 0.2, 0, 0], [0.1, 0.1, 0.8, 0, 0]] };
  const words = ["the", "ice", "melts"];
  const a = attentionInput({ inputWords: words, decoded, tokenOf: (id) => `w${id}`, title: "t" });
  assertEquals(a.inputTokens, ["the", "ice", "melts"]);
  assertEquals(a.outputTokens, ["w7", "w9"]);
  assertEquals(a.weights, [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]);
  assertEquals(a.title, "t");
  // an input longer than the encoder window is cut to the window
  const long = attentionInput({ inputWords: ["a", "b", "c", "d", "e", "f"], decoded, tokenOf: String });
  assertEquals(long.inputTokens, ["a", "b", "c", "d", "e"]);
  assertEquals(long.weights[0].length, 5);
  assertThrows(
    () => attentionInput({ inputWords: words, decoded: { ids: [1], attention: [] }, tokenOf: String }),
    Error,
    "0 attention rows for 1 generated tokens",
  );
  assertThrows(
    () =>
      attentionInput({
        inputWords: words,
        decoded: { ids: [1, 2], attention: [[1, 0], [1]] },
        tokenOf: String,
      }),
    Error,
    "attention[1] has 1 values",
  );
});

Deno.test("topTokens() returns the k most probable ids, ties broken by the lower id", () => {
  const probs = Float32Array.of(0.1, 0.4, 0.1, 0.4);
  assertEquals(topTokens(probs, 3, (id) => `t${id}`).map((t) => [t.id, t.token]), [[1, "t1"], [3, "t3"], [
    0,
    "t0",
  ]]);
  assertEquals(topTokens(probs, 1, String)[0].p, probs[1]);
  assertThrows(() => topTokens(probs, 0, String), Error, "k must be an integer >= 1");
});

Deno.test("barChart() is one bar trace on a category axis; lengthsFromCounts() expands a histogram", () => {
  const fig = barChart({ x: ["a", "b"], y: [3, 1], title: "T", xTitle: "x", yTitle: "y" });
  assertEquals(fig.data.length, 1);
  assertEquals(fig.data[0].x, ["a", "b"]);
  assertEquals(fig.data[0].y, [3, 1]);
  assertEquals(fig.layout.xaxis?.type, "category");
  assertThrows(() => barChart({ x: [1], y: [1, 2], title: "T" }), Error, "1 x values but 2 y values");
  assertThrows(() => barChart({ x: [1], y: [NaN], title: "T" }), Error, "y[0] = NaN");
  assertEquals(lengthsFromCounts([0, 2, 0, 1]), [1, 1, 3]);
  assertThrows(() => lengthsFromCounts([1.5]), Error, "counts[0] = 1.5");
});

Deno.test("systemRows() lists every scored system with its means and F1 interval", () => {
  const ex = (input: string, target: string, id: number): Example => ({
    id,
    station: "S",
    date: "2019-01-01",
    snippet: input,
    cleaned: input,
    input,
    target,
  });
  const examples = [
    ex("the ice melts fast", "the ice melts", 0),
    ex("sea levels rise now", "sea levels rise", 1),
  ];
  const result = evaluateSystems(examples, { model: ["the ice", "sea levels rise"] }, {
    bootstrap: 0,
    seed: 1,
    leadWords: 2,
    labelSentences: 1,
  });
  const rows = systemRows(result);
  assertEquals(rows.map((r) => r.system), [
    "model",
    "copy_input",
    "lead_words",
    "first_sentence",
    "label_rule",
  ]);
  // model: F1 of "the ice" vs "the ice melts" = 2 * 1 * (2/3) / (1 + 2/3) = 0.8, and 1 for the second
  assert(Math.abs(rows[0].f1 - 0.9) < 1e-12);
  assertEquals(rows[0].kind, "model");
  assertEquals(rows[0].f1Interval, ""); // no bootstrap
  // copy_input: 3 of 4 words right, recall 1 -> F1 = 2 * 0.75 / 1.75 for both examples
  assert(Math.abs(rows[1].f1 - 1.5 / 1.75) < 1e-12);
  assertEquals(rows[1].words, 4);
  const withCi = systemRows(
    evaluateSystems(Array.from({ length: 15 }, () => examples).flat(), {}, {
      bootstrap: 50,
      seed: 1,
      leadWords: 2,
      labelSentences: 1,
    }),
  );
  assert(/^\[\d\.\d{3}, \d\.\d{3}\]$/.test(withCi[0].f1Interval), withCi[0].f1Interval);
});

Deno.test("plotAndSave() writes the HTML file and shows the figure with a line naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plot-and-save-" });
  try {
    const fig = barChart({ x: ["a"], y: [1], title: "One bar" });
    const shown = await plotAndSave(fig, `${dir}/sub/fig`, { png: false });
    assertEquals(shown.saved.files, [`${dir}/sub/fig.html`]);
    assertEquals(shown.saved.pngSkipped, "png: false");
    assertStringIncludes(await Deno.readTextFile(`${dir}/sub/fig.html`), "One bar");
    const b = bundle(shown);
    assertEquals((b[PLOTLY_MIME] as { data: unknown[] }).data.length, 1);
    assertStringIncludes(String(b["text/html"]), "window.Plotly.newPlot");
    assertStringIncludes(String(b["text/html"]), `saved: ${dir}/sub/fig.html (no PNG: png: false)`);
    assertStringIncludes(String(b["text/plain"]), `saved: ${dir}/sub/fig.html`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listFiles() lists files recursively with sizes, and nothing for a missing folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "list-files-" });
  try {
    await Deno.mkdir(`${dir}/best`);
    await Deno.writeTextFile(`${dir}/b.json`, "x".repeat(2048));
    await Deno.writeTextFile(`${dir}/best/model.json`, "{}");
    const rows = await listFiles(dir);
    assertEquals(rows.map((r) => [r.file, r.kB]), [["b.json", 2], ["best/model.json", 0]]);
    assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(rows[0].modified));
    assertEquals(await listFiles(`${dir}/missing`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
