/**
 * The pages' scripts, bundled from the project's own modules with `deno bundle` (esbuild inside Deno) for the
 * browser: `client` (the served page: lib/serve/client.ts, a few KB) and `web` (the exported page:
 * lib/serve/web.ts with TensorFlow.js and the project's cleaning, tokenizer and decoding code, about 2 MB).
 * @module
 */

/** The browser entry points, by name. */
export const ENTRIES = {
  client: new URL("./client.ts", import.meta.url),
  web: new URL("./web.ts", import.meta.url),
} as const;

/** Thrown when `deno bundle` fails (its message is in the error). */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

/** Bundle entry `name` into one ES module for the browser; returns its text. */
export async function bundleScript(name: keyof typeof ENTRIES): Promise<string> {
  const out = await Deno.makeTempFile({ prefix: `seq2seq-${name}-`, suffix: ".js" });
  try {
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--config",
        config,
        "--platform=browser",
        "--format=esm",
        "-o",
        out,
        ENTRIES[name].pathname,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
    const r = await cmd.output();
    if (!r.success) {
      const err = new TextDecoder().decode(r.stderr).trim().split("\n").slice(-5).join(" | ");
      throw new BundleError(`deno bundle of lib/serve/${name}.ts failed: ${err}`);
    }
    return await Deno.readTextFile(out);
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}
