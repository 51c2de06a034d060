/**
 * The JSON API's limits and request checks, apart from the server so that each rule reads (and is tested) on
 * its own. Every refusal is an {@linkcode ApiError}: an HTTP status and one sentence, sent as
 * `{"error": "...", "status": N}`.
 *
 * | refusal                                   | status |
 * | ----------------------------------------- | ------ |
 * | malformed JSON, missing or bad fields     | 400    |
 * | a run id that is not a finished run       | 404    |
 * | body, texts per request, characters/text  | 413    |
 * | a content type other than JSON            | 415    |
 * | too many requests waiting                 | 429    |
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { ApiError, DEFAULT_LIMITS, parseSummarizeBody, checkRunId } from "./api.ts";
 * assertEquals(parseSummarizeBody('{"texts": ["the ice melts"]}', DEFAULT_LIMITS), { texts: ["the ice melts"], beam: false });
 * const e = assertThrows(() => parseSummarizeBody('{"texts": [1]}', DEFAULT_LIMITS), ApiError);
 * assertEquals([e.status, e.message], [400, "texts[0] is a number, not a string"]);
 * assertEquals(assertThrows(() => checkRunId("../etc"), ApiError).status, 404);
 * ```
 * @module
 */

/** A refused request: its HTTP status and the one-sentence reason the client gets. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** The server's limits. */
export interface Limits {
  /** Largest request body, in bytes (413). */
  maxBodyBytes: number;
  /** Most texts in one request (413). */
  maxTexts: number;
  /** Most characters in one text (413). */
  maxChars: number;
  /** Most requests waiting for the decoder (429). */
  maxQueued: number;
}

/** The limits `deno task serve` uses unless told otherwise. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBodyBytes: 1 << 20,
  maxTexts: 64,
  maxChars: 5000,
  maxQueued: 256,
};

/** A checked `POST /api/summarize` body. */
export interface SummarizeRequest {
  texts: string[];
  beam: boolean;
  /** A run id (absent: the server's default run). */
  run?: string;
}

const describe = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`);

/** Check the content type of a JSON request (415 otherwise). */
export function checkJsonContentType(contentType: string | null): void {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new ApiError(
      415,
      `the body must be JSON sent as Content-Type: application/json (got ${
        contentType ? `"${contentType}"` : "none"
      })`,
    );
  }
}

/** Parse and check a `POST /api/summarize` body (`{"texts": [...], "beam": false, "run": "ID"}`). */
export function parseSummarizeBody(body: string, limits: Limits): SummarizeRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new ApiError(400, `the body is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ApiError(400, `the body must be a JSON object like {"texts": ["..."]}, not ${describe(json)}`);
  }
  const o = json as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !["texts", "beam", "run"].includes(k));
  if (unknown.length > 0) {
    throw new ApiError(400, `unknown field(s) ${unknown.join(", ")}: expected texts, beam, run`);
  }
  if (!Array.isArray(o.texts)) {
    throw new ApiError(
      400,
      `"texts" must be an array of strings (got ${o.texts === undefined ? "none" : describe(o.texts)})`,
    );
  }
  if (o.texts.length === 0) throw new ApiError(400, `"texts" is empty: give at least one text`);
  if (o.texts.length > limits.maxTexts) {
    throw new ApiError(413, `${o.texts.length} texts in one request: the limit is ${limits.maxTexts}`);
  }
  o.texts.forEach((t, i) => {
    if (typeof t !== "string") throw new ApiError(400, `texts[${i}] is ${describe(t)}, not a string`);
    if (t.length > limits.maxChars) {
      throw new ApiError(413, `texts[${i}] has ${t.length} characters: the limit is ${limits.maxChars}`);
    }
  });
  if (o.beam !== undefined && typeof o.beam !== "boolean") {
    throw new ApiError(400, `"beam" must be true or false (got ${describe(o.beam)})`);
  }
  if (o.run !== undefined && typeof o.run !== "string") {
    throw new ApiError(400, `"run" must be a run id string (got ${describe(o.run)})`);
  }
  return {
    texts: o.texts as string[],
    beam: o.beam === true,
    ...(o.run !== undefined ? { run: o.run as string } : {}),
  };
}

/** A run id names one folder of the results folder: letters, digits, `.`, `_`, `-`; no `/`, no `..`. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Whether `id` can name a run: a folder directly inside the results folder, by a name the API accepts. */
export function isRunId(id: string): boolean {
  return RUN_ID.test(id) && !id.includes("..");
}

/**
 * A client's run id for messages and log lines: JSON-quoted (a line break or quote in it stays inside the
 * quotes) and cut to its first 100 characters.
 */
export function quoteRunId(id: string): string {
  return id.length > 100
    ? `${JSON.stringify(id.slice(0, 100))}... (${id.length} characters)`
    : JSON.stringify(id);
}

/** Refuse (404) a run id that could name anything but a folder directly inside the results folder. */
export function checkRunId(id: string): void {
  if (!isRunId(id)) {
    throw new ApiError(404, `unknown run ${quoteRunId(id)}: a run id names a folder of the results folder`);
  }
}

/**
 * Read a request body of at most `maxBytes` bytes (413 beyond, checked on `Content-Length` first and then while
 * reading, so a body without a length cannot exceed it either).
 */
export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const tooLarge = (n: string) => new ApiError(413, `the body has ${n} bytes: the limit is ${maxBytes}`);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(String(declared));
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`more than ${maxBytes}`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new ApiError(400, "the body is not valid UTF-8");
  }
}
