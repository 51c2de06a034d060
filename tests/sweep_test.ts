// `deno task sweep`: bad grids fail in one line and leave nothing; the summary's statistics on hand-made run folders
// with known values; a real 2x2 grid x 2 seeds of the tiny profile, killed mid-trial and run again, ends with the
// same summary as an uninterrupted sweep.
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { parseSweepArgs, planFromArgs } from "../lib/commands/sweep.ts";
import { makePlan, parseGridEntry, readPlan, SweepError, type SweepPlan } from "../lib/sweep/plan.ts";
import { readTrialResults, summarize, summaryCsv, sweepFigures, sweepReport } from "../lib/sweep/summary.ts";
import { runTrial, trialStatus } from "../lib/sweep/trials.ts";
import { mulberry32 } from "../lib/util/rng.ts";
import { childStderr } from "./fixtures/child_stderr.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Run `deno run -A cli/sweep.ts ARGS` from the project folder. */
function sweep(args: string[], opts: { detached?: boolean } = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/sweep.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    detached: opts.detached,
  });
}

async function entries(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out;
}

Deno.test("a bad grid (unknown key, bad value, empty list) is one line naming it, exit 1, and creates nothing", async () => {
  const results = await Deno.makeTempDir();
  const cases: [string[], string][] = [
    [["--grid", "unitz=16,32"], `unknown key "unitz"`],
    [["--grid", "units=16,many"], `bad value "many" for "units"`],
    [["--grid", "units="], `"units=" has an empty value list`],
    [
      ["--grid", "units=16,32", "dropout=0,,0.2"],
      `"dropout=0,,0.2" has an empty value list or an empty value`,
    ],
    [["--grid"], "an empty grid"],
    [["--grid", "seed=1,2"], "use --seeds=N"],
    [["--grid", "units=16", "--epochs=-1"], `"epochs"`],
  ];
  for (const [args, words] of cases) {
    const out = await sweep([...args, "--profile=tiny", `--resultsDir=${results}/r`]).output();
    const err = childStderr(out.stderr).trimEnd();
    assertEquals(out.code, 1, args.join(" "));
    assertEquals(err.split("\n").length, 1, err);
    assertMatch(err, /^error: sweep: /);
    assertStringIncludes(err, words);
    assertEquals(new TextDecoder().decode(out.stdout), "");
  }
  assertEquals(await entries(results), []);
  await Deno.remove(results, { recursive: true });
});

/** A finished run folder with the given best validation losses per epoch and per-example F1. */
async function handMadeRun(plan: SweepPlan, index: number, valLosses: number[], f1: number[]): Promise<void> {
  const t = plan.trials[index];
  const dir = `${plan.dir}/${t.id}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(t.config));
  const history = valLosses.map((valLoss, i) => ({
    epoch: i + 1,
    loss: valLoss + 0.1,
    acc: 0.5,
    valLoss,
    valAcc: 0.5,
  }));
  await Deno.writeTextFile(`${dir}/history.json`, JSON.stringify(history));
  const mean = f1.reduce((a, b) => a + b, 0) / f1.length;
  await Deno.writeTextFile(
    `${dir}/metrics.json`,
    JSON.stringify({ split: "test", n: f1.length, systems: { model_greedy: { f1: mean } } }),
  );
  const rows = f1.map((x, i) => `${i},in ${i},ref ${i},pred ${i},${x},${x}`);
  await Deno.writeTextFile(
    `${dir}/predictions.csv`,
    ["id,input,reference,prediction,f1,rougeL", ...rows].join("\n") + "\n",
  );
}

Deno.test("the summary's statistics on hand-made run folders: means, spreads, paired differences and their words", async () => {
  const results = await Deno.makeTempDir();
  const plan = makePlan({
    name: "known",
    profile: "tiny",
    base: {},
    seeds: 2,
    resultsDir: results,
    grid: [parseGridEntry("units=8,16,32")],
  });
  assertEquals(plan.trials.map((t) => [t.setting, t.seed]), [[0, 42], [0, 43], [1, 42], [1, 43], [2, 42], [
    2,
    43,
  ]]);
  const A42 = [0.2, 0.4, 0.6], A43 = [0.3, 0.5, 0.7]; // means 0.4, 0.5
  const plus = (xs: number[], d: number) => xs.map((x) => x + d);
  await handMadeRun(plan, 0, [2.5, 2.0], A42);
  await handMadeRun(plan, 1, [2.2, 2.3], A43);
  await handMadeRun(plan, 2, [1.5, 1.9], plus(A42, 0.3)); // units 16: +0.3 on every example, best val loss 1.5
  await handMadeRun(plan, 3, [1.9], plus(A43, 0.3)); // best 1.9
  await handMadeRun(plan, 4, [2.0], plus(A42, 0.08)); // units 32: +0.08, one seed only (seed 43 not run)
  const results0 = await readTrialResults(plan);
  assertEquals(results0.map((r) => r.done), [true, true, true, true, true, false]);
  const s = summarize(plan, results0, { resamples: 500, seed: 1 });

  // per setting, best first by test F1: units 16 (0.7, 0.8), units 32 (0.48), units 8 (0.4, 0.5)
  assertEquals(s.settings.map((x) => x.label), ["units=16", "units=32", "units=8"]);
  const [b16, b32, b8] = s.settings;
  assertAlmostEquals(b8.f1.mean, 0.45);
  assertAlmostEquals(b8.f1.sd, Math.sqrt(0.005)); // sample SD of 0.4 and 0.5
  assertAlmostEquals(b8.valLoss.mean, 2.1); // best epochs: 2.0 and 2.2
  assertAlmostEquals(b16.f1.mean, 0.75);
  assertAlmostEquals(b16.valLoss.mean, 1.7);
  assertAlmostEquals(b16.valLoss.sd, Math.sqrt(0.08));
  assertEquals([b32.done, b32.planned, Number.isNaN(b32.f1.sd)], [1, 2, true]);
  // seed-to-seed spread: mean |gap| between two seeds of a setting: F1 (0.1 + 0.1) / 2, val loss (0.2 + 0.4) / 2
  assertAlmostEquals(s.spread.f1!, 0.1);
  assertAlmostEquals(s.spread.valLoss!, 0.3);
  assertEquals(s.missing, [plan.trials[5].id]);

  // every pair differing in one key (here all three), b - a on the seeds both finished
  assertEquals(s.comparisons.map((c) => [c.from, c.to, c.seeds]), [[8, 16, 2], [8, 32, 1], [16, 32, 1]]);
  const [c816, c832, c1632] = s.comparisons;
  // +0.3 on every example under both seeds: the CI over seeds and examples is [0.3, 0.3]
  assertAlmostEquals(c816.f1.mean, 0.3);
  assertAlmostEquals(c816.f1.lo, 0.3);
  assertAlmostEquals(c816.f1.hi, 0.3);
  assertAlmostEquals(c816.valLoss.mean, -0.4); // per seed: 1.5 - 2.0 and 1.9 - 2.2
  assert(c816.valLoss.lo >= -0.5 - 1e-12 && c816.valLoss.hi <= -0.3 + 1e-12);
  assertEquals([c816.f1BeyondSpread, c816.valLossBeyondSpread], [true, true]);
  assertStringIncludes(c816.words, "units 8 -> 16: test F1 +0.300 (95% CI [+0.300, +0.300]; 2 seeds)");
  assertStringIncludes(
    c816.words,
    "larger than the seed-to-seed spread (0.100) and the CI excludes 0: an effect of units",
  );
  // +0.08 is within the spread of 0.1, even though the CI over examples excludes 0
  assertAlmostEquals(c832.f1.mean, 0.08);
  assertEquals(c832.f1BeyondSpread, false);
  assertStringIncludes(
    c832.words,
    "within the seed-to-seed spread (0.100): not distinguishable from seed noise",
  );
  assertStringIncludes(c832.words, "another seed moves the metric as much");
  assertAlmostEquals(c1632.f1.mean, -0.22);

  // the files: summary.csv rows best first, report with the best setting and the words, figures per key
  const csv = summaryCsv(s).trim().split("\n");
  assertEquals(
    csv[0],
    "rank,setting,units,seeds_done,seeds_planned,val_loss_mean,val_loss_sd,test_f1_mean,test_f1_sd,trials",
  );
  assertEquals(csv[1].split(",").slice(0, 5), ["1", "2", "16", "2", "2"]);
  const report = sweepReport(s);
  assertStringIncludes(report, "**Best setting:** units=16 (test F1 0.7500 over 2 seeds)");
  assertStringIncludes(report, `**Not finished:** ${plan.trials[5].id}`);
  assertStringIncludes(report, c816.words);
  const figs = sweepFigures(s, results0);
  assertEquals(Object.keys(figs), ["f1_vs_units", "val_curves_best_worst"]);
  const [points, line] = figs.f1_vs_units.data;
  assertEquals([points.mode, points.x.length, line.mode, line.x], ["markers", 5, "lines+markers", [
    "8",
    "16",
    "32",
  ]]);
  assertEquals(line.y.map((y) => y === null ? null : Number(y.toFixed(6))), [0.45, 0.75, 0.48]);
  // best (units 16: 2 seeds) solid, worst (units 8: 2 seeds) dashed
  assertEquals(figs.val_curves_best_worst.data.map((t) => (t as { line: { dash: string } }).line.dash), [
    "solid",
    "solid",
    "dash",
    "dash",
  ]);
  await Deno.remove(results, { recursive: true });
});

/** Reference two-level bootstrap, written out here: each resample draws S seeds with replacement, then each drawn
 * seed's examples with replacement, and averages the drawn seeds' means (seeds weigh the same, whatever their
 * number of examples); the same mulberry32 draws in the same order, percentiles by linear interpolation. With
 * `drawSeeds` false each resample keeps every seed once (an interval that ignores the seed spread). */
function referenceSeedBootstrap(
  bySeed: number[][],
  resamples: number,
  seed: number,
  drawSeeds = true,
): { mean: number; lo: number; hi: number } {
  const rng = mulberry32(seed);
  const S = bySeed.length;
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const stats: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const seedMeans: number[] = [];
    for (let k = 0; k < S; k++) {
      const xs = bySeed[drawSeeds ? Math.floor(rng() * S) : k];
      const drawn: number[] = [];
      for (let i = 0; i < xs.length; i++) drawn.push(xs[Math.floor(rng() * xs.length)]);
      seedMeans.push(avg(drawn));
    }
    stats.push(avg(seedMeans));
  }
  stats.sort((a, b) => a - b);
  const at = (q: number) => {
    const pos = q * (stats.length - 1), i = Math.floor(pos);
    return i + 1 < stats.length ? stats[i] + (pos - i) * (stats[i + 1] - stats[i]) : stats[i];
  };
  return { mean: avg(bySeed.map(avg)), lo: at(0.025), hi: at(0.975) };
}

Deno.test("the test F1 difference's CI resamples seeds, then examples, as a reference two-level bootstrap does", async () => {
  const results = await Deno.makeTempDir();
  const plan = makePlan({
    name: "noise",
    profile: "tiny",
    base: {},
    seeds: 2,
    resultsDir: results,
    grid: [parseGridEntry("units=8,16")],
  });
  // per-example differences that vary, and a seed effect: seed 42 gains about 0.1, seed 43 about 0.3 (on fewer
  // examples: the seeds must still weigh the same)
  const A42 = [0.2, 0.35, 0.5, 0.1, 0.65, 0.4, 0.55, 0.3, 0.45, 0.25];
  const D42 = [0.12, -0.05, 0.2, 0.08, 0.15, -0.02, 0.1, 0.25, 0.03, 0.14];
  const A43 = [0.3, 0.15, 0.6, 0.45, 0.25, 0.5];
  const D43 = [0.4, 0.22, 0.35, 0.18, 0.3, 0.33];
  const B42 = A42.map((x, i) => x + D42[i]), B43 = A43.map((x, i) => x + D43[i]);
  await handMadeRun(plan, 0, [2.0], A42); // units 8, seed 42
  await handMadeRun(plan, 1, [2.1], A43); // units 8, seed 43
  await handMadeRun(plan, 2, [1.9], B42); // units 16, seed 42
  await handMadeRun(plan, 3, [1.8], B43); // units 16, seed 43
  const s = summarize(plan, await readTrialResults(plan), { resamples: 400, seed: 7 });
  assertEquals(s.comparisons.length, 1);
  const c = s.comparisons[0];
  assertEquals([c.from, c.to, c.seeds], [8, 16, 2]);
  const bySeed = [B42.map((b, i) => b - A42[i]), B43.map((b, i) => b - A43[i])];
  const ref = referenceSeedBootstrap(bySeed, 400, 7);
  // the same draws: equal up to rounding (the level's 2.5% is 0.025000000000000022 in lib/eval/bootstrap.ts)
  for (const k of ["mean", "lo", "hi"] as const) assertAlmostEquals(c.f1[k], ref[k], 1e-12, k);
  // seeds weigh the same: the mean of the seed means (0.1 and 0.2967), not of the 16 examples pooled (0.174)
  assertAlmostEquals(c.f1.mean, (0.1 + 1.78 / 6) / 2);
  // the seed draw matters: an interval that keeps both seeds in every resample is far narrower
  const fixed = referenceSeedBootstrap(bySeed, 400, 7, false);
  assert(c.f1.hi - c.f1.lo > 2 * (fixed.hi - fixed.lo), JSON.stringify({ c: c.f1, fixed }));
  // and it reaches toward each seed's own mean (all of one seed is drawn in some resamples)
  assert(c.f1.lo < 0.15 && c.f1.hi > 0.25, JSON.stringify(c.f1));
  await Deno.remove(results, { recursive: true });
});

Deno.test("a trial whose checkpoint/state.json cannot be read is failed, names the file, and keeps its folder", async () => {
  const results = await Deno.makeTempDir();
  const plan = makePlan({
    name: "broken",
    profile: "tiny",
    base: {},
    resultsDir: results,
    grid: [parseGridEntry("units=8,16")],
  });
  // trial 0: a saved epoch (checkpoint and best model, history) whose state.json is cut short
  const dir = `${plan.dir}/${plan.trials[0].id}`;
  await Deno.mkdir(`${dir}/checkpoint`, { recursive: true });
  await Deno.mkdir(`${dir}/best`);
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(plan.trials[0].config));
  await Deno.writeTextFile(`${dir}/checkpoint/model.json`, "{}");
  await Deno.writeTextFile(`${dir}/checkpoint/state.json`, '{"epoch": 2, "bestEp');
  await Deno.writeTextFile(`${dir}/best/model.json`, "{}");
  await Deno.writeTextFile(`${dir}/history.json`, "[]");
  // trial 1: a folder left before its first epoch (no checkpoint): stale, removed before it starts again
  await Deno.mkdir(`${plan.dir}/${plan.trials[1].id}`);
  await Deno.writeTextFile(`${plan.dir}/${plan.trials[1].id}/config.json`, "{}");

  const broken = await trialStatus(plan, plan.trials[0]);
  assertEquals([broken.state, broken.stale], ["failed", false]);
  assertStringIncludes(broken.problem!, `${dir}/checkpoint/state.json is not a training state`);
  assertStringIncludes(broken.problem!, `remove ${dir} to start the trial again`);
  const stale = await trialStatus(plan, plan.trials[1]);
  assertEquals([stale.state, stale.action, stale.stale, stale.problem], ["pending", "new", true, undefined]);

  // running it starts nothing and removes nothing: a failure, recorded with the reason
  const logFile = `${plan.dir}/t0.log`;
  await Deno.mkdir(plan.dir, { recursive: true });
  const out = await runTrial(plan, plan.trials[0], { logFile });
  assertEquals(out.code, 1);
  assertEquals(await Deno.readTextFile(`${dir}/best/model.json`), "{}");
  assertEquals(await Deno.readTextFile(`${dir}/checkpoint/state.json`), '{"epoch": 2, "bestEp');
  assertStringIncludes(
    await Deno.readTextFile(logFile),
    `not started ${plan.trials[0].id}: ${dir}/checkpoint`,
  );
  const exit = JSON.parse(await Deno.readTextFile(`${plan.dir}/logs/${plan.trials[0].id}.exit.json`));
  assertEquals([exit.code, exit.interrupted, exit.problem], [1, false, broken.problem]);
  assertEquals(await trialStatus(plan, plan.trials[0]).then((s) => [s.state, s.lastExit]), ["failed", 1]);
  await Deno.remove(results, { recursive: true });
});

Deno.test("a written plan's setting without a swept key is plotted where the axis puts it, with its mean", async () => {
  const results = await Deno.makeTempDir();
  const plan = makePlan({
    name: "written",
    profile: "tiny",
    base: {},
    resultsDir: results,
    settings: [{ units: 16 }, { dropout: 0.2 }],
  });
  assertEquals(plan.keys, ["units", "dropout"]);
  await handMadeRun(plan, 0, [2.0], [0.4, 0.6]);
  await handMadeRun(plan, 1, [2.1], [0.2, 0.4]);
  const results0 = await readTrialResults(plan);
  const fig = sweepFigures(summarize(plan, results0, { resamples: 0 }), results0).f1_vs_units;
  // one group per value of the other key: dropout left out (the base), dropout=0.2
  const points = fig.data.filter((t) => t.mode === "markers");
  const lines = fig.data.filter((t) => t.mode === "lines+markers");
  assertEquals(points.map((t) => t.name), ["(base) (each seed)", "dropout=0.2 (each seed)"]);
  assertEquals(fig.layout.xaxis?.categoryarray, ["16", ""]); // the setting without units: ""
  assertEquals(points.map((t) => t.x), [["16"], [""]]); // its point in that column, not at "undefined"
  assertEquals(lines.map((t) => t.x), [["16", ""], ["16", ""]]);
  const round = (ys: (number | null)[]) => ys.map((y) => y === null ? null : Number(y.toFixed(6)));
  assertEquals(lines.map((t) => round(t.y)), [[0.5, null], [null, 0.3]]);
  await Deno.remove(results, { recursive: true });
});

const GRID = [
  "--grid",
  "units=8,16",
  "dropout=0,0.2",
  "--seeds=2",
  "--profile=tiny",
  "--epochs=3",
  "--name=g",
];

/** The summary files of a sweep, as text. */
async function summaryFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of ["summary.csv", "comparisons.csv", "report.md"]) {
    out[f] = await Deno.readTextFile(`${dir}/${f}`);
  }
  return out;
}

/** Wait until a trial of the sweep in `dir` has saved an epoch but is not evaluated yet; its id. */
async function midTrial(dir: string, child: Deno.ChildProcess): Promise<string> {
  let exited = false;
  child.status.then(() => exited = true);
  while (!exited) {
    for (const name of await entries(dir).catch(() => [] as string[])) {
      if (!name.startsWith("t")) continue;
      const saved = await Deno.stat(`${dir}/${name}/checkpoint/state.json`).then(() => true, () => false);
      const evaluated = await Deno.stat(`${dir}/${name}/metrics.json`).then(() => true, () => false);
      if (saved && !evaluated) return name;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the sweep ended before a trial was seen between its first epoch and its evaluation");
}

Deno.test({
  name:
    "a 2x2 grid x 2 seeds of the tiny profile, killed mid-trial and run again, gives the summary of an uninterrupted sweep run two at a time",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const base = await Deno.makeTempDir();
    // uninterrupted, two trials at a time
    const whole = await sweep([...GRID, "--parallel=2", `--resultsDir=${base}/whole`]).output();
    const wholeOut = new TextDecoder().decode(whole.stdout);
    assertEquals(whole.code, 0, new TextDecoder().decode(whole.stderr));
    // one line per trial start and end, with the trials left (and an ETA while some are)
    assertEquals(wholeOut.split("\n").filter((l) => / started t\d\d-/.test(l)).length, 8);
    const ends = wholeOut.split("\n").filter((l) => / done in /.test(l));
    assertEquals(ends.length, 8);
    assertMatch(ends[0], /; 7 left, ETA \d/);
    assertMatch(ends[7], /; 0 left$/);

    // interrupted: the whole process group (the sweep and its running experiment) killed mid-trial
    const dir = `${base}/cut/sweeps/g`;
    const child = sweep([...GRID, `--resultsDir=${base}/cut`], { detached: true }).spawn();
    const killed = await midTrial(dir, child);
    Deno.kill(-child.pid, "SIGKILL");
    await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    const plan = await readPlan(dir);
    const cut = plan.trials.find((t) => t.id === killed)!;
    // the signal reaches the experiment process on its own time: wait until it is gone (its owner.json stays)
    for (let i = 0; i < 500 && (await trialStatus(plan, cut)).state === "running"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals((await trialStatus(plan, cut)).state, "interrupted");
    const before = await Promise.all(plan.trials.map((t) => trialStatus(plan, t)));
    const doneBefore = before.filter((s) => s.state === "done").length;
    assert(doneBefore < 8);

    // the same command again: finished trials skipped, the killed one resumed, the rest run
    const again = await sweep([...GRID, `--resultsDir=${base}/cut`]).output();
    const againOut = new TextDecoder().decode(again.stdout);
    assertEquals(again.code, 0, new TextDecoder().decode(again.stderr));
    assertStringIncludes(againOut, `${doneBefore} done, ${8 - doneBefore} to run`);
    assertStringIncludes(againOut, `resumed ${killed}`);
    assertStringIncludes(await Deno.readTextFile(`${dir}/logs/${killed}.log`), `resume ${killed}`);
    assertEquals(await summaryFiles(dir), await summaryFiles(`${base}/whole/sweeps/g`));
    // and once more: nothing to run
    const third = await sweep([...GRID, `--resultsDir=${base}/cut`]).output();
    assertStringIncludes(new TextDecoder().decode(third.stdout), "8 done, 0 to run");
    await Deno.remove(base, { recursive: true });
  },
});

Deno.test("--random=K draws K settings inside the ranges (integers for integer keys), the same on every run", () => {
  const make = () =>
    makePlan({
      name: "r",
      profile: "tiny",
      base: {},
      resultsDir: "results",
      random: 6,
      grid: [
        parseGridEntry("learningRate=0.001:0.01:log", { ranges: true }),
        parseGridEntry("units=8:64", { ranges: true }),
        parseGridEntry("dropout=0,0.1", { ranges: true }),
      ],
    });
  const plan = make();
  assertEquals(plan.mode, "random");
  assertEquals(plan.settings.length, 6);
  for (const s of plan.settings) {
    const lr = s.learningRate as number, units = s.units as number;
    assert(lr >= 0.001 && lr <= 0.01, `learningRate ${lr}`);
    assert(Number.isInteger(units) && units >= 8 && units <= 64, `units ${units}`);
    assert([0, 0.1].includes(s.dropout as number));
  }
  assertEquals(make().settings, plan.settings);
});

Deno.test("a written plan gives its settings, profile and seeds; an unknown field or a bad value is one SweepError", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/plan.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      profile: "tiny",
      seeds: 2,
      base: { epochs: 1 },
      settings: [{ units: 8 }, { units: 16, dropout: 0 }],
    }),
  );
  const plan = await planFromArgs(parseSweepArgs([`--plan=${file}`, `--resultsDir=${dir}`]));
  assertEquals([plan.mode, plan.name, plan.keys, plan.trials.length], ["plan", "tiny-units-dropout", [
    "units",
    "dropout",
  ], 4]);
  assertEquals(plan.trials.map((t) => [t.config.units, t.config.epochs, t.seed]), [
    [8, 1, 42],
    [8, 1, 43],
    [16, 1, 42],
    [16, 1, 43],
  ]);
  await Deno.writeTextFile(file, JSON.stringify({ settings: [{ units: "x" }] }));
  await assertRejects(
    () => planFromArgs(parseSweepArgs([`--plan=${file}`])),
    SweepError,
    `bad value "x" for "units"`,
  );
  await Deno.writeTextFile(file, JSON.stringify({ settings: [{ units: 8 }], epochs: 3 }));
  await assertRejects(
    () => planFromArgs(parseSweepArgs([`--plan=${file}`])),
    SweepError,
    `unknown field "epochs"`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "Ctrl-C stops the sweep and its running trial, keeps the trial's last epoch, and says to rerun the command",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const base = await Deno.makeTempDir();
    const args = [
      "--grid",
      "units=8",
      "--profile=tiny",
      "--epochs=50",
      "--patience=50",
      "--name=c",
      `--resultsDir=${base}`,
    ];
    const child = sweep(args).spawn();
    const dir = `${base}/sweeps/c`;
    const id = await midTrial(dir, child);
    Deno.kill(child.pid, "SIGINT");
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 1);
    assertStringIncludes(stdout, "interrupted: stopping the running trials");
    assertStringIncludes(stdout, "sweep c interrupted: rerun the same command to continue");
    const plan = await readPlan(dir);
    // not a failure: the next run resumes it
    assertEquals(await trialStatus(plan, plan.trials[0]).then((s) => [s.state, s.action]), [
      "interrupted",
      "resume",
    ]);
    assertEquals(plan.trials[0].id, id);
    await Deno.remove(base, { recursive: true });
  },
});
