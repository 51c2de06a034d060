// `deno task evaluate` and `deno task summarize` on a tiny run made here (tiny profile with sentence boundaries):
// what they write and print, and one clear line for every kind of bad input.
import { assert, assertEquals, assertFalse, assertMatch, assertStringIncludes } from "@std/assert";
import { parse } from "@std/csv";
import { resolveConfig } from "../lib/config.ts";
import { writeEmbeddedCsv } from "../lib/data/embedded.ts";
import { runExperiment } from "../lib/experiment.ts";
import * as tf from "@tensorflow/tfjs";
import { saveModelDir } from "../lib/model/io.ts";
import { LAYER } from "../lib/model/seq2seq.ts";
import { assertRejects } from "@std/assert";
import { InputError } from "../lib/commands/cli.ts";
import { OOV } from "../lib/data/tokenizer.ts";
import { noteFor, type Summary, summaryCsv, writeOutput } from "../lib/commands/summarize.ts";
import { RunFolder } from "../lib/run/folder.ts";
import { runDeno } from "./fixtures/child_stderr.ts";

const task = (script: string, args: string[], stdin?: string) =>
  runDeno(script, args, { env: { OPENBLAS_NUM_THREADS: "1" }, stdin });
const evaluate = (...args: string[]) => task("cli/evaluate.ts", args);
const summarize = (args: string[], stdin?: string) => task("cli/summarize.ts", args, stdin);

/** One error line, no stack trace. */
function oneLine(stderr: string, includes: string) {
  assertStringIncludes(stderr, includes);
  assertFalse(/^\s+at /m.test(stderr), `no stack trace:\n${stderr}`);
  assertEquals(stderr.trim().split("\n").filter((l) => l.startsWith("error:")).length, 1, stderr);
}

// one tiny run shared by the tests below (trained once, about 20 s)
const resultsDir = await Deno.makeTempDir({ prefix: "commands_test_" });
const dataDir = await Deno.makeTempDir({ prefix: "commands_data_" });
await writeEmbeddedCsv(dataDir, 300, 5);
const run = await runExperiment(
  resolveConfig("tiny", {
    data: dataDir,
    sentenceBoundaries: true,
    epochs: 1,
    evalExamples: 10,
    bootstrap: 20,
    resultsDir,
  }),
  { log: () => {} },
);
const RUN = run.id;

Deno.test("evaluate --run scores the run's test split into eval/test/ with the baselines and first-word shares", async () => {
  const r = await evaluate(`--run=${RUN}`, `--resultsDir=${resultsDir}`, "--bootstrap=20");
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "copy_input");
  assertMatch(r.stdout, /model_greedy\s+\d\.\d{4}/);
  const m = JSON.parse(await Deno.readTextFile(`${resultsDir}/${RUN}/eval/test/metrics.json`));
  assertEquals(m.split, "test");
  assertEquals(m.n, 10, "the run's evalExamples");
  for (const s of ["model_greedy", "copy_input", "lead_words", "first_sentence", "label_rule"]) {
    assert(s in m.systems, s);
    assert(m.systems[s].first_word >= 0 && m.systems[s].first_word <= 1);
  }
  assertFalse("model_beam" in m.systems, "no beam unless --beam");
  assert(m.teacher_forced.acc1 !== null, "teacher-forced first-word accuracy recorded");
  // the same numbers as the experiment's own evaluation (same model, same examples)
  const own = JSON.parse(await Deno.readTextFile(`${resultsDir}/${RUN}/metrics.json`));
  assertEquals(m.systems.model_greedy.f1, own.systems.model_greedy.f1);
  const csv = await Deno.readTextFile(`${resultsDir}/${RUN}/eval/test/predictions.csv`);
  assertFalse(csv.includes("<sep>"), "no boundary token in any scored output");
  // the examples whose target no training example has, scored apart: as many as a direct count finds
  const trainTargets = new Set(run.data.splits.train.map((e) => e.target));
  const unseen = run.data.splits.test.slice(0, 10).filter((e) => !trainTargets.has(e.target)).length;
  assertEquals(m.unseen_targets?.n, unseen);
  // the experiment's own evaluation (with beam search) scores them apart too
  assertEquals(own.unseen_targets?.n, unseen);
  assertEquals(m.unseen_targets?.systems.model_greedy.f1, own.unseen_targets?.systems.model_greedy.f1);
  assertStringIncludes(r.stderr, "evaluated");
  assertStringIncludes(
    r.stderr,
    unseen === 10 ? "none of the 10 evaluated targets" : `on the ${unseen} of 10`,
  );
  assertStringIncludes(
    await Deno.readTextFile(`${resultsDir}/${RUN}/eval/test/report.md`),
    "**Targets not seen in training.**",
  );
});

Deno.test("evaluate --data scores every distinct unseen snippet of a folder and counts the ones left out", async () => {
  const other = await Deno.makeTempDir({ prefix: "month_" });
  await writeEmbeddedCsv(other, 60, 99); // another seed: mostly new snippets
  const r = await evaluate(
    `--run=${RUN}`,
    `--resultsDir=${resultsDir}`,
    `--data=${dataDir}`,
    "--bootstrap=0",
  );
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /left out \d+ snippets the run trained or validated on/);
  const name = await RunFolder.evalName(dataDir); // the folder's name and a hash of its path
  assert(name.startsWith(`${dataDir.split("/").at(-1)!}-`), name);
  const m = JSON.parse(await Deno.readTextFile(`${resultsDir}/${RUN}/eval/${name}/metrics.json`));
  assertEquals(m.n, run.data.splits.test.length, "of the run's own folder only its test snippets are unseen");
  assertEquals(m.provenance.left_out_seen_in_training, m.provenance.distinct_snippets - m.n);
  assertStringIncludes(
    await Deno.readTextFile(`${resultsDir}/${RUN}/eval/${name}/report.md`),
    "snippets the run trained or validated on are left out",
  );
  const r2 = await evaluate(
    `--run=${RUN}`,
    `--resultsDir=${resultsDir}`,
    `--data=${other}`,
    "--bootstrap=0",
    "--beam",
  );
  assertEquals(r2.code, 0, r2.stderr);
  const m2 = JSON.parse(
    await Deno.readTextFile(`${resultsDir}/${RUN}/eval/${await RunFolder.evalName(other)}/metrics.json`),
  );
  assert(m2.n > 0 && "model_beam" in m2.systems);
  await Deno.remove(other, { recursive: true });
});

Deno.test("evaluate fails in one line on a missing run, a run without best/, a missing --run and a bad folder", async () => {
  oneLine((await evaluate("--run=nope", `--resultsDir=${resultsDir}`)).stderr, 'no run "nope"');
  const bare = `${resultsDir}/bare`;
  await Deno.mkdir(bare);
  await Deno.copyFile(`${resultsDir}/${RUN}/config.json`, `${bare}/config.json`);
  const b = await evaluate("--run=bare", `--resultsDir=${resultsDir}`);
  assertEquals(b.code, 1);
  oneLine(b.stderr, "best holds no model");
  oneLine((await evaluate(`--resultsDir=${resultsDir}`)).stderr, "--run=ID is required");
  oneLine(
    (await evaluate(`--run=${RUN}`, `--resultsDir=${resultsDir}`, "--data=/nonexistent")).stderr,
    "/nonexistent",
  );
  oneLine((await evaluate(`--run=${RUN}`, "--bem")).stderr, "unknown option --bem");
});

Deno.test("summarize gives one summary per text argument, without the boundary token, and lists unknown words", async () => {
  const text =
    "Polar bears are in trouble. The arctic ice melts faster every summer than scientists expected. " +
    "Zzyzxqword remains.";
  const r = await summarize([`--run=${RUN}`, `--resultsDir=${resultsDir}`, text, "Seas rise. Storms grow."]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assertEquals(lines.length, 2);
  assertFalse(r.stdout.includes("<sep>"));
  assert(lines[0].split(" ").length <= run.cfg.maxOutputLen);
  assertMatch(r.stderr, /text 1: \d+ of \d+ words outside the vocabulary \(read as <oov>\): .*zzyzxqword/);
});

Deno.test("summarize --input=FILE.csv adds summary columns; stdin gives one line per line; empty texts get a note", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/in.csv`;
  await Deno.writeTextFile(
    file,
    '\ufeffid,Snippet\n1,The ice melts. Seas rise fast.\n2,\n3,"Quoted, with a comma. Ok."\n',
  );
  const r = await summarize([`--run=${RUN}`, `--resultsDir=${resultsDir}`, `--input=${file}`]);
  assertEquals(r.code, 0, r.stderr);
  const rows = parse(r.stdout);
  assertEquals(rows[0], ["id", "Snippet", "summary", "oov_words", "oov_list"]);
  assertEquals(rows.length, 4);
  assertEquals(rows[2][2], "", "the empty snippet gets an empty summary");
  assert(rows[1][2].length > 0);
  assertStringIncludes(r.stderr, "data row 2: no words to summarize");

  const s = await summarize(
    [`--run=${RUN}`, `--resultsDir=${resultsDir}`, "-"],
    "The ice melts.\n\n!!!\nSeas rise.\n",
  );
  assertEquals(s.code, 0, s.stderr);
  const out = s.stdout.split("\n");
  assertEquals(out.length, 5, "four summaries, one per input line, then the final newline");
  assertEquals(out[1], "");
  assertEquals(out[2], "");
  assertStringIncludes(s.stderr, "line 2: no words");
  assertStringIncludes(s.stderr, "line 3: no words");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("summarize fails in one line on an empty CSV, a CSV without a text column, a missing run, a run without best/ or no input", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/empty.csv`, "");
  await Deno.writeTextFile(`${dir}/header.csv`, "id,Snippet\n");
  await Deno.writeTextFile(`${dir}/notext.csv`, "id,body\n1,hello\n");
  await Deno.writeTextFile(`${dir}/ragged.csv`, "id,Snippet\n1,the ice melts,extra field\n");
  const base = [`--run=${RUN}`, `--resultsDir=${resultsDir}`];
  oneLine(
    (await summarize([...base, `--input=${dir}/empty.csv`])).stderr,
    `${dir}/empty.csv: the file is empty`,
  );
  oneLine((await summarize([...base, `--input=${dir}/header.csv`])).stderr, "has a header but no rows");
  oneLine(
    (await summarize([...base, `--input=${dir}/notext.csv`])).stderr,
    'no text column: expected a column named Snippet or text (found "id", "body")',
  );
  oneLine((await summarize([...base, `--input=${dir}/missing.csv`])).stderr, "missing.csv: cannot read");
  oneLine(
    (await summarize([...base, `--input=${dir}/ragged.csv`])).stderr,
    "data row 1 has 3 fields, the header has 2",
  );
  oneLine((await summarize([...base, "-"], "")).stderr, "standard input held no lines");
  oneLine((await summarize([...base, "-", "some text"])).stderr, "cannot be mixed");
  oneLine((await summarize(["--run=nope", `--resultsDir=${resultsDir}`, "text"])).stderr, 'no run "nope"');
  oneLine((await summarize(base)).stderr, "nothing to summarize");
  await Deno.mkdir(`${dir}/unfinished`); // a run that has not finished an epoch: config.json, no best/
  await Deno.writeTextFile(`${dir}/unfinished/config.json`, JSON.stringify({ profile: "tiny" }));
  oneLine(
    (await summarize(["--run=unfinished", `--resultsDir=${dir}`, "text"])).stderr,
    `${dir}/unfinished/best holds no model: the run has not finished an epoch`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a run with copy attention and coverage: evaluate --beam, and summarize writes unknown input words as themselves", async () => {
  const copyRun = await runExperiment(
    resolveConfig("tiny", {
      data: dataDir,
      sentenceBoundaries: true,
      copy: true,
      coverage: true,
      epochs: 1,
      evalExamples: 8,
      bootstrap: 20,
      resultsDir,
    }),
    { log: () => {}, runId: "copy-run" },
  );
  const e = await evaluate("--run=copy-run", `--resultsDir=${resultsDir}`, "--bootstrap=20", "--beam");
  assertEquals(e.code, 0, e.stderr);
  const m = JSON.parse(await Deno.readTextFile(`${resultsDir}/copy-run/eval/test/metrics.json`));
  const own = JSON.parse(await Deno.readTextFile(`${resultsDir}/copy-run/metrics.json`));
  assertEquals(
    m.systems.model_greedy.f1,
    own.systems.model_greedy.f1,
    "the saved run decodes as the trained one",
  );
  assertEquals(m.systems.model_beam.f1, own.systems.model_beam.f1);
  // a gate that always copies (saved into best/): every summary word is an input word, none is <oov>
  const pointer = copyRun.model.getLayer(LAYER.pointer);
  pointer.setWeights(
    pointer.getWeights().map((w, i, all) => i === all.length - 1 ? tf.fill(w.shape, -100) : tf.zerosLike(w)),
  );
  await saveModelDir(copyRun.model, `${resultsDir}/copy-run/best`);
  const text = "Qwertzglacier zyxmelting vorpalstorms qwertzglacier.";
  const r = await summarize(["--run=copy-run", `--resultsDir=${resultsDir}`, text]);
  assertEquals(r.code, 0, r.stderr);
  const summary = r.stdout.trim().split(" ");
  assert(
    summary.length > 0 && summary.every((w) => ["qwertzglacier", "zyxmelting", "vorpalstorms"].includes(w)),
    r.stdout,
  );
  assertStringIncludes(r.stderr, "copy attention can still write them");
  copyRun.model.dispose();
});

/** A failure before the model is loaded: exit 1, exactly one `error:` line naming `includes`, no backend line. */
function failsEarly(r: { code: number; stdout: string; stderr: string }, includes: string) {
  assertEquals(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, `one line:\n${r.stderr}`);
  assert(lines[0].startsWith("error: "), r.stderr);
  assertStringIncludes(lines[0], includes);
  assertFalse(/^\s+at /m.test(r.stderr), `no stack trace:\n${r.stderr}`);
  assertEquals(r.stdout, "");
}

Deno.test("summarize --output into a missing folder fails in one line before loading the model", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/in.csv`;
  await Deno.writeTextFile(input, "id,Snippet\n1,The ice melts. Seas rise fast.\n");
  const base = [`--run=${RUN}`, `--resultsDir=${resultsDir}`, `--input=${input}`];
  failsEarly(
    await summarize([...base, `--output=${dir}/missing/out.csv`]),
    `${dir}/missing/out.csv: cannot write: the folder ${dir}/missing does not exist`,
  );

  // a "folder" that is a file, and an output path that is a folder
  failsEarly(
    await summarize([...base, `--output=${input}/out.csv`]),
    `${input}/out.csv: cannot write: ${input} is not a folder`,
  );
  failsEarly(await summarize([...base, `--output=${dir}`]), `${dir}: cannot write: it is a folder`);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["in.csv"], "no probe file left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "summarize --output into a read-only folder fails in one line before loading the model",
  // root writes into read-only folders; Windows has no mode bits
  ignore: Deno.build.os === "windows" || Deno.uid() === 0,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const input = `${dir}/in.csv`;
    await Deno.writeTextFile(input, "id,Snippet\n1,The ice melts. Seas rise fast.\n");
    await Deno.mkdir(`${dir}/ro`);
    await Deno.chmod(`${dir}/ro`, 0o555);
    try {
      failsEarly(
        await summarize([
          `--run=${RUN}`,
          `--resultsDir=${resultsDir}`,
          `--input=${input}`,
          `--output=${dir}/ro/o.csv`,
        ]),
        `${dir}/ro/o.csv: cannot write into the folder ${dir}/ro`,
      );
    } finally {
      await Deno.chmod(`${dir}/ro`, 0o755);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("writeOutput() fails with one InputError naming the file, not a stack of wrapped errors", async () => {
  const dir = await Deno.makeTempDir();
  const e = await assertRejects(() => writeOutput(`${dir}/gone/out.csv`, "a,b\n"), InputError);
  assert(e.message.startsWith(`${dir}/gone/out.csv: cannot write (`), e.message);
  assertFalse(e.message.includes("\n"));
  await writeOutput(`${dir}/out.csv`, "a,b\n");
  assertEquals(await Deno.readTextFile(`${dir}/out.csv`), "a,b\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("noteFor() counts unknown words among the words read", () => {
  const s: Summary = { summary: "", words: 5000, oovWords: ["zork", "qux"], oov: 25, cutWords: 4950 };
  assertEquals(
    noteFor("text 1", s),
    "text 1: 25 of the 50 words read are outside the vocabulary (read as <oov>): zork, qux; " +
      "the last 4950 words are past the input length and were not read",
  );
  // all words read: counted out of all of them
  assertEquals(
    noteFor("text 2", { ...s, words: 40, oov: 3, cutWords: 0 }),
    "text 2: 3 of 40 words outside the vocabulary (read as <oov>): zork, qux",
  );
  assertEquals(
    noteFor("text 3", { ...s, oov: 0, oovWords: [] }),
    "text 3: the last 4950 words are past the input length and were not read",
  );
});

Deno.test("summarize of a text longer than the input length counts unknown words among the words read", async () => {
  const text = Array.from({ length: 400 }, (_, i) => (i % 2 ? "the ice melts" : `zzunknown${i}`)).join(" ") +
    ".";
  const r = await summarize([`--run=${RUN}`, `--resultsDir=${resultsDir}`, text]);
  assertEquals(r.code, 0, r.stderr);
  const m = r.stderr.match(
    /text 1: (\d+) of the (\d+) words read are outside the vocabulary .*; the last (\d+) words/,
  );
  assert(m, r.stderr);
  const [oov, read, cut] = m.slice(1).map(Number);
  // one sentence, so no boundary token takes a place: exactly the first maxInputLen words are read
  assertEquals([read, cut], [run.cfg.maxInputLen, 800 - run.cfg.maxInputLen]);
  // the words read, counted by hand: zzunknown<i> (never in the vocabulary) every fourth word, then "the ice
  // melts", each looked up in the run's vocabulary
  const words = text.slice(0, -1).split(" ").slice(0, read);
  const unknown = words.filter((w) => run.data.tokenizer.idOf(w) === OOV);
  assertEquals(unknown.filter((w) => w.startsWith("zzunknown")).length, Math.ceil(read / 4));
  assertEquals(oov, unknown.length, `unknown words read: ${[...new Set(unknown)].slice(0, 5)}...`);
});

Deno.test("summaryCsv() replaces existing summary columns", () => {
  const s: Summary = { summary: "ice melts", words: 3, oovWords: ["zork"], oov: 1, cutWords: 0 };
  assertEquals(
    parse(
      summaryCsv(
        ["id", "Snippet", "SUMMARY", "note", "OOV_List"],
        [["1", "ice melts zork", "old", "n", "x"]],
        [s],
      ),
    ),
    [["id", "Snippet", "SUMMARY", "note", "OOV_List", "oov_words"], [
      "1",
      "ice melts zork",
      "ice melts",
      "n",
      "zork",
      "1",
    ]],
  );
  const once = summaryCsv(["id", "text"], [["1", "ice melts zork"]], [s]);
  const [header, ...rows] = parse(once);
  assertEquals(summaryCsv(header, rows, [s]), once, "summarizing an output again changes nothing");
});

Deno.test("summarize --input of its own --output file keeps one set of summary columns", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/in.csv`, "id,Snippet\n1,The ice melts. Seas rise fast.\n2,Storms grow.\n");
  const base = [`--run=${RUN}`, `--resultsDir=${resultsDir}`];
  const a = await summarize([...base, `--input=${dir}/in.csv`, `--output=${dir}/out.csv`]);
  assertEquals(a.code, 0, a.stderr);
  assertStringIncludes(a.stderr, `wrote 2 summaries to ${dir}/out.csv`);
  const b = await summarize([...base, `--input=${dir}/out.csv`, `--output=${dir}/out.csv`]);
  assertEquals(b.code, 0, b.stderr);
  const rows = parse(await Deno.readTextFile(`${dir}/out.csv`));
  assertEquals(rows[0], ["id", "Snippet", "summary", "oov_words", "oov_list"]);
  assertEquals(rows.length, 3);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["in.csv", "out.csv"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("summarize -x is an unknown option in one line; after -- a text may start with a dash", async () => {
  const base = [`--run=${RUN}`, `--resultsDir=${resultsDir}`];
  failsEarly(await summarize([...base, "-x"]), "summarize: unknown option -x");
  const r = await summarize([...base, "--", "-x marks the spot. The ice melts.", "-5 degrees tonight."]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout.trimEnd().split("\n").length, 2, r.stdout);
  const n = await summarize([...base, "-5 degrees tonight."]);
  assertEquals(n.code, 0, n.stderr);
  assertEquals(n.stdout.trimEnd().split("\n").length, 1, n.stdout);
  // after --, "-h" is a text to summarize, not a request for the help
  const h = await summarize([...base, "--", "-h"]);
  assertEquals(h.code, 0, h.stderr);
  assertFalse(h.stdout.includes("usage:"), h.stdout);
  assertEquals(h.stdout.trimEnd().split("\n").length, 1, h.stdout);
  const help = await summarize([...base, "-h"]);
  assertStringIncludes(help.stdout.toLowerCase(), "usage");
  // a command that takes no texts still prints its help after `--` (what `deno task evaluate -- --help` passes)
  const ev = await evaluate("--", "--help");
  assertEquals(ev.code, 0, ev.stderr);
  assertStringIncludes(ev.stdout, "usage:");
});

Deno.test("errors prints a run's error classes, pairs a run with itself without a CI on 10 pairs, and fails in one line on bad input", async () => {
  const errors = (...args: string[]) => task("cli/errors.ts", args);
  const base = [`--run=${RUN}`, `--resultsDir=${resultsDir}`];
  const one = await errors(...base);
  assertEquals(one.code, 0, one.stderr);
  assertStringIncludes(one.stdout, `${RUN} (greedy): 10 test summaries`);
  for (const c of ["exact", "output_limit", "wrong_sentence", "miscopied"]) {
    assertStringIncludes(one.stdout, c);
  }
  const self = await errors(...base, `--against=${RUN}`);
  assertEquals(self.code, 0, self.stderr);
  assertStringIncludes(self.stdout, "F1 B - A on 10 paired examples: +0.0000 (no CI on fewer than 30 pairs)");
  failsEarly(await errors(`--resultsDir=${resultsDir}`), "errors: --run=ID is required");
  failsEarly(await errors(...base, "stray"), "errors: unexpected argument(s) stray");
  failsEarly(await errors(`--run=no-such-run`, `--resultsDir=${resultsDir}`), "no-such-run");
  failsEarly(await errors(...base, "--eval=other"), "only eval/test can be analysed");
  failsEarly(await errors(...base, "--bootstrap=-1"), '"bootstrap"');
  failsEarly(await errors(...base, "--unknown"), "errors: unknown option --unknown");
});

Deno.test({
  name: "(cleanup of the commands tests' run)",
  fn: async () => {
    run.model.dispose();
    await Deno.remove(resultsDir, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  },
});
