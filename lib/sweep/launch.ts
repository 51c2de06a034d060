/**
 * The local launcher: every unfinished trial of a plan, `parallel` at a time, each as its own experiment process
 * (lib/sweep/trials.ts), its output in `logs/<id>.log`. One progress line when a trial starts and one when it
 * ends, with the trials left and an ETA from the trials finished so far. Ctrl-C (or SIGTERM) stops the running
 * trials as Ctrl-C stops an experiment (each keeps its last epoch) and says how to continue: the same command.
 *
 * @module
 */
import { readRunInfo } from "../run/discover.ts";
import type { SweepPlan, Trial } from "./plan.ts";
import { settingLabel } from "./plan.ts";
import { logsDir, runTrial, trialStatus } from "./trials.ts";

/** Options of {@linkcode runLocal}. */
export interface LocalOptions {
  /** Trials at once (default 1). */
  parallel?: number;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

/** What a local sweep did. */
export interface LocalResult {
  /** Trials finished before this call (skipped). */
  skipped: number;
  /** Trials that ran to the end in this call. */
  done: number;
  /** Trials whose experiment exited with an error, by id. */
  failed: string[];
  /** The sweep was stopped by a signal. */
  interrupted: boolean;
}

/** Seconds as `1h02m`, `3m20s` or `45s`. */
export function duration(s: number): string {
  const t = Math.max(0, Math.round(s));
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${t}s`;
}

/** The best validation loss and test F1 of a finished trial, as a few words for its progress line. */
async function figures(plan: SweepPlan, trial: Trial): Promise<string> {
  const info = await readRunInfo(`${plan.dir}/${trial.id}`).catch(() => null);
  if (!info) return "";
  const parts: string[] = [];
  if (info.bestValLoss !== null) parts.push(`val_loss ${info.bestValLoss.toFixed(4)}`);
  if (info.testF1 !== null) parts.push(`test F1 ${info.testF1.toFixed(4)}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/**
 * Ctrl-C and SIGTERM while trials run: each running experiment gets SIGINT (it saves nothing more, keeps its last
 * finished epoch and exits), and no further trial starts.
 */
function stopOnSignal(log: (line: string) => void) {
  const children = new Set<Deno.ChildProcess>();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log("interrupted: stopping the running trials (each keeps its last finished epoch)");
    for (const c of children) {
      try {
        c.kill("SIGINT");
      } catch { /* gone */ }
    }
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  return {
    children,
    interrupted: () => interrupted,
    dispose: () => {
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
    },
  };
}

/**
 * Run the plan's unfinished trials on this machine, `parallel` at a time; finished ones are skipped, interrupted
 * ones resumed, failed ones tried again. Returns what happened; the summary is written by the caller.
 */
export async function runLocal(plan: SweepPlan, opts: LocalOptions = {}): Promise<LocalResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const parallel = opts.parallel ?? 1;
  const todo: Trial[] = [];
  let skipped = 0;
  for (const t of plan.trials) {
    const s = await trialStatus(plan, t);
    if (s.state === "done") skipped++;
    else if (s.state === "running") log(`${t.id}: running in another process; left to it`);
    else todo.push(t);
  }
  const total = plan.trials.length;
  log(
    `sweep ${plan.name}: ${total} trials (${plan.settings.length} settings x ${plan.seeds.length} seeds), ` +
      `${skipped} done, ${todo.length} to run, ${parallel} at a time -> ${plan.dir}`,
  );
  await Deno.mkdir(logsDir(plan), { recursive: true });
  const stop = stopOnSignal(log);
  const children = stop.children;
  const result: LocalResult = { skipped, done: 0, failed: [], interrupted: false };
  const started = performance.now();
  let finished = 0;
  let next = 0;
  // the rate of this call's finished trials (parallel ones included) times the trials not finished
  const eta = (notFinished: number) =>
    finished > 0 && notFinished > 0
      ? `, ETA ${duration(((performance.now() - started) / 1000 / finished) * notFinished)}`
      : "";
  const worker = async () => {
    while (!stop.interrupted() && next < todo.length) {
      const trial = todo[next++];
      const left = todo.length - next;
      const st = await trialStatus(plan, trial);
      const how = st.problem !== undefined ? "cannot resume" : st.action === "resume" ? "resumed" : "started";
      log(
        `[${trial.index + 1}/${total}] ${how} ${trial.id} (${
          settingLabel(plan, plan.settings[trial.setting])
        }, ` +
          `seed ${trial.seed}); ${left} waiting${eta(todo.length - finished)}`,
      );
      let child: Deno.ChildProcess | null = null;
      const outcome = await runTrial(plan, trial, {
        logFile: `${logsDir(plan)}/${trial.id}.log`,
        interrupted: stop.interrupted,
        onSpawn: (c) => {
          child = c;
          children.add(c);
          if (stop.interrupted()) c.kill("SIGINT");
        },
      });
      if (child) children.delete(child);
      finished++;
      const remaining = todo.length - finished;
      if (outcome.code === 0 && outcome.action !== "skip") result.done++;
      if (outcome.code !== 0 && !stop.interrupted()) result.failed.push(trial.id);
      const what = stop.interrupted() && outcome.code !== 0
        ? "interrupted"
        : outcome.code === 0
        ? `done in ${duration(outcome.seconds)}${await figures(plan, trial)}`
        : `FAILED (exit ${outcome.code}; see ${logsDir(plan)}/${trial.id}.log)`;
      log(
        `[${trial.index + 1}/${total}] ${trial.id} ${what}; ${remaining} left${
          stop.interrupted() ? "" : eta(remaining)
        }`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, todo.length)) }, worker));
  } finally {
    stop.dispose();
  }
  result.interrupted = stop.interrupted();
  return result;
}
