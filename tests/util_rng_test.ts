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

Deno.test("randInt(), pick() and shuffleInPlace() are uniform and keep every element", () => {
  // seeded, so each bound below is a fixed check; 0.01 is about 4.6 standard deviations of a share of 40,000 draws
  const r = mulberry32(1);
  const ints = [0, 0, 0, 0], picks: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
  for (let i = 0; i < 40000; i++) {
    ints[randInt(r, 4)]++;
    picks[pick(r, ["a", "b", "c", "d"])]++;
  }
  for (const h of [...ints, ...Object.values(picks)]) assertAlmostEquals(h / 40000, 0.25, 0.01);
  // all 24 orders of 4 elements equally often (about 1,000 each of 24,000, sd 31); a Fisher-Yates that draws j
  // from the whole array instead of [0, i] is off by about 20% for some orders
  const orders = new Map<string, number>();
  for (let i = 0; i < 24000; i++) {
    const arr = shuffleInPlace(r, [1, 2, 3, 4]);
    orders.set(arr.join(""), (orders.get(arr.join("")) ?? 0) + 1);
  }
  assertEquals(orders.size, 24);
  for (const [order, n] of orders) assertAlmostEquals(n, 1000, 150, order);
  const arr = [1, 2, 3, 4, 5, 6, 7, 8];
  shuffleInPlace(r, arr);
  assertEquals([...arr].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
  assertThrows(() => pick(r, []), Error, "empty");
});
