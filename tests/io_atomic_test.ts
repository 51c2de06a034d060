import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  tmpPathFor,
  writeBytesAtomic,
  writeBytesAtomicSync,
  writeTextAtomic,
  writeTextAtomicSync,
} from "../lib/io/atomic.ts";
import { pathExists } from "../lib/io/exists.ts";

Deno.test("writeTextAtomic() replaces the file's content and leaves no .tmp behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/a.json`;
    await writeTextAtomic(path, "old");
    await writeTextAtomic(path, "new ✓ content");
    assertEquals(await Deno.readTextFile(path), "new ✓ content");
    assertEquals(await pathExists(tmpPathFor(path)), false);
    writeTextAtomicSync(path, "sync");
    assertEquals(await Deno.readTextFile(path), "sync");
    assertEquals(await pathExists(tmpPathFor(path)), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeBytesAtomic() round-trips bytes, including an empty file and 1 MiB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 255);
    await writeBytesAtomic(`${dir}/big.bin`, big);
    assertEquals(await Deno.readFile(`${dir}/big.bin`), big);
    writeBytesAtomicSync(`${dir}/empty.bin`, new Uint8Array(0));
    assertEquals((await Deno.readFile(`${dir}/empty.bin`)).length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed atomic write names the file, removes the .tmp and leaves the target as it was", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // the target is a non-empty folder: the rename fails after the temporary file was written
    const target = `${dir}/taken`;
    await Deno.mkdir(target);
    await Deno.writeTextFile(`${target}/keep.txt`, "kept");
    await assertRejects(() => writeTextAtomic(target, "x"), Error, `cannot write ${target}`);
    assertThrows(() => writeTextAtomicSync(target, "x"), Error, `cannot write ${target}`);
    assertEquals(await pathExists(tmpPathFor(target)), false);
    assertEquals(await Deno.readTextFile(`${target}/keep.txt`), "kept");
    // a missing parent folder is an error too, naming the path
    await assertRejects(() => writeTextAtomic(`${dir}/missing/x.txt`, "x"), Error, `${dir}/missing/x.txt`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
