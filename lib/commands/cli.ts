/**
 * What every command-line tool of the project shares: flag parsing for commands whose flags are not config keys,
 * and one way to fail. Known errors (by class: a bad config, corpus, run folder, input file, backend, a diverged
 * training) print one line on stderr and exit 1; anything else prints its stack too.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseFlags } from "./cli.ts";
 * const f = parseFlags(["--run=abc", "--beam", "some text"], { run: "string", beam: "bool" }, "summarize");
 * assertEquals(f, { flags: { run: "abc", beam: true }, rest: ["some text"] });
 * // after --, everything is text, even what starts with a dash; a number like -5 is text anyway
 * const g = parseFlags(["-5 degrees", "--", "-x marks the spot", "--beam"], { beam: "bool" }, "summarize");
 * assertEquals(g, { flags: {}, rest: ["-5 degrees", "-x marks the spot", "--beam"] });
 * ```
 * @module
 */
import { BackendError } from "../backend/choose.ts";
import { ConfigError } from "../config.ts";
import { CorpusError } from "../data/corpus.ts";
import { WriteError } from "../io/atomic.ts";
import { ModelFileError } from "../model/io.ts";
import { RunError } from "../run/folder.ts";
import { OwnerError } from "../run/owner.ts";
import { SweepError } from "../sweep/plan.ts";
import { ResumeError, TrainingDivergedError } from "../train/loop.ts";
import { CheckpointError } from "../train/checkpoint.ts";

/** Bad input to a command (a file, a column, a flag): printed in one line. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** A class of errors (its constructor), as `instanceof` takes it. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Error classes a command reports in one line, without a stack trace: an error is known when it is an instance of
 * one of them (a subclass included, whatever its `name`); an error that only carries one of their names is not.
 */
export const KNOWN_ERRORS: readonly ErrorClass[] = [
  ConfigError,
  CorpusError,
  RunError,
  InputError,
  BackendError,
  TrainingDivergedError,
  ResumeError,
  CheckpointError,
  WriteError,
  ModelFileError,
  OwnerError,
  SweepError,
];

/** Whether `e` is an error the tools report in one line: an instance of a {@linkcode KNOWN_ERRORS} class. */
export function isKnownError(e: unknown): boolean {
  return KNOWN_ERRORS.some((cls) => e instanceof cls);
}

/**
 * Run a command's body; on an error print `error: <message>` (and the stack for unknown errors), exit 1. With
 * `help`, `--help` or `-h` among the arguments prints it instead of running the body; with `textsAfterDashes`
 * (a command whose arguments after `--` are texts, `summarize`), only among those before a `--`.
 */
export async function runCli(
  body: () => Promise<void>,
  help?: string,
  opts: { textsAfterDashes?: boolean } = {},
): Promise<void> {
  try {
    // after `--`, "-h" may be a text to summarize; elsewhere `deno task X -- --help` asks for the help
    const end = opts.textsAfterDashes ? Deno.args.indexOf("--") : -1;
    const options = end < 0 ? Deno.args : Deno.args.slice(0, end);
    if (help !== undefined && (options.includes("--help") || options.includes("-h"))) {
      console.log(help);
      return;
    }
    await body();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    console.error(`error: ${err.message}`);
    if (!isKnownError(err)) console.error(err.stack?.split("\n").slice(1).join("\n") ?? "");
    Deno.exit(1);
  }
}

/** The kind of each flag a command accepts. */
export type FlagSpec = Record<string, "string" | "bool">;

/**
 * Parse `--key=value`, `--key value` and bare boolean `--flag` arguments of the keys in `spec` (camelCase or
 * kebab-case). `-` alone, and arguments that do not start with `--` or with a dash and a letter (`-5 degrees`),
 * are positional; `--` ends the options: every argument after it is positional, so a text that starts with a
 * dash can still be given (`-- "-x marks the spot"`). An unknown flag, including a short one such as `-x` or
 * `-abc` (none is taken; `-h` is handled by {@linkcode runCli} before parsing), is a {@linkcode ConfigError}
 * naming the command and the flags it takes.
 */
export function parseFlags(
  args: readonly string[],
  spec: FlagSpec,
  command: string,
): { flags: Record<string, string | boolean>; rest: string[] } {
  const flags: Record<string, string | boolean> = {};
  const rest: string[] = [];
  const expected = () => `expected one of ${Object.keys(spec).map((k) => `--${k}`).join(", ")}`;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (/^-[A-Za-z]/.test(a)) {
      const name = /\s/.test(a) ? JSON.stringify(a) : a;
      throw new ConfigError(
        `${command}: unknown option ${name}: ${expected()} (a text that starts with a dash goes after --)`,
      );
    }
    if (!a.startsWith("--")) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const raw = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const key = raw.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const kind = spec[key];
    if (kind === undefined) {
      throw new ConfigError(`${command}: unknown option --${raw}: ${expected()}`);
    }
    if (kind === "bool") {
      const v = eq < 0 ? "true" : a.slice(eq + 1);
      if (!["true", "false", "1", "0", ""].includes(v)) {
        throw new ConfigError(`${command}: --${raw} takes true or false (got ${JSON.stringify(v)})`);
      }
      flags[key] = v === "true" || v === "1" || v === "";
    } else {
      let v = eq < 0 ? args[++i] : a.slice(eq + 1);
      if (v === undefined || (eq < 0 && v.startsWith("--"))) {
        throw new ConfigError(`${command}: --${raw} needs a value`);
      }
      if (v === "") throw new ConfigError(`${command}: --${raw} needs a value`);
      v = String(v);
      flags[key] = v;
    }
  }
  return { flags, rest };
}
