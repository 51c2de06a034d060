/**
 * Train / validation / test splits with no input text in two of them.
 *
 * Exact duplicates are removed BEFORE splitting: two examples are duplicates when their whole input
 * text (cleaned, `Example.input`) is the same; the first occurrence (in corpus order) is kept and the
 * removals are counted. The unique examples are then shuffled with a seeded PRNG and cut into
 * test, validation and train parts, so no whole input text can be in two splits. Validation is for early
 * stopping, test for the final score only.
 *
 * What this does not exclude: the encoder reads only the first `maxInputLen` words of an input, so two texts
 * that differ only after that cut give the model the same input, and can land in different splits. Such
 * examples are not removed (that would change the split); {@linkcode countSharedWithTrain} counts them, and
 * the data stage reports the counts (`PrepReport.sharedCutInputs`, lib/data/prep.ts).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { splitExamples } from "./split.ts";
 * const ex = ["a b", "c d", "a b", "e f"].map((input) => ({ input }));
 * const { train, val, test, report } = splitExamples(ex, { valFraction: 0.25, testFraction: 0.25, seed: 1 });
 * assertEquals(report.duplicatesRemoved, 1); // the second "a b" goes before the split
 * assertEquals(train.length + val.length + test.length, 3);
 * const all = [...train, ...val, ...test].map((e) => e.input).sort();
 * assertEquals(all, ["a b", "c d", "e f"]); // each distinct input in exactly one split
 * ```
 * @module
 */

import { mulberry32, shuffleInPlace } from "../util/rng.ts";

/** Options of {@linkcode splitExamples}. */
export interface SplitOptions {
  /** Fraction of the unique examples held out for validation, in [0, 1). */
  valFraction: number;
  /** Fraction of the unique examples held out for test, in [0, 1). */
  testFraction: number;
  /** Seed of the shuffle. */
  seed: number;
  /** Keep at most this many unique examples (a random sample after shuffling); 0 or absent = all. */
  maxExamples?: number;
}

/** Counts of a split; JSON-serialisable. */
export interface SplitReport {
  /** Examples given. */
  total: number;
  /** Examples dropped because an earlier example had the same input text. */
  duplicatesRemoved: number;
  /** Distinct examples. */
  unique: number;
  /** Unique examples left out by `maxExamples`. */
  cappedOut: number;
  train: number;
  val: number;
  test: number;
}

/** Validation and test examples whose key equals a training example's ({@linkcode countSharedWithTrain}). */
export interface SharedWithTrain {
  val: number;
  test: number;
}

/**
 * How many validation and how many test examples have the same `key` as some training example: with `key` the
 * encoder input cut to the model's input length, the examples whose model input the training split holds too
 * (the whole-text de-duplication of {@linkcode splitExamples} cannot see them). Counts only; moves nothing.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { countSharedWithTrain } from "./split.ts";
 * const train = [{ input: "ice melts fast" }, { input: "seas rise" }];
 * const val = [{ input: "ice melts slowly" }, { input: "storms grow" }];
 * const test = [{ input: "seas rise again" }, { input: "seas rise too" }];
 * const firstTwo = (e: { input: string }) => e.input.split(" ").slice(0, 2).join(" ");
 * assertEquals(countSharedWithTrain({ train, val, test }, firstTwo), { val: 1, test: 2 });
 * assertEquals(countSharedWithTrain({ train, val, test }, (e) => e.input), { val: 0, test: 0 });
 * ```
 */
export function countSharedWithTrain<T>(
  splits: { readonly train: readonly T[]; readonly val: readonly T[]; readonly test: readonly T[] },
  key: (e: T) => string,
): SharedWithTrain {
  const inTrain = new Set(splits.train.map(key));
  const count = (part: readonly T[]) => part.reduce((n, e) => n + (inTrain.has(key(e)) ? 1 : 0), 0);
  return { val: count(splits.val), test: count(splits.test) };
}

/** The three parts and their counts. */
export interface Splits<T> {
  train: T[];
  val: T[];
  test: T[];
  report: SplitReport;
}

/**
 * De-duplicate on `input`, shuffle with `seed`, and split. Split sizes: `round(n * testFraction)` test,
 * `round(n * valFraction)` validation, the rest train, where `n` is the number of unique examples
 * kept. Example order inside each split is the shuffled order. Throws on fractions outside [0, 1) or
 * summing to 1 or more.
 */
export function splitExamples<T extends { input: string }>(
  examples: readonly T[],
  opts: SplitOptions,
): Splits<T> {
  const { valFraction, testFraction, seed } = opts;
  for (const [name, v] of [["valFraction", valFraction], ["testFraction", testFraction]] as const) {
    if (!(v >= 0 && v < 1)) throw new RangeError(`splitExamples: ${name} must be in [0, 1) (got ${v})`);
  }
  if (valFraction + testFraction >= 1) {
    throw new RangeError(
      `splitExamples: valFraction + testFraction must be < 1 (got ${valFraction + testFraction})`,
    );
  }
  const seen = new Set<string>();
  const unique: T[] = [];
  for (const e of examples) {
    if (seen.has(e.input)) continue;
    seen.add(e.input);
    unique.push(e);
  }
  shuffleInPlace(mulberry32(seed), unique);
  const max = opts.maxExamples ?? 0;
  const kept = max > 0 && max < unique.length ? unique.slice(0, max) : unique;
  const n = kept.length;
  const nTest = Math.round(n * testFraction);
  const nVal = Math.round(n * valFraction);
  const test = kept.slice(0, nTest);
  const val = kept.slice(nTest, nTest + nVal);
  const train = kept.slice(nTest + nVal);
  return {
    train,
    val,
    test,
    report: {
      total: examples.length,
      duplicatesRemoved: examples.length - unique.length,
      unique: unique.length,
      cappedOut: unique.length - n,
      train: train.length,
      val: val.length,
      test: test.length,
    },
  };
}
