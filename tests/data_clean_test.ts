import { assertEquals } from "@std/assert";
import { cleanText, toWords, words } from "../lib/data/clean.ts";

Deno.test("cleanText() lower-cases, keeps only [a-z0-9. ] and collapses spaces", () => {
  assertEquals(
    cleanText('  The U.S. warmed 1.5°C —  "fast".\n\nNext? '),
    "the u.s. warmed 1.5 c fast . next",
  );
  assertEquals(cleanText("we've seen £2.5 billion, e.g. in café"), "we ve seen 2.5 billion e.g. in caf");
  assertEquals(cleanText(">> climate -- change!"), "climate change");
  assertEquals(cleanText("?!,;"), "");
});

Deno.test("toWords() joins letter abbreviations, splits decimals and drops other periods", () => {
  assertEquals(toWords("the u.s. warmed 1.5 c fast . next"), "the us warmed 1 5 c fast next");
  assertEquals(toWords("e.g. at 5 a.m. in d.c."), "eg at 5 am in dc");
  assertEquals(toWords("league.man on bbc.com. ok..."), "league man on bbc com ok");
  assertEquals(toWords("mr. obama said 2.5 not 25."), "mr obama said 2 5 not 25");
  assertEquals(toWords(". . ."), "");
});

Deno.test("words() splits normalised and irregular text alike", () => {
  assertEquals(words(""), []);
  assertEquals(words("   "), []);
  assertEquals(words("a b c"), ["a", "b", "c"]);
  assertEquals(words(" a\tb  c\n"), ["a", "b", "c"]);
});
