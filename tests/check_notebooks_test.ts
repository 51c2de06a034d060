// tools/check_notebooks.ts: notebook cells are type-checked and linted as one module; an error is located in its
// cell.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { checkNotebooks, libAsyncFunctions, moduleFromCells } from "../tools/check_notebooks.ts";

function notebook(cells: string[]): string {
  return JSON.stringify({
    cells: [
      { cell_type: "markdown", source: ["# a notebook\n"] },
      ...cells.map((c) => ({ cell_type: "code", source: c.split(/(?<=\n)/), outputs: [] })),
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  });
}

Deno.test("checkNotebooks() finds a missing await (reading .ids from a Promise) and names the cell and line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/bad.ipynb`;
    await Deno.writeTextFile(
      bad,
      notebook([
        "function decode(): Promise<{ ids: number[] }> {\n  return Promise.resolve({ ids: [4] });\n}",
        "const out = decode();\nconsole.log(out.ids);",
      ]),
    );
    const good = `${dir}/good.ipynb`;
    await Deno.writeTextFile(
      good,
      notebook([
        'import { Tokenizer } from "../lib/data/tokenizer.ts";\nconst tok = Tokenizer.fit(["ice melts"], 10);',
        "const ids = tok.encodeInput('ice', 3).ids;\nids.length;",
      ]),
    );
    assertEquals(await checkNotebooks([good]), []);
    const errors = await checkNotebooks([bad]);
    assertEquals(errors.length, 1, errors.join("\n"));
    assertMatch(errors[0], /bad\.ipynb cell 3 line 2: TS2339 Property 'ids' does not exist on type 'Promise/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("moduleFromCells() keeps the cells' code and maps lines back to cells", () => {
  const m = moduleFromCells([{ index: 2, source: 'import { x } from "../lib/a.ts";\nx;' }]);
  assertEquals(m.text.split("\n")[3], 'import { x } from "../lib/a.ts";');
  assertEquals(m.origin[4], { cell: 3, line: 2 });
});

Deno.test("checkNotebooks() lints for async mistakes and names the cell and line of each", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/lint_bad.ipynb`;
    await Deno.writeTextFile(
      bad,
      notebook([
        // cell 2: fine
        'import { pathExists } from "../lib/io/exists.ts";\nconst texts = ["ice", "melts"];',
        // cell 3: an async function without await (require-await)
        "async function count(): Promise<number> {\n  return texts.length;\n}",
        // cell 4: a lib async function called without await; a local async function dropped
        'pathExists("results");\ncount();',
        // cell 5: an async executor, an async forEach callback
        "const p = new Promise<void>(async (resolve) => {\n  await count();\n  resolve();\n});\n" +
        "texts.forEach(async (t) => console.log(t, await count()));\nawait p;",
      ]),
    );
    const errors = await checkNotebooks([bad]);
    const found = errors.map((e) => e.replace(/^.*lint_bad\.ipynb /, "").replace(/\) .*/, ")")).sort();
    assertEquals(found, [
      "cell 3 line 1: lint(require-await)",
      "cell 4 line 1: lint(notebook/no-floating-async-call)",
      "cell 4 line 2: lint(notebook/no-floating-async-call)",
      "cell 5 line 1: lint(no-async-promise-executor)",
      "cell 5 line 5: lint(notebook/no-async-foreach)",
    ], errors.join("\n"));
    assertMatch(
      errors.join("\n"),
      /cell 4 line 1: lint\(notebook\/no-floating-async-call\) the promise of async 'pathExists\(\)'/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every notebook in notebooks/ type-checks and lints clean", async () => {
  const root = new URL("../notebooks/", import.meta.url);
  const paths = [...Deno.readDirSync(root)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => decodeURIComponent(new URL(e.name, root).pathname))
    .sort();
  assert(paths.length >= 9, `only ${paths.length} notebooks found`);
  assertEquals(await checkNotebooks(paths), []);
});

Deno.test("libAsyncFunctions() finds lib's promise-returning exports, async or declared Promise<...>", async () => {
  const names = await libAsyncFunctions();
  for (const n of ["trainModel", "pathExists", "greedyDecodeBatch", "loadRun"]) assert(names.includes(n), n);
  assert(!names.includes("buildSeq2Seq"), "a synchronous export counted as async");
});
