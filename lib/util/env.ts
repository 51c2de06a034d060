/**
 * Environment variables read without prompting: a variable the process may not read (no `--allow-env`) or one
 * that is set but blank counts as unset.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { envVar } from "./env.ts";
 * assertEquals(envVar("SEQ2SEQ_SURELY_UNSET_VARIABLE"), undefined);
 * ```
 * @module
 */

/** The value of environment variable `name`, or undefined when unset, blank or not readable. */
export function envVar(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    const v = Deno.env.get(name);
    return v === undefined || v.trim() === "" ? undefined : v;
  } catch {
    return undefined;
  }
}
