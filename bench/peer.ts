/**
 * The PyTorch peer: runs bench/torch_peer.py (the same model written in PyTorch) as a child process, and pairs its
 * figures with ours so that a ratio survives a noisy, shared machine.
 *
 * **PyTorch at its best.** On two cores PyTorch's speed depends on settings a PyTorch user tunes, not on the
 * model, so the peer is run under each of {@linkcode peerSettings} and compared at the best one:
 * - its intra-op threads (OpenMP) and OpenBLAS's threads, which share the same two cores;
 * - `OMP_WAIT_POLICY`: libgomp's idle threads spin by default, on the cores OpenBLAS needs; `PASSIVE` makes them
 *   sleep. Measured here (2026-12-03, Debian python3-torch 1.13.1, tcmalloc): 2 torch + 2 OpenBLAS threads took
 *   2.02 s per paper step by default and 0.71 s with `PASSIVE`;
 * - the memory allocator: PyTorch frees every intermediate tensor and glibc returns blocks above 32 MB to the
 *   system, so each (60, 20, 10000) logits tensor is fresh pages, faulted in one by one. PyTorch's own
 *   performance guide recommends tcmalloc or jemalloc; with tcmalloc (`LD_PRELOAD`, Debian's
 *   libtcmalloc-minimal4) `x + x` over 15 M floats took 1.8 ms instead of 132 ms here, and the paper step
 *   0.71 s instead of 1.73 s. Where tcmalloc is installed the scan includes it ({@linkcode TCMALLOC_CANDIDATES}).
 *
 * **Pairs.** {@linkcode abPairs} alternates ours and theirs (ours first in odd pairs, theirs first in even ones),
 * takes each pair's ratio and reports their median with the load average around each pair: a ratio from one run
 * of each, minutes apart, is at the mercy of whatever else the machine does.
 *
 * The interpreter: `SEQ2SEQ_PYTHON` if set, else `/usr/bin/python3` (where Debian's python3-torch installs), else
 * `python3` on PATH.
 *
 * @module
 */
import { envVar } from "../lib/util/env.ts";

/** One setting of the peer: PyTorch's intra-op threads, OpenBLAS's threads, libgomp's wait policy, allocator. */
export interface PeerSetting {
  torchThreads: number;
  blasThreads: number;
  /** `OMP_WAIT_POLICY`: `PASSIVE`, or unset (libgomp's default: idle threads spin for a while). */
  waitPolicy: "PASSIVE" | "default";
  /** A preloaded allocator library (tcmalloc), or glibc's malloc. */
  allocator: "glibc" | string;
}

/** Where tcmalloc may be (Debian/Ubuntu's libtcmalloc-minimal4, then the full gperftools library). */
export const TCMALLOC_CANDIDATES: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
  "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
  "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4",
];

/** The thread settings tried (with each allocator): the ones that won for some task here, with both wait policies. */
export const THREAD_SETTINGS: readonly Omit<PeerSetting, "allocator">[] = [
  { torchThreads: 2, blasThreads: 2, waitPolicy: "PASSIVE" },
  { torchThreads: 2, blasThreads: 1, waitPolicy: "PASSIVE" },
  { torchThreads: 2, blasThreads: 1, waitPolicy: "default" },
  { torchThreads: 1, blasThreads: 2, waitPolicy: "default" },
];

/** The first tcmalloc library found, or undefined. */
export function findTcmalloc(candidates: readonly string[] = TCMALLOC_CANDIDATES): string | undefined {
  return candidates.find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
}

/** Every setting scanned: {@linkcode THREAD_SETTINGS} with tcmalloc (where installed) and with glibc. */
export function peerSettings(tcmalloc = findTcmalloc()): PeerSetting[] {
  const allocators = tcmalloc ? [tcmalloc, "glibc"] : ["glibc"];
  return allocators.flatMap((allocator) => THREAD_SETTINGS.map((t) => ({ ...t, allocator })));
}

/** A setting in words, e.g. "torch 2 threads, OpenBLAS 2, OMP_WAIT_POLICY=PASSIVE, tcmalloc". */
export function describeSetting(s: PeerSetting): string {
  const alloc = s.allocator === "glibc"
    ? "glibc malloc"
    : s.allocator.includes("tcmalloc")
    ? "tcmalloc"
    : s.allocator;
  const wait = s.waitPolicy === "PASSIVE" ? "OMP_WAIT_POLICY=PASSIVE" : "OMP_WAIT_POLICY unset";
  return `torch ${s.torchThreads} threads, OpenBLAS ${s.blasThreads}, ${wait}, ${alloc}`;
}

/** The child's environment for a setting. */
export function settingEnv(s: PeerSetting): Record<string, string> {
  const env: Record<string, string> = {
    OPENBLAS_NUM_THREADS: String(s.blasThreads),
    OMP_NUM_THREADS: String(s.torchThreads),
  };
  if (s.waitPolicy === "PASSIVE") env.OMP_WAIT_POLICY = "PASSIVE";
  if (s.allocator !== "glibc") env.LD_PRELOAD = s.allocator;
  return env;
}

/** What the peer printed (one JSON line), with the setting it ran under. */
export interface PeerRow {
  mode: "train" | "decode";
  ms_per_step?: number;
  summaries_per_s?: number;
  torch?: string;
  setting: PeerSetting;
  [key: string]: unknown;
}

/** The best row over the settings, every row, or why the peer did not run. */
export type PeerResult =
  | { ok: true; best: PeerRow; all: PeerRow[]; python: string }
  | { ok: false; skipped: string };

const SCRIPT = new URL("./torch_peer.py", import.meta.url).pathname;

/** Interpreters tried in order. */
function pythonCandidates(): string[] {
  const explicit = envVar("SEQ2SEQ_PYTHON");
  return explicit ? [explicit] : ["/usr/bin/python3", "python3"];
}

async function runOnce(
  python: string,
  mode: "train" | "decode",
  args: string[],
  s: PeerSetting,
): Promise<{ row?: PeerRow; code: number; err: string }> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: [SCRIPT, mode, `--threads=${s.torchThreads}`, ...args],
      env: settingEnv(s),
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return { code: -1, err: e instanceof Error ? e.message : String(e) };
  }
  const stdout = new TextDecoder().decode(out.stdout);
  const line = stdout.split("\n").reverse().find((l) => l.startsWith('{"bench": "torch_peer"'));
  const parsed = line ? JSON.parse(line) : undefined;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-2).join(" | ");
  if (!out.success || !parsed || parsed.skipped) {
    return { code: out.code, err: parsed?.skipped ?? (err || `exit code ${out.code}`) };
  }
  return { row: { ...parsed, setting: s }, code: 0, err: "" };
}

/**
 * Run the PyTorch peer in `mode` with `args` (torch_peer.py options) under every setting; the best is the fastest
 * (lowest ms per step, highest summaries per second). Never throws: a missing PyTorch gives `ok: false`.
 */
export async function runTorchPeer(
  mode: "train" | "decode",
  args: string[],
  settings: readonly PeerSetting[] = peerSettings(),
): Promise<PeerResult> {
  const reasons: string[] = [];
  for (const python of pythonCandidates()) {
    const all: PeerRow[] = [];
    for (const s of settings) {
      const r = await runOnce(python, mode, args, s);
      if (!r.row) {
        reasons.push(`${python}: ${r.err}`);
        break;
      }
      all.push(r.row);
    }
    if (all.length === settings.length) {
      const score = (r: PeerRow) =>
        mode === "train" ? -(r.ms_per_step ?? Infinity) : (r.summaries_per_s ?? 0);
      const best = all.reduce((a, b) => (score(b) > score(a) ? b : a));
      return { ok: true, best, all, python };
    }
  }
  return {
    ok: false,
    skipped: `PyTorch peer not run (${reasons.join("; ")}); install Debian's python3-torch to compare`,
  };
}

/**
 * Run the peer once more under `setting` (the best of a {@linkcode runTorchPeer} scan, with the interpreter that
 * scan found), for the pairs of {@linkcode abPairs}. Throws with the peer's own reason when it fails.
 */
export async function runTorchPeerAt(
  python: string,
  mode: "train" | "decode",
  args: string[],
  setting: PeerSetting,
): Promise<PeerRow> {
  const r = await runOnce(python, mode, args, setting);
  if (!r.row) throw new Error(`PyTorch peer failed under ${describeSetting(setting)}: ${r.err}`);
  return r.row;
}

/** The 1-minute load average, or NaN where /proc is not readable. */
export function loadAvg(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** One A/B pair: our figure, theirs, `ratio` (above 1: ours is the faster), who ran first, load before/after. */
export interface PairRow {
  ours: number;
  theirs: number;
  ratio: number;
  first: "ours" | "theirs";
  load: [number, number];
}

/** Every pair and the medians over pairs. */
export interface PairSummary {
  pairs: PairRow[];
  medianRatio: number;
  medianOurs: number;
  medianTheirs: number;
}

/** The median of a non-empty list (the mean of the middle two for an even length). */
export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * `n` A/B pairs of `ours()` and `theirs()` (each returns one figure), alternating who runs first (ours in pairs
 * 1, 3, ...; theirs in 2, 4, ...) so that a trend in the machine's load does not favour one side. `ratio(ours,
 * theirs)` is the pair's ratio, written so that above 1 means ours is the faster (theirs / ours for times, ours /
 * theirs for rates).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { abPairs } from "./peer.ts";
 * const order: string[] = [];
 * const r = await abPairs(
 *   3,
 *   () => (order.push("A"), Promise.resolve(100)), // our ms per step
 *   () => (order.push("B"), Promise.resolve(150)), // theirs
 *   (ours, theirs) => theirs / ours,
 * );
 * assertEquals(order.join(""), "ABBAAB");
 * assertEquals(r.medianRatio, 1.5);
 * ```
 */
export async function abPairs(
  n: number,
  ours: () => Promise<number>,
  theirs: () => Promise<number>,
  ratio: (ours: number, theirs: number) => number,
): Promise<PairSummary> {
  const pairs: PairRow[] = [];
  for (let i = 0; i < n; i++) {
    const first = i % 2 === 0 ? "ours" : "theirs";
    const load0 = loadAvg();
    let a: number, b: number;
    if (first === "ours") {
      a = await ours();
      b = await theirs();
    } else {
      b = await theirs();
      a = await ours();
    }
    pairs.push({ ours: a, theirs: b, ratio: ratio(a, b), first, load: [load0, loadAvg()] });
  }
  return {
    pairs,
    medianRatio: median(pairs.map((p) => p.ratio)),
    medianOurs: median(pairs.map((p) => p.ours)),
    medianTheirs: median(pairs.map((p) => p.theirs)),
  };
}
