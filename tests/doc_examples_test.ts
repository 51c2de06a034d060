// Every @example in lib/ checks its result with @std/assert (as Deno's standard library does), so that
// `deno task test:doc` fails when an example stops being true, instead of printing something nobody reads.
import { assert, assertEquals } from "@std/assert";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** One fenced code block of an @example tag: where it starts (1-based line) and its code. */
interface Example {
  line: number;
  code: string;
}

/** The code of every @example in a TypeScript file's JSDoc comments. */
export function examplesOf(text: string): Example[] {
  const lines = text.split("\n");
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*(\/\*\*|\*)\s*@example\b/.test(lines[i])) continue;
    if (lines[i].includes("*/")) {
      out.push({ line: i + 1, code: "" }); // a one-line @example: no code block
      continue;
    }
    let j = i + 1;
    while (j < lines.length && !/^\s*\*\s*```/.test(lines[j]) && !/\*\//.test(lines[j])) j++;
    if (j >= lines.length || !/```/.test(lines[j])) {
      out.push({ line: i + 1, code: "" }); // an @example without a code block
      continue;
    }
    const code: string[] = [];
    for (j++; j < lines.length && !/^\s*\*\s*```/.test(lines[j]); j++) {
      code.push(lines[j].replace(/^\s*\* ?/, ""));
    }
    out.push({ line: i + 1, code: code.join("\n") });
  }
  return out;
}

/** Why an example does not check its result, or null when it does. */
export function exampleProblem(code: string): string | null {
  if (!/from "@std\/assert"/.test(code)) return 'imports nothing from "@std/assert"';
  // a call of assert, assertEquals, assertThrows, ... that is not inside a line comment
  const live = code.split("\n").map((l) => l.replace(/\/\/.*$/, "")).join("\n");
  if (!/\bassert\w*\(/.test(live)) return "calls no assert function";
  return null;
}

function libFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory ? libFiles(p) : e.isFile && e.name.endsWith(".ts") ? [p] : [];
  }).sort();
}

Deno.test("every @example in lib/ asserts its result with @std/assert", () => {
  const problems: string[] = [];
  let n = 0;
  for (const f of libFiles(join(ROOT, "lib"))) {
    for (const ex of examplesOf(Deno.readTextFileSync(f))) {
      n++;
      const why = exampleProblem(ex.code);
      if (why) problems.push(`${relative(ROOT, f)}:${ex.line}: the @example ${why}`);
    }
  }
  assert(n >= 40, `only ${n} @example blocks found in lib/: is the parser broken?`);
  assertEquals(problems, [], problems.join("\n"));
});

Deno.test("the example check rejects examples that print, are commented out, or have no code", () => {
  const file = [
    "/**",
    " * @example",
    " * ```ts",
    ' * import { mulberry32 } from "./rng.ts";',
    " * console.log(mulberry32(42)()); // 0.6011037519201636",
    " * ```",
    " */",
    "/**",
    " * @example",
    " * ```ts",
    ' * import { assertEquals } from "@std/assert";',
    " * // assertEquals(decode(), [4]);",
    " * ```",
    " */",
    "/**",
    " * @example",
    " * ```ts",
    ' * import { assertEquals } from "@std/assert";',
    ' * import { mulberry32 } from "./rng.ts";',
    " * assertEquals(mulberry32(42)(), 0.6011037519201636);",
    " * ```",
    " */",
    "/** @example mulberry32(42)() */",
  ].join("\n");
  const found = examplesOf(file);
  assertEquals(found.map((e) => e.line), [2, 9, 16, 23]);
  assertEquals(found.map((e) => exampleProblem(e.code)), [
    'imports nothing from "@std/assert"',
    "calls no assert function",
    null,
    'imports nothing from "@std/assert"',
  ]);
});
