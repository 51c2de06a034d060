/**
 * Whether a path exists, without racing on a separate permission check.
 *
 * @example
 * ```ts
 * import { pathExists } from "./exists.ts";
 * if (await pathExists("results/run-1/best/model.json")) console.log("finished an epoch");
 * ```
 * @module
 */

/** True when `path` exists, false when it does not; any other error (e.g. permission) is thrown. */
export async function pathExists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
