// sourceOf()/showSource() cut a declaration out of a file for a notebook page (lib/plot/source.ts).
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { showSource, SourceNotFoundError, sourceOf } from "../lib/plot/source.ts";

const SAMPLE = `import x from "./x.ts";

/** Adds. */
export function add(a: number, b: number): { sum: number } {
  const brace = "}"; // a brace in a string, and one in a comment: }
  const t = \`\${a + b} }\`;
  return { sum: a + b + t.length * 0 + brace.length * 0 };
}

export class Box {
  private v = 1;

  /**
   * The value.
   */
  override get(n: number): number {
    if (n > 0) {
      return this.v * n;
    }
    return /* } */ this.v;
  }

  set(n: number): void {
    this.v = n;
  }
}
`;

async function withSample(f: (file: string) => void | Promise<void>) {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, SAMPLE);
    await f(file);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("sourceOf() cuts a function from its JSDoc to its closing brace, past braces in strings, templates and comments", () =>
  withSample((file) => {
    const s = sourceOf(file, "add");
    assertEquals(s.line, 3);
    assertEquals(s.text.split("\n")[0], "/** Adds. */");
    assert(s.text.endsWith("return { sum: a + b + t.length * 0 + brace.length * 0 };\n}"), s.text);
  }));

Deno.test("sourceOf() cuts a method out of its class and removes the class's indentation", () =>
  withSample((file) => {
    const s = sourceOf(file, "Box.get");
    assertEquals(s.text.split("\n"), [
      "/**",
      " * The value.",
      " */",
      "override get(n: number): number {",
      "  if (n > 0) {",
      "    return this.v * n;",
      "  }",
      "  return /* } */ this.v;",
      "}",
    ]);
    assertEquals(sourceOf(file, "Box.set").text, "set(n: number): void {\n  this.v = n;\n}");
  }));

Deno.test("sourceOf() names the file when the declaration is not there", () =>
  withSample((file) => {
    assertThrows(() => sourceOf(file, "missing"), SourceNotFoundError, `${file}: no declaration of missing`);
    assertThrows(() => sourceOf(file, "Nope.get"), SourceNotFoundError, `${file}: no class Nope`);
  }));

Deno.test("showSource() displays the model's build function as a ts code block titled with its file and line", () => {
  const shown = showSource(new URL("../lib/model/seq2seq.ts", import.meta.url), "buildSeq2Seq");
  const bundle = shown[Symbol.for("Jupyter.display")]() as Record<string, string>;
  assertStringIncludes(bundle["text/markdown"], "`buildSeq2Seq` (lib/model/seq2seq.ts:");
  assertStringIncludes(bundle["text/markdown"], "```ts\n/**");
  assertStringIncludes(bundle["text/html"], "new BahdanauAttention(");
});

Deno.test("sourceOf() ends at the file's end when a declaration runs into a comment that never ends", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    for (const tail of ["// no newline after this comment", "/* never closed"]) {
      await Deno.writeTextFile(file, `export function cut(): void {\n  const a = 1; ${tail}`);
      const s = sourceOf(file, "cut");
      assert(s.text.endsWith(tail), s.text);
    }
  } finally {
    await Deno.remove(file);
  }
});
