import { assertEquals } from "@std/assert";
import { type CleaningCounts, cleanText, toWords, words } from "../lib/data/clean.ts";

Deno.test("cleanText() lower-cases, keeps only [a-z0-9. ] and collapses spaces", () => {
  assertEquals(
    cleanText('  The U.S. warmed 1.5°C —  "fast".\n\nNext? '),
    "the u.s. warmed 1.5 c fast . next",
  );
  assertEquals(cleanText("we've seen £2.5 billion, e.g. in cafe"), "we ve seen 2.5 billion e.g. in cafe");
  assertEquals(cleanText(">> climate -- change!"), "climate change");
  assertEquals(cleanText("?!,;"), "");
});

const zero = (): CleaningCounts => ({ foldedChars: 0, droppedOtherScriptChars: 0 });

Deno.test('cleanText() folds accents: "café" -> "cafe", "réchauffement" -> "rechauffement"', () => {
  assertEquals(cleanText("we've seen £2.5 billion, e.g. in café"), "we ve seen 2.5 billion e.g. in cafe");
  assertEquals(cleanText("Le réchauffement à Genève"), "le rechauffement a geneve");
  assertEquals(cleanText("ÉLAN Über São Paulo, Kraków"), "elan uber sao paulo krakow");
  // an accent written as a separate combining mark folds the same way
  assertEquals(cleanText("cafe\u0301 re\u0301chauffement"), "cafe rechauffement");
  // compatibility forms: ligatures, superscripts
  assertEquals(cleanText("ﬁnal 10 km²"), "final 10 km2");
});

Deno.test('cleanText() folds Latin letters NFKD leaves whole: "ß" -> "ss", "æ" -> "ae", "Ø" -> "o"', () => {
  assertEquals(cleanText("Straße"), "strasse");
  assertEquals(cleanText("Æsir encyclopædia Œuvre cœur"), "aesir encyclopaedia oeuvre coeur");
  assertEquals(cleanText("Øresund Łódź Đorđe Þór Ðóra"), "oresund lodz dorde thor dora");
});

Deno.test("cleanText() still drops letters of other scripts (Greek, Cyrillic, CJK)", () => {
  assertEquals(cleanText("Κλίμα climate климат 气候 change"), "climate change");
  assertEquals(cleanText("Москва"), "");
});

Deno.test("cleanText() counts the characters it folds and the other-script letters it drops", () => {
  const c = zero();
  assertEquals(cleanText("café Straße æ", c), "cafe strasse ae");
  assertEquals(c, { foldedChars: 3, droppedOtherScriptChars: 0 }); // é, ß, æ
  // counts add up over calls; a combining accent counts once with its letter
  assertEquals(cleanText("Κλίμα and Москва, re\u0301seau", c), "and reseau");
  assertEquals(c, { foldedChars: 4, droppedOtherScriptChars: 11 }); // κλίμα 5 + москва 6
  // punctuation and symbols are dropped but not counted; plain ASCII adds nothing
  const d = zero();
  assertEquals(cleanText('1.5°C — £2 "fast" -- The U.S.', d), "1.5 c 2 fast the u.s.");
  assertEquals(d, zero());
});

Deno.test("cleanText() leaves plain-ASCII text as it was (counter or not)", () => {
  const raw = "  The U.S. warmed 1.5 C -- fast.\n\nNext? we've seen 2.5 billion ";
  const c = zero();
  assertEquals(
    cleanText(raw, c),
    raw.toLowerCase().replace(/[^a-z0-9. ]+/g, " ").replace(/ {2,}/g, " ").trim(),
  );
  assertEquals(cleanText(raw), cleanText(raw, c));
  assertEquals(c, zero());
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
