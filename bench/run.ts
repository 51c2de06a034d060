/**
 * Run the project's benchmarks: all of them, or the ones named on the command line. Each prints JSON
 * lines (one per measurement). A benchmark whose module does not exist yet is skipped with a
 * `{"bench":NAME,"skipped":…}` line; one that fails gives a `{"bench":NAME,"error":…}` line and exit code 1
 * at the end.
 *
 * Usage: `deno run -A bench/run.ts [train_step] [kernels] [prep] [decode] [serve] [--option=value …]`
 * (`deno task bench …`); options are passed to the benchmarks that take them (train_step: see
 * bench/train_step.ts; serve: bench/serve.ts).
 *
 * @module
 */
import { pathExists } from "../lib/io/exists.ts";

/** A benchmark: its module (relative to bench/), the function that runs it and prints its lines. */
interface BenchEntry {
  file: string;
  fn: string;
  /** Exported parser of `--key=value` options into the function's argument (benchmarks without one take `{}`). */
  parseArgs?: string;
}

/** The benchmarks, in the order they run when none is named. */
export const BENCHES: Readonly<Record<string, BenchEntry>> = {
  train_step: { file: "./train_step.ts", fn: "benchTrainStep", parseArgs: "parseTrainStepArgs" },
  kernels: { file: "./kernels.ts", fn: "benchKernels" },
  prep: { file: "./prep.ts", fn: "benchPrep" },
  decode: { file: "./decode.ts", fn: "benchDecode", parseArgs: "parseDecodeArgs" },
  serve: { file: "./serve.ts", fn: "benchServe", parseArgs: "parseServeArgs" },
};

/**
 * Run the named benchmarks (all when `names` is empty) with `options` (`--key=value` strings). Returns
 * true when none failed. Unknown names are an error before anything runs.
 */
export async function runBenches(names: string[], options: string[] = []): Promise<boolean> {
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    throw new Error(
      `bench: unknown benchmark(s) ${unknown.join(", ")}: expected ${Object.keys(BENCHES).join(", ")}`,
    );
  }
  const selected = names.length ? names : Object.keys(BENCHES);
  if (options.length && !selected.some((n) => BENCHES[n].parseArgs)) {
    throw new Error(
      `bench: options ${options.join(" ")} given, but none of ${selected.join(", ")} takes options`,
    );
  }
  let ok = true;
  for (const name of selected) {
    const b = BENCHES[name];
    const url = new URL(b.file, import.meta.url);
    if (!(await pathExists(url))) {
      console.log(JSON.stringify({ bench: name, skipped: `bench/${b.file.slice(2)} does not exist yet` }));
      continue;
    }
    try {
      const mod = await import(url.href) as Record<string, unknown>;
      const fn = mod[b.fn], parse = b.parseArgs ? mod[b.parseArgs] : undefined;
      if (typeof fn !== "function" || (b.parseArgs && typeof parse !== "function")) {
        throw new Error(
          `bench/${b.file.slice(2)} does not export a function ${b.fn}${
            b.parseArgs ? ` and ${b.parseArgs}` : ""
          }`,
        );
      }
      const arg = typeof parse === "function" ? parse(options) : {};
      await (fn as (a: unknown) => Promise<unknown>)(arg);
    } catch (e) {
      ok = false;
      console.log(JSON.stringify({ bench: name, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return ok;
}

if (import.meta.main) {
  const names = Deno.args.filter((a) => !a.startsWith("--"));
  const options = Deno.args.filter((a) => a.startsWith("--"));
  try {
    if (!(await runBenches(names, options))) Deno.exit(1);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    Deno.exit(2);
  }
}
