/**
 * Keep committed notebooks small: remove outputs, execution counts and per-run cell metadata
 * (`execution`, `collapsed`, `scrolled`) from `notebooks/*.ipynb`, keeping sources, tags and ids.
 *
 * Usage: `deno run -A tools/strip_notebooks.ts [--check] [PATH...]` (default: every notebook in
 * `notebooks/`). `--check` writes nothing and exits 1, naming the files, when any is not stripped.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A notebook cell as far as stripping is concerned (nbformat 4). */
export interface NotebookCell {
  cell_type: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  [key: string]: unknown;
}

/** A notebook as far as stripping is concerned (nbformat 4). */
export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

const RUN_METADATA = ["execution", "collapsed", "scrolled"];

/** A copy of `nb` without outputs, execution counts and per-run cell metadata. */
export function stripNotebook(nb: Notebook): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((cell) => {
      const metadata = { ...cell.metadata };
      for (const k of RUN_METADATA) delete metadata[k];
      if (cell.cell_type !== "code") return { ...cell, metadata };
      return { ...cell, metadata, outputs: [], execution_count: null };
    }),
  };
}

/** Serialise like Jupyter does (1-space indent, trailing newline). */
export function notebookJson(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

/** Whether `text` (a notebook file) is already stripped. */
export function isStripped(text: string): boolean {
  const nb = JSON.parse(text) as Notebook;
  return JSON.stringify(stripNotebook(nb)) === JSON.stringify(nb);
}

function defaultPaths(): string[] {
  const dir = join(dirname(dirname(fileURLToPath(import.meta.url))), "notebooks");
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => join(dir, e.name)).sort();
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const paths = Deno.args.filter((a) => !a.startsWith("--"));
  const bad: string[] = [];
  for (const path of paths.length ? paths : defaultPaths()) {
    const text = await Deno.readTextFile(path);
    let nb: Notebook;
    try {
      nb = JSON.parse(text) as Notebook;
    } catch (err) {
      throw new Error(`strip_notebooks: ${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (isStripped(text)) continue;
    bad.push(path);
    if (!check) await Deno.writeTextFile(path, notebookJson(stripNotebook(nb)));
  }
  if (check && bad.length) {
    console.error(
      `strip_notebooks: not stripped (run deno run -A tools/strip_notebooks.ts): ${bad.join(", ")}`,
    );
    Deno.exit(1);
  }
  console.log(`strip_notebooks: ${check ? "would strip" : "stripped"} ${bad.length} notebook(s)`);
}
