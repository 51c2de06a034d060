// bench/decode.ts on the tiny model: every decoder's line, and the decoders agree on the same inputs (without
// OpenBLAS, where a product's rows do not depend on how many there are).
import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { benchDecode, parseDecodeArgs } from "../bench/decode.ts";
import { resolveConfig } from "../lib/config.ts";

Deno.test("bench/decode.ts prints batched, loop, one-at-a-time and batched beam lines that agree on their inputs", async () => {
  try {
    const rows = await benchDecode({
      config: resolveConfig("tiny"),
      n: 8,
      loopN: 3,
      beamN: 3,
      beamBatchN: 5,
      backend: "wasm",
      blas: false,
      peer: false,
      print: false,
    });
    assertEquals(rows.map((r) => r.mode), ["batched", "loop", "beam", "beam_batched", "speedup"]);
    const byMode = Object.fromEntries(rows.map((r) => [r.mode, r]));
    assertEquals(byMode.loop.sameIdsAsBatched, true);
    assertEquals(byMode.beam_batched.sameIdsAsOneAtATime, true);
    assertEquals([byMode.beam.n, byMode.beam_batched.n], [3, 5]);
    for (const r of rows.slice(0, 4)) assert(r.summaries_per_s! > 0 && r.tokens! > 0, r.mode);
  } finally {
    await tf.setBackend("cpu");
  }
});

Deno.test("bench/decode.ts takes --beam-batch-n=, 0 to skip batched beam search", () => {
  assertEquals(parseDecodeArgs(["--beam-batch-n=0"]), { beamBatchN: 0 });
  assertEquals(parseDecodeArgs(["--beam-batch-n=128", "--beam-n=2"]), { beamBatchN: 128, beamN: 2 });
});
