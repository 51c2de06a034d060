import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  checkKey,
  type Config,
  CONFIG_KEYS,
  ConfigError,
  type Overrides,
  parseCliArgs,
  PROFILES,
  resolveConfig,
} from "../lib/config.ts";

Deno.test("resolveConfig('paper') has the milestone report's hyperparameters", () => {
  const c = resolveConfig("paper");
  assertEquals(
    [c.vocabSize, c.embeddingDim, c.encoderLayers, c.units, c.dropout],
    [10000, 100, 3, 256, 0.4],
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

Deno.test("resolveConfig() rejects --bootstrap=1e9 with a ConfigError naming the limit", () => {
  const a = parseCliArgs(["--bootstrap=1e9"]);
  const e = assertThrows(() => resolveConfig(a.profile, a.overrides), ConfigError);
  assertStringIncludes(e.message, '"bootstrap"');
  assertStringIncludes(e.message, "an integer >= 0 and <= 100000");
  assertThrows(() => resolveConfig("default", { bootstrap: 1e9 }), ConfigError, "<= 100000");
  assertEquals(
    resolveConfig("default", { bootstrap: "100000" }).bootstrap,
    100000,
    "the limit itself is allowed",
  );
});

/** Keys that size memory or time, each with its upper limit. */
const LIMITS: [keyof Config, number][] = [
  ["bootstrap", 100_000],
  ["evalExamples", 1_000_000],
  ["beamWidth", 64],
  ["maxInputLen", 1000],
  ["maxOutputLen", 500],
  ["vocabSize", 200_000],
  ["embeddingDim", 4096],
  ["units", 4096],
  ["attentionUnits", 4096],
  ["batchSize", 4096],
  ["epochs", 10_000],
  ["embeddedSnippets", 1_000_000],
  ["maxSnippets", 10_000_000],
  ["labelSentences", 100],
  ["leadWords", 1000],
  ["patience", 10_000],
  ["encoderLayers", 8],
];

Deno.test("every numeric key that sizes memory or time has an upper limit, named in the error", () => {
  for (const [key, max] of LIMITS) {
    assertEquals(resolveConfig("default", { [key]: max })[key], max, `${key}: the limit itself is allowed`);
    const e = assertThrows(() => resolveConfig("default", { [key]: max + 1 }), ConfigError, undefined, key);
    assertStringIncludes(e.message, `"${key}"`);
    assertStringIncludes(e.message, `and <= ${max}`);
  }
});

Deno.test("every profile's values are within the schema's kinds and limits", () => {
  for (const [name, profile] of Object.entries(PROFILES)) {
    // the profile's own values as overrides: each goes through the same checks as a --key=value
    const c = resolveConfig(name, { ...profile });
    assertEquals(c, profile, name);
  }
});

Deno.test("checkKey() checks one value like resolveConfig(): kind, limits and the same message", () => {
  assertEquals(checkKey("bootstrap", "200"), 200);
  assertEquals(checkKey("evalExamples", 0), 0);
  const e = assertThrows(() => checkKey("bootstrap", "1000000000"), ConfigError);
  const r = assertThrows(() => resolveConfig("default", { bootstrap: "1000000000" }), ConfigError);
  assertEquals(e.message, r.message);
  assertThrows(() => checkKey("evalExamples", "-1"), ConfigError, "an integer >= 0 and <= 1000000");
  assertThrows(() => checkKey("bootstrap", "2.5"), ConfigError, "an integer");
  assertThrows(() => checkKey("bootstrap", ""), ConfigError, "an integer");
  assertThrows(
    () => checkKey("bootstrap", true),
    ConfigError,
    "an integer",
    "a bare --bootstrap is no count",
  );
  assertThrows(() => checkKey("unitz" as keyof Config, 3), ConfigError, 'unknown key "unitz"');
});

Deno.test("a retired key (recurrentDropout) is dropped at the one value it could hold and refused otherwise, naming why", () => {
  // run folders saved before it went carry "recurrentDropout": 0 in config.json
  assertEquals("recurrentDropout" in resolveConfig("tiny", { recurrentDropout: 0 } as Overrides), false);
  assertThrows(
    () => resolveConfig("tiny", { recurrentDropout: 0.2 } as Overrides),
    ConfigError,
    'config: "recurrentDropout" was removed (it could only be 0',
  );
  assertThrows(() => parseCliArgs(["--recurrent-dropout=0"]), ConfigError, "--recurrent-dropout was removed");
});

Deno.test("resolveConfig() treats names of Object's own properties as unknown keys and profiles", () => {
  for (const key of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
    const e = assertThrows(() => resolveConfig("tiny", { [key]: "1" } as Overrides), ConfigError);
    assertStringIncludes(e.message, `unknown key "${key}"`);
    const e2 = assertThrows(() => {
      const cli = parseCliArgs([`--${key}=1`]);
      resolveConfig(cli.profile, cli.overrides);
    });
    assertStringIncludes(String(e2), key);
  }
  assertThrows(() => resolveConfig("constructor"), ConfigError, 'unknown profile "constructor"');
});
