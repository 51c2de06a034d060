/**
 * Benchmark of the data stage on the real corpus: load + clean + label + split + tokenize of all
 * rows with the `paper` profile (vocabulary 10,000, input 50, output 20). Prints one JSON line
 * `{"bench":"prep","rows":…,"seconds":…,"cpuSeconds":…,"stages":{…}}`, or a `{"bench":"prep","skipped":…}` line
 * when the data is absent (ENVNEWS_DIR, else ../shared/data/envnews).
 *
 * Run: `deno run -A bench/prep.ts`
 * @module
 */

import process from "node:process";
import { resolveConfig } from "../lib/config.ts";
import { findRealCorpus } from "../tools/real_corpus.ts";
import { prepareData } from "../lib/data/prep.ts";

/** One benchmark result line. */
export interface PrepBenchResult {
  bench: "prep";
  rows?: number;
  /** Wall-clock seconds. */
  seconds?: number;
  /** CPU seconds of this process over the same span (user + system, all threads): on a busy
   * shared machine it tells how much of the wall time was the work itself. */
  cpuSeconds?: number;
  /** Seconds per stage (load, label = clean + pseudo-labels, split, tokenize). */
  stages?: { load: number; label: number; split: number; tokenize: number };
  skipped?: string;
}

/**
 * Time `prepareData` on the whole real corpus, print the JSON line (unless `print` is false) and
 * return it. Resolves to a `skipped` result when the corpus is not found.
 */
export async function benchPrep(opts: { print?: boolean } = {}): Promise<PrepBenchResult> {
  const dir = findRealCorpus();
  let result: PrepBenchResult;
  if (!dir) {
    result = {
      bench: "prep",
      skipped: "real corpus not found: set ENVNEWS_DIR or place it at ../shared/data/envnews",
    };
  } else {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const d = await prepareData(resolveConfig("paper", { data: dir }));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const s = d.report.seconds;
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    result = {
      bench: "prep",
      rows: d.report.counts.rows,
      seconds: r3(seconds),
      cpuSeconds: r3((cpu.user + cpu.system) / 1e6),
      stages: { load: r3(s.load), label: r3(s.label), split: r3(s.split), tokenize: r3(s.tokenize) },
    };
  }
  if (opts.print ?? true) console.log(JSON.stringify(result));
  return result;
}

if (import.meta.main) await benchPrep();
