/**
 * Decode held-out examples with a trained model and score it against the baselines: the batched greedy decoder
 * and beam search (lib/infer), then every metric and confidence interval (score.ts). The experiment, `evaluate`
 * and notebook 06 all evaluate through here.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { resolveConfig } from "../config.ts";
 * import { prepareData } from "../data/prep.ts";
 * import { buildSeq2Seq } from "../model/seq2seq.ts";
 * import { evaluateModel } from "./evaluate.ts";
 * const cfg = resolveConfig("tiny", { evalExamples: 4, bootstrap: 0 });
 * const data = await prepareData(cfg);
 * const model = buildSeq2Seq({ ...cfg, vocabSize: data.tokenizer.size }); // untrained: scores near 0
 * const ev = await evaluateModel(cfg, model, data, () => {});
 * assert(ev.n === 4 && ev.greedy.length === 4 && ev.result.systems.model_greedy.mean.f1 <= 1);
 * model.dispose();
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Config } from "../config.ts";
import { encoderInputWords } from "../data/encoder_input.ts";
import type { Example, PreparedData } from "../data/prep.ts";
import type { Tokenizer } from "../data/tokenizer.ts";
import { beamSearchBatch } from "../infer/beam.ts";
import { type Decoded, greedyDecodeBatch } from "../infer/greedy.ts";
import { extractInferenceModels } from "../infer/models.ts";
import {
  type EvalResult,
  evaluateSystems,
  restrictToUnseenTargets,
  unseenTargetsLine,
  verdict,
} from "./score.ts";

/**
 * Told how many of `total` inputs a decoding phase has done: at 0 when the phase starts, then after each batch
 * of inputs (greedy: `greedyDecodeBatch`'s batches, beam: `beamSearchBatch`'s).
 */
export type DecodeProgress = (phase: "greedy" | "beam", done: number, total: number) => void | Promise<void>;

/** Decoded examples and the evaluation of all systems. */
export interface EvaluationOutput {
  n: number;
  greedy: Decoded[];
  beam: Decoded[];
  result: EvalResult;
  /**
   * Summaries per second of the batched greedy decoder and of batched beam search (`beamSearchBatch`, many inputs'
   * beams decoded together); `beam` is NaN when beam search was skipped.
   */
  speed: { batched: number; beam: number };
  verdict: string;
  /**
   * The evaluation on the examples whose target no training example has ({@linkcode restrictToUnseenTargets}):
   * null when every target is a training target, undefined when the training targets were not given.
   */
  unseenTargets?: EvalResult | null;
}

/** Settings of {@linkcode evaluateExamples}: the config's decoding and scoring keys. */
export type EvalConfig = Pick<
  Config,
  | "maxInputLen"
  | "maxOutputLen"
  | "beamWidth"
  | "lengthPenalty"
  | "bootstrap"
  | "seed"
  | "leadWords"
  | "labelSentences"
  | "sentenceBoundaries"
>;

/**
 * Decode `examples` (their encoder rows in `encIn`, row-major `n x maxInputLen`) with the batched greedy
 * decoder and, unless `opts.beam` is false, beam search, and score model and baselines against the examples'
 * targets. Decoded ids become text through `tokenizer.decode`, which drops the sentence boundary.
 * `opts.onProgress` hears how many inputs each phase (`greedy`, `beam`) has decoded (e.g. a notebook's
 * `CountProgress`, lib/plot/progress.ts).
 */
export async function evaluateExamples(
  cfg: EvalConfig,
  model: tf.LayersModel,
  tokenizer: Tokenizer,
  examples: Example[],
  encIn: Int32Array,
  opts: {
    beam?: boolean;
    log?: (line: string) => void;
    onProgress?: DecodeProgress;
    /** The training split's targets: the examples without one of them are scored again on their own. */
    trainTargets?: ReadonlySet<string>;
  } = {},
): Promise<EvaluationOutput> {
  const log = opts.log ?? console.log;
  const n = examples.length;
  if (n === 0) throw new Error("evaluateExamples: no examples to evaluate");
  if (encIn.length !== n * cfg.maxInputLen) {
    throw new Error(`evaluateExamples: ${encIn.length} encoder ids is not ${n} x ${cfg.maxInputLen}`);
  }
  // the inference models share the trained layers (and so own no weights): nothing to dispose afterwards
  const models = extractInferenceModels(model);
  const maxLen = cfg.maxOutputLen;
  const tin = cfg.maxInputLen;
  // copy attention: the words each input position holds (an extended id names one) and the rows in extended ids
  const copy = models.layers.pointer !== null;
  const source = copy ? examples.map((ex) => encoderInputWords(ex, cfg.sentenceBoundaries, tin)) : [];
  const extended = new Int32Array(copy ? n * tin : 0);
  source.forEach((ws, i) => tokenizer.extendInput(ws, tin, extended, i * tin));

  // each phase is announced at 0 first, so a progress bar measures its speed from its start
  await opts.onProgress?.("greedy", 0, n);
  let t0 = performance.now();
  const greedy = await greedyDecodeBatch(models, encIn, n, {
    maxLen,
    ...(copy ? { extended } : {}),
    onProgress: (done, total) => opts.onProgress?.("greedy", done, total),
  });
  const batched = n / ((performance.now() - t0) / 1000);

  const beam: Decoded[] = [];
  let beamSpeed = NaN;
  if (opts.beam !== false) {
    await opts.onProgress?.("beam", 0, n);
    t0 = performance.now();
    // many inputs' beams decoded together: what beamSearch() gives one input at a time (see beamSearchBatch)
    beam.push(
      ...await beamSearchBatch(models, encIn, n, {
        beamWidth: cfg.beamWidth,
        lengthPenalty: cfg.lengthPenalty,
        maxLen,
        ...(copy ? { extended } : {}),
        onProgress: (done, total) => opts.onProgress?.("beam", done, total),
      }),
    );
    beamSpeed = n / ((performance.now() - t0) / 1000);
  }
  log(
    `decoded ${n} inputs: batched greedy ${batched.toFixed(1)}/s` +
      (opts.beam !== false ? `, beam (width ${cfg.beamWidth}) ${beamSpeed.toFixed(1)}/s` : ""),
  );

  const text = (d: Decoded, i: number) => tokenizer.decode(d.ids, source[i]);
  const systems: Record<string, string[]> = { model_greedy: greedy.map(text) };
  if (opts.beam !== false) systems.model_beam = beam.map(text);
  const scored = scoreSystems(cfg, examples, systems, opts.trainTargets, log);
  return { n, greedy, beam, speed: { batched, beam: beamSpeed }, ...scored };
}

/**
 * Score the systems' texts; with the training targets, again on the examples without one (and say how it went).
 */
function scoreSystems(
  cfg: EvalConfig,
  examples: Example[],
  systems: Record<string, string[]>,
  trainTargets: ReadonlySet<string> | undefined,
  log: (line: string) => void,
): Pick<EvaluationOutput, "result" | "verdict" | "unseenTargets"> {
  const scoring = {
    bootstrap: cfg.bootstrap,
    seed: cfg.seed,
    leadWords: cfg.leadWords,
    labelSentences: cfg.labelSentences,
  };
  const result = evaluateSystems(examples, systems, scoring);
  const scored = { result, verdict: verdict(result) };
  if (!trainTargets) return scored;
  const unseenTargets = restrictToUnseenTargets(result, trainTargets, scoring);
  log(unseenTargetsLine(result, unseenTargets));
  return { ...scored, unseenTargets };
}

/**
 * Decode the first `cfg.evalExamples` test examples (all when 0) with the batched greedy decoder and beam
 * search, and score model and baselines on the test split, and again on its examples whose target no training
 * example has (`unseenTargets`).
 */
export function evaluateModel(
  cfg: Config,
  model: tf.LayersModel,
  data: PreparedData,
  log: (line: string) => void = console.log,
  onProgress?: DecodeProgress,
): Promise<EvaluationOutput> {
  const test = data.encoded.test;
  const n = cfg.evalExamples > 0 ? Math.min(cfg.evalExamples, test.n) : test.n;
  if (n === 0) throw new Error("evaluateModel: the test split is empty");
  return evaluateExamples(
    cfg,
    model,
    data.tokenizer,
    data.splits.test.slice(0, n),
    test.encIn.subarray(0, n * cfg.maxInputLen),
    {
      log,
      trainTargets: new Set(data.splits.train.map((e) => e.target)),
      ...(onProgress ? { onProgress } : {}),
    },
  );
}
