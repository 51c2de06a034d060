/**
 * `deno task notebooks`: execute every `notebooks/*.ipynb` top to bottom, headless, through a real
 * Jupyter client (nbclient, `tools/run_notebooks.py`) talking to the project's Deno kernel
 * (`jupyter/kernels/deno`), with `SEQ2SEQ_PROFILE=tiny` unless set. Executed copies go to
 * `results/notebooks/`; the sources are never written. Exit status 1 on any cell error, and 1 with
 * the install command when Jupyter is missing.
 *
 * Usage: `deno run -A tools/run_notebooks.ts [NAME_OR_PATH...] [--out-dir=DIR] [--timeout=SECONDS]`
 * (names filter `notebooks/`, e.g. `01_data`).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Debian packages that provide what the runner needs (CI installs them). */
export const JUPYTER_INSTALL =
  "apt-get install -y jupyter-client python3-nbclient jupyter-nbconvert python3-notebook python3-ipykernel";

/** The project's root folder (the parent of `tools/`). */
export const PROJECT_ROOT: string = dirname(dirname(fileURLToPath(import.meta.url)));

/** The folder to put on `JUPYTER_PATH` so that kernel `deno` is the project's kernel. */
export const JUPYTER_DIR: string = join(PROJECT_ROOT, "jupyter");

/** The project's kernelspec folder. */
export const KERNEL_DIR: string = join(JUPYTER_DIR, "kernels", "deno");

/** Where executed copies go by default. */
export const DEFAULT_OUT_DIR: string = join(PROJECT_ROOT, "results", "notebooks");

/** Notebook cells tagged with this (cell metadata `tags`) must produce a Plotly output. */
export const FIGURE_TAG = "figure";

/** The outcome of one notebook, as printed by `run_notebooks.py`. */
export interface NotebookResult {
  notebook: string;
  output: string;
  ok: boolean;
  seconds: number;
  late_outputs: number;
  cells: { code: number; executed: number };
  error: string | null;
}

async function importsJupyter(python: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(python, {
      args: ["-c", "import nbclient, nbformat, jupyter_client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false; // not found / not executable
  }
}

/**
 * A Python interpreter that can import nbclient, nbformat and jupyter_client: `$JUPYTER_PYTHON`
 * when set (and then only it), else `/usr/bin/python3` (Debian's), else `python3` on PATH; `null`
 * when none can.
 */
export async function findJupyterPython(): Promise<string | null> {
  const chosen = Deno.env.get("JUPYTER_PYTHON");
  const candidates = chosen ? [chosen] : ["/usr/bin/python3", "python3"];
  for (const c of candidates) if (await importsJupyter(c)) return c;
  return null;
}

/** The project's notebooks (`notebooks/*.ipynb`), sorted by name; `filter` keeps names containing one of its entries. */
export function listNotebooks(filter: readonly string[] = []): string[] {
  const dir = join(PROJECT_ROOT, "notebooks");
  const all = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => join(dir, e.name))
    .sort();
  if (filter.length === 0) return all;
  const picked = all.filter((p) => filter.some((f) => p.endsWith(`/${f}`) || p.includes(f)));
  const unmatched = filter.filter((f) => !all.some((p) => p.endsWith(`/${f}`) || p.includes(f)));
  if (unmatched.length) {
    throw new Error(`run_notebooks: no notebook matches ${unmatched.join(", ")} in ${dir}`);
  }
  return picked;
}

/** Options of {@linkcode runNotebooks}. */
export interface RunOptions {
  /** Notebook paths (default: all of {@linkcode listNotebooks}). */
  notebooks?: string[];
  /** Folder for the executed copies (default `results/notebooks`). */
  outDir?: string;
  /** Profile the notebooks read from `SEQ2SEQ_PROFILE` (default: the environment's, else "tiny"). */
  profile?: string;
  /** Seconds allowed per cell (default 1200). */
  timeoutS?: number;
  /** Python with nbclient (default {@linkcode findJupyterPython}). */
  python?: string;
}

/**
 * Execute notebooks through `run_notebooks.py` with `JUPYTER_PATH` pointing at the project kernel.
 * Progress and cell errors stream to stderr. Returns one result per notebook, or `null` when no
 * Python with Jupyter is installed.
 */
export async function runNotebooks(opts: RunOptions = {}): Promise<NotebookResult[] | null> {
  const python = opts.python ?? await findJupyterPython();
  if (!python) return null;
  const notebooks = opts.notebooks ?? listNotebooks();
  if (notebooks.length === 0) return [];
  const outDir = opts.outDir ?? DEFAULT_OUT_DIR;
  const jupyterPath = [JUPYTER_DIR, Deno.env.get("JUPYTER_PATH")].filter((p) => p).join(":");
  const env: Record<string, string> = {
    JUPYTER_PATH: jupyterPath,
    SEQ2SEQ_PROFILE: opts.profile ?? Deno.env.get("SEQ2SEQ_PROFILE") ?? "tiny",
    // nothing renders HTML here: leave the 4.5 MB plotly.js out of the loader cell, the one output large
    // enough for the Deno kernel to corrupt on a busy machine (jupyter/README.md, "Invalid Signature")
    SEQ2SEQ_PLOTLY_LOADER: Deno.env.get("SEQ2SEQ_PLOTLY_LOADER") ?? "skip",
    NO_COLOR: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  const proc = new Deno.Command(python, {
    args: [
      join(PROJECT_ROOT, "tools", "run_notebooks.py"),
      "--out-dir",
      outDir,
      "--kernel",
      "deno",
      "--kernel-dir",
      KERNEL_DIR,
      "--timeout",
      String(opts.timeoutS ?? 1200),
      ...notebooks,
    ],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { code, stdout } = await proc.output();
  const results: NotebookResult[] = new TextDecoder().decode(stdout).split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as NotebookResult);
  if (code !== 0 && results.every((r) => r.ok)) {
    throw new Error(`run_notebooks.py exited with status ${code} before reporting a failed notebook`);
  }
  return results;
}

async function main(): Promise<number> {
  const names: string[] = [];
  const opts: RunOptions = {};
  for (const a of Deno.args) {
    if (a.startsWith("--out-dir=")) opts.outDir = a.slice("--out-dir=".length);
    else if (a.startsWith("--timeout=")) opts.timeoutS = Number(a.slice("--timeout=".length));
    else if (a.startsWith("--")) {
      throw new Error(`run_notebooks: unknown option ${a} (--out-dir=DIR, --timeout=S)`);
    } else names.push(a);
  }
  opts.notebooks = listNotebooks(names);
  const results = await runNotebooks(opts);
  if (results === null) {
    console.error("run_notebooks: Jupyter (python3 with nbclient) is not installed. Install it with:");
    console.error(JUPYTER_INSTALL);
    return 1;
  }
  const failed = results.filter((r) => !r.ok);
  console.log(JSON.stringify({
    notebooks: results.length,
    failed: failed.map((r) => ({ notebook: r.notebook, error: r.error })),
    seconds: Math.round(results.reduce((s, r) => s + r.seconds, 0) * 100) / 100,
    lateOutputs: results.reduce((s, r) => s + r.late_outputs, 0),
    outDir: opts.outDir ?? DEFAULT_OUT_DIR,
  }));
  return failed.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
