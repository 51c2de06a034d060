/**
 * Atomic file writes: the data goes to `<path>.tmp`, is flushed to disk, and is then renamed over
 * `<path>`. A reader (or a run resumed after a crash) sees either the old file or the complete new
 * one, never a half-written file. Used for evaluation reports and training checkpoints.
 *
 * The temporary file lies in the same folder as the target, so the rename stays on one file system.
 * Two writers of the same path at the same time are not supported (they share the `.tmp` name).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeTextAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTextAtomic(`${dir}/metrics.json`, JSON.stringify({ n: 3 }));
 * assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`)), { n: 3 });
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

/** The temporary path a write goes through before it is renamed over `path`. */
export function tmpPathFor(path: string): string {
  return `${path}.tmp`;
}

/** A file or folder that could not be written (a full disk, a missing or read-only folder): one line in the CLIs. */
export class WriteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WriteError";
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // nothing to clean up
  }
}

/**
 * Write `bytes` to `path` atomically (write `<path>.tmp`, fsync, rename). The parent folder must
 * exist. On failure the temporary file is removed, `path` is left as it was, and the error names
 * the file.
 */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tmpPathFor(path);
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await removeQuietly(tmp);
    throw new WriteError(`cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** Write `text` (UTF-8) to `path` atomically; see {@linkcode writeBytesAtomic}. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeBytesAtomic(path, new TextEncoder().encode(text));
}

/** Synchronous {@linkcode writeBytesAtomic}, for code that cannot await. */
export function writeBytesAtomicSync(path: string, bytes: Uint8Array): void {
  const tmp = tmpPathFor(path);
  try {
    const file = Deno.openSync(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      file.syncDataSync();
    } finally {
      file.close();
    }
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw new WriteError(`cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** Synchronous {@linkcode writeTextAtomic}. */
export function writeTextAtomicSync(path: string, text: string): void {
  writeBytesAtomicSync(path, new TextEncoder().encode(text));
}

/**
 * Replace the folder `dir` whole: `fill` writes into a fresh sibling folder of this call's own (so concurrent
 * callers never share one), which is renamed over `dir` only once `fill` has finished. A reader sees the old
 * folder or the new one, never a mix; on failure the fresh folder is removed, `dir` is left as it was, and the
 * error is a {@linkcode WriteError} naming the folder.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { replaceDir } from "./atomic.ts";
 * const root = await Deno.makeTempDir();
 * await replaceDir(`${root}/eval`, (d) => Deno.writeTextFile(`${d}/n.txt`, "5"));
 * await assertRejects(() => replaceDir(`${root}/eval`, () => Promise.reject(new Error("disk full"))));
 * assertEquals(await Deno.readTextFile(`${root}/eval/n.txt`), "5"); // the failed write changed nothing
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function replaceDir(dir: string, fill: (tmp: string) => Promise<unknown>): Promise<void> {
  const tag = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const tmp = `${dir}.tmp-${tag}`, old = `${dir}.old-${tag}`;
  let moved = false;
  try {
    await Deno.mkdir(tmp, { recursive: true });
    await fill(tmp);
    try {
      await Deno.rename(dir, old);
      moved = true;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    await Deno.rename(tmp, dir);
    if (moved) await Deno.remove(old, { recursive: true }).catch(() => {});
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    if (moved) await Deno.rename(old, dir).catch(() => {}); // put the previous folder back
    throw new WriteError(`cannot write ${dir}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
