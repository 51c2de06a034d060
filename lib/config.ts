/**
 * One typed configuration for a whole experiment: data, model, training, decoding and compute backend.
 *
 * Named profiles give complete configs; `--key=value` overrides (CLI) or an object of overrides
 * (notebooks) adjust them. An unknown key or a bad value is an error that names the key and what it
 * accepts. Every number that sizes memory or time (bootstrap resamples, lengths, widths, batch, epochs, …) has
 * an upper limit, so that a typo such as `--bootstrap=1e9` fails at once instead of running out of memory.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { ConfigError, resolveConfig } from "./config.ts";
 * const cfg = resolveConfig("default", { units: 64, epochs: 3 });
 * assertEquals([cfg.units, cfg.epochs, cfg.batchSize], [64, 3, 32]); // overrides, and the profile's batch size
 * assertThrows(() => resolveConfig("default", { units: -1 }), ConfigError, "units");
 * ```
 * @module
 */

/** A bad profile, key or value (printed in one line by the command-line tools). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The compute backends the project knows, in the automatic order of preference. */
export const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = typeof BACKENDS[number];

/** Every hyperparameter of an experiment. */
export interface Config {
  /** Profile name this config was resolved from (informational). */
  profile: string;
  /** Data folder laid out like the Kaggle dataset (`TelevisionNews/*.csv`); "" = embedded corpus. */
  data: string;
  /** Skip malformed CSV rows (counted in the load report) instead of failing on them. */
  lenient: boolean;
  /** Number of snippets the embedded corpus generator writes (ignored for real data). */
  embeddedSnippets: number;
  /** Use at most this many snippets after de-duplication (0 = all). */
  maxSnippets: number;
  /** Sentences kept in a pseudo-label (the report's n_sentences). */
  labelSentences: number;
  /**
   * Put a boundary token (`<sep>`) between the sentences of the encoder input, so the model can see where
   * each sentence starts and ends (the labels are whole sentences). Encoder input only: never in a target,
   * never in a scored output. Off in `paper` (the report removed every period).
   */
  sentenceBoundaries: boolean;
  /** Fractions of the de-duplicated snippets held out for validation and test. */
  valFraction: number;
  testFraction: number;
  /** Vocabulary size including the reserved ids (padding, OOV, sostok, eostok). */
  vocabSize: number;
  /** Encoder input length (tokens). */
  maxInputLen: number;
  /** Decoder length: tokens of the summary, counting `eostok` (sostok is the first decoder input). */
  maxOutputLen: number;
  embeddingDim: number;
  /** Share one embedding matrix between encoder and decoder. */
  sharedEmbedding: boolean;
  units: number;
  encoderLayers: number;
  /**
   * Each encoder layer reads both ways (Bahdanau et al. 2015; Keras `Bidirectional`, `merge_mode="concat"`): the
   * annotations are 2 x units wide and a dense bridge maps both directions' final states to the decoder's (h, c).
   * Off in `paper`, as the report's encoder.
   */
  encoderBidirectional: boolean;
  dropout: number;
  /** Hidden size of the additive attention (W1, W2 project to this; v maps it to a score). */
  attentionUnits: number;
  /**
   * Copy attention (the pointer-generator of See et al. 2017, lib/model/pointer.ts): a learned gate mixes the
   * vocabulary distribution with the attention over the input's words, so input words, those outside the
   * vocabulary included, can be copied into the summary. Off in `paper` and `default` (the report's model).
   */
  copy: boolean;
  /**
   * Coverage (See et al. 2017, lib/model/attention.ts): the attention sees how much each input position was
   * attended so far, and training adds the coverage loss `sum_s min(alpha[t, s], cov[t, s])` (weight 1) to the
   * cross-entropy, so the decoder is discouraged from attending to (and repeating) the same words again. Off in
   * `paper` and `default`.
   */
  coverage: boolean;
  /**
   * Train and decode with the project's fast layers (lib/speed/accelerate.ts turns the built model's LSTMs,
   * attention and time-distributed output into them) and train on the loss from logits where the model allows
   * (lib/speed/fused_loss.ts): the same weights and numbers as the stock layers and the loss from probabilities,
   * faster on CPU. false = tfjs's and lib/model's own layers, lib/train's loss.
   */
  fastLayers: boolean;
  batchSize: number;
  epochs: number;
  /** Early stopping: epochs without a validation-loss improvement before stopping. */
  patience: number;
  learningRate: number;
  /** Gradient clipping by global norm (0 = off). */
  clipNorm: number;
  /** Seed of the training: the initial weights, the dropout masks and the order of the batches of every epoch. */
  seed: number;
  /**
   * Seed of the data: the embedded corpus's generator and the shuffle behind the train / validation / test split.
   * -1 (every profile) = the same as `seed`, as before this key existed. A sweep with several seeds
   * (`deno task sweep --seeds=N`) sets it to the sweep's first seed, so that its seeds vary the training only and
   * every trial sees the same data and the same test set.
   */
  dataSeed: number;
  /** Beam search width and length-penalty exponent (GNMT style). */
  beamWidth: number;
  lengthPenalty: number;
  /** Test examples decoded for the evaluation (0 = all of the test split). */
  evalExamples: number;
  /** Bootstrap resamples for confidence intervals. */
  bootstrap: number;
  /** Words kept by the lead-k baseline. */
  leadWords: number;
  backend: BackendName;
  /** Use the native BLAS (OpenBLAS through Deno FFI) for matmuls on wasm when available. */
  blas: boolean;
  /** Folder where runs are written. */
  resultsDir: string;
  /** Also export the run's figures as PNG (needs Debian chromium; ~15 s per figure). */
  png: boolean;
}

const PAPER: Config = {
  profile: "paper",
  data: "",
  lenient: false,
  embeddedSnippets: 6000,
  maxSnippets: 0,
  labelSentences: 1,
  sentenceBoundaries: false,
  valFraction: 0.1,
  testFraction: 0.1,
  vocabSize: 10000,
  maxInputLen: 50,
  maxOutputLen: 20,
  embeddingDim: 100,
  sharedEmbedding: false,
  units: 256,
  encoderLayers: 3,
  encoderBidirectional: false,
  dropout: 0.4,
  attentionUnits: 256,
  copy: false,
  coverage: false,
  fastLayers: true,
  batchSize: 60,
  epochs: 40,
  patience: 2,
  learningRate: 0.001,
  clipNorm: 0,
  seed: 42,
  dataSeed: -1,
  beamWidth: 4,
  lengthPenalty: 0.6,
  evalExamples: 0,
  bootstrap: 1000,
  leadWords: 20,
  backend: "auto",
  blas: true,
  resultsDir: "results",
  png: false,
};

/**
 * Named profiles. `paper` is the milestone report's model; `default` trains on the embedded corpus
 * in a few minutes on two CPU cores; `tiny` is for tests and notebook smoke runs.
 */
const DEFAULT: Config = {
  ...PAPER,
  profile: "default",
  vocabSize: 2000,
  embeddingDim: 64,
  // one matrix for input and output words makes copying easy to learn: F1 took off 2-3 epochs sooner
  sharedEmbedding: true,
  units: 128,
  encoderLayers: 1,
  dropout: 0.1,
  attentionUnits: 64,
  batchSize: 32,
  epochs: 12,
  learningRate: 0.005,
  clipNorm: 5,
  evalExamples: 300,
};

export const PROFILES: Readonly<Record<string, Config>> = {
  paper: PAPER,
  default: DEFAULT,
  // the real corpus (--data=../shared/data/envnews) in about 14 minutes on two cores: the default model with
  // sentence boundaries, copy attention and Bahdanau's bidirectional encoder (see README, "Results on the real
  // corpus" and "Where the F1 goes": test F1 0.917 greedy, +0.030 over the profile before it, paired 95% CI
  // +0.020 to +0.039; 25 min 14 s end to end then, 13 min 42 s on a quiet machine with the kernels of 2026-12-03
  // afternoon, F1 0.915 and 0.910 in two runs: the third epoch's outcome moves with the float path)
  envnews: {
    ...DEFAULT,
    profile: "envnews",
    sentenceBoundaries: true,
    // with copy attention the vocabulary matters little (words outside it are copied): 4,000 instead of 6,000 made
    // an epoch 22% shorter (7m56s against 10m09s) at the same F1 (0.9170 against 0.9178; paired CI -0.008 to +0.007)
    vocabSize: 4000,
    // 97% of snippets fit in 64 tokens with their <sep>s; labels are long (median 21 words, p90 35): with 30
    // decoder steps even a perfect copy of the right sentence scores F1 0.98 on the test split, and 20% of the
    // summaries were cut there; with 40 steps 0.996
    maxInputLen: 64,
    maxOutputLen: 40,
    batchSize: 64,
    // copy attention: on the real test split F1 0.888 after 2 epochs, where the plain model reached 0.804
    // after 5 (README, "Results on the real corpus"); coverage stays off (no gain measured there)
    copy: true,
    // each annotation sees the words on both sides: fewer summaries of the wrong sentence (194 -> 166 of 2,000),
    // F1 +0.012 (paired CI +0.003 to +0.020) at equal epochs, an epoch 37% longer
    encoderBidirectional: true,
    epochs: 3,
    evalExamples: 2000,
  },
  tiny: {
    ...PAPER,
    profile: "tiny",
    embeddedSnippets: 400,
    vocabSize: 500,
    maxInputLen: 50,
    maxOutputLen: 20,
    embeddingDim: 16,
    units: 32,
    encoderLayers: 1,
    dropout: 0.1,
    attentionUnits: 16,
    batchSize: 32,
    epochs: 2,
    learningRate: 0.003,
    clipNorm: 5,
    evalExamples: 30,
    bootstrap: 100,
  },
};

/** Overrides as typed values (from notebooks) or strings (from the command line). */
export type Overrides = Partial<Record<keyof Config, unknown>>;

type Kind =
  | { type: "int"; min: number; max?: number }
  | { type: "float"; min: number; max?: number }
  | { type: "bool" }
  | { type: "string" }
  | { type: "enum"; values: readonly string[] };

const SCHEMA: Record<keyof Config, Kind> = {
  profile: { type: "string" },
  data: { type: "string" },
  lenient: { type: "bool" },
  // every snippet is held with its cleaned text, input and label (~1 KB together): 1e6 is ~1 GB and minutes
  // of cleaning and labelling, 170x the paper profile's 6000
  embeddedSnippets: { type: "int", min: 10, max: 1_000_000 },
  // a cap (0 = all), not an allocation: bounded only so that a typo fails; 100x the real corpus's 93,005 rows
  maxSnippets: { type: "int", min: 0, max: 10_000_000 },
  // a snippet has a handful of sentences, and a label must fit in maxOutputLen tokens
  labelSentences: { type: "int", min: 1, max: 100 },
  sentenceBoundaries: { type: "bool" },
  valFraction: { type: "float", min: 0.001, max: 0.5 },
  testFraction: { type: "float", min: 0.001, max: 0.5 },
  // the output layer is units x vocabSize floats and its logits batch x maxOutputLen x vocabSize: at 200000
  // and the paper's units 256, batch 60, 20 steps, 205 MB of weights (x3 with Adam) and 960 MB of logits
  vocabSize: { type: "int", min: 5, max: 200_000 },
  // encoder steps (time is linear in it) and the attention's batch x maxOutputLen x maxInputLen scores; TV
  // snippets fit in ~64 tokens, so 1000 is 15x the longest
  maxInputLen: { type: "int", min: 1, max: 1000 },
  // decoder steps: training, greedy and beam decoding are linear in it, and so are the logits (see
  // vocabSize); labels have a median of 21 words
  maxOutputLen: { type: "int", min: 2, max: 500 },
  // vocabSize x embeddingDim floats per embedding matrix: 10000 x 4096 is 164 MB (x3 with Adam)
  embeddingDim: { type: "int", min: 1, max: 4096 },
  sharedEmbedding: { type: "bool" },
  // each LSTM layer holds 4 x (input + units) x units floats: at 4096, 537 MB a layer (x3 with Adam), and
  // every step is a batch x 4096 by 4096 x 16384 matmul
  units: { type: "int", min: 1, max: 4096 },
  encoderLayers: { type: "int", min: 1, max: 8 },
  encoderBidirectional: { type: "bool" },
  dropout: { type: "float", min: 0, max: 0.95 },
  // the additive scores pass through batch x maxOutputLen x maxInputLen x attentionUnits floats: 983 MB at
  // 4096 with the paper's batch 60, 20 and 50 steps
  attentionUnits: { type: "int", min: 1, max: 4096 },
  copy: { type: "bool" },
  coverage: { type: "bool" },
  fastLayers: { type: "bool" },
  // activations, logits and attention scores grow linearly with it: at 4096 and the default profile over 2 GB
  // (logits 4096 x 20 x 2000 floats 655 MB, attention scores 4096 x 20 x 50 x 64 floats 1 GB); 68x the
  // paper's 60
  batchSize: { type: "int", min: 1, max: 4096 },
  // time: an epoch takes minutes on CPU (the paper trains 40); history and plots keep one row per epoch
  epochs: { type: "int", min: 0, max: 10_000 },
  // counts epochs, so never usefully above epochs' limit
  patience: { type: "int", min: 0, max: 10_000 },
  learningRate: { type: "float", min: 1e-8, max: 10 },
  clipNorm: { type: "float", min: 0 },
  seed: { type: "int", min: 0 },
  dataSeed: { type: "int", min: -1 },
  // beam search keeps beamWidth hypotheses (each with its LSTM states) per input: time and memory linear in it
  beamWidth: { type: "int", min: 1, max: 64 },
  lengthPenalty: { type: "float", min: 0, max: 5 },
  // a cap (0 = all of the test split or the --data folder) on the rows decoded and scored: decoding time is
  // linear in it, and so are the encoded inputs (rows x maxInputLen int32: 200 MB at 1e6 and 50 tokens); 10x
  // the real corpus's 93,005 rows
  evalExamples: { type: "int", min: 0, max: 1_000_000 },
  // each system keeps resamples x 4 metrics float64 (and each paired difference resamples more), and the time
  // is resamples x rows: 100000 is 3.2 MB a system and 100x the paper's 1000, far more than a 95% percentile
  // interval needs (1e9 grew to ~22 GB and was killed)
  bootstrap: { type: "int", min: 0, max: 100_000 },
  // words of the lead-k baseline; more than maxInputLen's limit would be the whole input anyway
  leadWords: { type: "int", min: 1, max: 1000 },
  backend: { type: "enum", values: BACKENDS },
  blas: { type: "bool" },
  resultsDir: { type: "string" },
  png: { type: "bool" },
};

/**
 * The seed of the data (corpus generator, split shuffle): `dataSeed`, or `seed` when `dataSeed` is -1.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { dataSeedOf, resolveConfig } from "./config.ts";
 * assertEquals(dataSeedOf(resolveConfig("tiny", { seed: 7 })), 7); // dataSeed -1: the seed
 * assertEquals(dataSeedOf(resolveConfig("tiny", { seed: 7, dataSeed: 42 })), 42);
 * ```
 */
export function dataSeedOf(cfg: Pick<Config, "seed" | "dataSeed">): number {
  return cfg.dataSeed >= 0 ? cfg.dataSeed : cfg.seed;
}

/**
 * Keys the project no longer has, with the one value they could hold and why they went: a run folder saved before
 * may carry them (with that value, they are dropped when it is read); any other value, or the key on a command
 * line, is an error that says so.
 */
export const RETIRED_KEYS: Readonly<Record<string, { value: unknown; why: string }>> = {
  recurrentDropout: {
    value: 0,
    why:
      "it could only be 0: the model applies dropout to each LSTM's inputs (dropout), not to its recurrent state",
  },
};

/** Drop a retired key holding its one value; throw a {@linkcode ConfigError} naming it otherwise. */
function checkRetired(key: string, raw: unknown): void {
  const r = RETIRED_KEYS[key];
  if (raw === r.value || String(raw) === String(r.value)) return;
  throw new ConfigError(`config: "${key}" was removed (${r.why}); got ${JSON.stringify(raw)}`);
}

/** Every config key, for help texts and validation messages. */
export const CONFIG_KEYS = Object.keys(SCHEMA) as (keyof Config)[];

function describe(k: Kind): string {
  switch (k.type) {
    case "int":
      return `an integer >= ${k.min}${k.max !== undefined ? ` and <= ${k.max}` : ""}`;
    case "float":
      return `a number >= ${k.min}${k.max !== undefined ? ` and <= ${k.max}` : ""}`;
    case "bool":
      return "true or false";
    case "string":
      return "a string";
    case "enum":
      return `one of ${k.values.join(", ")}`;
  }
}

function parseValue(key: keyof Config, raw: unknown): unknown {
  const kind = SCHEMA[key];
  const bad = () =>
    new ConfigError(`config: bad value ${JSON.stringify(raw)} for "${key}": expected ${describe(kind)}`);
  switch (kind.type) {
    case "int":
    case "float": {
      const n = typeof raw === "number"
        ? raw
        : typeof raw === "string" && raw.trim() !== ""
        ? Number(raw)
        : NaN;
      if (!Number.isFinite(n) || (kind.type === "int" && !Number.isInteger(n))) throw bad();
      if (n < kind.min || (kind.max !== undefined && n > kind.max)) throw bad();
      return n;
    }
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1" || raw === "") return true;
      if (raw === "false" || raw === "0") return false;
      throw bad();
    case "string":
      if (typeof raw !== "string") throw bad();
      return raw;
    case "enum":
      if (typeof raw !== "string" || !kind.values.includes(raw)) throw bad();
      return raw;
  }
}

/**
 * One value checked and converted as {@linkcode resolveConfig} does it (`"20"` -> 20), for commands that
 * take a few config keys as their own flags (`deno task evaluate --bootstrap=N`): the same kinds and limits,
 * the same {@linkcode ConfigError} naming the key and what it accepts.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { checkKey, ConfigError } from "./config.ts";
 * assertEquals(checkKey("bootstrap", "200"), 200);
 * assertThrows(() => checkKey("bootstrap", "1e9"), ConfigError, "<= 100000");
 * ```
 */
export function checkKey<K extends keyof Config>(key: K, raw: unknown): Config[K] {
  if (!Object.hasOwn(SCHEMA, key)) {
    throw new ConfigError(`config: unknown key "${key}": expected one of ${CONFIG_KEYS.join(", ")}`);
  }
  return parseValue(key, raw) as Config[K];
}

/**
 * Resolve a profile plus overrides into a complete, validated config.
 * Throws on an unknown profile, an unknown key, or a value of the wrong kind.
 */
export function resolveConfig(profile = "default", overrides: Overrides = {}): Config {
  const base = Object.hasOwn(PROFILES, profile) ? PROFILES[profile] : undefined;
  if (!base) {
    throw new ConfigError(
      `config: unknown profile "${profile}": expected one of ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  const cfg: Record<string, unknown> = { ...base };
  for (const [key, raw] of Object.entries(overrides)) {
    if (raw === undefined) continue;
    if (Object.hasOwn(RETIRED_KEYS, key)) {
      checkRetired(key, raw);
      continue;
    }
    if (!Object.hasOwn(SCHEMA, key)) {
      throw new ConfigError(`config: unknown key "${key}": expected one of ${CONFIG_KEYS.join(", ")}`);
    }
    cfg[key] = parseValue(key as keyof Config, raw);
  }
  const out = cfg as unknown as Config;
  if (out.valFraction + out.testFraction >= 0.9) {
    throw new ConfigError(
      `config: valFraction + testFraction must be < 0.9 (got ${out.valFraction + out.testFraction})`,
    );
  }
  return out;
}

/** Result of reading command-line arguments. */
export interface CliArgs {
  profile: string;
  overrides: Overrides;
  /** Run id given with `--resume <run-id>` or `--resume=<run-id>`. */
  resume?: string;
  /** The id of a new run, given with `--run-id=<id>` (default: `<date-time>-<profile>`). */
  runId?: string;
  /** Positional arguments left over. */
  rest: string[];
}

/**
 * Parse `--profile=NAME --key=value --flag --resume ID --run-id=ID` style arguments.
 * Keys may be camelCase or kebab-case (`--max-input-len=40`).
 */
export function parseCliArgs(args: string[]): CliArgs {
  const out: CliArgs = { profile: "default", overrides: {}, rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      out.rest.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const rawKey = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const key = rawKey.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
    if (key === "profile" || key === "resume" || key === "runId") {
      if (value === undefined) {
        value = args[++i];
        if (value === undefined || value.startsWith("--")) {
          throw new ConfigError(`config: --${key} needs a value`);
        }
      }
      if (key === "profile") out.profile = value;
      else if (key === "runId") out.runId = value;
      else out.resume = value;
      continue;
    }
    if (Object.hasOwn(RETIRED_KEYS, key)) {
      throw new ConfigError(`config: --${rawKey} was removed (${RETIRED_KEYS[key].why})`);
    }
    if (!Object.hasOwn(SCHEMA, key)) {
      throw new ConfigError(`config: unknown option --${rawKey}: expected one of ${CONFIG_KEYS.join(", ")}`);
    }
    if (value === undefined) {
      // a bare flag is a boolean true; other kinds take the next argument as their value
      if (SCHEMA[key as keyof Config].type === "bool") value = "true";
      else {
        value = args[++i];
        if (value === undefined) throw new ConfigError(`config: --${rawKey} needs a value`);
      }
    }
    out.overrides[key as keyof Config] = value;
  }
  return out;
}
