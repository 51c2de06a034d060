/**
 * Functions longer than a limit, found with the TypeScript compiler's parser (`npm:typescript`): function
 * declarations (at any depth), class methods, constructors and accessors, and arrow or function expressions
 * assigned at the top level (`const f = () => ...`) or to a class property. A function's length is its lines
 * from its first line (after its comments) to its closing line. A function is exempt when a comment before it
 * (its JSDoc, or a line comment just above) says why with the words `long because`.
 *
 * `deno run -A tools/function_length.ts [MAX] [DIR]` lists them (default 80 lines, `lib/`); exits 1 if any.
 */
// Only this tool (and its test) needs the TypeScript parser: an inline specifier keeps it out of the import map,
// so no other command fetches it.
// deno-lint-ignore no-import-prefix
import ts from "npm:typescript@5.9.3";

/** One function over the limit. */
export interface LongFunction {
  file: string;
  /** 1-based line where the function starts. */
  line: number;
  name: string;
  lines: number;
}

/** Whether the comments before `node` (from the end of the previous token) say `long because`. */
function exempt(text: string, node: ts.Node): boolean {
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  return ranges.some((r) => /long because/i.test(text.slice(r.pos, r.end)));
}

/** The function a class member or top-level variable holds, if it holds one. */
function functionValue(init: ts.Expression | undefined): ts.ArrowFunction | ts.FunctionExpression | null {
  if (init === undefined) return null;
  let e = init;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) {
    e = e.expression;
  }
  return ts.isArrowFunction(e) || ts.isFunctionExpression(e) ? e : null;
}

/** The functions of one source text that are longer than `max` lines and not exempt. */
export function longFunctions(text: string, file: string, max: number): LongFunction[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: LongFunction[] = [];
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  /** `fn` measured; `anchor` is the node whose leading comments may exempt it (a statement or member). */
  const check = (fn: ts.Node, name: string, anchor: ts.Node) => {
    const start = lineOf(fn.getStart(sf));
    const lines = lineOf(fn.getEnd()) - start + 1;
    if (lines > max && !exempt(text, anchor)) out.push({ file, line: start, name, lines });
  };
  const nameOf = (n: ts.Node & { name?: ts.Node }, fallback: string) =>
    n.name !== undefined &&
      (ts.isIdentifier(n.name) || ts.isPrivateIdentifier(n.name) || ts.isStringLiteral(n.name))
      ? n.name.text
      : fallback;
  const visit = (node: ts.Node) => {
    if (ts.isFunctionDeclaration(node) && node.body) check(node, nameOf(node, "default"), node);
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      const cls = nameOf(node, "(class)");
      for (const m of node.members) {
        const member = `${cls}.${nameOf(m, "constructor")}`;
        if ((ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m) || ts.isAccessor(m)) && m.body) {
          check(m, member, m);
        } else if (ts.isPropertyDeclaration(m)) {
          const fn = functionValue(m.initializer);
          if (fn) check(fn, member, m);
        }
      }
    }
    if (ts.isVariableStatement(node) && node.parent === sf) {
      for (const d of node.declarationList.declarations) {
        const fn = functionValue(d.initializer);
        if (fn) {
          check(fn, nameOf(d, "(destructured)"), node.declarationList.declarations.length === 1 ? node : d);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Every `.ts` file under `dir`, sorted. */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...tsFiles(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out.sort();
}

/** The long functions of every `.ts` file under `dir` (paths as `dir/...`). */
export function longFunctionsUnder(dir: string, max: number): LongFunction[] {
  return tsFiles(dir).flatMap((f) => longFunctions(Deno.readTextFileSync(f), f, max));
}

if (import.meta.main) {
  const max = Number(Deno.args[0] ?? 80);
  const found = longFunctionsUnder(Deno.args[1] ?? "lib", max);
  for (const f of found) console.log(`${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
  console.log(`${found.length} functions over ${max} lines without a "long because" comment`);
  if (found.length > 0) Deno.exit(1);
}
