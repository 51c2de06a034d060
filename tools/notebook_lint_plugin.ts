/**
 * Lint rules for notebook code that `deno lint` has no rule for, used by `tools/check_notebooks.ts` on the
 * module it builds from a notebook's code cells. Both catch promises that nobody awaits, which in a notebook
 * means output that lands in a later cell, or an error that never shows:
 *
 * - `notebook/no-floating-async-call`: a statement that calls an async function and drops the promise
 *   (`trainModel(...)` instead of `await trainModel(...)`). Async functions are the ones the notebook declares
 *   (`async function`, `const f = async () => ...`) and the names given to {@link notebookLintPlugin}
 *   (the functions `lib/` exports that return a promise). Without types, only direct calls by name are seen.
 * - `notebook/no-async-foreach`: an async callback passed to `forEach`, which never awaits its promises.
 *
 * Deno lint loads a plugin from a file's default export, so the check writes a small module that calls
 * {@link notebookLintPlugin} with the names and exports the result.
 * @module
 */

/** The plugin, knowing `asyncNames` as async functions besides the ones the linted module declares. */
export function notebookLintPlugin(asyncNames: string[]): Deno.lint.Plugin {
  return {
    name: "notebook",
    rules: {
      "no-floating-async-call": {
        create(ctx) {
          const known = new Set(asyncNames);
          const local = new Set<string>();
          // declarations anywhere in the module count, also those after the call (hoisting, later cells)
          for (const s of ctx.sourceCode.ast.body) {
            if (s.type === "FunctionDeclaration" && s.async && s.id) local.add(s.id.name);
            if (s.type === "VariableDeclaration") {
              for (const d of s.declarations) {
                if (
                  d.id.type === "Identifier" && d.init &&
                  (d.init.type === "ArrowFunctionExpression" || d.init.type === "FunctionExpression") &&
                  d.init.async
                ) local.add(d.id.name);
              }
            }
          }
          // a local declaration of a name shadows the lib one only if it is itself not async
          for (const s of ctx.sourceCode.ast.body) {
            if (s.type === "FunctionDeclaration" && !s.async && s.id) known.delete(s.id.name);
          }
          return {
            ExpressionStatement(node) {
              const e = node.expression;
              if (e.type !== "CallExpression" || e.callee.type !== "Identifier") return;
              const name = e.callee.name;
              if (local.has(name) || known.has(name)) {
                ctx.report({
                  node: e,
                  message: `the promise of async '${name}()' is dropped: its result, output and errors ` +
                    `arrive after the cell has finished`,
                  hint: `write 'await ${name}(...)'`,
                });
              }
            },
          };
        },
      },
      "no-async-foreach": {
        create(ctx) {
          return {
            CallExpression(node) {
              const c = node.callee;
              if (c.type !== "MemberExpression" || c.property.type !== "Identifier") return;
              if (c.property.name !== "forEach") return;
              const f = node.arguments[0];
              if (f && (f.type === "ArrowFunctionExpression" || f.type === "FunctionExpression") && f.async) {
                ctx.report({
                  node: f,
                  message: "async callback passed to forEach: its promises are never awaited",
                  hint: "use 'for (const x of xs) await ...' or 'await Promise.all(xs.map(async ...))'",
                });
              }
            },
          };
        },
      },
    },
  };
}
