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
    throw new Error(
      `writeAtomic: cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
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
    throw new Error(
      `writeAtomic: cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Synchronous {@linkcode writeTextAtomic}. */
export function writeTextAtomicSync(path: string, text: string): void {
  writeBytesAtomicSync(path, new TextEncoder().encode(text));
}
