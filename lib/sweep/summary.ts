/**
 * The summary of a sweep, from its trials' run folders: per setting, the mean and spread across seeds of the best
 * validation loss and of test F1 (greedy decoding, `metrics.json`); for each pair of settings that differ in one
 * key, the difference with a 95% CI over seeds and examples (per-example F1 from `predictions.csv`, lib/sweep/
 * stats.ts), and in words whether it is larger than the seed-to-seed spread. Written as `summary.csv` (one row per
 * setting), `comparisons.csv`, `report.md` and Plotly figures in `figures/` (the metric against each swept key, the
 * validation curves of the best and worst settings). Nothing in them depends on when or where the trials ran: an
 * interrupted and resumed sweep writes the same files as an uninterrupted one.
 *
 * @module
 */
import { parse } from "@std/csv";
import { bootstrapCI, type CI } from "../eval/bootstrap.ts";
import { writeTextAtomic } from "../io/atomic.ts";
import { type Figure, saveFigure, type ScatterTrace } from "../plot/plotly.ts";
import { PALETTE } from "../plot/figures.ts";
import { readRunInfo } from "../run/discover.ts";
import type { HistoryEntry } from "../run/folder.ts";
import { settingLabel, type SweepPlan, type Trial } from "./plan.ts";
import { type MeanSd, meanSd, seedExampleCI, seedSpread } from "./stats.ts";

/** The metrics a sweep can rank its settings by: test F1 (higher is better) or the best validation loss (lower). */
export const SWEEP_METRICS = ["f1", "valLoss"] as const;
export type SweepMetric = typeof SWEEP_METRICS[number];

const METRIC_WORDS: Record<SweepMetric, string> = { f1: "test F1", valLoss: "val loss" };

/** What a trial's run folder holds, for the summary. */
export interface TrialResult {
  trial: Trial;
  /** Trained and evaluated. */
  done: boolean;
  bestValLoss: number | null;
  testF1: number | null;
  history: HistoryEntry[];
  /** Greedy F1 per test example, by example id (`predictions.csv`), or null when there is none. */
  perExample: Map<string, number> | null;
}

async function perExampleF1(dir: string): Promise<Map<string, number> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/predictions.csv`);
  } catch {
    return null;
  }
  const rows = parse(text) as string[][];
  const head = rows[0] ?? [];
  const id = head.indexOf("id"), f1 = head.indexOf("f1");
  if (id < 0 || f1 < 0) return null;
  const out = new Map<string, number>();
  for (const r of rows.slice(1)) out.set(r[id], Number(r[f1]));
  return out;
}

/** Read every trial's run folder (a missing or unreadable one is a trial not done). */
export async function readTrialResults(plan: SweepPlan): Promise<TrialResult[]> {
  const out: TrialResult[] = [];
  for (const trial of plan.trials) {
    const dir = `${plan.dir}/${trial.id}`;
    const info = await readRunInfo(dir).catch(() => null);
    const done = info?.status === "evaluated";
    out.push({
      trial,
      done,
      bestValLoss: done ? info!.bestValLoss : null,
      testF1: done ? info!.testF1 : null,
      history: info?.history ?? [],
      perExample: done ? await perExampleF1(dir) : null,
    });
  }
  return out;
}

/** One setting across its seeds. */
export interface SettingStats {
  setting: number;
  label: string;
  values: Record<string, unknown>;
  /** Seeds with a finished trial, and the seeds planned. */
  done: number;
  planned: number;
  valLoss: MeanSd;
  f1: MeanSd;
  perSeed: { seed: number; trial: string; valLoss: number; f1: number }[];
}

/** Two settings that differ in one key, compared on the seeds both finished. */
export interface Comparison {
  key: string;
  /** The other swept keys, the same in both settings (`learningRate=0.01`), or "" when only one key is swept. */
  context: string;
  a: number;
  b: number;
  from: unknown;
  to: unknown;
  seeds: number;
  /** b - a: test F1 with its CI over seeds and examples, validation loss with its CI over seeds. */
  f1: CI;
  valLoss: CI;
  /** |difference| > the seed-to-seed spread (null when the spread is unknown: one seed). */
  f1BeyondSpread: boolean | null;
  valLossBeyondSpread: boolean | null;
  words: string;
}

/** Everything the summary files say. */
export interface SweepSummary {
  plan: SweepPlan;
  metric: SweepMetric;
  /** Best first by `metric` (settings with no finished trial last). */
  settings: SettingStats[];
  comparisons: Comparison[];
  /** The seed-to-seed spread of each metric (null: no setting has two finished seeds). */
  spread: Record<SweepMetric, number | null>;
  /** Trials not finished, by id. */
  missing: string[];
  bootstrap: { resamples: number; seed: number };
}

const s3 = (x: number) => (Number.isFinite(x) ? (x >= 0 ? "+" : "") + x.toFixed(3) : "n/a");
const f3 = (x: number | null) => (x !== null && Number.isFinite(x) ? x.toFixed(3) : "n/a");
const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "n/a");

/** Whether setting `a` is better than `b` on `metric` (NaN last). */
function better(metric: SweepMetric, a: number, b: number): number {
  if (!Number.isFinite(a)) return Number.isFinite(b) ? 1 : 0;
  if (!Number.isFinite(b)) return -1;
  return metric === "f1" ? b - a : a - b;
}

/** The sentence of one comparison on the chosen metric. */
function comparisonWords(c: Omit<Comparison, "words">, metric: SweepMetric, spread: number | null): string {
  const d = metric === "f1" ? c.f1 : c.valLoss;
  const beyond = metric === "f1" ? c.f1BeyondSpread : c.valLossBeyondSpread;
  const ci = Number.isFinite(d.lo) ? `95% CI [${s3(d.lo)}, ${s3(d.hi)}]` : "no CI";
  const head = `${c.key} ${c.from} -> ${c.to}${c.context ? ` (${c.context})` : ""}: ${METRIC_WORDS[metric]} ${
    s3(d.mean)
  } (${ci}; ${c.seeds} seed${c.seeds === 1 ? "" : "s"})`;
  if (beyond === null || spread === null) {
    return `${head}: one seed per setting, so the seed-to-seed spread is unknown; run --seeds=2 or more before ` +
      `calling this an effect.`;
  }
  const excludes0 = Number.isFinite(d.lo) && (d.lo > 0 || d.hi < 0);
  if (beyond && excludes0) {
    return `${head}: larger than the seed-to-seed spread (${
      f3(spread)
    }) and the CI excludes 0: an effect of ${c.key}.`;
  }
  if (beyond) {
    return `${head}: larger than the seed-to-seed spread (${
      f3(spread)
    }) but the CI includes 0: suggestive, not ` +
      `established.`;
  }
  return `${head}: within the seed-to-seed spread (${f3(spread)}): not distinguishable from seed noise` +
    (excludes0 ? " (the CI excludes 0, but another seed moves the metric as much)." : ".");
}

/** Options of {@linkcode summarize}. */
export interface SummarizeOptions {
  metric?: SweepMetric;
  /** Bootstrap resamples and seed (default: the first trial's `bootstrap` and `dataSeed`). */
  resamples?: number;
  seed?: number;
}

/**
 * The summary of a sweep from its trials' results (see the module documentation). Settings that differ in one
 * key are compared on the seeds both finished, per example on the test examples both scored.
 */
export function summarize(
  plan: SweepPlan,
  results: readonly TrialResult[],
  opts: SummarizeOptions = {},
): SweepSummary {
  const metric = opts.metric ?? "f1";
  const resamples = opts.resamples ?? plan.trials[0]?.config.bootstrap ?? 1000;
  const bseed = opts.seed ?? plan.seeds[0] ?? 42;
  const bySetting = plan.settings.map((values, setting) => {
    const rs = results.filter((r) => r.trial.setting === setting);
    const fin = rs.filter((r) => r.done && r.bestValLoss !== null && r.testF1 !== null);
    const perSeed = fin.map((r) => ({
      seed: r.trial.seed,
      trial: r.trial.id,
      valLoss: r.bestValLoss!,
      f1: r.testF1!,
    }));
    return {
      setting,
      label: settingLabel(plan, values),
      values,
      done: fin.length,
      planned: rs.length,
      valLoss: meanSd(perSeed.map((p) => p.valLoss)),
      f1: meanSd(perSeed.map((p) => p.f1)),
      perSeed,
    } satisfies SettingStats;
  });
  const spread: Record<SweepMetric, number | null> = {
    f1: seedSpread(bySetting.map((s) => s.perSeed.map((p) => p.f1))),
    valLoss: seedSpread(bySetting.map((s) => s.perSeed.map((p) => p.valLoss))),
  };
  const comparisons: Comparison[] = [];
  for (let a = 0; a < plan.settings.length; a++) {
    for (let b = a + 1; b < plan.settings.length; b++) {
      const va = plan.trials.find((t) => t.setting === a)!.config as unknown as Record<string, unknown>;
      const vb = plan.trials.find((t) => t.setting === b)!.config as unknown as Record<string, unknown>;
      const differ = plan.keys.filter((k) => JSON.stringify(va[k]) !== JSON.stringify(vb[k]));
      if (differ.length !== 1) continue;
      const c = compare(plan, results, a, b, differ[0], { resamples, seed: bseed });
      if (c === null) continue;
      const beyond = (d: number, s: number | null) => (s === null ? null : Math.abs(d) > s);
      const context = plan.keys.filter((k) => k !== differ[0]).map((k) => `${k}=${va[k]}`).join(" ");
      const partial = {
        ...c,
        context,
        f1BeyondSpread: beyond(c.f1.mean, spread.f1),
        valLossBeyondSpread: beyond(c.valLoss.mean, spread.valLoss),
      };
      comparisons.push({ ...partial, words: comparisonWords(partial, metric, spread[metric]) });
    }
  }
  const other: SweepMetric = metric === "f1" ? "valLoss" : "f1";
  const key = (s: SettingStats, m: SweepMetric) => (m === "f1" ? s.f1.mean : s.valLoss.mean);
  // ties (a tiny model's F1 often is) go to the other metric, then to the plan's order
  const settings = [...bySetting].sort((x, y) =>
    better(metric, key(x, metric), key(y, metric)) || better(other, key(x, other), key(y, other)) ||
    x.setting - y.setting
  );
  const missing = results.filter((r) => !r.done).map((r) => r.trial.id);
  return { plan, metric, settings, comparisons, spread, missing, bootstrap: { resamples, seed: bseed } };
}

/** Settings a and b compared on the seeds both finished, or null when they share none. */
function compare(
  plan: SweepPlan,
  results: readonly TrialResult[],
  a: number,
  b: number,
  key: string,
  opts: { resamples: number; seed: number },
): Omit<Comparison, "words" | "f1BeyondSpread" | "valLossBeyondSpread" | "context"> | null {
  const f1BySeed: number[][] = [];
  const lossBySeed: number[] = [];
  for (const seed of plan.seeds) {
    const ra = results.find((r) => r.trial.setting === a && r.trial.seed === seed);
    const rb = results.find((r) => r.trial.setting === b && r.trial.seed === seed);
    if (!ra?.done || !rb?.done || ra.bestValLoss === null || rb.bestValLoss === null) continue;
    if (!ra.perExample || !rb.perExample) continue;
    const diffs: number[] = [];
    for (const [id, fa] of ra.perExample) {
      const fb = rb.perExample.get(id);
      if (fb !== undefined && Number.isFinite(fa) && Number.isFinite(fb)) diffs.push(fb - fa);
    }
    if (diffs.length === 0) continue;
    f1BySeed.push(diffs);
    lossBySeed.push(rb.bestValLoss - ra.bestValLoss);
  }
  if (f1BySeed.length === 0) return null;
  const valLoss = lossBySeed.length >= 2
    ? bootstrapCI(lossBySeed, opts)
    : { mean: lossBySeed[0], lo: NaN, hi: NaN };
  const configOf = (s: number) =>
    plan.trials.find((t) => t.setting === s)!.config as unknown as Record<string, unknown>;
  return {
    key,
    a,
    b,
    from: configOf(a)[key],
    to: configOf(b)[key],
    seeds: f1BySeed.length,
    f1: seedExampleCI(f1BySeed, opts),
    valLoss,
  };
}

/** CSV field: quoted when it holds a comma, quote or line break. */
function csvField(v: unknown): string {
  const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v ?? "");
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csv(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvField).join(",")).join("\n") + "\n";
}

/** `summary.csv`: one row per setting, best first: the swept keys, seeds, and mean and SD of each metric. */
export function summaryCsv(s: SweepSummary): string {
  const head = [
    "rank",
    "setting",
    ...s.plan.keys,
    "seeds_done",
    "seeds_planned",
    "val_loss_mean",
    "val_loss_sd",
  ];
  head.push("test_f1_mean", "test_f1_sd", "trials");
  const rows: unknown[][] = [head];
  s.settings.forEach((st, i) => {
    rows.push([
      i + 1,
      st.setting + 1,
      ...s.plan.keys.map((k) => st.values[k] ?? ""),
      st.done,
      st.planned,
      st.valLoss.mean,
      st.valLoss.sd,
      st.f1.mean,
      st.f1.sd,
      st.perSeed.map((p) => p.trial).join(" "),
    ]);
  });
  return csv(rows);
}

/** `comparisons.csv`: one row per pair of settings that differ in one key (b - a, with the CIs). */
export function comparisonsCsv(s: SweepSummary): string {
  const rows: unknown[][] = [[
    "key",
    "with",
    "from",
    "to",
    "setting_a",
    "setting_b",
    "seeds",
    "f1_diff",
    "f1_lo",
    "f1_hi",
    "f1_beyond_seed_spread",
    "val_loss_diff",
    "val_loss_lo",
    "val_loss_hi",
    "val_loss_beyond_seed_spread",
  ]];
  for (const c of s.comparisons) {
    rows.push([
      c.key,
      c.context,
      c.from,
      c.to,
      c.a + 1,
      c.b + 1,
      c.seeds,
      c.f1.mean,
      c.f1.lo,
      c.f1.hi,
      c.f1BeyondSpread ?? "",
      c.valLoss.mean,
      c.valLoss.lo,
      c.valLoss.hi,
      c.valLossBeyondSpread ?? "",
    ]);
  }
  return csv(rows);
}

const sd = (m: MeanSd) => (Number.isFinite(m.sd) ? ` ± ${m.sd.toFixed(4)}` : "");

/** `report.md`: the settings best first, the best setting, the comparisons in words, and the plan. */
export function sweepReport(s: SweepSummary): string {
  const p = s.plan;
  const lines: string[] = [];
  const done = p.trials.length - s.missing.length;
  lines.push(`# Sweep ${p.name}`, "");
  lines.push(
    `Profile \`${p.profile}\`, ${p.mode} over ${p.keys.map((k) => `\`${k}\``).join(", ") || "nothing"}: ` +
      `${p.settings.length} settings x ${p.seeds.length} seeds (${
        p.seeds.join(", ")
      }) = ${p.trials.length} trials, ` +
      `${done} finished. Ranked by ${
        METRIC_WORDS[s.metric]
      } (mean over seeds; test F1 is greedy decoding on the ` +
      `test split, val loss the best epoch's). Every trial shares the data (dataSeed ${
        p.seeds[0]
      }): the seeds ` +
      `change the initial weights, the dropout masks and the batch order only.`,
    "",
  );
  if (s.missing.length > 0) {
    lines.push(`**Not finished:** ${s.missing.join(", ")}. Rerun the same command to run them.`, "");
  }
  lines.push("## Settings, best first", "");
  lines.push("| rank | setting | seeds | val loss (mean ± SD) | test F1 (mean ± SD) | per seed (F1) |");
  lines.push("|---:|---|---:|---:|---:|---|");
  s.settings.forEach((st, i) => {
    lines.push(
      `| ${i + 1} | ${st.label} | ${st.done}/${st.planned} | ${f4(st.valLoss.mean)}${sd(st.valLoss)} | ` +
        `${f4(st.f1.mean)}${sd(st.f1)} | ${
          st.perSeed.map((x) => `${x.seed}: ${x.f1.toFixed(4)}`).join(", ")
        } |`,
    );
  });
  const best = s.settings[0];
  if (best && best.done > 0) {
    lines.push(
      "",
      `**Best setting:** ${best.label} (${METRIC_WORDS[s.metric]} ${
        f4(s.metric === "f1" ? best.f1.mean : best.valLoss.mean)
      } over ${best.done} seed${best.done === 1 ? "" : "s"}).`,
    );
  }
  lines.push("", "## Differences larger than seed noise?", "");
  const spreadLine = (m: SweepMetric) =>
    s.spread[m] === null ? "unknown (one seed per setting)" : f3(s.spread[m]);
  lines.push(
    `Seed-to-seed spread (the mean gap between two seeds of the same setting): test F1 ${
      spreadLine("f1")
    }, val ` +
      `loss ${
        spreadLine("valLoss")
      }. Each difference below is b - a between two settings that differ in one key, ` +
      `on the seeds both finished; the 95% CI of test F1 resamples seeds and test examples ` +
      `(${s.bootstrap.resamples} resamples, seed ${s.bootstrap.seed}), that of val loss seeds only.`,
    "",
  );
  if (s.comparisons.length === 0) lines.push("No two finished settings differ in exactly one key.");
  for (const c of s.comparisons) lines.push(`- ${c.words}`);
  lines.push(
    "",
    "A difference smaller than the seed-to-seed spread is what another seed of the same setting could give: " +
      "with one seed per setting, a ranking can be noise.",
    "",
    "## The plan",
    "",
  );
  const base = Object.entries(p.base).map(([k, v]) => `${k}=${v}`).join(" ");
  lines.push(`Shared overrides: ${base || "none"}. Full configs: \`plan.json\`.`, "");
  lines.push("| trial | setting | seed | finished |", "|---|---|---:|---|");
  for (const t of p.trials) {
    lines.push(
      `| ${t.id} | ${settingLabel(p, p.settings[t.setting])} | ${t.seed} | ${
        s.missing.includes(t.id) ? "no" : "yes"
      } |`,
    );
  }
  return lines.join("\n") + "\n";
}

/** A setting's value of `key` as the x axis shows it ("" for a written plan's setting without the key). */
function axisValue(values: Record<string, unknown>, key: string): string {
  return String(values[key] ?? "");
}

/** A key's values in plan order, as the x axis shows them. */
function axisValues(plan: SweepPlan, key: string): string[] {
  return [...new Set(plan.settings.map((s) => axisValue(s, key)))];
}

/**
 * The metric against swept key `key`: a point per finished trial (each seed) and a line through the means,
 * one colour per combination of the other swept keys.
 */
export function metricVsKey(s: SweepSummary, key: string): Figure {
  const p = s.plan;
  const others = p.keys.filter((k) => k !== key);
  const groups = new Map<string, SettingStats[]>();
  for (const st of [...s.settings].sort((a, b) => a.setting - b.setting)) {
    // a written plan's setting may leave a key out (the base value): named as settingLabel names it
    const g = others.filter((k) => st.values[k] !== undefined).map((k) => `${k}=${st.values[k]}`).join(" ") ||
      (others.length > 0 ? "(base)" : "all");
    groups.set(g, [...(groups.get(g) ?? []), st]);
  }
  const xs = axisValues(p, key);
  const val = (x: { f1: number; valLoss: number }) => (s.metric === "f1" ? x.f1 : x.valLoss);
  const data: ScatterTrace[] = [];
  [...groups.entries()].forEach(([g, sts], i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = sts.flatMap((st) =>
      st.perSeed.map((ps) => ({ x: axisValue(st.values, key), y: val(ps), seed: ps.seed }))
    );
    data.push({
      type: "scatter",
      mode: "markers",
      name: `${g} (each seed)`,
      x: pts.map((q) => q.x),
      y: pts.map((q) => q.y),
      legendgroup: g,
      marker: { color, size: 8, opacity: 0.6 },
      text: pts.map((q) => `seed ${q.seed}`),
    });
    const means = xs.map((x) => sts.find((st) => axisValue(st.values, key) === x))
      .map((st) => (st && st.done > 0 ? (s.metric === "f1" ? st.f1.mean : st.valLoss.mean) : null));
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: `${g} (mean)`,
      x: xs,
      y: means,
      legendgroup: g,
      line: { color, width: 2 },
    });
  });
  return {
    data,
    layout: {
      title: { text: `${METRIC_WORDS[s.metric]} against ${key} (points: seeds; line: mean over seeds)` },
      xaxis: { title: { text: key }, type: "category", categoryorder: "array", categoryarray: xs },
      yaxis: { title: { text: METRIC_WORDS[s.metric] } },
    },
  };
}

/** Validation loss per epoch of every seed of the best and the worst setting (solid: best, dashed: worst). */
export function bestWorstCurves(s: SweepSummary, results: readonly TrialResult[]): Figure {
  const ranked = s.settings.filter((st) => st.done > 0);
  const picks = ranked.length === 0 ? [] : ranked.length === 1 ? [ranked[0]] : [ranked[0], ranked.at(-1)!];
  const data: ScatterTrace[] = [];
  picks.forEach((st, i) => {
    const which = i === 0 ? "best" : "worst";
    for (const r of results.filter((r) => r.trial.setting === st.setting && r.done)) {
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${which}: ${st.label}, seed ${r.trial.seed}`,
        x: r.history.map((h) => h.epoch),
        y: r.history.map((h) => h.valLoss),
        line: { color: PALETTE[i === 0 ? 2 : 3], dash: i === 0 ? "solid" : "dash" },
      });
    }
  });
  return {
    data,
    layout: {
      title: {
        text: "Validation loss per epoch: best setting (solid) and worst (dashed), one line per seed",
      },
      xaxis: { title: { text: "epoch" } },
      yaxis: { title: { text: "validation loss" } },
    },
  };
}

/** The figures of a summary by file name (without extension). */
export function sweepFigures(s: SweepSummary, results: readonly TrialResult[]): Record<string, Figure> {
  const out: Record<string, Figure> = {};
  for (const k of s.plan.keys) out[`${s.metric}_vs_${k}`] = metricVsKey(s, k);
  out["val_curves_best_worst"] = bestWorstCurves(s, results);
  return out;
}

/** Files written by {@linkcode writeSummary}. */
export interface SummaryFiles {
  summary: SweepSummary;
  files: string[];
}

/**
 * Read the trials' run folders and write `summary.csv`, `comparisons.csv`, `report.md` and `figures/*.html` in the
 * sweep folder (each file atomically). Trials not finished are left out (and listed in the report).
 */
export async function writeSummary(plan: SweepPlan, opts: SummarizeOptions = {}): Promise<SummaryFiles> {
  const results = await readTrialResults(plan);
  const summary = summarize(plan, results, opts);
  const files = [`${plan.dir}/summary.csv`, `${plan.dir}/comparisons.csv`, `${plan.dir}/report.md`];
  await writeTextAtomic(files[0], summaryCsv(summary));
  await writeTextAtomic(files[1], comparisonsCsv(summary));
  await writeTextAtomic(files[2], sweepReport(summary));
  for (const [name, fig] of Object.entries(sweepFigures(summary, results))) {
    const saved = await saveFigure(fig, `${plan.dir}/figures/${name}`, { png: false });
    files.push(...saved.files);
  }
  return { summary, files };
}
