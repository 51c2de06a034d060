import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { mulberry32, pick, randInt, shuffleInPlace } from "../lib/util/rng.ts";

// Reference values from an independent Python implementation of mulberry32 (explicit 32-bit masks).
Deno.test("mulberry32() matches an independent reference implementation", () => {
  const cases: [number, number[]][] = [
    [42, [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]],
    [0, [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]],
    [123456789, [0.2577907438389957, 0.9707721115555614, 0.7853280142880976]],
  ];
  for (const [seed, want] of cases) {
    const r = mulberry32(seed);
    for (const w of want) assertAlmostEquals(r(), w, 1e-15);
  }
});

Deno.test("mulberry32() is reproducible and stays in [0, 1)", () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  for (let i = 0; i < 10000; i++) {
    const x = a();
    assertEquals(x, b());
    if (!(x >= 0 && x < 1)) throw new Error(`out of range: ${x}`);
  }
});

Deno.test("randInt(), pick() and shuffleInPlace() are uniform-ish and keep every element", () => {
  const r = mulberry32(1);
  const hits = [0, 0, 0, 0];
  for (let i = 0; i < 40000; i++) hits[randInt(r, 4)]++;
  for (const h of hits) assertAlmostEquals(h / 40000, 0.25, 0.02);
  const arr = [1, 2, 3, 4, 5, 6, 7, 8];
  shuffleInPlace(r, arr);
  assertEquals([...arr].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
  assertEquals(["x"].includes(pick(r, ["x"])), true);
  assertThrows(() => pick(r, []), Error, "empty");
});
