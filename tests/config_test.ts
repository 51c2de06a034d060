import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { CONFIG_KEYS, parseCliArgs, PROFILES, resolveConfig } from "../lib/config.ts";

Deno.test("resolveConfig('paper') has the milestone report's hyperparameters", () => {
  const c = resolveConfig("paper");
  assertEquals(
    [c.vocabSize, c.embeddingDim, c.encoderLayers, c.units, c.dropout, c.recurrentDropout],
    [10000, 100, 3, 256, 0.4, 0],
  );
  assertEquals([c.maxInputLen, c.maxOutputLen, c.batchSize, c.epochs, c.patience], [50, 20, 60, 40, 2]);
});

Deno.test("resolveConfig() applies typed and string overrides", () => {
  const c = resolveConfig("default", {
    units: 64,
    dropout: "0.25",
    sharedEmbedding: "false",
    backend: "cpu",
  });
  assertEquals([c.units, c.dropout, c.sharedEmbedding, c.backend], [64, 0.25, false, "cpu"]);
  assertEquals(c.profile, "default");
});

Deno.test("resolveConfig() rejects an unknown key, naming it and the allowed keys", () => {
  const e = assertThrows(() => resolveConfig("default", { unitz: 3 } as never), Error);
  assertStringIncludes(e.message, 'unknown key "unitz"');
  assertStringIncludes(e.message, "units");
});

Deno.test("resolveConfig() rejects bad values with what the key accepts", () => {
  const cases: [string, unknown, string][] = [
    ["units", "12.5", "an integer >= 1"],
    ["units", 0, "an integer >= 1"],
    ["dropout", "high", "a number >= 0 and <= 0.95"],
    ["backend", "tpu", "one of auto, tensorflow, webgpu, wasm, cpu"],
    ["sharedEmbedding", "maybe", "true or false"],
  ];
  for (const [key, value, expected] of cases) {
    const e = assertThrows(() => resolveConfig("default", { [key]: value }), Error);
    assertStringIncludes(e.message, `"${key}"`);
    assertStringIncludes(e.message, expected);
  }
  assertThrows(() => resolveConfig("nope"), Error, 'unknown profile "nope"');
});

Deno.test("parseCliArgs() reads profiles, kebab-case keys, bare flags and --resume", () => {
  const a = parseCliArgs([
    "--profile=paper",
    "--max-input-len=40",
    "--lenient",
    "--resume",
    "run-1",
    "--epochs",
    "3",
  ]);
  assertEquals(a.profile, "paper");
  assertEquals(a.resume, "run-1");
  assertEquals(a.overrides, { maxInputLen: "40", lenient: "true", epochs: "3" });
  const c = resolveConfig(a.profile, a.overrides);
  assertEquals([c.maxInputLen, c.lenient, c.epochs], [40, true, 3]);
  assertThrows(() => parseCliArgs(["--bogus=1"]), Error, "unknown option --bogus");
});

Deno.test("every profile resolves and covers every key", () => {
  for (const name of Object.keys(PROFILES)) {
    const c = resolveConfig(name);
    assertEquals(Object.keys(c).sort(), [...CONFIG_KEYS].sort(), name);
  }
});
