/**
 * `deno task errors --run=ID [--against=ID2] [--beam] [--eval=test] [--bootstrap=N] [--resultsDir=DIR]`: the
 * error analysis of a finished run (lib/run/errors.ts) as a table, and with `--against` a second run of the same
 * test examples beside it: class by class, where the shared summaries moved, and the paired difference of their
 * F1 with a bootstrap CI.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { errorsReport } from "./errors.ts";
 * import { RunError } from "../run/folder.ts";
 * await assertRejects(() => errorsReport({ run: "missing", resultsDir: "results" }), RunError);
 * ```
 * @module
 */
import { bootstrapCI, type CI } from "../eval/bootstrap.ts";
import { MIN_ROWS_FOR_CI } from "../eval/score.ts";
import { compareErrors, type ErrorAnalysis, type ErrorComparison } from "../eval/errors.ts";
import { type RunErrorAnalysis, runErrorAnalysis } from "../run/errors.ts";
import { RunFolder } from "../run/folder.ts";
import { InputError } from "./cli.ts";

/** Options of {@linkcode errorsReport}. */
export interface ErrorsOptions {
  run: string;
  /** A second run to compare with (its test split must hold the same examples). */
  against?: string;
  /** Analyse beam search's summaries instead of greedy ones. */
  beam?: boolean;
  /** Read `eval/<name>/predictions.csv` (a later `deno task evaluate`; only `test`) instead of the run's own. */
  evalName?: string;
  resultsDir: string;
  /** Bootstrap resamples of the paired F1 difference (default 2000; 0: no interval). */
  resamples?: number;
}

/** What {@linkcode errorsReport} gives: the analyses, their comparison and the printable text. */
export interface ErrorsReport {
  a: RunErrorAnalysis;
  b: RunErrorAnalysis | null;
  comparison: ErrorComparison | null;
  /**
   * Mean per-example F1 of b minus a on the examples both scored, with its paired 95% CI (NaN bounds on fewer than
   * `MIN_ROWS_FOR_CI` pairs, or with 0 resamples).
   */
  difference: (CI & { n: number }) | null;
  text: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pts = (x: number) => (100 * x).toFixed(2);

/** The analysis of one run, or of two side by side, as {@linkcode ErrorsReport}. */
export async function errorsReport(opts: ErrorsOptions): Promise<ErrorsReport> {
  const system = opts.beam ? "beam" : "greedy";
  const analyse = (id: string) =>
    runErrorAnalysis(new RunFolder(opts.resultsDir, id).dir, { system, evalName: opts.evalName });
  const a = await analyse(opts.run);
  const lines = [`${a.runId} (${system}): ${a.n} test summaries, mean F1 ${a.meanF1.toFixed(4)}`];
  if (opts.against === undefined) {
    lines.push("class            summaries  share   mean F1  F1 points lost  share of lost");
    for (const r of a.table) {
      lines.push(
        `${r.errorClass.padEnd(16)} ${String(r.count).padStart(9)}  ${pct(r.share).padStart(6)}  ${
          r.count ? r.meanF1.toFixed(3) : "    -"
        }  ${pts(r.lostPoints).padStart(14)}  ${pct(r.lostShare).padStart(13)}`,
      );
    }
    lines.push(marginLine(a));
    return { a, b: null, comparison: null, difference: null, text: lines.join("\n") };
  }
  const b = await analyse(opts.against);
  const comparison = compareErrors(a, b);
  const difference = pairedF1Difference(a, b, opts.resamples ?? 2000);
  lines.push(`${b.runId} (${system}): ${b.n} test summaries, mean F1 ${b.meanF1.toFixed(4)}`);
  lines.push("class            summaries A  summaries B  F1 points lost A  lost B  change");
  for (const r of comparison.rows) {
    lines.push(
      `${r.errorClass.padEnd(16)} ${String(r.countA).padStart(11)}  ${String(r.countB).padStart(11)}  ${
        pts(r.lostPointsA).padStart(16)
      }  ${pts(r.lostPointsB).padStart(6)}  ${(r.change > 0 ? "+" : "") + pts(r.change)}`,
    );
  }
  lines.push(`A: ${marginLine(a)}`, `B: ${marginLine(b)}`);
  const moves = comparison.moves.slice(0, 6).map((m) => `${m.from} -> ${m.to} ${m.count}`).join(", ");
  const paired = difference.n < Math.max(a.n, b.n) ? ` (${difference.n} of ${a.n} / ${b.n} paired)` : "";
  lines.push(
    `${comparison.common} summaries in both${paired}; most frequent moves (A -> B): ${moves || "none"}`,
  );
  const sign = difference.mean >= 0 ? "+" : "";
  const ci = Number.isNaN(difference.lo)
    ? difference.n < MIN_ROWS_FOR_CI ? `no CI on fewer than ${MIN_ROWS_FOR_CI} pairs` : "no CI: bootstrap off"
    : `95% CI [${difference.lo.toFixed(4)}, ${difference.hi.toFixed(4)}], ${
      difference.lo > 0 || difference.hi < 0 ? "excludes 0" : "includes 0"
    }`;
  lines.push(`F1 B - A on ${difference.n} paired examples: ${sign}${difference.mean.toFixed(4)} (${ci})`);
  return { a, b, comparison, difference, text: lines.join("\n") };
}

/**
 * Mean per-example F1 of `b` minus `a` over the examples both analysed, with a paired bootstrap CI (NaN bounds on
 * fewer than `MIN_ROWS_FOR_CI` pairs or with 0 resamples). Throws an `InputError` when the two share no example,
 * or when a shared id holds another snippet or label in each (ids are positions in each run's corpus, so runs on
 * other data cannot be paired by id).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { analyseErrors } from "../eval/errors.ts";
 * import { pairedF1Difference } from "./errors.ts";
 * const opts = { maxInputLen: 50, maxOutputLen: 20, sentenceBoundaries: false, labelSentences: 1 };
 * const a = analyseErrors([{ id: 1, cleaned: "ice melts.", label: "ice melts", prediction: "ice" }], opts);
 * const b = analyseErrors([{ id: 1, cleaned: "ice melts.", label: "ice melts", prediction: "ice melts" }], opts);
 * const d = pairedF1Difference(a, b, 100);
 * assertEquals([d.n, Number(d.mean.toFixed(4)), Number.isNaN(d.lo)], [1, 0.3333, true]); // F1 1 - 2/3; no CI on 1
 * ```
 */
export function pairedF1Difference(
  a: ErrorAnalysis,
  b: ErrorAnalysis,
  resamples: number,
): CI & { n: number } {
  const inB = new Map(b.summaries.map((s) => [s.id, s]));
  const shared = a.summaries.filter((s) => inB.has(s.id));
  const names = `${"runId" in a ? a.runId : "A"} and ${"runId" in b ? b.runId : "B"}`;
  if (shared.length === 0) {
    throw new InputError(`errors: runs ${names} share no test example: they cannot be paired`);
  }
  const differs = shared.find((s) =>
    inB.get(s.id)!.cleaned !== s.cleaned || inB.get(s.id)!.label !== s.label
  );
  if (differs) {
    throw new InputError(
      `errors: runs ${names} do not share their test examples (example ${differs.id} differs: another corpus, ` +
        `cut or cleaning): they cannot be paired`,
    );
  }
  const diffs = shared.map((s) => inB.get(s.id)!.f1 - s.f1);
  const ci = bootstrapCI(diffs, { resamples: diffs.length >= MIN_ROWS_FOR_CI ? resamples : 0, seed: 0 });
  return { ...ci, n: diffs.length };
}

function marginLine(a: RunErrorAnalysis): string {
  const { nearTie, close, clear } = a.margins;
  return `wrong sentences by the rule's margin: ${nearTie} near ties (< 0.05), ${close} close (0.05 to 0.2), ` +
    `${clear} clear (>= 0.2); ` +
    `input cut: ${a.cuts.whole} whole, ${a.cuts.part} part`;
}
