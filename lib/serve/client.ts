/// <reference lib="dom" />
/**
 * The served page's script (bundled into `/app.js` by lib/serve/bundle.ts): lists the runs from `GET /api/runs`
 * and summarizes through `POST /api/summarize`; an API error is shown as its message.
 * @module
 */
import type { TextResult } from "./analysis.ts";
import type { RunEntry } from "./server.ts";
import { runLabel, setStatus, wirePage } from "./ui.ts";

async function main(): Promise<void> {
  const res = await fetch("api/runs");
  const list = await res.json() as { default: string | null; runs: RunEntry[] };
  wirePage({
    runs: list.runs.map((r) => ({ id: r.id, label: runLabel(r) })),
    selected: list.default ?? "",
    info: `${list.runs.length} finished run(s) in the results folder`,
    async summarize(text, beam, run) {
      const r = await fetch("api/summarize", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ texts: [text], beam, run }),
      });
      const body = await r.json();
      if (!r.ok) throw new Error(`${r.status}: ${body.error}`);
      return (body.results as TextResult[])[0];
    },
  });
}

main().catch((e) => setStatus(`cannot load the runs: ${e instanceof Error ? e.message : e}`, true));
