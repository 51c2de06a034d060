// The data stage's output is pinned: splits, tokenizer, encoded matrices and prep report (all but its wall-clock
// seconds) hash to the values computed by the single-function prepareData() of commit c8cdc14, before the stage
// functions existed. A change to any of them (cleaning, labels, the split, the vocabulary, an id, a count in the
// report) changes a hash. The corpora: the embedded generator (sentence boundaries off and on, two-sentence
// labels, a maxSnippets cap), CSV files (strict and lenient, one bad row) and rows with accents, other
// scripts, empty snippets and duplicates.
import { assertEquals } from "@std/assert";
import { resolveConfig } from "../lib/config.ts";
import type { CorpusRow } from "../lib/data/corpus.ts";
import { generateCorpus, writeEmbeddedCsv } from "../lib/data/embedded.ts";
import { prepareData, type PreparedData } from "../lib/data/prep.ts";
import { corpusRow } from "./fixtures/rows.ts";

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Hashes of each part of a prepared data set; `dir` (a temporary folder) is written as `<dir>`. The report's hash
 * leaves out its wall-clock seconds, `sharedCutInputs` and `sharedTargets`.
 */
async function fingerprint(d: PreparedData, dir = ""): Promise<Record<string, string>> {
  // sharedCutInputs and sharedTargets (counts added after the pins; they change no split) are left out, so every
  // pin still holds
  const { seconds: _, sharedCutInputs: _shared, sharedTargets: _targets, ...report } = d.report;
  const json = (x: unknown) => {
    const s = JSON.stringify(x);
    return dir === "" ? s : s.replaceAll(dir, "<dir>");
  };
  const encoded = Object.fromEntries(
    Object.entries(d.encoded).map(([k, e]) => [
      k,
      Object.fromEntries(
        Object.entries(e).map(([f, v]) => [f, typeof v === "number" ? v : Array.from(v as Int32Array)]),
      ),
    ]),
  );
  return {
    report: await sha256(json(report)),
    tokenizer: await sha256(json(d.tokenizer.toJSON())),
    splits: await sha256(json(d.splits)),
    encoded: await sha256(json(encoded)),
  };
}

function accentedRows(): CorpusRow[] {
  return [
    corpusRow(0, "Le réchauffement menace le café. Les glaciers fondent vite. La Straße est inondée."),
    corpusRow(1, "Москва"),
    corpusRow(2, "Κλίμα: the ice melts. The ice melts fast in the Arctic. OK!"),
    corpusRow(3, "?!"),
    corpusRow(4, "the ice melts. the ice melts fast in the arctic. ok."),
    corpusRow(5, "Dr. Lee said the U.S. warmed 1.5 degrees... it is rising?! More at 5 p.m. today"),
    ...Array.from({ length: 30 }, (_, i) => corpusRow(6 + i, `snippet number ${i}. it has words ${i} here.`)),
    ...generateCorpus(60, 11),
  ];
}

async function withoutEnvDir<T>(fn: () => Promise<T>): Promise<T> {
  const saved = Deno.env.get("ENVNEWS_DIR");
  Deno.env.delete("ENVNEWS_DIR");
  try {
    return await fn();
  } finally {
    if (saved !== undefined) Deno.env.set("ENVNEWS_DIR", saved);
  }
}

/** Each case: its name, and how to prepare it (resolving to the data and the temporary folder to mask). */
const CASES: [string, () => Promise<[PreparedData, string]>][] = [
  [
    "embedded, tiny",
    async () => [await prepareData(resolveConfig("tiny"), undefined, { useEnv: false }), ""],
  ],
  [
    "embedded, sentence boundaries, two-sentence labels, small vocabulary",
    async () => [
      await withoutEnvDir(() =>
        prepareData(resolveConfig("tiny", {
          embeddedSnippets: 500,
          seed: 3,
          sentenceBoundaries: true,
          labelSentences: 2,
          vocabSize: 60,
          maxInputLen: 30,
          maxOutputLen: 12,
        }))
      ),
      "",
    ],
  ],
  [
    "embedded, maxSnippets cap",
    async () => [
      await withoutEnvDir(() =>
        prepareData(resolveConfig("tiny", { embeddedSnippets: 300, maxSnippets: 100 }))
      ),
      "",
    ],
  ],
  [
    "rows: accents, other scripts, empty snippets, duplicates",
    async () => [
      await prepareData(
        resolveConfig("tiny", { valFraction: 0.2, testFraction: 0.2, sentenceBoundaries: true }),
        accentedRows(),
      ),
      "",
    ],
  ],
  [
    "CSV files, strict",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "envnews_pin_" });
      try {
        await writeEmbeddedCsv(dir, 150, 2);
        return [await prepareData(resolveConfig("tiny", { data: dir })), dir];
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  ],
  [
    "CSV files, lenient, one bad row",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "envnews_pin_" });
      try {
        await writeEmbeddedCsv(dir, 120, 4);
        const csv = `${dir}/TelevisionNews/BAD.201901.csv`;
        await Deno.writeTextFile(
          csv,
          "URL,MatchDateTime,Station,Show,IAShowID,IAPreviewThumb,Snippet\n" +
            'u1,1/2/2019 10:00:00,BAD,s,id1,t,"The sea rises. Coasts flood, and towns move."\n' +
            "u2,1/3/2019 10:00:00,BAD,s,id2\n",
        );
        return [await prepareData(resolveConfig("tiny", { data: dir, lenient: true, seed: 9 })), dir];
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  ],
];

/** SHA-256 of report (less `seconds`), tokenizer JSON, splits and encoded matrices, from commit c8cdc14. */
const PINNED: Record<string, Record<string, string>> = {
  "embedded, tiny": {
    report: "8c6a3bbcd53f398d2f92e56b8d994e74e741b014e83f91dcc29b8340b42cfa2a",
    tokenizer: "6ea382c6dc05ffcf2f2578ca0ab4e4356d1612917dc740b50f04babb15ac9e16",
    splits: "dbd1f3286e7f103a7484c0c6d9c927a2ce9695aa5284ed19faecc4da4bf4c16f",
    encoded: "45955b8c2aa11e2486eb4040c1a54d5e69794b54351deaa0958aeef1d939b14e",
  },
  "embedded, sentence boundaries, two-sentence labels, small vocabulary": {
    report: "d0f96a99d6ff528bb748eb79cd1bc1c10907efe63f668b4616ae7d03c1e0ac65",
    tokenizer: "9d74821ea7cfec7f9e3618fbb44ed1bb3fbeac45e2daf2f393b6617c83e9845e",
    splits: "a4fc23fda00a607dbcd098748fe1d426899d3ef32583a663c065be0bfc0f3b95",
    encoded: "a485a2db2086e56514872fe4966ef27918a98ff523f544645fdf283994222b25",
  },
  "embedded, maxSnippets cap": {
    report: "3e1e0f2b49403154aeb53e9afbde84c459ee134a493b12ffc29edef03e77f341",
    tokenizer: "478800c2d10c71488082b334db7242e3328cbf3e9e710feeb3e9de744f4226c9",
    splits: "0375f8b57010253546ed13385c180418a4e1cb54fdae387629ce0aff7b5b8fba",
    encoded: "e0521cd8e2762a585279ddb1e28e9d405e495ad5a205026020be24b9ef6ed75c",
  },
  "rows: accents, other scripts, empty snippets, duplicates": {
    report: "90f66f1b523f2b859f8d9aa24592c973d512503706615eec0fe3cbea474adcb7",
    tokenizer: "7467c9799733c2a28841ac946c2af287df90a57db40ed02c76b3da7e293e8167",
    splits: "e958685301824090cbe006db527049ef50d012399375fe63498149f81c15029b",
    encoded: "3eae73a7945ddcb96ec347c977b6ccc015aed03e45408faaef7b25aaecf7b78c",
  },
  "CSV files, strict": {
    report: "2f18828d7365772137970d17a1e870f19476ceffa0cb74c7f2129ae2dfb72f96",
    tokenizer: "bbf43ebe10a354cd524428279a26b042d4ea2c45a864368ea7edf3f0a13c2dc3",
    splits: "d545a8e0b0b34a9bdb38da3c23f051d68cb2d0a86329706b5adc5dfdffd7f2cc",
    encoded: "4d0055b027c5ac0187cc6638c9c5166015ab5f5c0f94e63a2d453288014beb77",
  },
  "CSV files, lenient, one bad row": {
    report: "2220cc3f399015496abe966175e81d853465da5e1bc1116a60e04a55413d4943",
    tokenizer: "2d018a9bc5f5a80870451f0e6e9d9105cc8033642fc9617e79d6687b98358e9b",
    splits: "a5dceb1fac1899b24bfd84f066636f2418c80363d15bcdade2a311830d6062dd",
    encoded: "3894d0e702346675b363967872dd878745ba7320c8622100d25db08ffb140028",
  },
};

for (const [name, make] of CASES) {
  Deno.test(`prepareData() gives the same splits, tokenizer, matrices and report as before the stages: ${name}`, async () => {
    const [data, dir] = await make();
    const got = await fingerprint(data, dir);
    if (Deno.env.get("PRINT_PINS")) console.log(JSON.stringify([name, got]));
    assertEquals(got, PINNED[name]);
  });
}
