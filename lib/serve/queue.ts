/**
 * One decoder for many clients: requests wait in one queue and are decoded one job at a time; requests for the
 * same run and the same decoding (greedy, or beam search) that are waiting together (they arrived while the
 * previous decode ran, or within `windowMs` of the first one while several clients are active) are decoded as one
 * batch of up to `maxBatch` texts, so 64 clients cost little more than one. A lone client (the last decode served
 * one request) is not made to wait. A queue holding `maxQueued` requests refuses more
 * ({@linkcode QueueFullError}, HTTP 429).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DecodeQueue } from "./queue.ts";
 * const batches: string[][] = [];
 * const q = new DecodeQueue<string>({
 *   decode: (_run, texts) => { batches.push([...texts]); return Promise.resolve(texts.map((t) => t.toUpperCase())); },
 *   maxBatch: 8, windowMs: 5, maxQueued: 10,
 * });
 * const [a, b] = await Promise.all([q.submit("r", ["x"], false), q.submit("r", ["y", "z"], false)]);
 * assertEquals([a.results, b.results, batches], [["X"], ["Y", "Z"], [["x", "y", "z"]]]);
 * assertEquals(a.batchTexts, 3); // shared one decode of three texts
 * ```
 * @module
 */

/** The queue holds its maximum number of requests. */
export class QueueFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueueFullError";
  }
}

/** Options of {@linkcode DecodeQueue}. */
export interface DecodeQueueOptions<R> {
  /** Decode `texts` of run `run` (greedy, or beam search when `beam`), one result per text, in order. */
  decode: (run: string, texts: readonly string[], beam: boolean) => Promise<R[]>;
  /** Most texts in one decode, greedy or beam (a larger single request is decoded alone, whole). */
  maxBatch: number;
  /** How long an idle queue waits after a request for others to join its batch. */
  windowMs: number;
  /** Most requests waiting (not counting the batch being decoded). */
  maxQueued: number;
}

/** A request's results and the size of the decode it shared. */
export interface QueueResult<R> {
  results: R[];
  /** Texts decoded in the same decode as this request's (its own included). */
  batchTexts: number;
  /** Milliseconds spent waiting before its decode started. */
  waitMs: number;
}

interface Job<R> {
  run: string;
  texts: readonly string[];
  beam: boolean;
  queuedAt: number;
  resolve: (r: QueueResult<R>) => void;
  reject: (e: unknown) => void;
}

/** The queue described in the module documentation. */
export class DecodeQueue<R> {
  #jobs: Job<R>[] = [];
  #running = false;
  /** Requests the last decode served (the window is waited only after a shared decode). */
  #lastJobs = 2;
  #opts: DecodeQueueOptions<R>;
  /** Decodes run so far, and the texts they held. */
  decodes = 0;
  decodedTexts = 0;

  constructor(opts: DecodeQueueOptions<R>) {
    this.#opts = opts;
  }

  /** Requests waiting (not yet being decoded). */
  get queued(): number {
    return this.#jobs.length;
  }

  /** Queue a request; rejects with {@linkcode QueueFullError} at once when `maxQueued` requests wait. */
  submit(run: string, texts: readonly string[], beam: boolean): Promise<QueueResult<R>> {
    if (this.#jobs.length >= this.#opts.maxQueued) {
      return Promise.reject(
        new QueueFullError(
          `too many requests waiting (${this.#jobs.length}, the limit is ${this.#opts.maxQueued}): retry shortly`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#jobs.push({ run, texts, beam, queuedAt: performance.now(), resolve, reject });
      if (!this.#running) void this.#work();
    });
  }

  /**
   * The next decode's jobs: the first job and the waiting jobs of the same run and decoding (greedy, or beam
   * search) that fit in the batch: one decode serves them all (summarizeTexts batches beam searches too).
   */
  #take(): Job<R>[] {
    const first = this.#jobs.shift()!;
    const batch = [first];
    let n = first.texts.length;
    for (let i = 0; i < this.#jobs.length && n < this.#opts.maxBatch;) {
      const j = this.#jobs[i];
      if (j.beam === first.beam && j.run === first.run && n + j.texts.length <= this.#opts.maxBatch) {
        batch.push(j);
        n += j.texts.length;
        this.#jobs.splice(i, 1);
      } else i++;
    }
    return batch;
  }

  async #work(): Promise<void> {
    this.#running = true;
    try {
      while (this.#jobs.length > 0) {
        // yield to the event loop first, so that the requests that arrived meanwhile are read and queued (a decode
        // awaits only microtasks, during which no request is read); while several clients are active (the last
        // decode served more than one request) wait a moment longer for requests that arrive together, unless
        // the queue already holds a batch; a lone client never waits
        const waiting = this.#jobs.reduce((s, j) => s + j.texts.length, 0);
        const wait = this.#lastJobs > 1 && waiting < this.#opts.maxBatch ? this.#opts.windowMs : 0;
        await new Promise((r) => setTimeout(r, wait));
        const batch = this.#take();
        this.#lastJobs = batch.length;
        const texts = batch.flatMap((j) => j.texts);
        const start = performance.now();
        try {
          const results = await this.#opts.decode(batch[0].run, texts, batch[0].beam);
          this.decodes++;
          this.decodedTexts += texts.length;
          let at = 0;
          for (const j of batch) {
            j.resolve({
              results: results.slice(at, at + j.texts.length),
              batchTexts: texts.length,
              waitMs: start - j.queuedAt,
            });
            at += j.texts.length;
          }
        } catch (e) {
          for (const j of batch) j.reject(e);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
