/**
 * The run folder (`results/<run-id>/`) in one place: {@linkcode RunFolder} owns every file of a run: its paths,
 * new run ids that never collide (an exclusive create of the folder), `owner.json` (which process writes the run),
 * reading, the integrity checks that prove a saved model belongs to its weights, tokenizer and config, the keys a
 * resumed run or an evaluation may change, and evaluation folders that are written whole or not at all. The
 * experiment, `evaluate`, `summarize`, the plots and the notebooks all go through here.
 *
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals, assertRejects } from "@std/assert";
 * import { loadRun, RunError, RunFolder } from "./folder.ts";
 * await assertRejects(() => loadRun("results", "no-such-run"), RunError, "no run");
 * const resultsDir = await Deno.makeTempDir();
 * const now = () => new Date("2026-12-02T10:00:00Z");
 * const a = await RunFolder.create(resultsDir, "tiny", { now });
 * const b = await RunFolder.create(resultsDir, "tiny", { now }); // the same second: another folder
 * assertEquals(a.folder.id, "20261202-100000Z-tiny");
 * assertNotEquals(a.folder.dir, b.folder.dir);
 * await a.lock.release();
 * await b.lock.release();
 * await Deno.remove(resultsDir, { recursive: true });
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { basename, resolve } from "node:path";
import { type Config, type Overrides, PROFILES, resolveConfig } from "../config.ts";
import { prepareData, type PreparedData } from "../data/prep.ts";
import type { MetricsJson } from "../eval/report.ts";
import { Tokenizer } from "../data/tokenizer.ts";
import { replaceDir, writeTextAtomic } from "../io/atomic.ts";
import { pathExists } from "../io/exists.ts";
import {
  buildModel,
  type ModelDir,
  ModelFileError,
  paramsPerLayer,
  readModelDir,
  sha256Hex,
} from "../model/io.ts";
import { expectedParamCounts, LAYER } from "../model/seq2seq.ts";
import { accelerate } from "../speed/accelerate.ts";
import { completeDir, type EpochLog, locateBest, type TrainState } from "../train/checkpoint.ts";
import { acquireOwner, OWNER_FILE, OwnerError, type OwnerLock } from "./owner.ts";

/** A run folder that is missing, incomplete or inconsistent for what was asked of it (one line in the CLIs). */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

/**
 * A new run id: `<UTC date-time>-<profile>`. Two runs of the same second get the same id here;
 * {@linkcode RunFolder.create} adds `-2`, `-3`, ... to the later ones.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { newRunId } from "./folder.ts";
 * assertEquals(newRunId({ profile: "envnews" }, new Date("2026-11-28T07:48:31.5Z")), "20261128-074831Z-envnews");
 * ```
 */
export function newRunId(cfg: Pick<Config, "profile">, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
  return `${t}-${cfg.profile}`;
}

/** The folder of run `id` under `resultsDir`. */
export function runDir(resultsDir: string, id: string): string {
  return `${resultsDir}/${id}`;
}

/** Read the config saved by a run (`config.json`); a missing or unreadable file is a {@linkcode RunError}. */
export async function readRunConfig(dir: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/config.json`);
  } catch (e) {
    throw new RunError(`${dir}/config.json is missing or unreadable (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RunError(`${dir}/config.json is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new RunError(`${dir}/config.json does not hold a config object`);
  }
  return parsed as Config;
}

/** The saved config, validated as a config the project can run (unknown keys or bad values name the file). */
export async function readValidRunConfig(dir: string): Promise<Config> {
  return validRunConfig(await readRunConfig(dir), `${dir}/config.json`);
}

/**
 * A run's saved config (with any overrides merged in) validated as a config the project can run; a run made with
 * a profile that no longer exists is validated against `paper`'s keys. Errors name `file`.
 */
function validRunConfig(cfg: Config, file: string): Config {
  try {
    return resolveConfig(Object.hasOwn(PROFILES, cfg.profile) ? cfg.profile : "paper", cfg);
  } catch (e) {
    throw new RunError(`${file}: ${(e as Error).message}`);
  }
}

/**
 * Write what a run folder needs before training: `config.json` (unless `opts.config` is false, as when
 * resuming), `tokenizer.json` and `prep_report.json`. The CLI and the training notebook both start runs so.
 */
export async function writeRunInputs(
  dir: string,
  cfg: Config,
  data: Pick<PreparedData, "tokenizer" | "report">,
  opts: { config?: boolean } = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  if (opts.config !== false) await writeTextAtomic(`${dir}/config.json`, JSON.stringify(cfg, null, 1));
  await writeTextAtomic(`${dir}/tokenizer.json`, JSON.stringify(data.tokenizer.toJSON()));
  await writeTextAtomic(`${dir}/prep_report.json`, JSON.stringify(data.report, null, 1));
}

/** A finished run's config, tokenizer and the folder of its best model, checked but not loaded. */
export interface OpenedRun {
  id: string;
  dir: string;
  cfg: Config;
  tokenizer: Tokenizer;
  /**
   * The folder holding the best epoch's `model.json`: `best/` (or `best.old/` after an interrupted save), or
   * `checkpoint/` when the run stopped between saving the checkpoint and `best/` of the same, best, epoch.
   */
  bestDir: string;
  /** The files of `bestDir`, read and checked once: {@linkcode loadOpenedModel} builds the model from them. */
  saved: ModelDir;
}

/** A finished run's config, best model and tokenizer. */
export interface LoadedRun extends OpenedRun {
  model: tf.LayersModel;
}

/**
 * Whether a run's model is not bound to config key `key`: the keys a resumed run or an evaluation may change,
 * where the data and the results are (a moved folder), and the profile's name. Every other key shapes the data,
 * the model or its training.
 */
function isUnbound(key: string): boolean {
  return ["data", "resultsDir", "profile"].includes(key) ||
    [...RESUME_KEYS, ...EVAL_KEYS].includes(key as keyof Config);
}

/** What the training loop records in `model.json` to bind a run's model to its config and tokenizer. */
export interface ModelBinding {
  /** The config's values of every key the model is bound to (all but the unbound keys above). */
  trainedWith: Record<string, unknown>;
  /** SHA-256 of the tokenizer's vocabulary: its size and its words in id order. */
  tokenizerSha256: string;
}

/**
 * The binding of a model trained with `cfg` and `tokenizer` (lib/experiment.ts passes it to the training loop,
 * which records it with every checkpoint and `best/`; {@linkcode checkModelMatches} compares it).
 *
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { Tokenizer } from "../data/tokenizer.ts";
 * import { modelBinding } from "./folder.ts";
 * const cfg = resolveConfig("tiny");
 * const a = await modelBinding(cfg, Tokenizer.fit(["ice ice melts"], 10));
 * const b = await modelBinding(cfg, Tokenizer.fit(["ice melts melts"], 10)); // the same words, other ids
 * assertEquals(a.trainedWith.learningRate, cfg.learningRate);
 * assertEquals("epochs" in a.trainedWith, false); // a resumed run may train longer
 * assertNotEquals(a.tokenizerSha256, b.tokenizerSha256);
 * ```
 */
export async function modelBinding(cfg: Config, tokenizer: Tokenizer): Promise<ModelBinding> {
  const trainedWith = Object.fromEntries(Object.entries(cfg).filter(([k]) => !isUnbound(k)));
  return { trainedWith, tokenizerSha256: await vocabularySha256(tokenizer) };
}

/** {@linkcode ModelBinding.tokenizerSha256}: the SHA-256 of the vocabulary's size and words in id order. */
async function vocabularySha256(tokenizer: Tokenizer): Promise<string> {
  const { vocabSize, words } = tokenizer.toJSON();
  return await sha256Hex(new TextEncoder().encode(JSON.stringify([vocabSize, words])));
}

/**
 * A model folder's recorded binding against the run's `cfg` and `tokenizer`: a tokenizer of other words or ids,
 * or a config key whose value is not the one the model was trained with, is a {@linkcode RunError} naming the
 * files and the key. Folders written before bindings were recorded (and keys added to the config since) are not
 * compared.
 */
function checkBinding(
  metadata: Record<string, unknown>,
  cfg: Config,
  files: { model: string; config: string; tokenizer: string },
  tokenizerSha256: string,
): void {
  if (typeof metadata.tokenizerSha256 === "string" && metadata.tokenizerSha256 !== tokenizerSha256) {
    throw new RunError(
      `${files.tokenizer} is not the vocabulary ${files.model} was trained with (SHA-256 differs): ` +
        `the model and its vocabulary do not belong together`,
    );
  }
  const trained = metadata.trainedWith;
  if (trained === null || typeof trained !== "object") return;
  for (const [key, was] of Object.entries(trained as Record<string, unknown>)) {
    if (!(key in cfg) || isUnbound(key)) continue;
    const now = (cfg as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(now) !== JSON.stringify(was)) {
      throw new RunError(
        `${files.config} sets ${key} ${JSON.stringify(now)}, but ${files.model} was trained with ` +
          `${JSON.stringify(was)}: the config is not the one the model was trained with`,
      );
    }
  }
}

/**
 * Check that the saved model `m` is the model `cfg` builds for `tokenizer`: the embedding has one row per
 * tokenizer id, every layer has the parameters the config gives it (Keras formulas, lib/model/seq2seq.ts), the
 * inputs have the config's lengths, and, where the folder records its {@linkcode ModelBinding}, the tokenizer is
 * the one it was trained with and so is every config key it is bound to. A mismatch is a {@linkcode RunError}
 * naming the files.
 */
export async function checkModelMatches(
  m: Pick<ModelDir, "dir" | "specs" | "topology"> & { metadata?: Record<string, unknown> },
  cfg: Config,
  tokenizer: Tokenizer,
  files: { config: string; tokenizer: string },
): Promise<void> {
  const model = `${m.dir}/model.json`;
  const emb = m.specs.find((s) =>
    [LAYER.sharedEmbedding, LAYER.encoderEmbedding].some((l) => s.name.startsWith(`${l}/`))
  );
  if (emb && emb.shape[0] !== tokenizer.size) {
    throw new RunError(
      `${files.tokenizer} has ${tokenizer.size} ids but the embedding of ${model} has ${
        emb.shape[0]
      } rows: ` +
        `the model and its vocabulary do not belong together`,
    );
  }
  const want = expectedParamCounts({ ...cfg, vocabSize: tokenizer.size });
  const have = paramsPerLayer(m.specs);
  for (const layer of new Set([...Object.keys(want), ...Object.keys(have)])) {
    if ((want[layer] ?? 0) !== (have[layer] ?? 0)) {
      throw new RunError(
        `${model}: layer ${layer} has ${(have[layer] ?? 0).toLocaleString("en-US")} parameters, but ` +
          `${files.config} builds it with ${
            (want[layer] ?? 0).toLocaleString("en-US")
          } (units ${cfg.units}, ` +
          `encoderLayers ${cfg.encoderLayers}, embeddingDim ${cfg.embeddingDim}, attentionUnits ` +
          `${cfg.attentionUnits}, copy ${cfg.copy}, coverage ${cfg.coverage}, vocabulary ${tokenizer.size}): ` +
          `the config is not the one the model was trained with`,
      );
    }
  }
  const layers = ((m.topology as { config?: { layers?: unknown[] } } | undefined)?.config?.layers ?? []) as {
    name?: string;
    config?: { batch_input_shape?: (number | null)[] };
  }[];
  const len = (name: string) => layers.find((l) => l.name === name)?.config?.batch_input_shape?.[1];
  for (
    const [name, key] of [[LAYER.encoderInput, "maxInputLen"], [LAYER.decoderInput, "maxOutputLen"]] as const
  ) {
    const saved = len(name);
    if (typeof saved === "number" && saved !== cfg[key]) {
      throw new RunError(
        `${model}: input ${name} has length ${saved}, but ${files.config} says ${key} ${cfg[key]}: ` +
          `the config is not the one the model was trained with`,
      );
    }
  }
  checkBinding(m.metadata ?? {}, cfg, { model, ...files }, await vocabularySha256(tokenizer));
}

/** Where a new run folder's id comes from. */
export interface CreateRunOptions {
  /** Use this id; an existing folder of that id is an error unless `replace` is set. */
  id?: string;
  /** With `id`: an existing folder of that id is emptied first (refused while another process writes it). */
  replace?: boolean;
  /** With `replace`: entries of the old folder to keep (the notebooks keep the data figures in `figures/`). */
  keep?: string[];
  /** The clock for generated ids (tests pass a fixed one). */
  now?: () => Date;
  /** What the owner does, shown to a second writer (default "training"). */
  purpose?: string;
}

/** The run's best epoch and finished epochs as `checkpoint/state.json` records them. */
export type RunState = Pick<TrainState, "epoch" | "bestEpoch" | "stopped" | "history">;

/**
 * One run folder and every file in it. Paths are properties; reading goes through methods that name the file
 * in their errors; writers take {@linkcode RunFolder.lock} first.
 */
export class RunFolder {
  /** The folder: `<resultsDir>/<id>`. */
  readonly dir: string;

  constructor(readonly resultsDir: string, readonly id: string) {
    this.dir = runDir(resultsDir, id);
  }

  /** The run folder at path `dir` (its id is the folder's name). */
  static at(dir: string): RunFolder {
    const clean = dir.replace(/\/+$/, "");
    const i = clean.lastIndexOf("/");
    return i < 0 ? new RunFolder(".", clean) : new RunFolder(clean.slice(0, i) || "/", clean.slice(i + 1));
  }

  /**
   * Create a new run folder and take it for this process. A generated id (`<date-time>-<profile>`) that exists
   * already gets `-2`, `-3`, ...: runs started in the same second never share a folder. The folder is created
   * exclusively, so two processes cannot both get the same one.
   */
  static async create(
    resultsDir: string,
    profile: string,
    opts: CreateRunOptions = {},
  ): Promise<{ folder: RunFolder; lock: OwnerLock }> {
    await Deno.mkdir(resultsDir, { recursive: true });
    const purpose = opts.purpose ?? "training";
    if (opts.id !== undefined) {
      if (opts.id === "" || opts.id.includes("/") || opts.id.startsWith(".")) {
        throw new RunError(`bad run id ${JSON.stringify(opts.id)}: a run id is a folder name`);
      }
      const folder = new RunFolder(resultsDir, opts.id);
      try {
        await Deno.mkdir(folder.dir);
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
        if (!opts.replace) {
          throw new RunError(
            `${folder.dir} exists already: choose another run id, or continue it with --resume ${opts.id}`,
          );
        }
        const lock = await folder.lock(`replacing the run (${purpose})`);
        try {
          for await (const entry of Deno.readDir(folder.dir)) {
            if (entry.name === OWNER_FILE || opts.keep?.includes(entry.name)) continue;
            await Deno.remove(`${folder.dir}/${entry.name}`, { recursive: true });
          }
        } catch (e) {
          await lock.release();
          throw new RunError(`cannot empty ${folder.dir} to replace it: ${(e as Error).message}`);
        }
        return { folder, lock };
      }
      return { folder, lock: await folder.lock(purpose) };
    }
    const base = newRunId({ profile }, (opts.now ?? (() => new Date()))());
    for (let n = 1; n < 10000; n++) {
      const folder = new RunFolder(resultsDir, n === 1 ? base : `${base}-${n}`);
      try {
        await Deno.mkdir(folder.dir);
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) continue;
        throw e;
      }
      return { folder, lock: await folder.lock(purpose) };
    }
    throw new RunError(`${resultsDir}: no free run id for ${base}`);
  }

  /** Take the folder for this process (`owner.json`); another live writer is a {@linkcode RunError}. */
  async lock(purpose: string): Promise<OwnerLock> {
    try {
      return await acquireOwner(this.dir, purpose);
    } catch (e) {
      if (e instanceof OwnerError) throw new RunError(e.message);
      throw e;
    }
  }

  /**
   * Write what the run starts with: `backend.json`, `tokenizer.json`, `prep_report.json` and (unless
   * `opts.config` is false, as when resuming) `config.json`.
   */
  async writeInputs(
    cfg: Config,
    data: Pick<PreparedData, "tokenizer" | "report">,
    backend: unknown,
    opts: { config?: boolean } = {},
  ): Promise<void> {
    await writeTextAtomic(this.path("backend.json"), JSON.stringify(backend, null, 1));
    await writeRunInputs(this.dir, cfg, data, opts);
  }

  /** The saved config with the allowed `overrides` of a resumed run ({@linkcode RESUME_KEYS}) applied. */
  async resumeConfig(overrides: Overrides = {}): Promise<Config> {
    checkRunKeys(overrides, RESUME_POLICY, this.path("config.json")); // before reading: a missing run says so
    return runConfigWith(await readRunConfig(this.dir), overrides, RESUME_POLICY, this.path("config.json"));
  }

  /** The path of a file or folder of the run (`config.json`, `best`, `eval/<name>`, ...). */
  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Whether the folder exists. */
  exists(): Promise<boolean> {
    return pathExists(this.dir);
  }

  /** `config.json`, validated. */
  config(): Promise<Config> {
    return readValidRunConfig(this.dir);
  }

  /** `tokenizer.json`. */
  async tokenizer(): Promise<Tokenizer> {
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(this.path("tokenizer.json")));
    } catch (e) {
      throw new RunError(`${this.path("tokenizer.json")} is missing or unreadable (${(e as Error).message})`);
    }
    try {
      return Tokenizer.fromJSON(json);
    } catch (e) {
      throw new RunError(`${this.path("tokenizer.json")}: ${(e as Error).message}`);
    }
  }

  /** `history.json` (empty when the run has none yet). */
  async history(): Promise<EpochLog[]> {
    const path = this.path("history.json");
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw new RunError(`${path} is unreadable (${(e as Error).message})`);
    }
    try {
      return checkHistory(JSON.parse(text), path) as EpochLog[];
    } catch (e) {
      throw new RunError(`${path}: ${(e as Error).message.replace(`${path}: `, "")}`);
    }
  }

  /** `metrics.json` (the run's own evaluation, written last by the experiment), or null when it has none. */
  async metrics(): Promise<MetricsJson | null> {
    const path = this.path("metrics.json");
    let json: unknown;
    try {
      json = await readJson(path);
    } catch (e) {
      throw new RunError((e as Error).message);
    }
    if (json === undefined) return null;
    try {
      return checkMetrics(json, path);
    } catch (e) {
      throw new RunError((e as Error).message);
    }
  }

  /** The training state of the last checkpoint (`checkpoint/state.json`), or null before the first epoch. */
  async state(): Promise<RunState | null> {
    const ck = await completeDir(this.path("checkpoint"));
    if (ck === null) return null;
    try {
      const s = JSON.parse(await Deno.readTextFile(`${ck}/state.json`)) as RunState;
      if (typeof s.epoch !== "number" || typeof s.bestEpoch !== "number") throw new Error("no epoch numbers");
      return s;
    } catch (e) {
      throw new RunError(`${ck}/state.json is not a training state (${(e as Error).message})`);
    }
  }

  /**
   * The best epoch's figures: the epoch `state.json` names, from the checkpoint's own history (written with it;
   * `history.json` comes after `best/`), else the lowest validation loss in `history.json`.
   */
  async bestEpochLog(): Promise<EpochLog | undefined> {
    const state = await this.state().catch(() => null);
    if (state && Array.isArray(state.history)) return state.history.find((h) => h.epoch === state.bestEpoch);
    const history = await this.history();
    return history.reduce<EpochLog | undefined>((b, h) => (!b || h.valLoss < b.valLoss ? h : b), undefined);
  }

  /**
   * The folder holding the best epoch's model. `best/` records its epoch; when the run stopped after saving the
   * checkpoint of a new best epoch but before `best/`, the checkpoint holds those weights and is used. A `best/`
   * that disagrees with `state.json` otherwise is a {@linkcode RunError}.
   */
  async bestModelDir(): Promise<string> {
    const state = await this.state();
    if (state === null || state.bestEpoch === 0) {
      const best = await completeDir(this.path("best"));
      if (!best) throw new RunError(`${this.path("best")} holds no model: the run has not finished an epoch`);
      return best;
    }
    const where = await locateBest(this.dir, state);
    if (where.dir === null) {
      throw new RunError(`${where.problem}: continue the run with --resume ${this.id} to repair it`);
    }
    return where.dir;
  }

  /**
   * Check the run and read its config and tokenizer without loading the model: the folder exists, has a best
   * model, and that model's files, vocabulary and config belong together ({@linkcode checkModelMatches},
   * `readModelDir` in lib/model/io.ts). Any failure is a {@linkcode RunError} naming the file.
   */
  async open(): Promise<OpenedRun> {
    if (!(await this.exists())) {
      throw new RunError(
        `no run "${this.id}" in ${this.resultsDir}/ (see --resultsDir; run ids are the folder names there)`,
      );
    }
    const cfg = await this.config();
    const bestDir = await this.bestModelDir();
    const tokenizer = await this.tokenizer();
    let m: ModelDir;
    try {
      m = await readModelDir(bestDir);
    } catch (e) {
      if (e instanceof ModelFileError) throw new RunError(e.message);
      throw e;
    }
    await checkModelMatches(m, cfg, tokenizer, {
      config: this.path("config.json"),
      tokenizer: this.path("tokenizer.json"),
    });
    return { id: this.id, dir: this.dir, cfg, tokenizer, bestDir, saved: m };
  }

  /** {@linkcode RunFolder.open} and load the best model (the backend must be ready). */
  async load(): Promise<LoadedRun> {
    const opened = await this.open();
    return { ...opened, model: await loadOpenedModel(opened) };
  }

  /**
   * The evaluation name of a data folder: its name and a short hash of its full path, so two folders of the
   * same name never share `eval/<name>/` and the same folder always gets the same one.
   */
  static async evalName(dataPath: string): Promise<string> {
    const full = resolve(dataPath);
    const b = basename(full).replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "") || "data";
    const hash = (await sha256Hex(new TextEncoder().encode(full))).slice(0, 8);
    return `${b}-${hash}`;
  }

  /**
   * Write evaluation `name` whole or not at all: `fill` writes into a fresh folder of its own, which then
   * replaces `eval/<name>/` in one rename. A failure leaves the previous evaluation (if any) as it was and
   * is a {@linkcode RunError} naming the folder.
   */
  async writeEval(name: string, fill: (dir: string) => Promise<unknown>): Promise<string> {
    const target = this.path(`eval/${name}`);
    try {
      await Deno.mkdir(this.path("eval"), { recursive: true });
      await replaceDir(target, fill);
    } catch (e) {
      throw new RunError(`cannot write the evaluation ${target}: ${(e as Error).message}`);
    }
    return target;
  }
}

/**
 * The best model of an opened run, built from the files {@linkcode RunFolder.open} read and checked, with the fast
 * layers its config asks for (`fastLayers`, lib/speed/accelerate.ts) attached for decoding.
 */
export async function loadOpenedModel(opened: Pick<OpenedRun, "saved" | "cfg">): Promise<tf.LayersModel> {
  try {
    return accelerate(await buildModel(opened.saved), { layers: opened.cfg.fastLayers });
  } catch (e) {
    if (e instanceof ModelFileError) throw new RunError(e.message);
    throw e;
  }
}

/**
 * Check run `id` of `resultsDir` (or, with one argument, the run folder itself) and read its config and
 * tokenizer, without loading the model (which needs a backend): {@linkcode RunFolder.open}.
 */
export function openRun(resultsDirOrRun: string, id?: string): Promise<OpenedRun> {
  return (id === undefined ? RunFolder.at(resultsDirOrRun) : new RunFolder(resultsDirOrRun, id)).open();
}

/** {@linkcode openRun} and load the best model (the backend must be ready). */
export async function loadRun(resultsDirOrRun: string, id?: string): Promise<LoadedRun> {
  const opened = await openRun(resultsDirOrRun, id);
  return { ...opened, model: await loadOpenedModel(opened) };
}

/** A run's model and tokenizer with its data prepared again from its config (same splits, same vocabulary). */
export interface LoadedRunWithData extends LoadedRun {
  data: PreparedData;
}

/**
 * {@linkcode loadRun} and prepare the run's data again from its config. The vocabulary this gives must be the one
 * the run saved (`tokenizer.json`); otherwise the data changed since the run and its splits cannot be trusted:
 * a {@linkcode RunError}.
 */
export async function loadRunWithData(resultsDirOrRun: string, id?: string): Promise<LoadedRunWithData> {
  // the data first: a data error then leaves no model to dispose
  const opened = await openRun(resultsDirOrRun, id);
  const data = await prepareRunData(opened);
  return { ...opened, model: await loadOpenedModel(opened), data };
}

/**
 * The run's data prepared again from its config; the vocabulary must come out as `tokenizer.json` holds it, or
 * the data changed since the run: a {@linkcode RunError} saying so (`hint` is added to the message).
 */
export async function prepareRunData(
  run: Pick<OpenedRun, "cfg" | "dir" | "tokenizer">,
  hint = "",
): Promise<PreparedData> {
  const data = await prepareData(run.cfg, undefined, { useEnv: false });
  if (!data.tokenizer.sameVocabulary(run.tokenizer)) {
    throw new RunError(
      `the vocabulary rebuilt from ${run.dir}/config.json (data: ${
        run.cfg.data || "embedded corpus"
      }) differs ` +
        `from ${run.dir}/tokenizer.json: the data changed since the run${hint}`,
    );
  }
  return data;
}

/** Keys an evaluation of a finished run may set; everything else comes from the run's own config. */
export const EVAL_KEYS: readonly (keyof Config)[] = [
  "evalExamples",
  "beamWidth",
  "lengthPenalty",
  "bootstrap",
  "leadWords",
  "backend",
  "blas",
  "png",
  "lenient",
];

/**
 * Keys a resumed run may change: how long and where it trains, and how it is evaluated. Everything that
 * shapes the data or the model must stay as the run started.
 */
export const RESUME_KEYS: readonly (keyof Config)[] = [
  "epochs",
  "patience",
  "backend",
  "blas",
  "evalExamples",
  "bootstrap",
  "beamWidth",
  "lengthPenalty",
  "png",
];

/**
 * A run's saved config with `overrides` of the `allowed` keys applied and the whole validated (a run made with a
 * profile that no longer exists is validated against `paper`'s keys). Any other key is a {@linkcode RunError}
 * saying what the policy allows: the model and its data are the run's. The one rule behind
 * {@linkcode evaluationConfig} and {@linkcode RunFolder.resumeConfig}.
 */
export function runConfigWith(
  runCfg: Config,
  overrides: Overrides,
  policy: RunKeyPolicy,
  file = "config.json",
): Config {
  checkRunKeys(overrides, policy, file);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return validRunConfig({ ...runCfg, ...defined } as Config, file);
}

/** Which keys may change, and how a refusal reads. */
export interface RunKeyPolicy {
  allowed: readonly (keyof Config)[];
  /** The message for keys outside `allowed` (given as `--key` flags) and the config file they come from. */
  refuse: (flags: string, file: string) => string;
}

/** Resuming: {@linkcode RESUME_KEYS}. */
export const RESUME_POLICY: RunKeyPolicy = {
  allowed: RESUME_KEYS,
  refuse: (flags, file) =>
    `cannot resume with ${flags}: a resumed run keeps the settings it started with (${file}); only ` +
    `${RESUME_KEYS.join(", ")} may change`,
};

/** Evaluating: {@linkcode EVAL_KEYS}. */
export const EVAL_POLICY: RunKeyPolicy = {
  allowed: EVAL_KEYS,
  refuse: (flags, file) =>
    `an evaluation cannot change ${flags}: the model and its data are the run's (${file}); only ` +
    `${EVAL_KEYS.join(", ")} may be set`,
};

/** Refuse `overrides` keys outside the policy's (before any file is read). */
export function checkRunKeys(overrides: Overrides, policy: RunKeyPolicy, file = "config.json"): void {
  const bad = Object.keys(overrides).filter((k) => !(policy.allowed as readonly string[]).includes(k));
  if (bad.length > 0) throw new RunError(policy.refuse(bad.map((k) => `--${k}`).join(", "), file));
}

/**
 * The config to evaluate a run with: the run's saved config with `overrides` of the {@linkcode EVAL_KEYS} applied
 * and validated. Any other key is a {@linkcode RunError}: the model and its data are the run's.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { evaluationConfig } from "./folder.ts";
 * const runCfg = resolveConfig("tiny");
 * assertEquals(evaluationConfig(runCfg, { evalExamples: 5 }).evalExamples, 5);
 * assertThrows(() => evaluationConfig(runCfg, { units: 8 }), Error, "units");
 * ```
 */
export function evaluationConfig(runCfg: Config, overrides: Overrides = {}): Config {
  return runConfigWith(runCfg, overrides, EVAL_POLICY);
}

/** One epoch of `history.json` (runs made before a figure was recorded lack the optional ones). */
export type HistoryEntry =
  & Pick<EpochLog, "epoch" | "loss" | "acc" | "valLoss" | "valAcc">
  & Partial<Pick<EpochLog, "valAcc1" | "valAccRest" | "seconds">>;

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

const EPOCH_KEYS = ["epoch", "loss", "acc", "valLoss", "valAcc"] as const;

function checkHistory(value: unknown, path: string): HistoryEntry[] {
  if (!Array.isArray(value)) throw new Error(`${path}: expected an array of epochs`);
  return value.map((e, i) => {
    if (e === null || typeof e !== "object") throw new Error(`${path}: entry ${i} is not an object`);
    const rec = e as Record<string, unknown>;
    for (const k of EPOCH_KEYS) {
      if (typeof rec[k] !== "number") throw new Error(`${path}: entry ${i} has no number "${k}"`);
    }
    const out: HistoryEntry = {
      epoch: rec.epoch as number,
      loss: rec.loss as number,
      acc: rec.acc as number,
      valLoss: rec.valLoss as number,
      valAcc: rec.valAcc as number,
    };
    for (const k of ["valAcc1", "valAccRest", "seconds"] as const) {
      if (typeof rec[k] === "number") out[k] = rec[k] as number;
    }
    return out;
  });
}

function checkMetrics(value: unknown, path: string): MetricsJson {
  const m = value as Partial<MetricsJson> | null;
  if (m === null || typeof m !== "object" || typeof m.systems !== "object" || m.systems === null) {
    throw new Error(`${path}: expected an object with "systems"`);
  }
  return m as MetricsJson;
}

/** One row of {@linkcode listFiles}. */
export interface FileRow {
  file: string;
  kB: number;
  modified: string;
}

/**
 * The files under `dir` (recursively, paths relative to it, sorted) with their size in kB and
 * modification time, to show what a step wrote. A missing folder gives no rows.
 */
export async function listFiles(dir: string): Promise<FileRow[]> {
  const out: FileRow[] = [];
  const walk = async (sub: string): Promise<void> => {
    for await (const e of Deno.readDir(sub ? `${dir}/${sub}` : dir)) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory) await walk(rel);
      else if (e.isFile) {
        const st = await Deno.stat(`${dir}/${rel}`);
        out.push({
          file: rel,
          kB: Math.round(st.size / 102.4) / 10,
          modified: st.mtime ? st.mtime.toISOString().replace("T", " ").slice(0, 19) : "",
        });
      }
    }
  };
  try {
    await walk("");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}
