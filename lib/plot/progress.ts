/**
 * Live training progress in a notebook: one output that is updated in place (a progress bar with the step,
 * the running loss, the last epoch's accuracies and an ETA) and a loss curve redrawn after every epoch, through
 * Jupyter's `display_data` / `update_display_data` messages with a display id (`Deno.jupyter.broadcast`).
 * Outside a notebook (no `Deno.jupyter`) it sends nothing: the training loop's plain lines stay what the command
 * line shows.
 *
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { NotebookProgress } from "./progress.ts";
 * const sent: { type: string; content: Record<string, unknown> }[] = [];
 * const progress = new NotebookProgress({
 *   epochs: 2,
 *   stepsPerEpoch: 10,
 *   send: (type, content) => (sent.push({ type, content }), Promise.resolve()),
 *   minIntervalMs: 0,
 * });
 * await progress.start();
 * await progress.step(1, 5, 2.5); // epoch 1, step 5 of 10
 * assertEquals(sent.map((m) => m.type), ["display_data", "display_data", "update_display_data"]);
 * const html = String((sent[2].content.data as Record<string, string>)["text/html"]);
 * assertStringIncludes(html, "epoch 1/2, step 5/10"); // 25% of all steps
 * assertStringIncludes(html, "width:25.0%");
 * ```
 * @module
 */
import { type EpochRecord, trainingCurves } from "./figures.ts";
import { plotlyBundle } from "./plotly.ts";

/** How a message reaches the front end: `Deno.jupyter.broadcast` in the kernel. */
export type SendMessage = (msgType: string, content: Record<string, unknown>) => Promise<void>;

/** Options of {@linkcode NotebookProgress}. */
export interface ProgressOptions {
  /** Epochs this call trains (the bar's end). */
  epochs: number;
  /** Training steps per epoch (batches). */
  stepsPerEpoch: number;
  /** Epochs already finished before this call (a resumed run); default 0. */
  startEpoch?: number;
  /** Default: `Deno.jupyter.broadcast` when running in the Jupyter kernel, else nothing is sent. */
  send?: SendMessage | null;
  /** At most one step update per this many milliseconds (default 500; the last step of an epoch always). */
  minIntervalMs?: number;
  /** Epochs finished before this call, drawn in the curve too (a resumed run's history). */
  history?: readonly EpochRecord[];
  /** Redraw the loss curve after every epoch (default true). */
  curve?: boolean;
  /** Clock in milliseconds (default `performance.now`), for tests. */
  now?: () => number;
}

/** What the bar shows. */
export interface ProgressView {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  /** Mean training loss over this epoch's steps so far. */
  loss: number | null;
  /** The last finished epoch, if any. */
  last: EpochRecord | null;
  /** Seconds left at the current speed; null before the first step. */
  etaSeconds: number | null;
  /** Seconds since the start. */
  elapsedSeconds: number;
  done: boolean;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Seconds as "12s", "3m05s" or "1h02m". */
export function shortDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The share of all steps done, in [0, 1]. */
export function progressFraction(
  v: Pick<ProgressView, "epoch" | "epochs" | "step" | "stepsPerEpoch">,
): number {
  const total = v.epochs * v.stepsPerEpoch;
  if (total <= 0) return 1;
  return Math.min(1, Math.max(0, ((v.epoch - 1) * v.stepsPerEpoch + v.step) / total));
}

/** One line of text: what the HTML bar says. */
export function progressText(v: ProgressView): string {
  const pct = (100 * progressFraction(v)).toFixed(0);
  const parts = [
    v.done ? `done: ${v.epochs} epoch(s)` : `epoch ${v.epoch}/${v.epochs}, step ${v.step}/${v.stepsPerEpoch}`,
    `${pct}%`,
  ];
  if (v.loss !== null && !v.done) parts.push(`loss ${v.loss.toFixed(4)}`);
  if (v.last) {
    parts.push(
      `epoch ${v.last.epoch}: loss ${v.last.loss.toFixed(4)}, acc ${v.last.acc.toFixed(4)}, ` +
        `val_loss ${v.last.valLoss.toFixed(4)}, val_acc ${v.last.valAcc.toFixed(4)}`,
    );
  }
  parts.push(v.done ? `took ${shortDuration(v.elapsedSeconds)}` : `ETA ${shortDuration(v.etaSeconds)}`);
  return parts.join("  |  ");
}

/**
 * A bar filled to `fraction` (blue, green once `done`) over one line of `text`, as HTML: a plain `<div>`, no
 * script, so it renders in any front end. Every bar of this module is drawn by it.
 */
function barHtml(fraction: number, done: boolean, text: string): string {
  const pct = (100 * fraction).toFixed(1);
  return `<div class="seq2seq-progress" style="font-family:monospace;margin:0.3em 0">` +
    `<div style="width:100%;max-width:40em;height:0.9em;background:#eee;border-radius:3px">` +
    `<div style="width:${pct}%;height:100%;background:${done ? "#2ca02c" : "#1f77b4"};border-radius:3px">` +
    `</div></div><div style="margin-top:0.2em">${escapeHtml(text)}</div></div>`;
}

/** The training bar as HTML ({@linkcode barHtml} of {@linkcode progressText}). */
export function progressHtml(v: ProgressView): string {
  return barHtml(progressFraction(v), v.done, progressText(v));
}

function defaultSend(): SendMessage | null {
  const jupyter = (globalThis as { Deno?: { jupyter?: { broadcast?: SendMessage } } }).Deno?.jupyter;
  return typeof jupyter?.broadcast === "function" ? (t, c) => jupyter.broadcast!(t, c) : null;
}

/**
 * A progress display for `trainModel`'s `onBatchEnd` / `onEpochEnd` callbacks. Call {@linkcode start} once in
 * the cell before training, {@linkcode step} after every step, {@linkcode epoch} after every epoch and
 * {@linkcode finish} at the end.
 */
export class NotebookProgress {
  readonly barId = `seq2seq-progress-${crypto.randomUUID()}`;
  readonly curveId = `seq2seq-curve-${crypto.randomUUID()}`;
  private readonly send: SendMessage | null;
  private readonly now: () => number;
  private readonly opts: Required<
    Pick<ProgressOptions, "epochs" | "stepsPerEpoch" | "minIntervalMs" | "curve">
  >;
  private readonly startEpoch: number;
  private t0 = 0;
  private lastSent = -Infinity;
  private stepsDone = 0;
  private lossSum = 0;
  private lossN = 0;
  private view: ProgressView;
  private history: EpochRecord[] = [];

  constructor(opts: ProgressOptions) {
    this.send = opts.send === undefined ? defaultSend() : opts.send;
    this.now = opts.now ?? (() => performance.now());
    this.opts = {
      epochs: opts.epochs,
      stepsPerEpoch: opts.stepsPerEpoch,
      minIntervalMs: opts.minIntervalMs ?? 500,
      curve: opts.curve ?? true,
    };
    this.startEpoch = opts.startEpoch ?? 0;
    this.history = [...(opts.history ?? [])];
    this.view = {
      epoch: 1,
      epochs: opts.epochs,
      step: 0,
      stepsPerEpoch: opts.stepsPerEpoch,
      loss: null,
      last: null,
      etaSeconds: null,
      elapsedSeconds: 0,
      done: false,
    };
  }

  /** Whether messages go anywhere (false outside the Jupyter kernel). */
  get active(): boolean {
    return this.send !== null;
  }

  private bundle(): Record<string, unknown> {
    return { "text/html": progressHtml(this.view), "text/plain": progressText(this.view) };
  }

  private async show(
    type: "display_data" | "update_display_data",
    id: string,
    data: Record<string, unknown>,
  ) {
    if (!this.send) return;
    await this.send(type, { data, metadata: {}, transient: { display_id: id } });
  }

  /** Show the bar (and an empty place for the curve). */
  async start(): Promise<void> {
    this.t0 = this.now();
    await this.show("display_data", this.barId, this.bundle());
    if (this.opts.curve) {
      await this.show("display_data", this.curveId, {
        "text/plain": "(the loss curve appears after epoch 1)",
      });
    }
  }

  /** After a training step: `epoch` counts from the run's start (as trainModel's callbacks do). */
  async step(epoch: number, step: number, loss: number): Promise<void> {
    const e = epoch - this.startEpoch;
    if (e !== this.view.epoch || step < this.view.step) {
      this.lossSum = 0;
      this.lossN = 0;
    }
    this.stepsDone++;
    if (Number.isFinite(loss)) {
      this.lossSum += loss;
      this.lossN++;
    }
    const elapsed = (this.now() - this.t0) / 1000;
    const total = this.opts.epochs * this.opts.stepsPerEpoch;
    const done = (e - 1) * this.opts.stepsPerEpoch + step;
    this.view = {
      ...this.view,
      epoch: e,
      step,
      loss: this.lossN > 0 ? this.lossSum / this.lossN : null,
      elapsedSeconds: elapsed,
      etaSeconds: done > 0 ? (elapsed / this.stepsDone) * Math.max(0, total - done) : null,
    };
    const t = this.now();
    if (t - this.lastSent < this.opts.minIntervalMs && step !== this.opts.stepsPerEpoch) return;
    this.lastSent = t;
    await this.show("update_display_data", this.barId, this.bundle());
  }

  /** After an epoch (validation included): the bar shows its scores, and the curve is redrawn. */
  async epoch(log: EpochRecord): Promise<void> {
    this.history.push(log);
    this.view = { ...this.view, last: log, elapsedSeconds: (this.now() - this.t0) / 1000 };
    await this.show("update_display_data", this.barId, this.bundle());
    if (this.opts.curve) {
      await this.show("update_display_data", this.curveId, plotlyBundle(trainingCurves(this.history)));
    }
  }

  /** `onBatchEnd` and `onEpochEnd` for `trainModel` (lib/train/loop.ts), calling {@linkcode step} and {@linkcode epoch}. */
  callbacks(): {
    onBatchEnd: (epoch: number, step: number, loss: number) => Promise<void>;
    onEpochEnd: (log: EpochRecord) => Promise<void>;
  } {
    return { onBatchEnd: (e, s, l) => this.step(e, s, l), onEpochEnd: (log) => this.epoch(log) };
  }

  /** Training has ended (or paused): a full green bar with the time it took. */
  async finish(): Promise<void> {
    this.view = {
      ...this.view,
      epoch: this.opts.epochs,
      step: this.opts.stepsPerEpoch,
      done: true,
      elapsedSeconds: (this.now() - this.t0) / 1000,
    };
    await this.show("update_display_data", this.barId, this.bundle());
  }
}

/** Options of {@linkcode CountProgress}. */
export interface CountProgressOptions {
  /** Default: `Deno.jupyter.broadcast` when running in the Jupyter kernel, else nothing is sent. */
  send?: SendMessage | null;
  /** At most one update per this many milliseconds (default 500; the last item of a phase always). */
  minIntervalMs?: number;
  /** Clock in milliseconds (default `performance.now`), for tests. */
  now?: () => number;
}

/** One line of a {@linkcode CountProgress} bar: phase, items done, speed, ETA (or the time a finished phase took). */
export function countText(phase: string, done: number, total: number, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const pct = total > 0 ? Math.round((100 * done) / total) : 100;
  const tail = done >= total
    ? `took ${shortDuration(elapsedSeconds)}`
    : `ETA ${rate > 0 ? shortDuration((total - done) / rate) : "?"}`;
  return `${phase}: ${done}/${total}  |  ${pct}%  |  ${rate.toFixed(1)}/s  |  ${tail}`;
}

/**
 * An in-place bar for long jobs counted in items, such as decoding a test split: one bar per phase (`greedy`,
 * `beam`, ...), each updated in place with the items done, the speed and the ETA, green once the phase is done.
 * Its {@linkcode update} fits `evaluateExamples`' `onProgress` (lib/eval/evaluate.ts). Outside Jupyter it sends
 * nothing.
 *
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { CountProgress } from "./progress.ts";
 * const sent: { type: string; content: Record<string, unknown> }[] = [];
 * let t = 0;
 * const bar = new CountProgress({ send: (type, content) => (sent.push({ type, content }), Promise.resolve()),
 *   minIntervalMs: 0, now: () => t });
 * await bar.update("beam", 0, 40); // a new phase: a new bar
 * t = 2000;
 * await bar.update("beam", 10, 40); // 10 items in 2 s: 5/s, 30 left: 6 s
 * assertEquals(sent.map((m) => m.type), ["display_data", "update_display_data"]);
 * const text = String((sent[1].content.data as Record<string, string>)["text/plain"]);
 * assertEquals(text, "beam: 10/40  |  25%  |  5.0/s  |  ETA 6s");
 * assertStringIncludes(String((sent[1].content.data as Record<string, string>)["text/html"]), "width:25.0%");
 * ```
 */
export class CountProgress {
  private readonly send: SendMessage | null;
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  private phase = "";
  private id = "";
  private t0 = 0;
  private lastSent = -Infinity;

  constructor(opts: CountProgressOptions = {}) {
    this.send = opts.send === undefined ? defaultSend() : opts.send;
    this.now = opts.now ?? (() => performance.now());
    this.minIntervalMs = opts.minIntervalMs ?? 500;
  }

  /** Whether messages go anywhere (false outside the Jupyter kernel). */
  get active(): boolean {
    return this.send !== null;
  }

  /** `done` of `total` items of `phase`; a phase not seen before starts a new bar. */
  async update(phase: string, done: number, total: number): Promise<void> {
    if (!this.send) return;
    let type: "display_data" | "update_display_data" = "update_display_data";
    if (phase !== this.phase) {
      this.phase = phase;
      this.id = `seq2seq-count-${crypto.randomUUID()}`;
      this.t0 = this.now();
      type = "display_data";
    } else if (this.now() - this.lastSent < this.minIntervalMs && done < total) return;
    this.lastSent = this.now();
    const text = countText(phase, done, total, (this.now() - this.t0) / 1000);
    const html = barHtml(total > 0 ? Math.min(done, total) / total : 1, done >= total, text);
    await this.send(type, {
      data: { "text/html": html, "text/plain": text },
      metadata: {},
      transient: { display_id: this.id },
    });
  }
}
