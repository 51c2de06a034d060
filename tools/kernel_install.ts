/**
 * `deno task kernel`: set up the project's Deno Jupyter kernel.
 *
 * The kernelspec lives in the project (`jupyter/kernels/deno`): `kernel.json` runs the launcher
 * `deno-kernel.sh` from its own folder, and the launcher finds a deno binary each time the kernel
 * starts. Nothing records a path of this machine, so the project can move and node_modules can be
 * rebuilt. Jupyter finds the kernel through `JUPYTER_PATH=<project>/jupyter`.
 *
 * Usage:
 * - `deno run -A tools/kernel_install.ts`: check the launcher finds deno, print how to start Jupyter.
 * - `... --user`: also register a user-level kernelspec "deno-seq2seq" (for VS Code and any Jupyter
 *   started without JUPYTER_PATH). It points to this project's launcher by absolute path: run it
 *   again after moving the project. `--uninstall` removes it.
 *
 * @module
 */
import { join } from "node:path";
import { JUPYTER_DIR, KERNEL_DIR, PROJECT_ROOT } from "./run_notebooks.ts";

/** Name of the optional user-level kernelspec. */
export const USER_KERNEL_NAME = "deno-seq2seq";

/** The launcher script of the project kernel. */
export const LAUNCHER: string = join(KERNEL_DIR, "deno-kernel.sh");

/** The user-level `kernel.json` that starts this project's launcher. */
export function userKernelJson(launcher = LAUNCHER): Record<string, unknown> {
  return {
    argv: ["sh", launcher, "{connection_file}"],
    display_name: "Deno (seq2seq project)",
    language: "typescript",
    env: { NO_COLOR: "1" },
    metadata: { debugger: false },
  };
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: (dec.decode(r.stdout) + dec.decode(r.stderr)).trim() };
  } catch (err) {
    return { ok: false, out: err instanceof Error ? err.message : String(err) };
  }
}

/** Jupyter's user data folder: `jupyter --data-dir` when Jupyter is installed, else the platform default. */
export async function jupyterDataDir(): Promise<string> {
  const r = await run("jupyter", ["--data-dir"]);
  if (r.ok && r.out) return r.out.split("\n").pop()!.trim();
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("kernel_install: cannot find Jupyter's data folder ($HOME is not set)");
  if (Deno.build.os === "darwin") return join(home, "Library", "Jupyter");
  if (Deno.build.os === "windows") return join(Deno.env.get("APPDATA") ?? home, "jupyter");
  return join(Deno.env.get("XDG_DATA_HOME") ?? join(home, ".local", "share"), "jupyter");
}

async function main(): Promise<number> {
  const args = new Set(Deno.args);
  for (const a of args) {
    if (!["--user", "--uninstall"].includes(a)) {
      console.error(`kernel_install: unknown argument ${a} (use --user or --uninstall)`);
      return 2;
    }
  }
  if (args.has("--uninstall")) {
    const dir = join(await jupyterDataDir(), "kernels", USER_KERNEL_NAME);
    try {
      await Deno.remove(dir, { recursive: true });
      console.log(`removed the user-level kernelspec ${dir}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      console.log(`no user-level kernelspec at ${dir}`);
    }
    return 0;
  }

  const which = await run("sh", [LAUNCHER, "--which"]);
  console.log(`project kernelspec: ${KERNEL_DIR}`);
  if (!which.ok) {
    console.error(which.out);
    return 1;
  }
  const [bin, version] = which.out.split("\n");
  console.log(`the launcher starts: ${bin} (${version}), looked up again at every kernel start`);
  const jupyter = await run("jupyter", ["--version"]);
  if (!jupyter.ok) {
    console.log(
      "Jupyter is not installed (Debian: apt-get install -y jupyter-client python3-notebook python3-ipykernel)",
    );
  }
  console.log("\nStart Jupyter with the project kernel (kernel name: deno):");
  console.log(`  JUPYTER_PATH=${JUPYTER_DIR} jupyter notebook ${join(PROJECT_ROOT, "notebooks")}`);

  if (args.has("--user")) {
    const dir = join(await jupyterDataDir(), "kernels", USER_KERNEL_NAME);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, "kernel.json"), JSON.stringify(userKernelJson(), null, 2) + "\n");
    console.log(`\nwrote the user-level kernelspec ${join(dir, "kernel.json")}`);
    console.log(`  it points to ${LAUNCHER}: run this again after moving the project`);
    console.log(
      '  VS Code: open a notebook, "Select Kernel" > "Jupyter Kernel..." > "Deno (seq2seq project)"',
    );
  } else {
    console.log("\nFor VS Code (or Jupyter without JUPYTER_PATH), register a user-level kernelspec:");
    console.log("  deno run -A tools/kernel_install.ts --user");
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
