/**
 * The native TensorFlow backends (`@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`): whether one is installed
 * with its native addon ({@linkcode probeTfjsNode}, looking at files only), and activating it. Never fetched: their
 * install downloads libtensorflow, which fails upstream today (tensorflow/tfjs#8742).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A backend that was tried, whether it worked, and why (not). */
export interface BackendAttempt {
  name: string;
  ok: boolean;
  why: string;
}

/** The tfjs version our import map pins; a native backend must match it to share the engine. */
export const TFJS_VERSION = tf.version_core;

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].trim();
}

/** The node_modules folders searched for native tfjs packages by default. */
export function defaultNodeModules(): string[] {
  const dirs: string[] = [];
  const here = new URL("../../node_modules/", import.meta.url);
  if (here.protocol === "file:") dirs.push(decodeURIComponent(here.pathname));
  try {
    dirs.push(`${Deno.cwd()}/node_modules/`);
  } catch { /* no read permission for cwd */ }
  return [...new Set(dirs.map((d) => d.replace(/\/+$/, "/")))];
}

/** Result of {@link probeTfjsNode}. */
export interface TfjsNodeProbe {
  present: boolean;
  why: string;
  /** Package folder and version when found. */
  dir?: string;
  version?: string;
}

/**
 * Is `@tensorflow/<pkg>` (tfjs-node or tfjs-node-gpu) installed with its native addon in one of
 * `dirs`? Looks at files only: nothing is imported or downloaded.
 */
export function probeTfjsNode(
  pkg: "tfjs-node" | "tfjs-node-gpu",
  dirs = defaultNodeModules(),
): TfjsNodeProbe {
  for (const base of dirs) {
    const dir = `${base.replace(/\/+$/, "")}/@tensorflow/${pkg}`;
    let version: string;
    try {
      const meta = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`)) as { version?: unknown };
      version = String(meta.version ?? "?");
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) continue;
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        return { present: false, why: `not checked (no read permission for ${base})` };
      }
      return { present: false, why: `unreadable package.json in ${dir}: ${firstLine(e)}` };
    }
    let addon = false;
    try {
      for (const entry of Deno.readDirSync(`${dir}/lib`)) {
        if (entry.isDirectory && entry.name.startsWith("napi-v")) {
          try {
            Deno.statSync(`${dir}/lib/${entry.name}/tfjs_binding.node`);
            addon = true;
          } catch { /* not in this one */ }
        }
      }
    } catch { /* no lib folder */ }
    if (!addon) {
      return {
        present: false,
        dir,
        version,
        why: `installed (${version}) but its native addon lib/napi-v*/tfjs_binding.node is missing ` +
          "(its install script downloads libtensorflow, which fails today: tensorflow/tfjs#8742)",
      };
    }
    return { present: true, dir, version, why: `installed (${version})` };
  }
  return { present: false, why: "not installed" };
}

/** Load and activate `pkg` when {@linkcode probeTfjsNode} finds it; says why not otherwise. */
export async function tryTensorflow(
  pkg: "tfjs-node" | "tfjs-node-gpu",
  dirs: string[],
): Promise<BackendAttempt> {
  const name = pkg;
  const probe = probeTfjsNode(pkg, dirs);
  if (!probe.present) return { name, ok: false, why: probe.why };
  try {
    // the package is present locally, so this resolves from node_modules without fetching
    await import(`npm:@tensorflow/${pkg}@${probe.version}`);
  } catch (e) {
    return { name, ok: false, why: `installed (${probe.version}) but failed to load: ${firstLine(e)}` };
  }
  if (!tf.findBackendFactory("tensorflow")) {
    return {
      name,
      ok: false,
      why: `loaded (${probe.version}) but registered no 'tensorflow' backend with this tfjs ` +
        `(${TFJS_VERSION}): versions must match`,
    };
  }
  try {
    if (!(await tf.setBackend("tensorflow"))) {
      return { name, ok: false, why: `installed (${probe.version}) but the backend failed to initialise` };
    }
  } catch (e) {
    return { name, ok: false, why: `installed (${probe.version}) but failed to initialise: ${firstLine(e)}` };
  }
  return { name, ok: true, why: `${pkg} ${probe.version}` };
}
