/**
 * Show a function or a method of the project's source on a notebook page, as d2l.ai shows the code a learner
 * needs: {@linkcode sourceOf} cuts one declaration out of a file (from its JSDoc to its closing brace), and
 * {@linkcode showSource} displays it as a highlighted code block, with the file and line it comes from. The page
 * always shows the code that runs, since it is read from the file when the cell runs.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { sourceOf } from "./source.ts";
 * const src = sourceOf(new URL("../model/attention.ts", import.meta.url), "BahdanauAttention.call");
 * assert(src.text.includes("this.scores(query, keys)"));
 * assert(src.text.trimEnd().endsWith("}"));
 * assertEquals(src.file.endsWith("lib/model/attention.ts"), true);
 * ```
 * @module
 */
import type { Displayable } from "./plotly.ts";

/** A declaration cut out of a source file. */
export interface SourceExcerpt {
  file: string;
  /** 1-based line of the excerpt's first line (its JSDoc, when it has one). */
  line: number;
  text: string;
}

/** `name` is not declared in `file` the way {@linkcode sourceOf} looks for it. */
export class SourceNotFoundError extends Error {
  override name = "SourceNotFoundError";
}

/**
 * The declaration of `name` in `file` with its JSDoc: a top-level `function name(`, `class name`, `const name`, or a
 * method `Class.method` (found inside the class's body). Throws {@linkcode SourceNotFoundError} naming the file.
 */
export function sourceOf(file: string | URL, name: string): SourceExcerpt {
  const path = file instanceof URL ? decodeURIComponent(file.pathname) : file;
  const src = Deno.readTextFileSync(path);
  const [owner, member] = name.includes(".") ? name.split(".", 2) : [null, name];
  let from = 0, to = src.length;
  if (owner !== null) {
    const cls = declarationStart(src, new RegExp(`^(?:export )?class ${owner}\\b`, "m"), 0, src.length);
    if (cls < 0) throw new SourceNotFoundError(`${path}: no class ${owner}`);
    from = cls;
    to = blockEnd(src, src.indexOf("{", cls));
  }
  const pattern = owner === null
    ? new RegExp(`^(?:export )?(?:async )?(?:function\\*? |class |const |let )${member}\\b`, "m")
    : new RegExp(
      `^  (?:(?:override|static|async|private|protected|public|readonly) )*${member}\\s*[(<]`,
      "m",
    );
  const start = declarationStart(src, pattern, from, to);
  if (start < 0) throw new SourceNotFoundError(`${path}: no declaration of ${name}`);
  const end = blockEnd(src, bodyOpen(src, start, src.indexOf("{", start)));
  const docStart = jsdocStart(src, start);
  const indent = owner === null ? "" : "  ";
  const text = src.slice(docStart, end).split("\n").map((l) =>
    l.startsWith(indent) ? l.slice(indent.length) : l
  )
    .join("\n");
  return { file: path, line: src.slice(0, docStart).split("\n").length, text };
}

/** A code block for a notebook cell: the excerpt of {@linkcode sourceOf}, titled with its file and line. */
export function showSource(file: string | URL, name: string): Displayable {
  const s = sourceOf(file, name);
  const where = `${s.file.replace(/^.*?\/(lib\/)/, "$1")}:${s.line}`;
  const escaped = s.text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return {
    [Symbol.for("Jupyter.display")]: () => ({
      "text/markdown": `\`${name}\` (${where})\n\n\`\`\`ts\n${s.text}\n\`\`\``,
      "text/html":
        `<div><code>${name}</code> (${where})</div><pre><code class="language-ts">${escaped}</code></pre>`,
      "text/plain": `${name} (${where})\n${s.text}`,
    }),
  } as Displayable;
}

/** Index of the first match of `pattern` between `from` and `to`, or -1. */
function declarationStart(src: string, pattern: RegExp, from: number, to: number): number {
  const m = pattern.exec(src.slice(from, to));
  return m ? from + m.index : -1;
}

/** The `{` that opens the body of the declaration at `start` (past its parameter list and return type). */
function bodyOpen(src: string, start: number, fallback: number): number {
  let depth = 0;
  for (let i = start; i < src.length; i++) {
    const ch = src[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "{" && depth === 0) {
      // a `{` inside a return type such as `: { a: number }` is followed by its own `}` before `{` of the body;
      // the body's brace ends the line
      const lineEnd = src.indexOf("\n", i);
      if (src.slice(i + 1, lineEnd).trim() === "") return i;
    }
  }
  return fallback;
}

/** Index just past the `}` that closes the block opened at `open`, skipping strings, templates and comments. */
function blockEnd(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const ch = src[i];
    // a comment that never ends (the file's last line, an unclosed /*) ends the search, not restarts it
    if (ch === "/" && src[i + 1] === "/") i = endOrLength(src.indexOf("\n", i), src);
    else if (ch === "/" && src[i + 1] === "*") i = endOrLength(src.indexOf("*/", i + 2), src) + 1;
    else if (ch === '"' || ch === "'" || ch === "`") i = stringEnd(src, i);
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i + 1;
  }
  return src.length;
}

/** `index`, or the source's length when the search found nothing (-1). */
function endOrLength(index: number, src: string): number {
  return index < 0 ? src.length : index;
}

/** Index of the quote that closes the string or template literal opened at `i` (templates' `${}` nest). */
function stringEnd(src: string, i: number): number {
  const q = src[i];
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === "\\") j++;
    else if (src[j] === q) return j;
    else if (q === "`" && src[j] === "$" && src[j + 1] === "{") j = blockEnd(src, j + 1) - 1;
  }
  return src.length;
}

/** Where the JSDoc right above `start` begins (`start` itself when there is none). */
function jsdocStart(src: string, start: number): number {
  const before = src.slice(0, start).trimEnd();
  if (!before.endsWith("*/")) return start;
  const open = before.lastIndexOf("/**");
  return open < 0 ? start : src.lastIndexOf("\n", open) + 1;
}
