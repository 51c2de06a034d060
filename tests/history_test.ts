// `deno task history` (lib/commands/history.ts): a run's epochs as the README's tables print them, where training
// stands, and one clear line for a run folder that is missing or broken. Run folders are made by hand.
import { assertEquals, assertStringIncludes } from "@std/assert";
import { historyReport, historyTable, wallTime } from "../lib/commands/history.ts";
import { makeRun, withResults } from "./fixtures/run_folder.ts";
import { runDeno } from "./fixtures/child_stderr.ts";

const PREFIX = "history-";

const epoch = (e: number, valLoss: number, seconds: number) => ({
  epoch: e,
  loss: 2 / e,
  acc: 0.1 * e,
  valLoss,
  valAcc: 0.05 * e,
  valAcc1: 0.01 * e,
  valAccRest: 0.06 * e,
  seconds,
});

const historyCli = (...args: string[]) => runDeno("cli/history.ts", args);

Deno.test("wallTime() writes seconds, minutes and hours as the README does", () => {
  assertEquals([wallTime(42.4), wallTime(619), wallTime(3600), wallTime(4801), wallTime(59.6)], [
    "42 s",
    "10 min 19 s",
    "1 h 0 min",
    "1 h 20 min",
    "1 min 0 s",
  ]);
});

Deno.test("historyTable() marks the first epoch of the lowest validation loss as best, as early stopping keeps it", () => {
  const rows = historyTable([epoch(1, 3, 60), epoch(2, 2.5, 61), epoch(3, 2.5, 62), epoch(4, 2.7, 63)]).split(
    "\n",
  );
  assertEquals(rows.length, 6);
  assertEquals(rows.slice(2).map((r) => r.endsWith("| best |")), [false, true, false, false]);
  assertEquals(rows[3], "| 2 | 1.000 | 0.200 | 2.500 | 0.100 | 0.020 | 1 min 1 s | best |");
});

Deno.test("historyReport() says a run stopped early, with its best epoch and total wall time", async () => {
  await withResults(PREFIX, async (root) => {
    const history = [epoch(1, 3, 600), epoch(2, 2, 600), epoch(3, 2.1, 600), epoch(4, 2.2, 600)];
    await makeRun(root, "early", { config: { patience: 2, epochs: 40 }, history, stopped: "early_stopping" });
    const { info, text } = await historyReport({ run: "early", resultsDir: root });
    assertEquals(info.bestEpoch, 2);
    const [line, blank, ...table] = text.split("\n");
    assertEquals(
      line,
      "early (tiny): 4 of up to 40 epochs, best epoch 2 (val loss 2.0000); stopped early: 2 epochs without a " +
        "better val loss (patience 2); 40 min 0 s of epochs in all",
    );
    assertEquals(blank, "");
    assertEquals(table.length, 6);
  });
});

Deno.test("historyReport() tells how to go on with a run that has not ended, and reads one with no epoch", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "cut", {
      config: { patience: 2, epochs: 40 },
      history: [epoch(1, 3, 600)],
      stopped: "",
    });
    const cut = await historyReport({ run: "cut", resultsDir: root });
    assertStringIncludes(
      cut.text,
      "not ended (0 of 2 epochs without a better val loss; --resume cut goes on)",
    );
    await makeRun(root, "done", { config: { epochs: 1 }, history: [epoch(1, 3, 600)], stopped: "completed" });
    assertStringIncludes(
      (await historyReport({ run: "done", resultsDir: root })).text,
      "; all epochs trained;",
    );
    await makeRun(root, "new", { config: {} });
    const fresh = await historyReport({ run: "new", resultsDir: root });
    assertStringIncludes(fresh.text, "0 of up to");
    assertStringIncludes(fresh.text, "no epoch yet");
    assertEquals(fresh.text.split("\n").length, 4); // the line, a blank, the header and its rule
  });
});

Deno.test("deno task history prints the table, and one line naming the folder or file when it cannot", async () => {
  await withResults(PREFIX, async (root) => {
    await makeRun(root, "ok", { config: {}, history: [epoch(1, 3, 75)] });
    const ok = await historyCli("--run=ok", `--resultsDir=${root}`);
    assertEquals(ok.code, 0);
    assertStringIncludes(ok.stdout, "| 1 | 2.000 | 0.100 | 3.000 | 0.050 | 0.010 | 1 min 15 s | best |");

    const missing = await historyCli("--run=nope", `--resultsDir=${root}`);
    assertEquals([missing.code, missing.stderr.trim()], [1, `error: history: no run folder ${root}/nope`]);

    await Deno.mkdir(`${root}/notebooks`); // a folder of the results folder that is not a run
    const notRun = await historyCli("--run=notebooks", `--resultsDir=${root}`);
    assertEquals([notRun.code, notRun.stderr.trim()], [
      1,
      `error: history: ${root}/notebooks is not a run folder (no config.json)`,
    ]);

    await makeRun(root, "broken", { config: {}, history: "[{" });
    const broken = await historyCli("--run=broken", `--resultsDir=${root}`);
    assertEquals(broken.code, 1);
    assertEquals(broken.stderr.trim().split("\n").length, 1);
    assertStringIncludes(broken.stderr, `${root}/broken/history.json`);

    const help = await historyCli("--help");
    assertEquals(help.code, 0);
    assertStringIncludes(help.stdout, "usage: deno task history --run=ID");

    const noRun = await historyCli(`--resultsDir=${root}`);
    assertEquals([noRun.code, noRun.stderr.trim()], [1, "error: history: --run=ID is required; see --help"]);
  });
});
