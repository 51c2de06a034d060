/**
 * `deno task history --run=ID [--resultsDir=DIR]`: a run's epochs as a Markdown table, read from its
 * `history.json` (train and validation loss and accuracy, first-word accuracy, wall time per epoch), with a line
 * on where training stands. The README's epoch tables are this command's output, so anyone can remake them from a
 * run folder while it trains or after.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { historyTable } from "./history.ts";
 * const table = historyTable([
 *   { epoch: 1, loss: 5.9, acc: 0.16, valLoss: 5.5, valAcc: 0.16, valAcc1: 0.085, seconds: 619 },
 *   { epoch: 2, loss: 5.2, acc: 0.19, valLoss: 5.6, valAcc: 0.19, seconds: 4801 },
 * ]);
 * assertEquals(table.split("\n")[2], "| 1 | 5.900 | 0.160 | 5.500 | 0.160 | 0.085 | 10 min 19 s | best |");
 * assertEquals(table.split("\n")[3], "| 2 | 5.200 | 0.190 | 5.600 | 0.190 |  | 1 h 20 min |  |");
 * ```
 * @module
 */
import { bestEntry, readRunInfo, type RunInfo } from "../run/discover.ts";
import { type HistoryEntry, RunFolder, type RunState } from "../run/folder.ts";
import { pathExists } from "../io/exists.ts";
import { InputError } from "./cli.ts";

/** Options of {@linkcode historyReport}. */
export interface HistoryOptions {
  /** Run id (a folder name under `resultsDir`). */
  run: string;
  resultsDir: string;
}

/** What {@linkcode historyReport} gives: the run as read, and the printable text (a line, then the table). */
export interface HistoryReport {
  info: RunInfo;
  text: string;
}

/** Seconds as the README writes a wall time: `10 min 19 s`, `1 h 20 min` from an hour on, `42 s` under a minute. */
export function wallTime(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * The epochs as a Markdown table: epoch, train loss and accuracy, validation loss and accuracy (teacher-forced),
 * the first summary word's validation accuracy, the epoch's wall time (validation and checkpoint included, and
 * any time the process was paused), and `best` on the epoch with the lowest validation loss (the first of equals,
 * as early stopping keeps it). Figures a run did not record are left blank.
 */
export function historyTable(history: readonly HistoryEntry[]): string {
  const best = bestEntry(history);
  const f3 = (x: number | undefined) => (x === undefined ? "" : x.toFixed(3));
  const rows = history.map((h) =>
    [
      h.epoch,
      f3(h.loss),
      f3(h.acc),
      f3(h.valLoss),
      f3(h.valAcc),
      f3(h.valAcc1),
      h.seconds === undefined ? "" : wallTime(h.seconds),
      h === best ? "best" : "",
    ].join(" | ")
  );
  return [
    "| epoch | train loss | train accuracy | val loss | val accuracy | first word | wall | |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r} |`),
  ].join("\n");
}

/** How training ended, as the checkpoint's state says: `""` while it has not. */
export type Stopped = RunState["stopped"];

/**
 * Where training stands, in one line: epochs, best epoch, how training ended (early stopping, all epochs done) or
 * that it has not (epochs since the best against the patience, or a process still writing the folder), and the
 * epochs' wall time in all.
 */
export function historyLine(info: RunInfo): string {
  const stopped: Stopped = info.stopped;
  const total = info.history.reduce((t, h) => t + (h.seconds ?? 0), 0);
  const best = info.bestEpoch === null
    ? "no epoch yet"
    : `best epoch ${info.bestEpoch} (val loss ${info.bestValLoss!.toFixed(4)})`;
  const since = info.bestEpoch === null ? 0 : info.epochs - info.bestEpoch;
  const state = stopped === "early_stopping"
    ? `stopped early: ${since} epochs without a better val loss (patience ${info.config.patience})`
    : stopped === "completed"
    ? "all epochs trained"
    : info.status === "writing"
    ? "training now (a live process holds the folder)"
    : `not ended (${since} of ${info.config.patience} epochs without a better val loss; --resume ${info.id} goes on)`;
  return `${info.id} (${info.profile}): ${info.epochs} of up to ${info.config.epochs} epochs, ${best}; ${state}; ` +
    `${wallTime(total)} of epochs in all`;
}

/** Read run `opts.run` under `opts.resultsDir` and print its epochs; a folder that is not there is an InputError. */
export async function historyReport(opts: HistoryOptions): Promise<HistoryReport> {
  const folder = new RunFolder(opts.resultsDir, opts.run);
  if (!(await pathExists(folder.dir))) throw new InputError(`history: no run folder ${folder.dir}`);
  if (!(await pathExists(folder.path("config.json")))) {
    throw new InputError(`history: ${folder.dir} is not a run folder (no config.json)`);
  }
  const info = await readRunInfo(folder.dir);
  const text = `${historyLine(info)}\n\n${historyTable(info.history)}`;
  return { info, text };
}
