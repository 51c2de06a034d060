/**
 * The plan of a sweep: every trial's full config and seed, from a grid (`--grid key=v1,v2 ...`), random draws over
 * ranges (`--random=K`) or a written plan (`--plan=FILE.json`), each setting repeated with `--seeds=N` seeds. Values
 * are checked as the experiment checks them (lib/config.ts): a bad key, value or empty list is a
 * {@linkcode SweepError} naming it, before anything is written.
 *
 * A sweep lives in `<resultsDir>/sweeps/<name>/`: `plan.json`, one ordinary run folder per trial (named by the
 * trial's id) and the summary. Its trials share the data: `dataSeed` is the first seed, so the seeds vary the
 * training only (initial weights, dropout, batch order) and every trial is scored on the same test examples.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { makePlan, parseGridEntry } from "./plan.ts";
 * const plan = makePlan({
 *   name: "demo", profile: "tiny", base: { epochs: 1 }, seeds: 2, resultsDir: "results",
 *   grid: [parseGridEntry("units=16,32")],
 * });
 * assertEquals(plan.trials.map((t) => t.id), [
 *   "t01-units16-seed42", "t02-units16-seed43", "t03-units32-seed42", "t04-units32-seed43",
 * ]);
 * assertEquals(plan.trials[3].config.units, 32);
 * assertEquals(plan.trials[3].config.dataSeed, 42); // the data does not change with the seed
 * ```
 * @module
 */
import { resolve as resolvePath } from "node:path";
import { type Config, CONFIG_KEYS, ConfigError, type Overrides, PROFILES, resolveConfig } from "../config.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { mulberry32 } from "../util/rng.ts";

/** A bad sweep: its grid, plan file, name or flags (printed in one line by `deno task sweep`). */
export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SweepError";
  }
}

/** One swept key: a list of values, or (random search only) a range `lo:hi` or `lo:hi:log`. */
export type GridEntry =
  | { key: keyof Config; kind: "list"; values: unknown[] }
  | { key: keyof Config; kind: "range"; lo: number; hi: number; log: boolean };

/** Keys a sweep may not vary: what names the run (profile, resultsDir) and the seeds (`--seeds`). */
const FIXED_KEYS: Readonly<Record<string, string>> = {
  profile: "use --profile (one profile per sweep)",
  resultsDir: "use --resultsDir (one folder per sweep)",
  seed: "use --seeds=N (each setting is repeated with N seeds)",
  dataSeed: "every trial of a sweep shares the data (dataSeed is the first seed)",
};

/** A config key (camelCase or kebab-case) checked as one a sweep may vary. */
function sweptKey(raw: string, what: string): keyof Config {
  const key = raw.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  if (key in FIXED_KEYS) throw new SweepError(`sweep: ${what} cannot vary "${key}": ${FIXED_KEYS[key]}`);
  if (!(CONFIG_KEYS as string[]).includes(key)) {
    throw new SweepError(
      `sweep: ${what} has unknown key "${raw}": expected one of ${CONFIG_KEYS.join(", ")}`,
    );
  }
  return key as keyof Config;
}

/** A value checked as `--key=value` is (lib/config.ts), with the sweep's words around the config's message. */
function checkValue(key: keyof Config, raw: unknown, what: string): unknown {
  try {
    return resolveConfig("paper", { [key]: raw })[key];
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new SweepError(`sweep: ${what}: ${e.message.replace(/^config: /, "")}`);
    }
    throw e;
  }
}

/**
 * Parse one grid entry `key=v1,v2,...` (values checked as the config checks them), or, with `ranges`,
 * `key=lo:hi` / `key=lo:hi:log` (a numeric key drawn uniformly, or log-uniformly, by `--random`).
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseGridEntry, SweepError } from "./plan.ts";
 * assertEquals(parseGridEntry("learning-rate=0.001,0.003"), {
 *   key: "learningRate", kind: "list", values: [0.001, 0.003],
 * });
 * assertThrows(() => parseGridEntry("units="), SweepError, "empty");
 * assertThrows(() => parseGridEntry("unitz=1,2"), SweepError, "unknown key");
 * ```
 */
export function parseGridEntry(text: string, opts: { ranges?: boolean } = {}): GridEntry {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new SweepError(`sweep: grid entry "${text}" is not key=v1,v2,...`);
  const key = sweptKey(text.slice(0, eq), `grid entry "${text}"`);
  const rest = text.slice(eq + 1);
  const range = /^([^:,]+):([^:,]+)(:log)?$/.exec(rest);
  if (range) {
    if (!opts.ranges) {
      throw new SweepError(`sweep: grid entry "${text}" is a range: ranges are drawn by --random=K only`);
    }
    const lo = checkValue(key, range[1], `grid entry "${text}"`);
    const hi = checkValue(key, range[2], `grid entry "${text}"`);
    if (typeof lo !== "number" || typeof hi !== "number") {
      throw new SweepError(`sweep: grid entry "${text}": a range needs a numeric key ("${key}" is not)`);
    }
    if (!(lo < hi)) {
      throw new SweepError(`sweep: grid entry "${text}": the range's low end must be below its high end`);
    }
    if (range[3] && lo <= 0) throw new SweepError(`sweep: grid entry "${text}": a log range must be above 0`);
    return { key, kind: "range", lo, hi, log: range[3] !== undefined };
  }
  const parts = rest.split(",").map((v) => v.trim());
  if (rest.trim() === "" || parts.some((p) => p === "")) {
    throw new SweepError(`sweep: grid entry "${text}" has an empty value list or an empty value`);
  }
  const values = parts.map((p) => checkValue(key, p, `grid entry "${text}"`));
  const unique = new Set(values.map((v) => JSON.stringify(v)));
  if (unique.size !== values.length) throw new SweepError(`sweep: grid entry "${text}" repeats a value`);
  return { key, kind: "list", values };
}

/** One trial: a setting run with one seed, as an ordinary run folder `<sweep folder>/<id>`. */
export interface Trial {
  /** 0-based position in the plan (the Slurm array index). */
  index: number;
  /** The run id: `t<NN>-<key><value>...-seed<seed>`. */
  id: string;
  /** The setting's position in {@linkcode SweepPlan.settings}. */
  setting: number;
  seed: number;
  /** The full config the trial runs with. */
  config: Config;
}

/** What `plan.json` holds. */
export interface SweepPlan {
  version: 1;
  name: string;
  profile: string;
  /** How the settings were made. */
  mode: "grid" | "random" | "plan";
  /** The swept keys, in the order given. */
  keys: (keyof Config)[];
  /** Overrides every trial shares (besides the swept keys and the seed). */
  base: Overrides;
  /** The seeds each setting runs with; `dataSeed` of every trial is the first. */
  seeds: number[];
  /** Each setting's values of the swept keys. */
  settings: Record<string, unknown>[];
  trials: Trial[];
  /** The folder of the sweep (`<resultsDir>/sweeps/<name>`), as the trials' `resultsDir`. */
  dir: string;
}

/** What {@linkcode makePlan} needs. */
export interface PlanInput {
  name: string;
  profile: string;
  /** Overrides every trial shares (checked as the config checks them). */
  base: Overrides;
  /** Seeds per setting (default 1): the base seed (the profile's, or `base.seed`) and the next ones. */
  seeds?: number;
  resultsDir: string;
  /** A grid: every combination of the entries' values (lists only). */
  grid?: GridEntry[];
  /** Random search: this many settings drawn from the entries (lists: a value; ranges: a number). */
  random?: number;
  /** A written plan's settings (each an object of overrides). */
  settings?: Record<string, unknown>[];
}

/** The name of a sweep: a folder name. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The folder of sweep `name` under `resultsDir`. */
export function sweepDir(resultsDir: string, name: string): string {
  return `${resultsDir.replace(/\/+$/, "")}/sweeps/${name}`;
}

/** Check a sweep name (a folder name of letters, digits, `.`, `_`, `-`). */
export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new SweepError(
      `sweep: bad --name ${
        JSON.stringify(name)
      }: letters, digits, ".", "_" and "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** The default name of a sweep: its profile and swept keys (`tiny-units-learningRate`). */
export function defaultName(profile: string, keys: readonly string[]): string {
  return checkName(`${profile}-${keys.join("-") || "seeds"}`.slice(0, 100));
}

/** A value as it appears in a trial id: numbers as written, others with unsafe characters replaced. */
function idValue(v: unknown): string {
  return String(v).replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Every combination of the lists' values, the first key varying slowest. */
function gridSettings(grid: GridEntry[]): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const g of grid) {
    if (g.kind !== "list") throw new SweepError(`sweep: "${g.key}" is a range: ranges need --random=K`);
    out = out.flatMap((s) => g.values.map((v) => ({ ...s, [g.key]: v })));
  }
  return out;
}

/** A number rounded to 3 significant digits (readable ids, the same draw on every machine). */
function round3(x: number): number {
  return Number(x.toPrecision(3));
}

/** `k` settings drawn from the entries with a generator seeded from `seed`; repeated draws are dropped. */
function randomSettings(grid: GridEntry[], k: number, seed: number): Record<string, unknown>[] {
  const rand = mulberry32((seed ^ 0x5eed7919) >>> 0); // a stream of its own, not the training's
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < k; i++) {
    const s: Record<string, unknown> = {};
    for (const g of grid) {
      if (g.kind === "list") s[g.key] = g.values[Math.floor(rand() * g.values.length)];
      else {
        const u = rand();
        const x = g.log
          ? Math.exp(Math.log(g.lo) + u * (Math.log(g.hi) - Math.log(g.lo)))
          : g.lo + u * (g.hi - g.lo);
        const int = Number.isInteger(g.lo) && Number.isInteger(g.hi) && checkIsInt(g.key);
        s[g.key] = int ? Math.round(x) : round3(x);
      }
    }
    const text = JSON.stringify(s);
    if (!seen.has(text)) out.push(s);
    seen.add(text);
  }
  return out;
}

/** Whether a key takes integers only (a fractional value is refused by the config). */
function checkIsInt(key: keyof Config): boolean {
  try {
    resolveConfig("paper", { [key]: 1.5 });
    return false;
  } catch {
    return true;
  }
}

/** A written plan's settings checked: an array of objects of config keys the sweep may vary. */
function checkSettings(settings: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(settings) || settings.length === 0) {
    throw new SweepError(`sweep: ${what}: "settings" must be a non-empty array of objects`);
  }
  return settings.map((s, i) => {
    if (s === null || typeof s !== "object" || Array.isArray(s)) {
      throw new SweepError(`sweep: ${what}: settings[${i}] is not an object of config keys`);
    }
    const out: Record<string, unknown> = {};
    for (const [raw, v] of Object.entries(s)) {
      const key = sweptKey(raw, `${what} settings[${i}]`);
      out[key] = checkValue(key, v, `${what} settings[${i}]`);
    }
    return out;
  });
}

/** The base config of a plan: the profile with the shared overrides, checked. */
function planBase(input: PlanInput): Config {
  checkName(input.name);
  if (!(input.profile in PROFILES)) {
    throw new SweepError(
      `sweep: unknown profile "${input.profile}": expected one of ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  for (const key of Object.keys(input.base)) {
    if (key === "seed" || key === "resultsDir" || key === "profile") continue;
    if (key in FIXED_KEYS) throw new SweepError(`sweep: --${key} cannot be set: ${FIXED_KEYS[key]}`);
  }
  try {
    return resolveConfig(input.profile, input.base);
  } catch (e) {
    if (e instanceof ConfigError) throw new SweepError(`sweep: ${e.message.replace(/^config: /, "")}`);
    throw e;
  }
}

/** The settings of a plan and how they were made: a written plan, random draws or a grid. */
function planSettings(
  input: PlanInput,
  base: Config,
): { mode: SweepPlan["mode"]; settings: Record<string, unknown>[] } {
  const grid = input.grid ?? [];
  const seen = new Set<string>();
  for (const g of grid) {
    if (seen.has(g.key)) throw new SweepError(`sweep: the grid names "${g.key}" twice`);
    seen.add(g.key);
  }
  if (input.settings !== undefined) {
    if (grid.length > 0 || input.random !== undefined) {
      throw new SweepError("sweep: --plan gives the settings: do not add --grid or --random");
    }
    return { mode: "plan", settings: checkSettings(input.settings, "plan") };
  }
  if (input.random !== undefined) {
    if (!Number.isInteger(input.random) || input.random < 1 || input.random > 10_000) {
      throw new SweepError(`sweep: bad --random=${input.random}: expected an integer >= 1 and <= 10000`);
    }
    if (grid.length === 0) {
      throw new SweepError("sweep: --random=K needs --grid key=lo:hi or key=v1,v2 entries");
    }
    return { mode: "random", settings: randomSettings(grid, input.random, base.seed) };
  }
  if (grid.length === 0) {
    throw new SweepError("sweep: nothing to sweep: give --grid key=v1,v2, --random=K or --plan=FILE.json");
  }
  return { mode: "grid", settings: gridSettings(grid) };
}

/**
 * Make a sweep's plan: the settings (grid, random draws or written), each with `seeds` seeds, each trial's config
 * resolved and checked. Throws a {@linkcode SweepError} naming what is wrong; writes nothing.
 */
export function makePlan(input: PlanInput): SweepPlan {
  const base = planBase(input);
  const seedsN = input.seeds ?? 1;
  if (!Number.isInteger(seedsN) || seedsN < 1 || seedsN > 100) {
    throw new SweepError(`sweep: bad --seeds=${seedsN}: expected an integer >= 1 and <= 100`);
  }
  const { mode, settings } = planSettings(input, base);
  const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))] as (keyof Config)[];
  if (settings.length * seedsN > 10_000) {
    throw new SweepError(`sweep: ${settings.length * seedsN} trials is more than 10000: a typo?`);
  }
  const seeds = Array.from({ length: seedsN }, (_, i) => base.seed + i);
  const dir = sweepDir(input.resultsDir, input.name);
  const data = base.data.trim() === "" ? "" : resolvePath(base.data);
  const width = Math.max(2, String(settings.length * seedsN).length);
  const trials: Trial[] = [];
  settings.forEach((s, setting) => {
    for (const seed of seeds) {
      const index = trials.length;
      const name = keys.filter((k) => k in s).map((k) => `${k}${idValue(s[k])}`).join("-");
      const id = `t${String(index + 1).padStart(width, "0")}-${name ? `${name}-` : ""}seed${seed}`;
      let config: Config;
      try {
        config = resolveConfig(input.profile, {
          ...input.base,
          ...s,
          seed,
          dataSeed: seeds[0],
          data,
          resultsDir: dir,
        });
      } catch (e) {
        if (e instanceof ConfigError) {
          throw new SweepError(`sweep: setting ${JSON.stringify(s)}: ${e.message.replace(/^config: /, "")}`);
        }
        throw e;
      }
      trials.push({ index, id, setting, seed, config });
    }
  });
  const { seed: _s, resultsDir: _r, profile: _p, ...shared } = input.base;
  return {
    version: 1,
    name: input.name,
    profile: input.profile,
    mode,
    keys,
    base: shared,
    seeds,
    settings,
    trials,
    dir,
  };
}

/** A plan's settings in words: `units=32 learningRate=0.003`. */
export function settingLabel(plan: Pick<SweepPlan, "keys">, setting: Record<string, unknown>): string {
  return plan.keys.filter((k) => k in setting).map((k) => `${k}=${setting[k]}`).join(" ") || "(base)";
}

/** The path of `plan.json` of a sweep folder. */
export function planPath(dir: string): string {
  return `${dir}/plan.json`;
}

/** Read a sweep's `plan.json`; a missing or broken one is a {@linkcode SweepError}. */
export async function readPlan(dir: string): Promise<SweepPlan> {
  let text: string;
  try {
    text = await Deno.readTextFile(planPath(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SweepError(
        `sweep: no sweep in ${dir} (no plan.json); start it with deno task sweep --grid ...`,
      );
    }
    throw new SweepError(`sweep: ${planPath(dir)} is unreadable (${(e as Error).message})`);
  }
  try {
    const plan = JSON.parse(text) as SweepPlan;
    if (plan.version !== 1 || !Array.isArray(plan.trials) || !Array.isArray(plan.settings)) {
      throw new Error("not a sweep plan (version 1)");
    }
    return plan;
  } catch (e) {
    throw new SweepError(`sweep: ${planPath(dir)}: ${(e as Error).message}`);
  }
}

/**
 * Whether two plans run the same trials (ids and configs; the sweep folder's path may differ, as when a
 * project folder moved).
 */
export function samePlan(a: SweepPlan, b: SweepPlan): boolean {
  const strip = (p: SweepPlan) => p.trials.map((t) => ({ ...t, config: { ...t.config, resultsDir: "" } }));
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/**
 * Read a written plan (`--plan=FILE.json`): `{"settings": [{...}, ...]}`, optionally with `"profile"`,
 * `"seeds"` and `"base"` (overrides every trial shares). A missing file or bad JSON is a {@linkcode SweepError}.
 */
export async function readPlanFile(
  path: string,
): Promise<{ settings: unknown; profile?: string; seeds?: number; base?: Overrides }> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new SweepError(`sweep: --plan=${path}: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new SweepError(`sweep: --plan=${path}: expected an object with "settings"`);
  }
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!["settings", "profile", "seeds", "base"].includes(k)) {
      throw new SweepError(
        `sweep: --plan=${path}: unknown field "${k}": expected settings, profile, seeds, base`,
      );
    }
  }
  if (o.profile !== undefined && typeof o.profile !== "string") {
    throw new SweepError(`sweep: --plan=${path}: "profile" must be a string`);
  }
  if (o.seeds !== undefined && typeof o.seeds !== "number") {
    throw new SweepError(`sweep: --plan=${path}: "seeds" must be a number`);
  }
  if (o.base !== undefined && (o.base === null || typeof o.base !== "object" || Array.isArray(o.base))) {
    throw new SweepError(`sweep: --plan=${path}: "base" must be an object of config keys`);
  }
  return {
    settings: o.settings,
    ...(o.profile !== undefined ? { profile: o.profile as string } : {}),
    ...(o.seeds !== undefined ? { seeds: o.seeds as number } : {}),
    ...(o.base !== undefined ? { base: o.base as Overrides } : {}),
  };
}

/**
 * Write `plan.json` of a new sweep, or check that an existing sweep of that name has the same plan (then it
 * continues). A different plan under the same name is a {@linkcode SweepError}, before anything is written, unless
 * `opts.replace` (a sweep that belongs to its caller, as the notebook's does): then the old folder is removed first.
 */
export async function claimSweep(
  plan: SweepPlan,
  opts: { replace?: boolean } = {},
): Promise<"new" | "continued" | "replaced"> {
  let existing: SweepPlan | null = null;
  try {
    await Deno.stat(planPath(plan.dir));
    existing = await readPlan(plan.dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (existing && !samePlan(existing, plan) && opts.replace) {
    // a sweep of its own (the notebook's) whose plan changed: start again
    await Deno.remove(plan.dir, { recursive: true });
    await Deno.mkdir(plan.dir, { recursive: true });
    await writeTextAtomic(planPath(plan.dir), JSON.stringify(plan, null, 1));
    return "replaced";
  }
  if (existing) {
    if (!samePlan(existing, plan)) {
      throw new SweepError(
        `sweep: ${plan.dir} holds another plan (plan.json): give this sweep another --name, or remove that folder`,
      );
    }
    return "continued";
  }
  await Deno.mkdir(plan.dir, { recursive: true });
  await writeTextAtomic(planPath(plan.dir), JSON.stringify(plan, null, 1));
  return "new";
}
