import { assertEquals } from "@std/assert";
import { splitSentences } from "../lib/data/sentences.ts";

Deno.test("splitSentences() splits on periods and keeps them", () => {
  assertEquals(splitSentences("the ice melts. the sea rises. ok"), [
    "the ice melts.",
    "the sea rises.",
    "ok",
  ]);
  assertEquals(splitSentences(""), []);
  assertEquals(splitSentences("no period at all"), ["no period at all"]);
});

Deno.test("splitSentences() does not split after abbreviations", () => {
  assertEquals(splitSentences("the u.s. said no. dr. lee and mr. smith agreed."), [
    "the u.s. said no.",
    "dr. lee and mr. smith agreed.",
  ]);
  assertEquals(splitSentences("st. louis saw rain, snow, etc. and e.g. hail. then sun."), [
    "st. louis saw rain, snow, etc. and e.g. hail.",
    "then sun.",
  ]);
  assertEquals(splitSentences("at 5 p.m. george w. bush spoke. i.e. late."), [
    "at 5 p.m. george w. bush spoke.",
    "i.e. late.",
  ]);
});

Deno.test("splitSentences() keeps numbers whole: 2.5 degrees, 1.5 million, no. 1", () => {
  assertEquals(splitSentences("it warmed 2.5 degrees. we lost 1.5 million acres."), [
    "it warmed 2.5 degrees.",
    "we lost 1.5 million acres.",
  ]);
  assertEquals(splitSentences("it is no. 1 now. the answer is no. done"), [
    "it is no. 1 now.",
    "the answer is no.",
    "done",
  ]);
  assertEquals(splitSentences("the year was 2019. it was hot."), ["the year was 2019.", "it was hot."]);
});

Deno.test("splitSentences() treats ellipses and runs of periods as one boundary", () => {
  assertEquals(splitSentences("well... i think so.. maybe. yes"), [
    "well...",
    "i think so..",
    "maybe.",
    "yes",
  ]);
  assertEquals(splitSentences("stray . . periods here"), ["stray . .", "periods here"]);
  assertEquals(splitSentences(". leading period. b"), [". leading period.", "b"]);
});

Deno.test("splitSentences() handles raw text: ? ! quotes and irregular spaces", () => {
  assertEquals(splitSentences('He said "Stop." Then left!  Really?!\nOK'), [
    'He said "Stop."',
    "Then left!",
    "Really?!",
    "OK",
  ]);
  assertEquals(splitSentences("Dr. Lee met Sen. Reyes. They spoke."), [
    "Dr. Lee met Sen. Reyes.",
    "They spoke.",
  ]);
});

Deno.test("splitSentences() on cleaned text re-joins to the same text", () => {
  const t = "dr. lee said the u.s. warmed 1.5 degrees. it is rising... more at 5 p.m. today";
  assertEquals(splitSentences(t), [
    "dr. lee said the u.s. warmed 1.5 degrees.",
    "it is rising...",
    "more at 5 p.m. today",
  ]);
  assertEquals(splitSentences(t).join(" "), t);
});
