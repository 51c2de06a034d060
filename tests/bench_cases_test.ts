// What bench/train_step.ts times for a case, and what it compares with PyTorch: a case is its profile as
// configured (envnews with its copy attention and bidirectional encoder), and the peer is only asked to time the
// same model: the same shapes and shared embedding, and no case whose model has parts the peer lacks.
import { assertEquals, assertThrows } from "@std/assert";
import { caseConfig, peerLacks, peerShapeArgs } from "../bench/train_step.ts";
import { expectedParamCounts } from "../lib/model/seq2seq.ts";
import { hasTorch, torchPeerTrain } from "./fixtures/torch_peer.ts";

Deno.test("caseConfig() keeps the profile's own options; +option switches one on, -option off", () => {
  const pick = (p: string) => {
    const c = caseConfig(p);
    return [c.copy, c.coverage, c.encoderBidirectional];
  };
  assertEquals(pick("envnews"), [true, false, true]);
  assertEquals(pick("envnews-copy"), [false, false, true]);
  assertEquals(pick("envnews+coverage"), [true, true, true]);
  assertEquals(pick("paper"), [false, false, false]);
  assertEquals(pick("paper+copy+coverage"), [true, true, false]);
  assertEquals(caseConfig("default").sharedEmbedding, true);
  assertEquals(caseConfig("paper", 120).batchSize, 120);
  assertEquals(caseConfig("envnews").batchSize, 64);
});

Deno.test("caseConfig() names an unknown option or profile", () => {
  assertThrows(() => caseConfig("paper+beam"), Error, 'profile "paper+beam": unknown option +beam');
  assertThrows(() => caseConfig("paper-"), Error, "unknown option -");
  assertThrows(() => caseConfig("nosuch"), Error, "nosuch");
});

Deno.test("peerLacks() keeps the cases the PyTorch peer cannot build out of the comparison", () => {
  assertEquals(peerLacks(caseConfig("paper")), []);
  assertEquals(peerLacks(caseConfig("default")), []); // its shared embedding is built by the peer too
  assertEquals(peerLacks(caseConfig("envnews")), ["copy attention", "bidirectional encoder"]);
  assertEquals(peerLacks(caseConfig("envnews-copy")), ["bidirectional encoder"]);
  assertEquals(peerLacks(caseConfig("paper+coverage")), ["coverage"]);
});

Deno.test("peerShapeArgs() passes the shapes and whether the embedding is shared", () => {
  assertEquals(peerShapeArgs(caseConfig("paper")), [
    "--vocab=10000",
    "--emb=100",
    "--units=256",
    "--att=256",
    "--layers=3",
    "--tin=50",
    "--tout=20",
    "--shared_emb=0",
  ]);
  assertEquals(peerShapeArgs(caseConfig("default")).at(-1), "--shared_emb=1");
});

Deno.test({
  name: "the PyTorch peer built from a case has our model's parameters, plus PyTorch's second LSTM bias " +
    "(needs Debian's python3-torch)",
  ignore: !hasTorch,
  fn: async () => {
    for (const profile of ["paper", "default"]) {
      const cfg = caseConfig(profile);
      const row = await torchPeerTrain(["--batch=2", ...peerShapeArgs(cfg)]) as {
        params: number;
        shapes: { shared_emb: boolean };
      };
      const ours = Object.values(expectedParamCounts(cfg)).reduce((s, n) => s + n, 0);
      // nn.LSTM keeps two bias vectors (b_ih and b_hh) where Keras keeps one: 4 x units more per LSTM
      const lstms = cfg.encoderLayers + 1;
      assertEquals(row.params, ours + lstms * 4 * cfg.units, profile);
      assertEquals(row.shapes.shared_emb, cfg.sharedEmbedding, profile);
    }
  },
});
