/**
 * Whether a path exists, without racing on a separate permission check.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pathExists } from "./exists.ts";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await pathExists(dir), true);
 * assertEquals(await pathExists(`${dir}/best/model.json`), false); // not found: false, not an exception
 * await Deno.remove(dir);
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
