/**
 * Where the real corpus is, for tests, benchmarks and the data notebook's hint: `ENVNEWS_DIR` when it holds
 * `TelevisionNews/`, else `../shared/data/envnews` beside the project when that holds it, else `null`. It looks
 * outside the repository, so it lives here and not in `lib/` (which reads only what it is given).
 * @module
 */
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { CORPUS_SUBDIR, DATA_ENV_VAR } from "../lib/data/corpus.ts";
import { envVar } from "../lib/util/env.ts";

/** The real corpus folder (holding `TelevisionNews/`), or null when it is not found. */
export function findRealCorpus(): string | null {
  const candidates: string[] = [];
  const env = envVar(DATA_ENV_VAR);
  if (env) candidates.push(resolve(env));
  candidates.push(fileURLToPath(new URL("../../shared/data/envnews", import.meta.url)));
  for (const c of candidates) {
    try {
      if (Deno.statSync(`${c}/${CORPUS_SUBDIR}`).isDirectory) return c;
    } catch {
      // missing or unreadable: not found
    }
  }
  return null;
}
