// The synthetic batch of bench/train_step.ts and bench/profile.ts: drawn with each profile's real padding shares,
// because the training loss computes logits at real target positions only (a batch with too much padding would
// time a step lighter than a real one). bench/torch_peer.py draws its batch the same way.
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import {
  caseConfig,
  PADDING_SHARES,
  paddingShares,
  peerPaddingArgs,
  shortestRow,
  syntheticData,
  zeroShare,
} from "../bench/train_step.ts";
import { hasTorch, torchPeerTrain } from "./fixtures/torch_peer.ts";

Deno.test("syntheticData() pads inputs and targets as each profile's real training split does", () => {
  for (const profile of ["paper", "envnews", "default"]) {
    const cfg = caseConfig(profile);
    const shares = paddingShares(profile);
    const d = syntheticData(3000, cfg.maxInputLen, cfg.maxOutputLen, cfg.vocabSize, 7, shares);
    // uniform lengths in [shortestRow, len]: the mean is exact up to the rounding of the shortest row (half a
    // position: 0.025 of a 20-long row) and the sampling noise of 3,000 rows (under 0.003)
    const tol = (len: number) => 0.5 / len + 0.01;
    assertAlmostEquals(zeroShare(d.decOut), shares.target, tol(cfg.maxOutputLen), profile);
    assertAlmostEquals(zeroShare(d.encIn), shares.input, tol(cfg.maxInputLen), profile);
  }
  // envnews's targets are mostly padding, paper's hardly: the difference the benchmark now times
  assert(PADDING_SHARES.envnews.target > 0.4 && PADDING_SHARES.paper.target < 0.1);
});

Deno.test("syntheticData() gives a row of k words k real target positions, the last one eostok (id 3)", () => {
  const d = syntheticData(50, 10, 8, 100, 3, { input: 0.3, target: 0.3 });
  for (let r = 0; r < d.n; r++) {
    const words = d.decIn.subarray(r * 8, r * 8 + 8).filter((x) => x !== 0).length;
    const out = d.decOut.subarray(r * 8, r * 8 + 8);
    assertEquals(out.filter((x) => x !== 0).length, words);
    assertEquals(out[words - 1], 3);
    assert(words >= shortestRow(8, 0.3));
  }
});

Deno.test("the PyTorch peer gets the same shortest rows: --tin_min and --tout_min from shortestRow()", () => {
  assertEquals(peerPaddingArgs(caseConfig("paper"), paddingShares("paper")), [
    "--tin_min=32",
    "--tout_min=17",
  ]);
  assertEquals(peerPaddingArgs(caseConfig("envnews"), paddingShares("envnews+copy")), [
    "--tin_min=25",
    "--tout_min=7",
  ]);
  assertEquals(paddingShares("tiny"), PADDING_SHARES.default);
});

Deno.test({
  name:
    "bench/torch_peer.py draws its batch with the same padding shares as ours (needs Debian's python3-torch)",
  ignore: !hasTorch,
  fn: async () => {
    const cfg = caseConfig("envnews");
    const shares = paddingShares("envnews");
    const row = await torchPeerTrain([
      "--batch=2000",
      "--vocab=50",
      "--emb=4",
      "--units=4",
      "--att=4",
      "--layers=1",
      `--tin=${cfg.maxInputLen}`,
      `--tout=${cfg.maxOutputLen}`,
      ...peerPaddingArgs(cfg, shares),
    ]) as { padding: { target: number; input: number } };
    const ours = syntheticData(2000, cfg.maxInputLen, cfg.maxOutputLen, 50, 1, shares);
    assertAlmostEquals(row.padding.target, zeroShare(ours.decOut), 0.02);
    assertAlmostEquals(row.padding.input, zeroShare(ours.encIn), 0.02);
  },
});
