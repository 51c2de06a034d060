// The data flows one way (README, "Where things are"): each folder of lib/ imports only from the folders its
// row names, and no module imports itself back through others. Read from the import statements of every lib/ file.
import { assertEquals } from "@std/assert";

const ALLOWED: Record<string, readonly string[]> = {
  "config.ts": [],
  util: [],
  io: [],
  backend: ["config", "util"],
  data: ["config", "util"],
  // the model as taught: tfjs and our two layers only (speed attaches from outside, through lib/speed)
  model: ["config", "io"],
  speed: ["backend", "model"],
  train: ["config", "io", "model", "util"],
  infer: ["backend", "data", "model"],
  eval: ["config", "data", "infer", "io", "util"],
  run: ["config", "data", "eval", "io", "model", "speed", "train"],
  plot: ["eval", "io", "run"],
  // after lib/commands (its one-line errors): the server and the web page reuse every stage's code
  serve: ["backend", "commands", "data", "infer", "io", "model", "plot", "run"],
  // a sweep is a plan of ordinary runs (lib/run) and a summary of them (lib/eval's bootstrap, lib/plot's figures)
  sweep: ["config", "eval", "io", "plot", "run", "util"],
};

function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...filesOf(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/**
 * The files `file` imports by relative path: static imports and re-exports (type-only ones included: they tie
 * the modules together for a reader too) and dynamic `import("./...")`. JSDoc is dropped (examples import too).
 */
export function importedFiles(file: string): string[] {
  const src = Deno.readTextFileSync(file).replace(/\/\*\*[\s\S]*?\*\//g, "");
  const out: string[] = [];
  for (
    const m of src.matchAll(
      /^(?:import|export)[^"';]*?from\s+"(\.{1,2}\/[^"]+)"|^import\s+"(\.{1,2}\/[^"]+)"|\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/gm,
    )
  ) {
    out.push(new URL(m[1] ?? m[2] ?? m[3], `file://${file}`).pathname);
  }
  return out;
}

/** The top-level lib/ entries (`data`, `config`, ...) that `file` imports, other than its own. */
function importedAreas(file: string): Set<string> {
  const areas = new Set<string>();
  const libRoot = new URL("../lib/", import.meta.url).pathname;
  for (const target of importedFiles(file)) {
    if (!target.startsWith(libRoot)) continue;
    const rest = target.slice(libRoot.length);
    areas.add(
      rest.includes("/")
        ? rest.split("/")[0]
        : rest.replace(/\.ts$/, "") + (rest === "config.ts" ? ".ts" : ""),
    );
  }
  return areas;
}

Deno.test("each folder of lib/ imports only from the earlier stages its README row names", () => {
  const libRoot = new URL("../lib/", import.meta.url).pathname;
  const found: Record<string, string[]> = {};
  for (const area of Object.keys(ALLOWED)) {
    const files = area.endsWith(".ts") ? [`${libRoot}${area}`] : filesOf(`${libRoot}${area}`);
    const own = area.replace(/\.ts$/, "");
    const used = new Set<string>();
    for (const f of files) for (const a of importedAreas(f)) if (a.replace(/\.ts$/, "") !== own) used.add(a);
    found[area] = [...used].map((a) => a.replace(/\.ts$/, "")).sort();
    const extra = found[area].filter((a) => !ALLOWED[area].includes(a));
    assertEquals(extra, [], `lib/${area} imports from ${extra.join(", ")}`);
  }
});

/** The first import cycle found among `files` (as a list of files, the first repeated at the end), or null. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === "done") return null;
    if (state.get(f) === "open") return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, "open");
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      const cycle = visit(g);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(f, "done");
    return null;
  };
  for (const f of [...graph.keys()].sort()) {
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return null;
}

Deno.test("findCycle() finds a three-module cycle and none in a chain", () => {
  const chain = new Map([["a", ["b"]], ["b", ["c"]], ["c", []]]);
  assertEquals(findCycle(chain), null);
  const loop = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assertEquals(findCycle(loop), ["a", "b", "c", "a"]);
});

Deno.test("no module of lib/ imports itself back through other modules (no import cycle)", () => {
  const libRoot = new URL("../lib/", import.meta.url).pathname;
  const graph = new Map<string, string[]>();
  for (const f of filesOf(libRoot.replace(/\/$/, ""))) {
    graph.set(f, importedFiles(f).filter((g) => g.startsWith(libRoot)));
  }
  const cycle = findCycle(graph);
  assertEquals(cycle, null, `import cycle: ${cycle?.map((f) => f.slice(libRoot.length)).join(" -> ")}`);
});

Deno.test("lib/model/ imports nothing from lib/backend/ or lib/speed/, directly or through another module", () => {
  const libRoot = new URL("../lib/", import.meta.url).pathname;
  const seen = new Set<string>();
  const todo = filesOf(`${libRoot}model`);
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...importedFiles(f).filter((g) => g.startsWith(libRoot)));
  }
  const reached = [...seen].map((f) => f.slice(libRoot.length)).filter((f) => /^(backend|speed)\//.test(f));
  assertEquals(reached, []);
});
