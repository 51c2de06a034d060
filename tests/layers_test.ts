// The data flows one way (README, "Where things are"): each folder of lib/ imports only from the folders its
// row names. Read from the import statements of every lib/ file.
import { assertEquals } from "@std/assert";

const ALLOWED: Record<string, readonly string[]> = {
  "config.ts": [],
  util: [],
  io: [],
  backend: ["config", "util"],
  data: ["config", "util"],
  model: ["backend", "config", "io"],
  train: ["config", "io", "model", "util"],
  infer: ["backend", "data", "model"],
  eval: ["config", "data", "infer", "io", "util"],
  run: ["config", "data", "eval", "io", "model", "train"],
  plot: ["eval", "io", "run"],
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

/** The top-level lib/ entries (`data`, `config`, ...) that `file` imports, other than its own. */
function importedAreas(file: string): Set<string> {
  const src = Deno.readTextFileSync(file).replace(/\/\*\*[\s\S]*?\*\//g, ""); // drop JSDoc (examples import too)
  const areas = new Set<string>();
  const libRoot = new URL("../lib/", import.meta.url).pathname;
  for (
    const m of src.matchAll(
      /^(?:import|export)[^"';]*?from\s+"(\.{1,2}\/[^"]+)"|^import\s+"(\.{1,2}\/[^"]+)"/gm,
    )
  ) {
    const spec = m[1] ?? m[2];
    const target = new URL(spec, `file://${file}`).pathname;
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
