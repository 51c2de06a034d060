/**
 * Who is writing a run folder: `owner.json`, created exclusively by the process that trains (or replaces) the
 * run and removed when it is done. A second writer finds the file, sees that its process is alive and is refused
 * in one line; a file left by a process that no longer exists (a kill -9, a power cut) is taken over.
 *
 * Liveness is read from `/proc/<pid>` with the process's start time, so a reused pid does not look alive. Where
 * there is no `/proc` (or the owner ran on another host) the owner is assumed alive and the message says which
 * file to remove if it is not.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { acquireOwner, OwnerError } from "./owner.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireOwner(dir, "training");
 * await assertRejects(() => acquireOwner(dir, "training"), OwnerError, "is being written by process");
 * await lock.release();
 * await (await acquireOwner(dir, "training")).release(); // free again
 * assertEquals([...Deno.readDirSync(dir)].length, 0);
 * await Deno.remove(dir);
 * ```
 * @module
 */

import { words } from "../data/clean.ts";

/** The folder is owned by another live writer (printed in one line by the CLIs). */
export class OwnerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OwnerError";
  }
}

/** The content of `owner.json`. */
export interface OwnerRecord {
  pid: number;
  host: string;
  /** `/proc/<pid>/stat` start time (clock ticks since boot), or null where unknown. */
  procStart: string | null;
  since: string;
  /** What the owner is doing ("training", "replacing the run", ...). */
  purpose: string;
  /** Unique per acquisition: tells this holder's file from a later one's. */
  token: string;
}

/** A held `owner.json`; {@linkcode OwnerLock.release} removes it (only if it is still this holder's). */
export interface OwnerLock {
  readonly path: string;
  readonly record: OwnerRecord;
  release(): Promise<void>;
  releaseSync(): void;
}

/** The name of the owner file in a run folder. */
export const OWNER_FILE = "owner.json";

const held = new Set<OwnerLock>();

/** Release every lock this process holds (for a signal handler that exits right after). */
export function releaseAllSync(): void {
  for (const l of [...held]) l.releaseSync();
}

function procStart(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // the command name (field 2) may hold spaces and parentheses: count fields after its closing ")"
    const rest = words(stat.slice(stat.lastIndexOf(")") + 2));
    return rest[19] ?? null; // field 22 of the whole line
  } catch {
    return null;
  }
}

function hasProc(): boolean {
  try {
    Deno.statSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "";
  }
}

/** Whether the process that wrote `rec` may still be running (true when that cannot be checked). */
export function ownerAlive(rec: OwnerRecord): boolean {
  if (rec.host !== hostname() || !hasProc()) return true;
  const start = procStart(rec.pid);
  if (start === null) return false; // no such process
  return rec.procStart === null || rec.procStart === start;
}

/** Read `dir/owner.json`: null when there is none or it is not an owner record. */
export function readOwner(dir: string): Promise<OwnerRecord | null> {
  return readOwnerFile(`${dir}/${OWNER_FILE}`);
}

async function readOwnerFile(path: string): Promise<OwnerRecord | null> {
  try {
    const rec = JSON.parse(await Deno.readTextFile(path)) as OwnerRecord;
    return typeof rec?.pid === "number" && typeof rec.token === "string" ? rec : null;
  } catch {
    return null;
  }
}

/** The one line telling a second writer who holds the folder. */
export function ownerMessage(dir: string, rec: OwnerRecord): string {
  const here = rec.host === hostname();
  return `${dir} is being written by process ${rec.pid}${here ? "" : ` on ${rec.host}`} (${rec.purpose}, ` +
    `since ${rec.since}); wait for it to finish or stop it` +
    (here && hasProc() ? "" : `; if no such process exists, remove ${dir}/${OWNER_FILE}`);
}

/**
 * Create `dir/owner.json` exclusively for this process. Another live owner is an {@linkcode OwnerError}; a
 * file left by a dead process is replaced. The folder must exist.
 */
export async function acquireOwner(dir: string, purpose: string): Promise<OwnerLock> {
  const path = `${dir}/${OWNER_FILE}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const record: OwnerRecord = {
      pid: Deno.pid,
      host: hostname(),
      procStart: procStart(Deno.pid),
      since: new Date().toISOString(),
      purpose,
      token: crypto.randomUUID(),
    };
    // written whole under a name of its own, then linked into place: a reader never sees a half-written file,
    // and the link fails if another owner's file is there
    const mine = `${path}.${record.token}`;
    await Deno.writeTextFile(mine, JSON.stringify(record, null, 1));
    let linked = false;
    try {
      await Deno.link(mine, path);
      linked = true;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) {
        await Deno.remove(mine).catch(() => {});
        throw e;
      }
    }
    await Deno.remove(mine).catch(() => {});
    if (linked) {
      const lock = makeLock(path, record);
      held.add(lock);
      return lock;
    }
    // null: not an owner record (an owner writes its file whole before linking it, so this is debris) or gone
    const other = await readOwner(dir);
    if (other !== null) {
      const heldHere = [...held].some((l) => l.record.token === other.token);
      if (heldHere || ownerAlive(other)) throw new OwnerError(ownerMessage(dir, other));
    }
    // the owner is gone: move its file aside, and put it back if it was not the one judged dead (another
    // process took the folder over in between)
    const aside = `${path}.stale-${record.token}`;
    try {
      await Deno.rename(path, aside);
    } catch {
      continue; // gone in between: try again
    }
    const moved = await readOwnerFile(aside);
    if (moved !== null && moved.token !== other?.token) {
      await Deno.link(aside, path).catch(() => {});
      await Deno.remove(aside).catch(() => {});
      throw new OwnerError(ownerMessage(dir, moved));
    }
    await Deno.remove(aside).catch(() => {});
  }
  throw new OwnerError(`${dir}: could not take ${OWNER_FILE} (other processes keep replacing it)`);
}

function makeLock(path: string, record: OwnerRecord): OwnerLock {
  const mine = (text: string) => {
    try {
      return (JSON.parse(text) as OwnerRecord).token === record.token;
    } catch {
      return false;
    }
  };
  const lock: OwnerLock = {
    path,
    record,
    async release() {
      held.delete(lock);
      try {
        if (mine(await Deno.readTextFile(path))) await Deno.remove(path);
      } catch { /* already gone */ }
    },
    releaseSync() {
      held.delete(lock);
      try {
        if (mine(Deno.readTextFileSync(path))) Deno.removeSync(path);
      } catch { /* already gone */ }
    },
  };
  return lock;
}
