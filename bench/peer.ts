/**
 * The PyTorch peer: runs bench/torch_peer.py (the same model written in PyTorch) as a child process and returns
 * its best figure, or why it was skipped. Used by bench/train_step.ts and bench/decode.ts to print a ratio
 * against PyTorch measured in the same run.
 *
 * PyTorch's speed on two cores depends on how its two thread pools share them: its own (OpenMP, intra-op) and
 * OpenBLAS's (matmuls). Measured here (Debian python3-torch 1.13.1, 2 cores) the best setting differs by task:
 * training was fastest with 2 torch threads and 1 OpenBLAS thread (2.3 s per paper step against 2.9-4.0 s for the
 * other settings), greedy decoding with 1 torch thread and 2 OpenBLAS threads (167 summaries/s against 64-141).
 * So the peer is run under each setting in {@linkcode PEER_SETTINGS} and its best figure is the one compared:
 * the comparison is against PyTorch at its best on this machine, not at its defaults.
 *
 * The interpreter: `SEQ2SEQ_PYTHON` if set, else `/usr/bin/python3` (where Debian's python3-torch installs), else
 * `python3` on PATH.
 *
 * @module
 */
import { envVar } from "../lib/util/env.ts";

/** One thread setting of the peer: PyTorch's intra-op threads and OpenBLAS's threads. */
export interface PeerSetting {
  torchThreads: number;
  blasThreads: number;
}

/** The settings tried; the best result is reported (see the module documentation). */
export const PEER_SETTINGS: readonly PeerSetting[] = [
  { torchThreads: 2, blasThreads: 1 },
  { torchThreads: 1, blasThreads: 2 },
];

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
      env: { OPENBLAS_NUM_THREADS: String(s.blasThreads), OMP_NUM_THREADS: String(s.torchThreads) },
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
  settings: readonly PeerSetting[] = PEER_SETTINGS,
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
