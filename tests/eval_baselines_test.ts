import { assertEquals, assertThrows } from "@std/assert";
import type { Example } from "../lib/data/prep.ts";
import { cleanText, toWords } from "../lib/data/clean.ts";
import {
  BASELINE_NAMES,
  BASELINES,
  copyInput,
  firstSentence,
  labelRule,
  leadWords,
} from "../lib/eval/baselines.ts";

function example(snippet: string, target = ""): Example {
  const cleaned = cleanText(snippet);
  return { id: 1, station: "BBCNEWS", date: "2015-06-01", snippet, cleaned, input: toWords(cleaned), target };
}

// sentence scores (sum of snippet-wide word counts): "ok." 1; "the ice melts." 3+2+2 = 7;
// "the ice melts fast in the arctic." 3+2+2+1+1+3+1 = 13
const ICE = example("Ok. The ice melts. The ice melts fast in the Arctic.");

Deno.test("copyInput() returns the whole model input", () => {
  assertEquals(copyInput(ICE), "ok the ice melts the ice melts fast in the arctic");
});

Deno.test("leadWords() keeps the first k input words, all of them when k exceeds the length", () => {
  assertEquals(leadWords(ICE, 4), "ok the ice melts");
  assertEquals(leadWords(ICE, 100), ICE.input);
  assertThrows(() => leadWords(ICE, 0), Error, "k must be an integer >= 1");
});

Deno.test("firstSentence() is the first sentence of the cleaned snippet as words (periods removed)", () => {
  assertEquals(firstSentence(ICE), "ok");
  assertEquals(
    firstSentence(example("The U.S. warmed 1.5 degrees. It is rising.")),
    "the us warmed 1 5 degrees",
  );
  assertEquals(firstSentence(example("no period at all here")), "no period at all here");
});

Deno.test("labelRule() re-applies the pseudo-label rule: the best-scoring sentence(s), best first", () => {
  assertEquals(labelRule(ICE), "the ice melts fast in the arctic");
  assertEquals(labelRule(ICE, 2), "the ice melts fast in the arctic the ice melts");
  // no more sentences than asked for: the whole text
  assertEquals(labelRule(ICE, 3), ICE.input);
});

Deno.test("baselines of an empty snippet are empty strings", () => {
  const empty = example("   ");
  for (const name of BASELINE_NAMES) {
    assertEquals(BASELINES[name](empty, { leadWords: 5, labelSentences: 1 }), "", name);
  }
});

Deno.test("BASELINES maps the four report names to the functions with the config's settings", () => {
  assertEquals([...BASELINE_NAMES], ["copy_input", "lead_words", "first_sentence", "label_rule"]);
  const opts = { leadWords: 2, labelSentences: 2 };
  assertEquals(BASELINES.copy_input(ICE, opts), copyInput(ICE));
  assertEquals(BASELINES.lead_words(ICE, opts), "ok the");
  assertEquals(BASELINES.first_sentence(ICE, opts), "ok");
  assertEquals(BASELINES.label_rule(ICE, opts), "the ice melts fast in the arctic the ice melts");
});
