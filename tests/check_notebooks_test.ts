// tools/check_notebooks.ts: notebook cells are type-checked as one module; an error is located in its cell.
import { assertEquals, assertMatch } from "@std/assert";
import { checkNotebooks, moduleFromCells } from "../tools/check_notebooks.ts";

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
        'import { Tokenizer } from "../lib/data/tokenizer.ts";\n' +
        "async function decode(): Promise<{ ids: number[] }> {\n  return { ids: [4] };\n}",
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
