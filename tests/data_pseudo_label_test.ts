import { assertEquals, assertThrows } from "@std/assert";
import { pseudoSummary, scoreSentences } from "../lib/data/pseudo_label.ts";

// Hand-worked: counts over the whole snippet: the 3, ice 2, melts 2, fast 1, in 1, arctic 1, ok 1.
// Scores: "the ice melts." 3+2+2 = 7; "the ice melts fast in the arctic." 3+2+2+1+1+3+1 = 13; "ok." 1.
Deno.test("pseudoSummary() keeps the sentence with the highest sum of word counts", () => {
  const text = "the ice melts. the ice melts fast in the arctic. ok.";
  assertEquals(scoreSentences(text).map((s) => s.score), [7, 13, 1]);
  assertEquals(pseudoSummary(text), "the ice melts fast in the arctic.");
});

// Counts: aa 2, bb 2, cc 1, dd 1, ee 1. Scores: "aa." 2, "cc dd ee." 3, "aa bb." 4, "bb." 2.
// n = 2 keeps "aa bb." then "cc dd ee." in ranked order; n = 3 adds the earlier of the tied "aa." and "bb.".
// (Multi-letter words: a single letter with a period is an initial, which does not end a sentence.)
Deno.test("pseudoSummary() keeps the top n in ranked order, ties to the earlier sentence", () => {
  const text = "aa. cc dd ee. aa bb. bb.";
  assertEquals(scoreSentences(text).map((s) => s.score), [2, 3, 4, 2]);
  assertEquals(pseudoSummary(text, 1), "aa bb.");
  assertEquals(pseudoSummary(text, 2), "aa bb. cc dd ee.");
  assertEquals(pseudoSummary(text, 3), "aa bb. cc dd ee. aa.");
});

// Counts: xx 3, yy 1, zz 1, qq 1. Scores: "xx yy." 4, "xx xx zz." 7, "qq." 1.
Deno.test("pseudoSummary() returns sentences best first, not in text order", () => {
  assertEquals(pseudoSummary("xx yy. xx xx zz. qq.", 2), "xx xx zz. xx yy.");
});

Deno.test("pseudoSummary() returns the whole text when it has no more than n sentences", () => {
  assertEquals(pseudoSummary("one sentence only"), "one sentence only");
  assertEquals(pseudoSummary(" two. sentences. ", 2), "two. sentences.");
  assertEquals(pseudoSummary(""), "");
});

// Words are counted as the model sees them: "u.s." and "us" are the same word, "2.5" is "2" and "5".
// Counts: us 2, warmed 1, 2 1, 5 1, it 1, hit 1. Scores: "the u.s. warmed 2.5." -> the 1 + us 2 + 1+1+1 = 6;
// "it hit us." -> 1 + 1 + 2 = 4.
Deno.test("pseudoSummary() scores the words of toWords(): abbreviations and decimals", () => {
  const text = "the u.s. warmed 2.5. it hit us.";
  assertEquals(scoreSentences(text).map((s) => s.score), [6, 4]);
  assertEquals(pseudoSummary(text), "the u.s. warmed 2.5.");
});

Deno.test("pseudoSummary() rejects n < 1", () => {
  assertThrows(() => pseudoSummary("a. b.", 0), RangeError, "nSentences");
});
