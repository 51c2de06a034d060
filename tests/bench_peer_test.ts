// The PyTorch peer runner (bench/peer.ts): which interpreter, which thread settings, which figure is "best", and a
// clear reason when PyTorch is missing. A stand-in interpreter (a shell script) plays PyTorch here.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { PEER_SETTINGS, runTorchPeer } from "../bench/peer.ts";
import { parseTrainStepArgs } from "../bench/train_step.ts";
import { parseDecodeArgs } from "../bench/decode.ts";

async function withPython<T>(script: string, f: () => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "seq2seq-peer-" });
  const py = `${dir}/python3`;
  await Deno.writeTextFile(py, `#!/bin/sh\n${script}\n`);
  await Deno.chmod(py, 0o755);
  const old = Deno.env.get("SEQ2SEQ_PYTHON");
  Deno.env.set("SEQ2SEQ_PYTHON", py);
  try {
    return await f();
  } finally {
    if (old === undefined) Deno.env.delete("SEQ2SEQ_PYTHON");
    else Deno.env.set("SEQ2SEQ_PYTHON", old);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runTorchPeer() runs every thread setting and keeps the fastest: lowest ms per step, most summaries/s", async () => {
  // the stand-in is faster with one OpenBLAS thread when training, with two when decoding
  const script = `case "$2" in
    train) echo '{"bench": "torch_peer", "mode": "train", "ms_per_step": '$((1000 + 500 * OPENBLAS_NUM_THREADS))'}';;
    decode) echo '{"bench": "torch_peer", "mode": "decode", "summaries_per_s": '$((100 * OPENBLAS_NUM_THREADS))'}';;
  esac`;
  await withPython(script, async () => {
    const train = await runTorchPeer("train", ["--batch=60"]);
    assert(train.ok);
    assertEquals(train.all.length, PEER_SETTINGS.length);
    assertEquals(train.best.ms_per_step, 1500);
    assertEquals(train.best.setting.blasThreads, 1);
    const decode = await runTorchPeer("decode", []);
    assert(decode.ok);
    assertEquals(decode.best.summaries_per_s, 200);
    assertEquals(decode.best.setting, { torchThreads: 1, blasThreads: 2 });
  });
});

Deno.test("runTorchPeer() says it skipped, and why, when PyTorch is missing or the peer fails", async () => {
  const missing = await withPython(
    `echo '{"bench": "torch_peer", "skipped": "PyTorch not importable: No module named torch"}'; exit 3`,
    () => runTorchPeer("train", []),
  );
  assert(!missing.ok);
  assertStringIncludes(missing.skipped, "No module named torch");
  assertStringIncludes(missing.skipped, "python3-torch");
  const crash = await withPython(`echo oops >&2; exit 1`, () => runTorchPeer("decode", []));
  assert(!crash.ok);
  assertStringIncludes(crash.skipped, "oops");
});

Deno.test("the benches take --peer=false, and reject a bad value naming the option", () => {
  assertEquals(parseTrainStepArgs(["--peer=false"]).peer, false);
  assertEquals(parseTrainStepArgs([]).peer, undefined);
  let msg = "";
  try {
    parseTrainStepArgs(["--peer=maybe"]);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertStringIncludes(msg, "--peer=maybe");
  assertEquals(parseDecodeArgs(["--peer=false", "--batch-size=64"]), { peer: false, batchSize: 64 });
});
