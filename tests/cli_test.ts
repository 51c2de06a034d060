// The main job's command line: errors are one clear line and a non-zero exit, not a stack trace.
import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import { assertThrows } from "@std/assert";
import { ConfigError } from "../lib/config.ts";
import { isKnownError, KNOWN_ERRORS, parseFlags } from "../lib/commands/cli.ts";
import { ERRORS } from "./fixtures/cli_error_child.ts";
import { runDeno } from "./fixtures/child_stderr.ts";

const experiment = (...args: string[]) => runDeno("main.ts", args);

Deno.test("`experiment --backend=tensorflow` without tfjs-node fails with a clear message and exit 1", async () => {
  const resultsDir = await Deno.makeTempDir();
  const r = await experiment("--profile=tiny", "--backend=tensorflow", `--resultsDir=${resultsDir}`);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, 'error: backend "tensorflow" (forced by config) cannot be used');
  assertStringIncludes(r.stderr, "@tensorflow/tfjs-node");
  assert(!/^\s+at /m.test(r.stderr), `no stack trace:\n${r.stderr}`);
  assertEquals([...Deno.readDirSync(resultsDir)], [], "nothing was written");
  await Deno.remove(resultsDir, { recursive: true });
});

Deno.test("`experiment` with an unknown option or a bad value names it and exits 1", async () => {
  const a = await experiment("--unitz=3");
  assertEquals(a.code, 1);
  assertStringIncludes(a.stderr, "unknown option --unitz");
  const b = await experiment("--units=big");
  assertEquals(b.code, 1);
  assertStringIncludes(b.stderr, 'bad value "big" for "units"');
  assert(!/^\s+at /m.test(a.stderr + b.stderr), "no stack trace");
});

Deno.test("`experiment --help` lists the profiles and keys", async () => {
  const r = await experiment("--help");
  assertEquals(r.code, 0);
  assertStringIncludes(r.stdout, "profiles: paper, default, envnews, tiny");
  assertStringIncludes(r.stdout, "maxInputLen");
});

Deno.test("`experiment --resume` refuses settings that shape the data or the model, and a run that does not exist", async () => {
  const resultsDir = await Deno.makeTempDir();
  const a = await experiment("--resume", "no-such-run", `--resultsDir=${resultsDir}`);
  assertEquals(a.code, 1);
  assertStringIncludes(a.stderr, `cannot resume: ${resultsDir}/no-such-run/config.json is missing`);
  const b = await experiment("--resume", "no-such-run", "--units=64", `--resultsDir=${resultsDir}`);
  assertEquals(b.code, 1);
  assertStringIncludes(b.stderr, "cannot resume with --units");
  assertStringIncludes(b.stderr, "only epochs, patience");
  assert(!/^\s+at /m.test(a.stderr + b.stderr), "no stack trace");
  await Deno.remove(resultsDir, { recursive: true });
});

Deno.test("`experiment --data=/nonexistent` and a corpus too small to split fail in one line and leave no run folder", async () => {
  const resultsDir = await Deno.makeTempDir();
  const a = await experiment("--profile=tiny", "--data=/nonexistent", `--resultsDir=${resultsDir}`);
  assertEquals(a.code, 1);
  assertStringIncludes(a.stderr, "/nonexistent");
  assert(!/^\s+at /m.test(a.stderr), `no stack trace:\n${a.stderr}`);
  assertEquals(a.stderr.trim().split("\n").length, 1, a.stderr);
  const b = await experiment(
    "--profile=tiny",
    "--embeddedSnippets=10",
    "--valFraction=0.01",
    `--resultsDir=${resultsDir}`,
  );
  assertEquals(b.code, 1);
  assertStringIncludes(b.stderr, "empty val split");
  assert(!/^\s+at /m.test(b.stderr), `no stack trace:\n${b.stderr}`);
  assertEquals([...Deno.readDirSync(resultsDir)], [], "no run folder was left behind");
  await Deno.remove(resultsDir, { recursive: true });
});

Deno.test("parseFlags() rejects -x and -abc as unknown options naming them, instead of taking them as text", () => {
  const spec = { run: "string", beam: "bool" } as const;
  for (const arg of ["-x", "-abc", "-X", "-x marks the spot"]) {
    const e = assertThrows(() => parseFlags(["--run=a", arg], spec, "summarize"), ConfigError);
    assertStringIncludes(
      e.message,
      `summarize: unknown option ${arg.includes(" ") ? JSON.stringify(arg) : arg}`,
    );
    assertStringIncludes(e.message, "--run, --beam");
    assertStringIncludes(e.message, "goes after --");
  }
});

Deno.test("parseFlags() takes everything after -- as text; -, -5 degrees and texts stay positional before it", () => {
  const spec = { run: "string", beam: "bool" } as const;
  assertEquals(parseFlags(["--run=a", "--", "-x marks the spot", "--beam", "--", "-"], spec, "summarize"), {
    flags: { run: "a" },
    rest: ["-x marks the spot", "--beam", "--", "-"],
  });
  assertEquals(parseFlags(["-", "-5 degrees", "-", "--beam", "ice"], spec, "summarize"), {
    flags: { beam: true },
    rest: ["-", "-5 degrees", "-", "ice"],
  });
  assertEquals(parseFlags(["--run", "a", "--"], spec, "summarize"), { flags: { run: "a" }, rest: [] });
  assertThrows(() => parseFlags(["--run", "--"], spec, "summarize"), ConfigError, "--run needs a value");
});

Deno.test("`evaluate --bootstrap=1000000000` (or a huge --evalExamples) exits 1 with one line naming the limit, before opening the run", async () => {
  const resultsDir = await Deno.makeTempDir({ prefix: "evaluate_limits_" });
  const cases = [["--bootstrap=1000000000", "<= 100000"], ["--evalExamples=2000000", "<= 1000000"]];
  try {
    for (const [flag, limit] of cases) {
      const { code, stdout, stderr } = await runDeno("cli/evaluate.ts", [
        "--run=x",
        flag,
        `--resultsDir=${resultsDir}`,
      ]);
      assertEquals(code, 1, stderr);
      const lines = stderr.trim().split("\n");
      assertEquals(lines.length, 1, `one line:\n${stderr}`);
      assert(lines[0].startsWith("error: "), lines[0]);
      assertStringIncludes(lines[0], limit);
      assertFalse(lines[0].includes('no run "x"'), "checked before the run is opened");
      assertEquals(stdout, "", "nothing else happened");
    }
    assertEquals([...Deno.readDirSync(resultsDir)], [], "nothing was written");
  } finally {
    await Deno.remove(resultsDir, { recursive: true });
  }
});

Deno.test("isKnownError() matches every typed error by class: a renamed subclass is known, an Error that only carries the name is not", () => {
  const typed = Object.entries(ERRORS).filter(([kind]) => kind !== "impostor" && kind !== "StaleRunError");
  assertEquals(typed.length, KNOWN_ERRORS.length, "one fixture error per known class");
  for (const [kind, make] of typed) {
    const e = make("x");
    assert(isKnownError(e), kind);
    assertEquals(e.name, kind, `${kind} sets its name`);
    assert(KNOWN_ERRORS.some((cls) => e.constructor === cls), `${kind} is one of KNOWN_ERRORS`);
  }
  const renamed = ERRORS.StaleRunError("x");
  assertEquals(renamed.name, "StaleRunError");
  assert(isKnownError(renamed));
  assertFalse(isKnownError(ERRORS.impostor("x")));
  assertFalse(isKnownError("RunError"));
});

Deno.test("each typed error, and a renamed subclass of one, ends a command with its one-line message and exit 1; an unknown error shows its stack", async () => {
  const child = async (kind: string) => {
    const out = await runDeno("tests/fixtures/cli_error_child.ts", [kind]);
    return { kind, code: out.code, stderr: out.stderr };
  };
  const results = await Promise.all(Object.keys(ERRORS).map(child));
  for (const r of results) {
    assertEquals(r.code, 1, `${r.kind}: ${r.stderr}`);
    if (r.kind === "impostor") {
      assertStringIncludes(r.stderr, "error: impostor happened\n");
      assert(/^\s+at /m.test(r.stderr), `an unknown error shows its stack:\n${r.stderr}`);
    } else {
      assertEquals(r.stderr, `error: ${r.kind} happened\n`, r.kind);
    }
  }
});
