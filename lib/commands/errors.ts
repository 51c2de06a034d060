/**
 * `deno task errors --run=ID [--against=ID2] [--beam] [--resultsDir=DIR]`: the error analysis of a finished run
 * (lib/run/errors.ts) as a table, and with `--against` a second run of the same test split beside it: class by
 * class, where the shared summaries moved, and the paired difference of their F1 with a bootstrap CI.
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
import { compareErrors, type ErrorComparison } from "../eval/errors.ts";
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
  resultsDir: string;
  /** Bootstrap resamples of the paired F1 difference (default 2000). */
  resamples?: number;
}

/** What {@linkcode errorsReport} gives: the analyses, their comparison and the printable text. */
export interface ErrorsReport {
  a: RunErrorAnalysis;
  b: RunErrorAnalysis | null;
  comparison: ErrorComparison | null;
  /** Mean per-example F1 of b minus a on the examples both scored, with its paired 95% CI. */
  difference: (CI & { n: number }) | null;
  text: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pts = (x: number) => (100 * x).toFixed(2);

/** The analysis of one run, or of two side by side, as {@linkcode ErrorsReport}. */
export async function errorsReport(opts: ErrorsOptions): Promise<ErrorsReport> {
  const system = opts.beam ? "beam" : "greedy";
  const a = await runErrorAnalysis(new RunFolder(opts.resultsDir, opts.run).dir, { system });
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
  const b = await runErrorAnalysis(new RunFolder(opts.resultsDir, opts.against).dir, { system });
  const comparison = compareErrors(a, b);
  if (comparison.common === 0) {
    throw new InputError(
      `errors: runs ${a.runId} and ${b.runId} share no test example: they cannot be paired`,
    );
  }
  const f1B = new Map(b.summaries.map((s) => [s.id, s.f1]));
  const diffs = a.summaries.filter((s) => f1B.has(s.id)).map((s) => f1B.get(s.id)! - s.f1);
  const difference = {
    ...bootstrapCI(diffs, { resamples: opts.resamples ?? 2000, seed: 0 }),
    n: diffs.length,
  };
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
  lines.push(`${comparison.common} summaries in both; most frequent moves (A -> B): ${moves || "none"}`);
  const sign = difference.mean >= 0 ? "+" : "";
  const excludes = difference.lo > 0 || difference.hi < 0 ? "excludes 0" : "includes 0";
  lines.push(
    `F1 B - A on ${difference.n} paired examples: ${sign}${difference.mean.toFixed(4)} ` +
      `(95% CI [${difference.lo.toFixed(4)}, ${difference.hi.toFixed(4)}], ${excludes})`,
  );
  return { a, b, comparison, difference, text: lines.join("\n") };
}

function marginLine(a: RunErrorAnalysis): string {
  const { nearTie, close, clear } = a.margins;
  return `wrong sentences by the rule's margin: ${nearTie} near ties (< 0.05), ${close} close (< 0.2), ${clear} clear; ` +
    `input cut: ${a.cuts.whole} whole, ${a.cuts.part} part`;
}
