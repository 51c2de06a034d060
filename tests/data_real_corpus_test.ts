/**
 * Whole-corpus checks on the real Kaggle data, when it is present (ENVNEWS_DIR, else
 * ../shared/data/envnews). Without it the tests are reported as ignored, with a line saying why.
 */
import { assert, assertEquals } from "@std/assert";
import { resolveConfig } from "../lib/config.ts";
import { type CorpusRow, loadCorpus, type LoadReport } from "../lib/data/corpus.ts";
import { findRealCorpus } from "../tools/real_corpus.ts";
import { prepareData } from "../lib/data/prep.ts";

const dir = findRealCorpus();
if (!dir) {
  console.log(
    "data_real_corpus_test: SKIPPED: real corpus not found (set ENVNEWS_DIR to the folder holding " +
      "TelevisionNews/, or place it at ../shared/data/envnews)",
  );
}

let cached: { rows: CorpusRow[]; report: LoadReport } | undefined;
async function load() {
  cached ??= await loadCorpus(dir!);
  return cached;
}

Deno.test({
  name: "the real corpus loads strictly: 414 files, 93,005 rows, 89,094 distinct snippets",
  ignore: !dir,
  fn: async () => {
    const { rows, report } = await load();
    assertEquals(report.files, 414);
    assertEquals(rows.length, 93005);
    assertEquals(report.skipped, 0);
    assertEquals(new Set(rows.map((r) => r.snippet)).size, 89094);
    assert(report.emptyFiles.includes("CNN.200910.csv"), "the BOM-only file is counted as empty");
    assertEquals(new Set(rows.map((r) => r.station)), new Set(["BBCNEWS", "CNN", "FOXNEWS", "MSNBC"]));
  },
});

Deno.test({
  name: "the real corpus splits without leakage: no snippet or input text in two splits",
  ignore: !dir,
  fn: async () => {
    const { rows } = await load();
    const d = await prepareData(resolveConfig("paper", { data: dir! }), rows);
    const c = d.report.counts;
    assertEquals(c.rows, 93005);
    assertEquals(c.train + c.val + c.test, c.unique);
    assertEquals(c.unique, c.examples - c.duplicatesRemoved);
    for (const key of ["input", "snippet"] as const) {
      const where = new Map<string, string>();
      for (const name of ["train", "val", "test"] as const) {
        for (const e of d.splits[name]) {
          const prev = where.get(e[key]);
          if (prev !== undefined && prev !== name) {
            throw new Error(`${key} in ${prev} and ${name}: ${e[key]}`);
          }
          where.set(e[key], name);
        }
      }
    }
  },
});
