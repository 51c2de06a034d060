// The PyTorch peer runner (bench/peer.ts): which interpreter, which thread settings, which figure is "best", and a
// clear reason when PyTorch is missing. A stand-in interpreter (a shell script) plays PyTorch here.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { abPairs, describeSetting, peerSettings, runTorchPeer, settingEnv } from "../bench/peer.ts";
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

Deno.test("runTorchPeer() runs every setting and keeps the fastest: lowest ms per step, most summaries/s", async () => {
  // the stand-in is faster with one OpenBLAS thread when training, with two when decoding
  const script = `case "$2" in
    train) echo '{"bench": "torch_peer", "mode": "train", "ms_per_step": '$((1000 + 500 * OPENBLAS_NUM_THREADS))'}';;
    decode) echo '{"bench": "torch_peer", "mode": "decode", "summaries_per_s": '$((100 * OPENBLAS_NUM_THREADS))'}';;
  esac`;
  await withPython(script, async () => {
    const settings = peerSettings(undefined);
    const train = await runTorchPeer("train", ["--batch=60"], settings);
    assert(train.ok);
    assertEquals(train.all.length, settings.length);
    assertEquals(train.best.ms_per_step, 1500);
    assertEquals(train.best.setting.blasThreads, 1);
    const decode = await runTorchPeer("decode", [], settings);
    assert(decode.ok);
    assertEquals(decode.best.summaries_per_s, 200);
    assertEquals(decode.best.setting.blasThreads, 2);
  });
});

Deno.test("the peer's child gets the setting's wait policy and allocator: OMP_WAIT_POLICY=PASSIVE, LD_PRELOAD", async () => {
  // the stand-in is fast only with both: 1000 ms, +300 without PASSIVE, +500 without a preloaded allocator
  const script = `w=300; [ "$OMP_WAIT_POLICY" = PASSIVE ] && w=0
    a=500; [ -n "$LD_PRELOAD" ] && a=0
    echo '{"bench": "torch_peer", "mode": "train", "ms_per_step": '$((1000 + w + a))'}'`;
  const settings = peerSettings("/nonexistent/libtcmalloc_minimal.so.4");
  assertEquals(settings.length, 8); // four thread settings with each allocator
  assertEquals(settingEnv(settings[0]).OMP_WAIT_POLICY, "PASSIVE");
  assertEquals(settingEnv(settings.at(-1)!).LD_PRELOAD, undefined); // glibc's malloc: nothing preloaded
  await withPython(script, async () => {
    const r = await runTorchPeer("train", [], settings);
    assert(r.ok);
    assertEquals(r.all.map((x) => x.ms_per_step), [1000, 1000, 1300, 1300, 1500, 1500, 1800, 1800]);
    assertEquals(
      describeSetting(r.best.setting),
      "torch 2 threads, OpenBLAS 2, OMP_WAIT_POLICY=PASSIVE, tcmalloc",
    );
  });
});

Deno.test("abPairs() alternates who runs first and reports every pair's ratio and the medians", async () => {
  const order: string[] = [];
  let t = 0;
  // the machine slows down as it goes: each call takes 10 ms more than the one before
  const ours = () => (order.push("A"), Promise.resolve(100 + 10 * t++));
  const theirs = () => (order.push("B"), Promise.resolve(200 + 10 * t++));
  const r = await abPairs(4, ours, theirs, (a, b) => b / a);
  assertEquals(order.join(""), "ABBAABBA");
  assertEquals(r.pairs.map((p) => p.first), ["ours", "theirs", "ours", "theirs"]);
  assertEquals(r.pairs.map((p) => [p.ours, p.theirs]), [[100, 210], [130, 220], [140, 250], [170, 260]]);
  assertEquals(r.medianOurs, 135); // the mean of the middle two
  assertEquals(r.medianRatio, (220 / 130 + 250 / 140) / 2);
  for (const p of r.pairs) assertEquals(p.load.length, 2);
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
  assertEquals(parseTrainStepArgs(["--pairs=5"]).pairs, 5);
  assertEquals(parseDecodeArgs(["--pairs=4"]), { pairs: 4 });
});
