import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { skipUnlessAvailable } from "./fixtures/env.ts";
import {
  FIGURE_TAG,
  findJupyterPython,
  JUPYTER_INSTALL,
  KERNEL_DIR,
  listNotebooks,
  PROJECT_ROOT,
  runNotebooks,
} from "../tools/run_notebooks.ts";
import { isStripped, type Notebook, type NotebookCell } from "../tools/strip_notebooks.ts";

const PLOTLY_MIME = "application/vnd.plotly.v1+json";

const python = await findJupyterPython();
const noJupyter = skipUnlessAvailable(
  python !== null,
  "Jupyter (Debian jupyter-client, python3-nbclient, ...)",
);
if (!python) {
  console.log(
    `notebooks_test: Jupyter (python3 with nbclient) is not installed: notebook execution tests are ` +
      `SKIPPED. Install it with: ${JUPYTER_INSTALL}`,
  );
}

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

function outputs(cell: NotebookCell): Output[] {
  return (cell.outputs ?? []) as Output[];
}

function tags(cell: NotebookCell): string[] {
  const t = cell.metadata?.tags;
  return Array.isArray(t) ? t.map(String) : [];
}

function source(cell: NotebookCell): string {
  return (Array.isArray(cell.source) ? cell.source.join("") : cell.source).trim();
}

Deno.test("committed notebooks are stripped of outputs and execution counts", async () => {
  const notebooks = listNotebooks();
  assert(notebooks.length > 0, "no notebooks in notebooks/");
  for (const path of notebooks) {
    assert(
      isStripped(await Deno.readTextFile(path)),
      `${path} has outputs: run deno run -A tools/strip_notebooks.ts`,
    );
  }
});

Deno.test({
  name: "every notebook runs top to bottom on the Deno kernel, and each figure cell shows a Plotly figure",
  ignore: noJupyter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const outDir = await Deno.makeTempDir({ prefix: "notebooks-test-" });
    try {
      const notebooks = listNotebooks();
      const results = await runNotebooks({ python: python!, outDir, profile: "tiny", notebooks });
      assert(results !== null);
      assertEquals(results.map((r) => r.notebook), notebooks);
      for (const r of results) {
        await t.step(r.notebook.slice(PROJECT_ROOT.length + 1), async () => {
          assert(r.ok, `${r.notebook} failed: ${r.error}`);
          assertEquals(r.output, join(outDir, r.notebook.split("/").pop()!));
          const nb = JSON.parse(await Deno.readTextFile(r.output)) as Notebook;
          const code = nb.cells.filter((c) => c.cell_type === "code" && source(c) !== "");
          assertEquals(r.cells.executed, code.length);
          for (const [i, cell] of nb.cells.entries()) {
            if (cell.cell_type !== "code" || source(cell) === "") continue;
            assert(typeof cell.execution_count === "number", `cell ${i} did not run`);
            const errors = outputs(cell).filter((o) => o.output_type === "error");
            assertEquals(errors, [], `cell ${i} raised ${errors[0]?.ename}: ${errors[0]?.evalue}`);
            if (tags(cell).includes(FIGURE_TAG)) {
              const fig = outputs(cell).find((o) => o.data?.[PLOTLY_MIME] !== undefined);
              assert(fig, `figure cell ${i} produced no ${PLOTLY_MIME} output`);
              const spec = fig.data![PLOTLY_MIME] as { data?: unknown[] };
              assert(Array.isArray(spec.data) && spec.data.length > 0, `figure cell ${i} has no traces`);
              assertStringIncludes(String(fig.data!["text/html"]), "window.Plotly.newPlot");
            }
          }
        });
      }
      // the sources were not written
      for (const path of notebooks) assert(isStripped(await Deno.readTextFile(path)), `${path} was modified`);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runNotebooks() reports a failing cell, stops there, and still writes the executed copy",
  ignore: noJupyter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "notebooks-fail-" });
    try {
      const cell = (src: string) => ({
        cell_type: "code",
        metadata: {},
        outputs: [],
        execution_count: null,
        source: src,
      });
      const nb = {
        cells: [cell("1 + 1"), cell('throw new Error("boom in cell 1")'), cell("3")],
        metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
        nbformat: 4,
        nbformat_minor: 4,
      };
      await Deno.mkdir(`${dir}/src`);
      await Deno.writeTextFile(`${dir}/src/fails.ipynb`, JSON.stringify(nb));
      const results = await runNotebooks({
        python: python!,
        outDir: `${dir}/out`,
        notebooks: [`${dir}/src/fails.ipynb`],
      });
      assert(results !== null && results.length === 1);
      const [r] = results;
      assertEquals(r.ok, false);
      assertStringIncludes(r.error ?? "", "boom in cell 1");
      assertEquals(r.cells, { code: 3, executed: 2 });
      const executed = JSON.parse(await Deno.readTextFile(`${dir}/out/fails.ipynb`)) as Notebook;
      assertEquals(executed.cells.map((c) => c.execution_count), [1, 2, null]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task notebooks fails with the exact install command when Jupyter is missing", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(PROJECT_ROOT, "tools", "run_notebooks.ts")],
    env: { JUPYTER_PYTHON: "/nonexistent/python3" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 1);
  const lines = new TextDecoder().decode(stderr).split("\n").map((l) => l.trim());
  assert(lines.includes(JUPYTER_INSTALL), `no install line in: ${lines.join(" | ")}`);
  assertEquals(
    JUPYTER_INSTALL,
    "apt-get install -y jupyter-client python3-nbclient jupyter-nbconvert python3-notebook python3-ipykernel",
  );
});

Deno.test("the kernelspec is movable: it records no path and its launcher finds deno at start-up", async () => {
  const specText = await Deno.readTextFile(join(KERNEL_DIR, "kernel.json"));
  assertEquals(JSON.parse(specText).argv, ["sh", "{resource_dir}/deno-kernel.sh", "{connection_file}"]);
  const launcherText = await Deno.readTextFile(join(KERNEL_DIR, "deno-kernel.sh"));
  for (const text of [specText, launcherText]) {
    assert(!text.includes(PROJECT_ROOT), "a path of this checkout");
  }

  // a copy of the project's jupyter/ folder somewhere else, with deno only in its node_modules
  const tmp = await Deno.makeTempDir({ prefix: "kernel-moved-" });
  try {
    const dir = join(tmp, "jupyter", "kernels", "deno");
    await Deno.mkdir(dir, { recursive: true });
    for (const f of ["kernel.json", "deno-kernel.sh"]) await Deno.copyFile(join(KERNEL_DIR, f), join(dir, f));
    const which = (env: Record<string, string>) =>
      new Deno.Command("/bin/sh", {
        args: [join(dir, "deno-kernel.sh"), "--which"],
        clearEnv: true,
        env: { PATH: "/nonexistent", HOME: tmp, ...env },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const dec = (b: Uint8Array) => new TextDecoder().decode(b);

    const missing = await which({});
    assertEquals(missing.code, 1);
    assertStringIncludes(dec(missing.stderr), "npx -y deno@2.9.6 --version");

    const bin = join(
      tmp,
      "node_modules",
      ".deno",
      "@deno+linux-x64-glibc@2.9.6",
      "node_modules",
      "@deno",
      "linux-x64-glibc",
    );
    await Deno.mkdir(bin, { recursive: true });
    await Deno.symlink(Deno.execPath(), join(bin, "deno"));
    const found = await which({});
    assertEquals(found.code, 0, dec(found.stderr));
    assertEquals(dec(found.stdout).split("\n")[0], join(bin, "deno"));

    const explicit = await which({ DENO_BIN: Deno.execPath() });
    assertEquals(dec(explicit.stdout).split("\n")[0], Deno.execPath());
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
