import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  CorpusError,
  corpusToDataFrame,
  loadCorpus,
  resolveDataDir,
  skippedFileLines,
} from "../lib/data/corpus.ts";

const BOM = "\ufeff";
const HEADER = "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Snippet";

/** A row of the 7 columns with `snippet` written as given (caller quotes it). */
function row(i: number, snippet: string): string {
  return `https://example.org/${i},1/2/2019 3:04:05,CNN,Show ${i},CNNW_${i},https://example.org/${i}.jpg,${snippet}`;
}

/** A temp data folder with `TelevisionNews/<name>` files holding the given texts. */
async function fixture(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "envnews_test_" });
  await Deno.mkdir(`${dir}/TelevisionNews`);
  for (const [name, content] of Object.entries(files)) {
    const path = `${dir}/TelevisionNews/${name}`;
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
  return dir;
}

Deno.test("loadCorpus() strips the BOM and reads quoted commas, quotes and newlines inside a Snippet", async () => {
  const text = BOM + [
    HEADER,
    row(1, `"warming, and more warming"`),
    row(2, `"line one\nline two with ""quotes"""`),
    row(3, "plain snippet"),
  ].join("\n") + "\n";
  const dir = await fixture({ "CNN.201901.csv": text });
  try {
    const { rows, report } = await loadCorpus(dir);
    assertEquals(rows.map((r) => r.snippet), [
      "warming, and more warming",
      'line one\nline two with "quotes"',
      "plain snippet",
    ]);
    // the header is line 1; the quoted newline makes row 2 span lines 3-4
    assertEquals(rows.map((r) => r.line), [2, 3, 5]);
    assertEquals(rows[0].url, "https://example.org/1"); // the BOM did not hide the URL column
    assertEquals(rows[0], {
      file: "CNN.201901.csv",
      line: 2,
      url: "https://example.org/1",
      matchDateTime: "1/2/2019 3:04:05",
      station: "CNN",
      show: "Show 1",
      iaShowId: "CNNW_1",
      iaPreviewThumb: "https://example.org/1.jpg",
      snippet: "warming, and more warming",
    });
    assertEquals([report.files, report.rows, report.skipped], [1, 3, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() counts a BOM-only file and an empty file as empty files, not errors", async () => {
  const dir = await fixture({
    "CNN.200910.csv": BOM,
    "CNN.200911.csv": "",
    "CNN.200912.csv": `${BOM}${HEADER}\n${row(1, "text")}\n`,
  });
  try {
    const { rows, report } = await loadCorpus(dir);
    assertEquals(rows.length, 1);
    assertEquals(report.files, 3);
    assertEquals(report.emptyFiles, ["CNN.200910.csv", "CNN.200911.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() reads files in sorted order, CRLF line ends, and skips blank lines", async () => {
  const dir = await fixture({
    "MSNBC.201001.csv": `${BOM}${HEADER}\r\n${row(3, "third")}\r\n`,
    "BBCNEWS.201001.csv": `${BOM}${HEADER}\r\n${row(1, '"first\r\nstill first"')}\r\n\r\n${
      row(2, "second")
    }\r\n`,
  });
  try {
    const { rows, report } = await loadCorpus(dir);
    assertEquals(rows.map((r) => [r.file, r.line, r.snippet]), [
      ["BBCNEWS.201001.csv", 2, "first\nstill first"],
      ["BBCNEWS.201001.csv", 5, "second"],
      ["MSNBC.201001.csv", 2, "third"],
    ]);
    assertEquals(report.perFile[0].blankLines, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("strict loadCorpus() names the file and line of a row with a missing field", async () => {
  const short = "https://example.org/2,1/2/2019 3:04:05,CNN,Show,CNNW_2,snippet without thumb";
  const dir = await fixture({
    "CNN.201902.csv": `${BOM}${HEADER}\n${row(1, "ok")}\n${short}\n${row(3, "ok")}\n`,
  });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.201902.csv:3");
    assertStringIncludes(err.message, "6 field(s), the header has 7");
    assertStringIncludes(err.message, "--lenient");
    assertEquals([err.file, err.line], ["CNN.201902.csv", 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lenient loadCorpus() skips a row with a missing field and counts it with its line", async () => {
  const short = "https://example.org/2,1/2/2019 3:04:05,CNN,Show,CNNW_2,snippet without thumb";
  const dir = await fixture({
    "CNN.201902.csv": `${BOM}${HEADER}\n${row(1, "ok")}\n${short}\n${row(3, "ok3")}\n`,
  });
  try {
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["ok", "ok3"]);
    assertEquals([report.rows, report.skipped], [2, 1]);
    const fr = report.perFile[0];
    assertEquals([fr.rows, fr.skipped], [2, 1]);
    assertEquals(fr.problems.length, 1);
    assertEquals(fr.problems[0].line, 3);
    assertStringIncludes(fr.problems[0].reason, "missing from Snippet on");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() reports unparsable rows (bad quote, unterminated quote) by line", async () => {
  const text = [
    BOM + HEADER,
    row(1, "ok1"),
    row(2, `"closed" then text`), // a quote followed by other text: invalid CSV
    row(3, "ok3"),
    row(4, `"never closed`), // unterminated: only this line is lost, not the rest of the file
    row(5, "ok5"),
  ].join("\n");
  const dir = await fixture({ "FOXNEWS.201101.csv": text });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "FOXNEWS.201101.csv:3");
    assertStringIncludes(err.message, "unparsable CSV");
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["ok1", "ok3", "ok5"]);
    assertEquals(report.perFile[0].problems.map((p) => p.line), [3, 5]);
    assertStringIncludes(report.perFile[0].problems[1].reason, "unterminated quoted field");
    assertEquals(report.skipped, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() rejects a header without the Snippet column, naming the file", async () => {
  const header = "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Text";
  const dir = await fixture({
    "CNN.201001.csv": `${BOM}${header}\n${row(1, "a")}\n${row(2, "b")}\n`,
    "CNN.201002.csv": `${BOM}${HEADER}\n${row(3, "c")}\n`,
  });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.201001.csv");
    assertStringIncludes(err.message, "lacks column(s) Snippet");
    assertEquals(err.line, 0);
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["c"]);
    assertEquals(report.skippedFiles, ["CNN.201001.csv"]);
    assertEquals(report.skipped, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() in lenient mode counts a bad-header file's rows as skipped and names the file in one line", async () => {
  const header = "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Text";
  const dir = await fixture({
    "CNN.201001.csv": `${BOM}${header}\n${row(1, "a")}\n${row(2, "b")}\n`,
    "CNN.201002.csv": `${BOM}${HEADER}\n${row(3, "c")}\nu,d,CNN\n`,
  });
  try {
    const { report } = await loadCorpus(dir, { lenient: true });
    const [whole, read] = report.perFile;
    // the skipped file: its two rows counted, none listed; its one reason is the file's
    assertEquals([whole.rows, whole.skipped, whole.problems], [0, 2, []]);
    assertStringIncludes(whole.fileProblem ?? "", "lacks column(s) Snippet");
    // a file whose header was read lists each skipped row
    assertEquals([read.rows, read.skipped, read.problems.map((p) => p.line)], [1, 1, [3]]);
    assertEquals(report.skipped, 3);
    const lines = skippedFileLines(report);
    assertEquals(lines.length, 1);
    assert(
      lines[0].startsWith("CNN.201001.csv: skipped whole (2 rows): header lacks column(s) Snippet"),
      lines[0],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() maps columns by header name, whatever their order", async () => {
  const header = "Snippet,URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb";
  const dir = await fixture({ "CNN.201001.csv": `${BOM}${header}\n"hot, dry",u,d,CNN,s,id,th\n` });
  try {
    const { rows } = await loadCorpus(dir);
    assertEquals([rows[0].snippet, rows[0].url, rows[0].iaPreviewThumb], ["hot, dry", "u", "th"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() rejects invalid UTF-8 in strict mode and notes it in lenient mode", async () => {
  const enc = new TextEncoder();
  const bytes = new Uint8Array([...enc.encode(`${HEADER}\n${row(1, "caf")}`), 0xff, 0xfe, 10]);
  const dir = await fixture({ "CNN.201001.csv": bytes });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.201001.csv: not valid UTF-8");
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.length, 1);
    assertStringIncludes(report.perFile[0].fileProblem ?? "", "not valid UTF-8");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() on a missing folder says where it looked and how to point at the data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "envnews_test_" });
  try {
    const err = await assertRejects(() => loadCorpus(`${dir}/nowhere`), Error);
    assertStringIncludes(err.message, `${dir}/nowhere/TelevisionNews`);
    assertStringIncludes(err.message, "does not exist");
    assertStringIncludes(err.message, "--data=PATH");
    assertStringIncludes(err.message, "ENVNEWS_DIR");
    const err2 = await assertRejects(() => loadCorpus(dir), Error);
    assertStringIncludes(err2.message, `${dir}/TelevisionNews`);
    await Deno.mkdir(`${dir}/TelevisionNews`);
    const err3 = await assertRejects(() => loadCorpus(dir), Error);
    assertStringIncludes(err3.message, "holds no .csv files");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDataDir() prefers the config value, then ENVNEWS_DIR, else null (embedded)", () => {
  const saved = Deno.env.get("ENVNEWS_DIR");
  try {
    Deno.env.set("ENVNEWS_DIR", "/from/env");
    assertEquals(resolveDataDir("/from/cfg"), "/from/cfg");
    assertEquals(resolveDataDir(""), "/from/env");
    Deno.env.delete("ENVNEWS_DIR");
    assertEquals(resolveDataDir(""), null);
  } finally {
    if (saved === undefined) Deno.env.delete("ENVNEWS_DIR");
    else Deno.env.set("ENVNEWS_DIR", saved);
  }
});

Deno.test("corpusToDataFrame() gives one row per snippet with typed columns", async () => {
  const dir = await fixture({ "CNN.201901.csv": `${BOM}${HEADER}\n${row(1, '"a, b"')}\n${row(2, "c")}\n` });
  try {
    const { rows } = await loadCorpus(dir);
    const df = await corpusToDataFrame(rows);
    assertEquals(df.shape, { height: 2, width: 9 });
    assertEquals(df.columns, [
      "file",
      "line",
      "url",
      "matchDateTime",
      "station",
      "show",
      "iaShowId",
      "iaPreviewThumb",
      "snippet",
    ]);
    assertEquals(df.getColumn("snippet").toArray(), ["a, b", "c"]);
    assertEquals(df.getColumn("line").toArray(), [2, 3]);
    assert(String(df.getColumn("line").dtype).includes("Int32"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lenient loadCorpus() skips only the line of a stray quote that a later line's quote closed", async () => {
  // line 3 opens a quote that line 4's quoted snippet closes: one record of two lines that does not parse
  const text = [HEADER, row(1, "ok1"), row(2, `"he said`), row(3, `"hi, there"`), row(4, "ok4")].join("\n");
  const dir = await fixture({ "CNN.201903.csv": text });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    // the file's own line and column, not @std/csv's count from the record's first line
    assertStringIncludes(err.message, "CNN.201903.csv:3: unparsable CSV (line 4, column ");
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => [r.line, r.snippet]), [[2, "ok1"], [4, "hi, there"], [5, "ok4"]]);
    assertEquals(report.perFile[0].problems.map((p) => p.line), [3]);
    assertStringIncludes(report.perFile[0].problems[0].reason, "only line 3 skipped");
    // every data line is a row or a skipped row
    assertEquals(report.rows + report.skipped, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() refuses a header line repeated inside a file (files joined with cat), naming its line", async () => {
  const text = [HEADER, row(1, "one"), HEADER, row(2, "two")].join("\n") + "\n";
  const dir = await fixture({ "CNN.201904.csv": text });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.201904.csv:3: a repeated header line");
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["one", "two"]);
    assertEquals(report.perFile[0].problems, [{ line: 3, reason: "a repeated header line" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() refuses a header that names the Snippet column twice instead of reading one of them", async () => {
  const dir = await fixture({
    "CNN.201905.csv": `${HEADER},Snippet\n${row(1, "first")},second\n`,
    "CNN.201906.csv": `${HEADER}\n${row(2, "kept")}\n`,
  });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.201905.csv: header repeats column(s) Snippet");
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["kept"]);
    assertEquals([report.skippedFiles, report.skipped], [["CNN.201905.csv"], 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() reads a .csv that is a symbolic link and refuses a dangling one by name", async () => {
  const dir = await fixture({ "CNN.201907.csv": `${HEADER}\n${row(1, "direct")}\n` });
  const elsewhere = await Deno.makeTempDir({ prefix: "envnews_link_" });
  try {
    await Deno.writeTextFile(`${elsewhere}/real.csv`, `${HEADER}\n${row(2, "linked")}\n`);
    await Deno.symlink(`${elsewhere}/real.csv`, `${dir}/TelevisionNews/CNN.201908.csv`);
    const { rows, report } = await loadCorpus(dir);
    assertEquals(rows.map((r) => [r.file, r.snippet]), [["CNN.201907.csv", "direct"], [
      "CNN.201908.csv",
      "linked",
    ]]);
    assertEquals(report.ignoredEntries, []);
    await Deno.symlink(`${elsewhere}/gone.csv`, `${dir}/TelevisionNews/CNN.201909.csv`);
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.201909.csv: a link to nothing (dangling)");
    const lenient = await loadCorpus(dir, { lenient: true });
    assertEquals(lenient.rows.length, 2);
    assertEquals(lenient.report.ignoredEntries, ["CNN.201909.csv (a link to nothing (dangling))"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("loadCorpus() reads lone-CR line ends as lines, and names them where they mix with LF", async () => {
  const dir = await fixture({ "CNN.201910.csv": [HEADER, row(1, "one"), row(2, "two")].join("\r") + "\r" });
  try {
    const { rows } = await loadCorpus(dir);
    assertEquals(rows.map((r) => [r.line, r.snippet]), [[2, "one"], [3, "two"]]);
    await Deno.writeTextFile(
      `${dir}/TelevisionNews/CNN.201910.csv`,
      `${HEADER}\r\n${row(1, "one")}\r${row(2, "two")}\n`,
    );
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.201910.csv:2: row has 13 field(s)");
    assertStringIncludes(err.message, "a carriage return without a line feed (mixed line ends?)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lenient loadCorpus() re-reads the lines of a run-on record that parses but has the wrong width", async () => {
  // line 3's stray quote closes on line 4, whose row then has an extra field: one record of 8 fields
  const text = [HEADER, row(1, "ok1"), row(2, `"stray`), row(3, `x",extra`), row(4, "ok4")].join("\n");
  const dir = await fixture({ "CNN.201911.csv": text });
  try {
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["ok1", "ok4"]);
    assertEquals(report.perFile[0].problems.map((p) => p.line), [3, 4]);
    assertEquals(report.rows + report.skipped, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lenient loadCorpus() accounts for every line of a quote left open over 200,000 lines", async () => {
  const n = 200_000;
  const lines = [HEADER, row(0, `"left open`)];
  for (let i = 1; i < n; i++) lines.push(row(i, "fine"));
  lines.push(row(n, `"closes here"x`)); // a quote that closes the run-on record, then junk: unparsable
  const dir = await fixture({ "CNN.201912.csv": lines.join("\n") });
  try {
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.length, n - 1);
    assertEquals(report.perFile[0].problems.map((p) => p.line), [2, n + 2]);
    assertEquals(report.rows + report.skipped, n + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() names a .csv link that cannot be followed (a loop) instead of calling it dangling", async () => {
  const dir = await fixture({ "CNN.202001.csv": `${HEADER}\n${row(1, "kept")}\n` });
  try {
    await Deno.symlink(`${dir}/TelevisionNews/LOOP.csv`, `${dir}/TelevisionNews/LOOP.csv`);
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "LOOP.csv: a link that cannot be followed (");
    assertStringIncludes(err.message, "(use --lenient to skip and count such files)");
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["kept"]);
    assert(
      report.ignoredEntries[0].startsWith("LOOP.csv (a link that cannot be followed ("),
      report.ignoredEntries[0],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() refuses a quoted field whose later line is a whole row of its own (a quote left open)", async () => {
  // legal CSV: line 3's quote closes at the end of line 4, so row 3 would silently hold row 4 in its snippet
  const text = [HEADER, row(1, "ok1"), row(2, `"he said`), row(3, `hi"`), row(4, "ok4")].join("\n");
  const dir = await fixture({ "CNN.202002.csv": text });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(
      err.message,
      "CNN.202002.csv:3: a quoted field runs over line 4, which is a whole row",
    );
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    // line 3 skipped, line 4 read again on its own: a row with its closing quote as text is unparsable, skipped too
    assertEquals(rows.map((r) => r.snippet), ["ok1", "ok4"]);
    assertEquals(report.rows + report.skipped, 4);
    // a line break inside a snippet is still read when no line of it is a row
    const fine = await fixture({
      "CNN.202003.csv": [HEADER, row(1, `"line one\nline two, three"`)].join("\n"),
    });
    assertEquals((await loadCorpus(fine)).rows.map((r) => r.snippet), ["line one\nline two, three"]);
    await Deno.remove(fine, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() keeps a snippet whose later lines hold six commas: only a line that looks like a row is one", async () => {
  const cities = `"cities named\nparis, london, berlin, rome, madrid, lisbon, oslo\nand more"`;
  const dir = await fixture({
    "CNN.202004.csv": [
      HEADER,
      row(1, `"prices:\n1,2,3,4,5,6,7"`),
      row(2, cities),
      row(3, `"x\n\na,b,c,d,e,f,g\ny"`),
    ]
      .join("\n"),
  });
  try {
    const { rows, report } = await loadCorpus(dir);
    assertEquals(rows.map((r) => r.snippet), [
      "prices:\n1,2,3,4,5,6,7",
      "cities named\nparis, london, berlin, rome, madrid, lisbon, oslo\nand more",
      "x\n\na,b,c,d,e,f,g\ny",
    ]);
    assertEquals(report.skipped, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() finds a row swallowed by a quote left open when Snippet is not the last column", async () => {
  const header = "Snippet,URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb";
  const r = (i: number, snippet: string) =>
    `${snippet},https://example.org/${i},1/2/2019 3:04:05,CNN,Show ${i},CNNW_${i},https://example.org/${i}.jpg`;
  const dir = await fixture({
    "CNN.202005.csv": [header, r(1, "ok1"), r(2, `"he said`), r(3, `hi"`)].join("\n"),
  });
  try {
    const err = await assertRejects(() => loadCorpus(dir), CorpusError);
    assertStringIncludes(err.message, "CNN.202005.csv:3: a quoted field opened on line 3 holds a whole row");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lenient loadCorpus() does not make a row of a snippet line it re-reads after a bad quoted record", async () => {
  // a quoted snippet over three lines, then an extra field: 8 fields, re-read line by line
  const bad = row(1, `"cities\nparis, london, berlin, rome, madrid, lisbon, oslo\nend",extra`);
  const dir = await fixture({ "CNN.202006.csv": [HEADER, bad, row(2, "ok2")].join("\n") });
  try {
    const { rows, report } = await loadCorpus(dir, { lenient: true });
    assertEquals(rows.map((r) => r.snippet), ["ok2"]);
    assertEquals(report.perFile[0].problems.map((p) => p.line), [2, 3, 4]);
    assertStringIncludes(report.perFile[0].problems[1].reason, "but not a row");
    assertEquals(report.rows + report.skipped, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
