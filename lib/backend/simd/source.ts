/**
 * The WebAssembly text of our SIMD kernels (lib/backend/simd/kernels.ts runs them). The module imports the tfjs
 * wasm backend's own memory (`env.memory`), so the kernels read and write tensors where they lie, through the byte
 * offsets tfjs keeps for them: no copies. Only the fixed-width SIMD proposal is used (no relaxed SIMD, no
 * threads), so results are the same on every machine with WebAssembly SIMD.
 *
 * Kernels (pointers are byte offsets into the heap, sizes are element counts, all float32):
 *
 * - `tanh(x, y, n)`: `y = tanh(x)`, the rational approximation Eigen uses for float32 (odd polynomial of degree 13
 *   over an even one of degree 6, input clamped to +-7.9053; max error a few ulp). Eigen returns x itself for
 *   |x| < 0.0004; the ratio is within 1.3e-7 of it there, so that select is left out. Clamping uses `pmin`/`pmax`
 *   (one instruction each; `min`/`max` with their NaN and signed-zero rules cost V8 about six). Measured on the
 *   2-core project machine: 1.40 ns per element before, 0.88 with pmin/pmax, 0.74 without the select too
 *   (XNNPACK's sigmoid: 1.25-1.33).
 * - `att_fwd(q, k, v, out, B, Td, Te, A)`: the additive attention scores
 *   `out[b,t,s] = sum_a v[a] tanh(q[b,t,a] + k[b,s,a])` (q `(B,Td,A)`, k `(B,Te,A)`, v `(A)`), without the
 *   `(B,Td,Te,A)` tensor the composed ops build.
 * - `att_bwd(g, q, k, v, dq, dk, dv, B, Td, Te, A)`: its gradients given `g = dL/dout`, accumulated into `dq`,
 *   `dk`, `dv` (the caller zeroes them). With `h = tanh(q + k)` and `d = g v (1 - h^2)`:
 *   `dq[b,t] += sum_s d`, `dk[b,s] += sum_t d`, `dv += sum g h`. A position with `g = 0` (a padded one after the
 *   softmax) is skipped.
 *
 * - `sum_rows(x, out, rows, cols)`: `out[c] = sum_r x[r, c]`, the sum over leading axes (tfjs's wasm `Sum` transposes
 *   the input first so that the reduced axes come last: 73 ms of the paper step went to the output bias's
 *   gradient, a (1200, 10000) column sum).
 * - `rmsprop(v, ms, mom, g, n, lr, decay, 1 - decay, momentum, eps)`: tfjs's RMSprop update of `n` numbers in place
 *   (lib/speed/fast_rmsprop.ts), in tfjs's order of float32 operations.
 * - `argmax_rows(x, rows, cols, idx, val)`: per row, the first index of the largest value and the value (one pass;
 *   `tf.argMax` and `tf.max` took two, of 9 ms each per 64 paper-sized summaries).
 * - `ce_forward(x, tgt, rows, cols, mx, sum, idx)` and `ce_backward(x, lse, w, rows, cols, out)`: the passes of the
 *   fused softmax cross-entropy (see `softmaxCrossEntropy` in ./ops.ts). Forward, per row of logits: the max `m`; at a
 *   real token (target not 0) `sum exp(x - m)` and the first column holding `m` (the arg-max); at padding only a NaN
 *   check. Backward: `out = w exp(x - lse)`, a row of zeros where `w` is 0. The exponential is Cephes' `expf`
 *   (polynomial of degree 5 after a range reduction; within 2e-7 of the float64 value, measured).
 * - `lstm_cell(...)`: one LSTM time step after its matrix products (see lstmCell in ./kernels.ts).
 * - `gemv_rows(a, b, c, K, N, beta)`: `c (1 x N) = a (1 x K) B (K x N)`, for batches of one-row products.
 * - `gemm_pack_b`, `gemm`: see {@linkcode gemmWat}.
 *
 * `A` must be a multiple of 4 (the caller falls back to composed ops otherwise).
 *
 * The binary is compiled from this text by `deno run -A tools/build_wasm.ts` into ./kernels_wasm.ts;
 * tests/backend_simd_test.ts checks that the two agree.
 *
 * @module
 */

const f4 = (x: number) => `(v128.const f32x4 ${x} ${x} ${x} ${x})`;

// Eigen's generic_fast_tanh_float coefficients
const ALPHA = [
  4.89352455891786e-03,
  6.37261928875436e-04,
  1.48572235717979e-05,
  5.12229709037114e-08,
  -8.60467152213735e-11,
  2.00018790482477e-13,
  -2.76076847742355e-16,
];
const BETA = [4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06];
const CLAMP = 7.90531110763549805;

type Madd = (a: string, b: string, c: string) => string;
const plainMadd: Madd = (a, b, c) => `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`;
const fusedMadd: Madd = (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})`;
/** `a * b + c` in the text being generated: fused (relaxed SIMD) in the `fma` build; set by {@linkcode kernelsWat}. */
let madd: Madd = plainMadd;

/** The constants of tanh, kept in locals set once per call ({@linkcode TANH_INIT}): V8 rebuilds a `v128.const`
 * from immediates at every use, which cost more than the arithmetic. */
const TANH_CONSTANTS: [string, number][] = [
  ...ALPHA.map((a, i) => [`$ta${i}`, a] as [string, number]),
  ...BETA.map((b, i) => [`$tb${i}`, b] as [string, number]),
  ["$tclo", -CLAMP],
  ["$tchi", CLAMP],
];

/**
 * WAT that sets local `$h${u}` to tanh of the v128 expression `x` (uses locals `$tx${u}`, `$tx2${u}`, `$tp${u}`,
 * `$tq${u}`; `u` tells apart the copies of an unrolled loop). Inlined at each use (a call per 4 lanes costs as much
 * as the arithmetic).
 */
function tanhInto(x: string, u = ""): string {
  const [tx, tx2, tp, tq] = [`$tx${u}`, `$tx2${u}`, `$tp${u}`, `$tq${u}`];
  const horner = (names: string[], acc: string) => {
    // names of the coefficients, highest first: ((c_n x2 + c_{n-1}) x2 + ...)
    let e = `(local.get ${names[0]})`;
    for (const c of names.slice(1)) e = madd(e, `(local.get ${tx2})`, `(local.get ${c})`);
    return `(local.set ${acc} ${e})`;
  };
  return `
    (local.set ${tx} ${x})
    (local.set ${tp} (f32x4.pmin (f32x4.pmax (local.get ${tx}) (local.get $tclo)) (local.get $tchi)))
    (local.set ${tx2} (f32x4.mul (local.get ${tp}) (local.get ${tp})))
    (local.set ${tq} (local.get ${tp}))
    ${horner(ALPHA.map((_, i) => `$ta${i}`).reverse(), tp)}
    (local.set ${tp} (f32x4.mul (local.get ${tp}) (local.get ${tq})))
    ${horner(BETA.map((_, i) => `$tb${i}`).reverse(), tq)}
    (local.set $h${u} (f32x4.div (local.get ${tp}) (local.get ${tq})))`;
}

/** Locals of {@linkcode tanhInto} for the unrolled copies `us`, and of its constants. */
function tanhLocals(us: string[] = [""]): string {
  return [
    ...us.map((u) =>
      `(local $tx${u} v128) (local $tx2${u} v128) (local $tp${u} v128) (local $tq${u} v128) (local $h${u} v128)`
    ),
    ...TANH_CONSTANTS.map(([n]) => `(local ${n} v128)`),
  ].join(" ");
}

/** Sets the constants' locals; at the start of every function that uses {@linkcode tanhInto}. */
const TANH_INIT = TANH_CONSTANTS.map(([n, v]) => `(local.set ${n} ${f4(v)})`).join("\n    ");

const TANH_LOCALS = tanhLocals();

// Cephes' expf: exp(x) = 2^n exp(r) with n = round(x log2(e)) and r = x - n ln 2 (ln 2 split in two so that n ln 2
// is exact), exp(r) a polynomial of degree 5 in r. n is rounded by adding 1.5 * 2^23 (its float then holds n in its
// low bits, from which 2^n's exponent is built): cheaper than f32x4.nearest and a conversion to integers.
const EXP_CONSTANTS: [string, number][] = [
  ["$elo", -87], // below: exp(x) < 1.7e-38, taken as 0 (2^n stays a normal float)
  ["$ehi", 88],
  ["$elog2e", 1.44269504088896341],
  ["$emagic", 12582912],
  ["$ec1", 0.693359375],
  ["$ec2", -2.12194440e-4],
  ["$ep0", 1.9875691500e-4],
  ["$ep1", 1.3981999507e-3],
  ["$ep2", 8.3334519073e-3],
  ["$ep3", 4.1665795894e-2],
  ["$ep4", 1.6666665459e-1],
  ["$ep5", 5.0000001201e-1],
  ["$eone", 1],
];

/**
 * WAT that sets local `$e${u}` to exp of the v128 expression `x` (uses locals `$ex${u}`, `$en${u}`, `$ez${u}`,
 * `$elt${u}`): 0 below -87, NaN for NaN. Inlined at each use, like {@linkcode tanhInto}, with its constants in locals
 * set once per call ({@linkcode EXP_INIT}).
 */
function expInto(x: string, u = ""): string {
  const [ex, en, ez, e, lt] = ["ex", "en", "ez", "e", "elt"].map((n) => `(local.get $${n}${u})`);
  let poly = "(local.get $ep0)";
  for (const c of ["$ep1", "$ep2", "$ep3", "$ep4", "$ep5"]) poly = madd(poly, ex, `(local.get ${c})`);
  return `
    (local.set $ex${u} ${x})
    (local.set $elt${u} (f32x4.lt ${ex} (local.get $elo)))
    (local.set $ex${u} (f32x4.pmin (f32x4.pmax ${ex} (local.get $elo)) (local.get $ehi)))
    (local.set $en${u} ${madd(ex, "(local.get $elog2e)", "(local.get $emagic)")})
    (local.set $ez${u} (f32x4.sub ${en} (local.get $emagic)))
    (local.set $ex${u} (f32x4.sub (f32x4.sub ${ex} (f32x4.mul ${ez} (local.get $ec1))) (f32x4.mul ${ez} (local.get $ec2))))
    (local.set $ez${u} (f32x4.mul ${ex} ${ex}))
    (local.set $e${u} ${poly})
    (local.set $e${u} (f32x4.add ${madd(e, ez, ex)} (local.get $eone)))
    (local.set $e${u} (v128.andnot (f32x4.mul ${e}
      (i32x4.shl (i32x4.add ${en} (local.get $ei127)) (i32.const 23))) ${lt}))`;
}

/** Locals of {@linkcode expInto} for the unrolled copies `us`, and of its constants. */
function expLocals(us: string[] = [""]): string {
  return [
    ...us.map((u) =>
      `(local $ex${u} v128) (local $en${u} v128) (local $ez${u} v128) (local $e${u} v128) (local $elt${u} v128)`
    ),
    ...EXP_CONSTANTS.map(([n]) => `(local ${n} v128)`),
    "(local $ei127 v128)",
  ].join(" ");
}

/** Sets the constants' locals; at the start of every function that uses {@linkcode expInto}. */
const EXP_INIT = [
  ...EXP_CONSTANTS.map(([n, v]) => `(local.set ${n} ${f4(v)})`),
  "(local.set $ei127 (v128.const i32x4 127 127 127 127))",
].join("\n    ");

/** `for (var = 0; var < limit; var += step) { body }` over i32 locals. */
function loop(v: string, limit: string, step: number, body: string): string {
  const id = v.slice(1);
  return `
    (local.set ${v} (i32.const 0))
    (block $exit_${id} (loop $next_${id}
      (br_if $exit_${id} (i32.ge_u (local.get ${v}) ${limit}))
      ${body}
      (local.set ${v} (i32.add (local.get ${v}) (i32.const ${step})))
      (br $next_${id})))`;
}

const get = (v: string) => `(local.get ${v})`;
const add = (...xs: string[]) => xs.reduce((a, b) => `(i32.add ${a} ${b})`);
const mul = (a: string, b: string) => `(i32.mul ${a} ${b})`;
const x4 = (a: string) => `(i32.shl ${a} (i32.const 2))`;
const hsum = (v: string) =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) ` +
  `(f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

/** Rows of A per micro-kernel call, and columns of B per packed panel (two v128). */
export const GEMM_MR = 6;
export const GEMM_NR = 8;

/** The micro-kernel's accumulators: `MR` rows x two v128 of C. */
const GEMM_ACCS = [...Array(GEMM_MR * 2).keys()].map((i) => `$c${i}`);
// store one row-half of the block: C[i + r, j + 4h .. +3] (= acc, or += acc when beta)
const storeFull = (r: number, h: number) => {
  const addr = `(i32.add (local.get $crow${r}) (i32.const ${16 * h}))`;
  return `(if (local.get $beta)
      (then (v128.store ${addr} (f32x4.add (v128.load ${addr}) (local.get $c${2 * r + h}))))
      (else (v128.store ${addr} (local.get $c${2 * r + h}))))`;
};
// a partial panel (N % NR columns): through the 32-byte scratch at $tmp, then one float at a time
const storePartial = (r: number) => `
      (v128.store (local.get $tmp) (local.get $c${2 * r}))
      (v128.store offset=16 (local.get $tmp) (local.get $c${2 * r + 1}))
      (local.set $x (i32.const 0))
      (block $pd${r} (loop $pl${r}
        (br_if $pd${r} (i32.ge_u (local.get $x) (local.get $nv)))
        (local.set $addr (i32.add (local.get $crow${r}) (i32.shl (local.get $x) (i32.const 2))))
        (f32.store (local.get $addr) (f32.add
          (f32.load (i32.add (local.get $tmp) (i32.shl (local.get $x) (i32.const 2))))
          (select (f32.load (local.get $addr)) (f32.const 0) (local.get $beta))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $pl${r})))`;
const gemmBlock = (rows: number) => `
    ;; ${rows} row(s) x one panel
    ${GEMM_ACCS.slice(0, 2 * rows).map((c) => `(local.set ${c} (v128.const f32x4 0 0 0 0))`).join("\n      ")}
    (local.set $pk (local.get $panel))
    ${[...Array(rows).keys()].map((r) => `(local.set $ap${r} (local.get $arow${r}))`).join("\n      ")}
    (local.set $k (local.get $K))
    (block $kd${rows} (loop $kl${rows}
      (br_if $kd${rows} (i32.eqz (local.get $k)))
      (local.set $b0 (v128.load (local.get $pk)))
      (local.set $b1 (v128.load offset=16 (local.get $pk)))
      ${
  [...Array(rows).keys()].map((r) => `
      (local.set $av (v128.load32_splat (local.get $ap${r})))
      (local.set $c${2 * r} ${madd("(local.get $av)", "(local.get $b0)", `(local.get $c${2 * r})`)})
      (local.set $c${2 * r + 1} ${madd("(local.get $av)", "(local.get $b1)", `(local.get $c${2 * r + 1})`)})
      (local.set $ap${r} (i32.add (local.get $ap${r}) (local.get $ksA)))`).join("")
}
      (local.set $pk (i32.add (local.get $pk) (i32.const ${4 * GEMM_NR})))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $kl${rows})))
    (if (i32.eq (local.get $nv) (i32.const ${GEMM_NR}))
      (then ${
  [...Array(rows).keys()].map((r) => `${storeFull(r, 0)} ${storeFull(r, 1)}`).join("\n          ")
})
      (else ${[...Array(rows).keys()].map((r) => storePartial(r)).join("\n")}))`;
const rowPtrs = (rows: number) =>
  [...Array(rows).keys()].map((r) =>
    `(local.set $arow${r} (i32.add (local.get $a) (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $rsA))))
    (local.set $crow${r} (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $ldc)) (local.get $j)) (i32.const 2))))`
  ).join("\n      ");
const panelLoop = (rows: number) => `
  (local.set $j (i32.const 0))
  (local.set $panel (local.get $pb))
  (block $jd${rows} (loop $jl${rows}
    (br_if $jd${rows} (i32.ge_u (local.get $j) (local.get $N)))
    (local.set $nv (i32.sub (local.get $N) (local.get $j)))
    (if (i32.gt_u (local.get $nv) (i32.const ${GEMM_NR})) (then (local.set $nv (i32.const ${GEMM_NR}))))
    ${rowPtrs(rows)}
    ${gemmBlock(rows)}
    (local.set $j (i32.add (local.get $j) (i32.const ${GEMM_NR})))
    (local.set $panel (i32.add (local.get $panel) (i32.mul (local.get $K) (i32.const ${4 * GEMM_NR}))))
    (br $jl${rows})))`;

/**
 * GEMM: `C = op(A) op(B) (+ C when beta is 1)`, op(A) `M x K`, op(B) `K x N`, all row-major. A is addressed through
 * strides so that a transposed A needs no copy: element (i, k) of op(A) is at `a + i * rsA + k * ksA` (bytes).
 * B is first packed (`gemm_pack_b`) into panels of `GEMM_NR` columns, `K x NR` each, zero-padded past N, so the
 * micro-kernel reads B contiguously. The micro-kernel keeps a `MR x NR` block of C in v128 registers and runs
 * over K with one multiply-add per register per step: in the `fma` build relaxed SIMD's `f32x4.relaxed_madd` (one
 * fused instruction where the CPU has FMA), otherwise a multiply and an add.
 */
function gemmWat(): string {
  const locals = [
    ...GEMM_ACCS.map((c) => `(local ${c} v128)`),
    "(local $b0 v128) (local $b1 v128) (local $av v128)",
    "(local $i i32) (local $j i32) (local $k i32) (local $x i32) (local $nv i32) (local $pk i32) (local $panel i32)",
    "(local $addr i32)",
    ...[...Array(GEMM_MR).keys()].map((r) =>
      `(local $arow${r} i32) (local $crow${r} i32) (local $ap${r} i32)`
    ),
  ].join(" ");
  return `
  ;; pack op(B) (K x N) into panels of ${GEMM_NR} columns at $pb; element (k, j) of op(B) is at b + k*ksB + j*jsB
  (func (export "gemm_pack_b") (param $b i32) (param $ksB i32) (param $jsB i32) (param $K i32) (param $N i32)
    (param $pb i32)
    (local $j i32) (local $k i32) (local $x i32) (local $dst i32) (local $src i32)
    (local.set $dst (local.get $pb))
    (local.set $j (i32.const 0))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
      (local.set $k (i32.const 0))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $src (i32.add (local.get $b) (i32.add (i32.mul (local.get $k) (local.get $ksB))
          (i32.mul (local.get $j) (local.get $jsB)))))
        (local.set $x (i32.const 0))
        (block $xd (loop $xl
          (br_if $xd (i32.ge_u (local.get $x) (i32.const ${GEMM_NR})))
          (f32.store (local.get $dst) (select
            (f32.load (local.get $src))
            (f32.const 0)
            (i32.lt_u (i32.add (local.get $j) (local.get $x)) (local.get $N))))
          (local.set $src (i32.add (local.get $src) (local.get $jsB)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $xl)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kl)))
      (local.set $j (i32.add (local.get $j) (i32.const ${GEMM_NR})))
      (br $jl))))

  ;; C (M x N at c, row stride ldc elements) = op(A) . packed B (+ C when beta != 0); $tmp: 32 bytes of scratch.
  ;; N and ldc differ when a thread computes a block of C's columns.
  (func (export "gemm") (param $a i32) (param $rsA i32) (param $ksA i32) (param $pb i32) (param $c i32)
    (param $M i32) (param $N i32) (param $K i32) (param $beta i32) (param $tmp i32) (param $ldc i32)
    ${locals}
    (local.set $i (i32.const 0))
    (block $id (loop $il
      (br_if $id (i32.gt_u (i32.add (local.get $i) (i32.const ${GEMM_MR})) (local.get $M)))
      ${panelLoop(GEMM_MR)}
      (local.set $i (i32.add (local.get $i) (i32.const ${GEMM_MR})))
      (br $il)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $i) (local.get $M)))
      ${panelLoop(1)}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rl))))`;
}

function tanhWat(): string {
  return `
(func (export "tanh") (param $in i32) (param $out i32) (param $n i32)
  (local $i i32) (local $n8 i32) ${tanhLocals(["", "b"])}
  ${TANH_INIT}
  ;; eight at a time: two independent chains keep the CPU busy during each one's latency
  (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
  ${
    loop(
      "$i",
      get("$n8"),
      8,
      `${tanhInto(`(v128.load ${add(get("$in"), x4(get("$i")))})`)}
    ${tanhInto(`(v128.load offset=16 ${add(get("$in"), x4(get("$i")))})`, "b")}
    (v128.store ${add(get("$out"), x4(get("$i")))} (local.get $h))
    (v128.store offset=16 ${add(get("$out"), x4(get("$i")))} (local.get $hb))`,
    )
  }
  ;; the last n % 8 elements one at a time, through lane 0
  (local.set $i (local.get $n8))
  (block $done (loop $tail
    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
    ${tanhInto(`(f32x4.splat (f32.load ${add(get("$in"), x4(get("$i")))}))`)}
    (f32.store ${add(get("$out"), x4(get("$i")))} (f32x4.extract_lane 0 (local.get $h)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $tail))))`;
}

function attFwdWat(): string {
  return `
(func (export "att_fwd") (param $q i32) (param $k i32) (param $v i32) (param $out i32)
  (param $B i32) (param $Td i32) (param $Te i32) (param $A i32)
  (local $b i32) (local $t i32) (local $s i32) (local $a i32)
  (local $qrow i32) (local $krow i32) (local $o i32) (local $acc v128) ${TANH_LOCALS}
  ${TANH_INIT}
  (local.set $o (local.get $out))
  ${
    loop(
      "$b",
      get("$B"),
      1,
      loop(
        "$t",
        get("$Td"),
        1,
        `(local.set $qrow ${add(get("$q"), x4(mul(add(mul(get("$b"), get("$Td")), get("$t")), get("$A"))))})
      ${
          loop(
            "$s",
            get("$Te"),
            1,
            `(local.set $krow ${
              add(get("$k"), x4(mul(add(mul(get("$b"), get("$Te")), get("$s")), get("$A"))))
            })
          (local.set $acc (v128.const f32x4 0 0 0 0))
          ${
              loop(
                "$a",
                get("$A"),
                4,
                `${
                  tanhInto(
                    `(f32x4.add (v128.load ${add(get("$qrow"), x4(get("$a")))}) ` +
                      `(v128.load ${add(get("$krow"), x4(get("$a")))}))`,
                  )
                }
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul (local.get $h) (v128.load ${add(get("$v"), x4(get("$a")))}))))`,
              )
            }
          (f32.store (local.get $o) ${hsum("(local.get $acc)")})
          (local.set $o (i32.add (local.get $o) (i32.const 4)))`,
          )
        }`,
      ),
    )
  })`;
}

function attBwdWat(): string {
  return `
(func (export "att_bwd") (param $g i32) (param $q i32) (param $k i32) (param $v i32)
  (param $dq i32) (param $dk i32) (param $dv i32)
  (param $B i32) (param $Td i32) (param $Te i32) (param $A i32)
  (local $b i32) (local $t i32) (local $s i32) (local $a i32)
  (local $qrow i32) (local $krow i32) (local $dqrow i32) (local $dkrow i32) (local $gi i32) (local $off i32)
  (local $gs f32) (local $gv v128) (local $d v128) ${TANH_LOCALS}
  ${TANH_INIT}
  (local.set $gi (local.get $g))
  ${
    loop(
      "$b",
      get("$B"),
      1,
      loop(
        "$t",
        get("$Td"),
        1,
        `(local.set $off ${x4(mul(add(mul(get("$b"), get("$Td")), get("$t")), get("$A")))})
      (local.set $qrow ${add(get("$q"), get("$off"))})
      (local.set $dqrow ${add(get("$dq"), get("$off"))})
      ${
          loop(
            "$s",
            get("$Te"),
            1,
            `(local.set $gs (f32.load (local.get $gi)))
          (local.set $gi (i32.add (local.get $gi) (i32.const 4)))
          (if (f32.ne (local.get $gs) (f32.const 0)) (then
            (local.set $off ${x4(mul(add(mul(get("$b"), get("$Te")), get("$s")), get("$A")))})
            (local.set $krow ${add(get("$k"), get("$off"))})
            (local.set $dkrow ${add(get("$dk"), get("$off"))})
            (local.set $gv (f32x4.splat (local.get $gs)))
            ${
              loop(
                "$a",
                get("$A"),
                4,
                `${
                  tanhInto(
                    `(f32x4.add (v128.load ${add(get("$qrow"), x4(get("$a")))}) ` +
                      `(v128.load ${add(get("$krow"), x4(get("$a")))}))`,
                  )
                }
              (local.set $off ${x4(get("$a"))})
              (v128.store ${add(get("$dv"), get("$off"))} (f32x4.add
                (v128.load ${add(get("$dv"), get("$off"))}) (f32x4.mul (local.get $gv) (local.get $h))))
              (local.set $d (f32x4.mul (f32x4.mul (local.get $gv) (v128.load ${add(get("$v"), get("$off"))}))
                (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $h) (local.get $h)))))
              (v128.store ${add(get("$dqrow"), get("$off"))}
                (f32x4.add (v128.load ${add(get("$dqrow"), get("$off"))}) (local.get $d)))
              (v128.store ${add(get("$dkrow"), get("$off"))}
                (f32x4.add (v128.load ${add(get("$dkrow"), get("$off"))}) (local.get $d)))`,
              )
            }))`,
          )
        }`,
      ),
    )
  })`;
}

// c (1 x N) = a (1 x K) . B (K x N) (+ c when beta): a sum of B's rows weighted by a, SIMD across N; for the
// many tiny products of a batched matmul with one row (the attention's context at decode time: 64 products of
// 1 x 50 x 256 per step, where a library call each costs more than the arithmetic)
function gemvRowsWat(): string {
  return `
(func (export "gemv_rows") (param $a i32) (param $b i32) (param $c i32) (param $K i32) (param $N i32)
  (param $beta i32)
  (local $k i32) (local $j i32) (local $n4 i32) (local $av v128) (local $af f32) (local $br i32)
  (local.set $n4 (i32.and (local.get $N) (i32.const -4)))
  (if (i32.eqz (local.get $beta)) (then
    (memory.fill (local.get $c) (i32.const 0) (i32.shl (local.get $N) (i32.const 2)))))
  (local.set $br (local.get $b))
  ${
    loop(
      "$k",
      get("$K"),
      1,
      `(local.set $af (f32.load ${add(get("$a"), x4(get("$k")))}))
    (local.set $av (f32x4.splat (local.get $af)))
    ${
        loop(
          "$j",
          get("$n4"),
          4,
          `(v128.store ${add(get("$c"), x4(get("$j")))}
          ${
            madd(
              "(local.get $av)",
              `(v128.load ${add(get("$br"), x4(get("$j")))})`,
              `(v128.load ${add(get("$c"), x4(get("$j")))})`,
            )
          })`,
        )
      }
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $j) (local.get $N)))
      (f32.store ${add(get("$c"), x4(get("$j")))} (f32.add (f32.load ${add(get("$c"), x4(get("$j")))})
        (f32.mul (local.get $af) (f32.load ${add(get("$br"), x4(get("$j")))}))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $tl)))
    (local.set $br ${add(get("$br"), x4(get("$N")))})`,
    )
  })`;
}

function sumRowsWat(): string {
  return `
;; out[c] = sum_r x[r, c] for x (rows x cols): a reduction over leading axes, one pass over x in memory order
(func (export "sum_rows") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
  (local $r i32) (local $c i32) (local $c4 i32) (local $src i32) (local $dst i32)
  (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))
  (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
  (local.set $src (local.get $x))
  ${
    loop(
      "$r",
      get("$rows"),
      1,
      `(local.set $dst (local.get $out))
    ${
        loop(
          "$c",
          get("$c4"),
          4,
          `(v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))`,
        )
      }
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $c) (local.get $cols)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $tl)))`,
    )
  })`;
}

// tfjs's RMSprop update (not centered) in place, in tfjs's order of float32 operations (no fused multiply-add, in
// either build): ms = ms decay + g^2 (1 - decay); mom = mom momentum + (g lr) / sqrt(ms + eps); v = v - mom.
// The scalars come rounded to float32, as tfjs's scalar tensors are (1 - decay included).
const rmsStep = (ld: string, st: string, op: string, at: string) => `
      (local.set $gv (${ld} ${add(get("$g"), at)}))
      (local.set $m (${op}.add (${op}.mul (${ld} ${add(get("$ms"), at)}) (local.get $dk))
        (${op}.mul (${op}.mul (local.get $gv) (local.get $gv)) (local.get $d1k))))
      (${st} ${add(get("$ms"), at)} (local.get $m))
      (local.set $m (${op}.add (${op}.mul (${ld} ${add(get("$mom"), at)}) (local.get $mok))
        (${op}.div (${op}.mul (local.get $gv) (local.get $lrk)) (${op}.sqrt (${op}.add (local.get $m) (local.get $ek))))))
      (${st} ${add(get("$mom"), at)} (local.get $m))
      (${st} ${add(get("$v"), at)} (${op}.sub (${ld} ${add(get("$v"), at)}) (local.get $m)))`;
function rmspropWat(): string {
  const vec = (k: string) => `(local $${k}k v128)`, sc = (k: string) => `(local $${k}k f32)`;
  const locals = (f: (k: string) => string) => ["d", "d1", "mo", "lr", "e"].map(f).join(" ");
  const splat = (lane: string) =>
    ["d", "d1", "mo", "lr", "e"].map((k, i) =>
      `(local.set $${k}k ${
        lane === "v"
          ? `(f32x4.splat (local.get ${["$decay", "$omd", "$momentum", "$lr", "$eps"][i]}))`
          : `(local.get ${["$decay", "$omd", "$momentum", "$lr", "$eps"][i]})`
      })`
    ).join(" ");
  return `
(func $rms_vec (param $v i32) (param $ms i32) (param $mom i32) (param $g i32) (param $n4 i32) (param $lr f32)
  (param $decay f32) (param $omd f32) (param $momentum f32) (param $eps f32)
  (local $i i32) (local $gv v128) (local $m v128) ${locals(vec)}
  ${splat("v")}
  ${loop("$i", get("$n4"), 4, rmsStep("v128.load", "v128.store", "f32x4", x4(get("$i"))))})
(func (export "rmsprop") (param $v i32) (param $ms i32) (param $mom i32) (param $g i32) (param $n i32) (param $lr f32)
  (param $decay f32) (param $omd f32) (param $momentum f32) (param $eps f32)
  (local $i i32) (local $gv f32) (local $m f32) ${locals(sc)}
  (local.set $i (i32.and (local.get $n) (i32.const -4)))
  (call $rms_vec (local.get $v) (local.get $ms) (local.get $mom) (local.get $g) (local.get $i) (local.get $lr)
    (local.get $decay) (local.get $omd) (local.get $momentum) (local.get $eps))
  ${splat("s")}
  (block $td (loop $tl
    (br_if $td (i32.ge_u (local.get $i) (local.get $n)))
    ${rmsStep("f32.load", "f32.store", "f32", x4(get("$i")))}
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $tl))))`;
}

// one LSTM time step after the products: gates from z = z1 + z2 = [z_i z_f z_c z_o] (B, 4U) (the input and the
// recurrent products), new cell and hidden state.
// A sigmoid gate is 0.5 + 0.5 tanh(z / 2) (the only gate kind here: the model's LSTMs gate with sigmoid; other
// gates are composed from tfjs ops by the caller). Writes a (B, 4U) (the gate activations; slot c holds g), g, c,
// tanh(c), h (B, U).
const gateInto = (z: string, u: string) => `
      ${tanhInto(`(f32x4.mul ${z} (local.get $half))`, u)}
      (local.set $h${u} ${madd(`(local.get $h${u})`, "(local.get $half)", "(local.get $half)")})`;
// z1 + z2 at a byte offset within the row: the two products are added here rather than in a pass of their own
const zAt = (off: string) =>
  `(f32x4.add (v128.load ${add(get("$zr"), off)}) (v128.load ${add(get("$zr2"), off)}))`;
function lstmCellWat(): string {
  return `
(func (export "lstm_cell") (param $z i32) (param $z2 i32) (param $cp i32) (param $a i32) (param $g i32) (param $c i32)
  (param $tc i32) (param $hout i32) (param $B i32) (param $U i32)
  (local $b i32) (local $j i32) (local $zr i32) (local $zr2 i32) (local $ar i32) (local $ur i32) (local $o i32)
  (local $u4 i32)
  (local $half v128) (local $vi v128) (local $vf v128) (local $vg v128) (local $vo v128) (local $vc v128)
  ${tanhLocals(["", "i", "f", "o"])}
  ${TANH_INIT}
  (local.set $half (v128.const f32x4 0.5 0.5 0.5 0.5))
  (local.set $u4 (i32.shl (local.get $U) (i32.const 2)))
  ${
    loop(
      "$b",
      get("$B"),
      1,
      `(local.set $zr ${add(get("$z"), mul(get("$b"), `(i32.shl ${get("$u4")} (i32.const 2))`))})
    (local.set $zr2 ${add(get("$z2"), mul(get("$b"), `(i32.shl ${get("$u4")} (i32.const 2))`))})
    (local.set $ar ${add(get("$a"), mul(get("$b"), `(i32.shl ${get("$u4")} (i32.const 2))`))})
    (local.set $ur ${mul(get("$b"), get("$u4"))})
    ${
        loop(
          "$j",
          get("$U"),
          4,
          `(local.set $o ${x4(get("$j"))})
        ${gateInto(zAt(get("$o")), "i")}
        ${gateInto(zAt(add(get("$u4"), get("$o"))), "f")}
        ${gateInto(zAt(add(get("$u4"), get("$u4"), get("$u4"), get("$o"))), "o")}
        ${tanhInto(zAt(add(get("$u4"), get("$u4"), get("$o"))))}
        (local.set $vg (local.get $h))
        (local.set $vc ${
            madd(
              "(local.get $hf)",
              `(v128.load ${add(get("$cp"), get("$ur"), get("$o"))})`,
              "(f32x4.mul (local.get $hi) (local.get $vg))",
            )
          })
        ${tanhInto("(local.get $vc)")}
        (v128.store ${add(get("$ar"), get("$o"))} (local.get $hi))
        (v128.store ${add(get("$ar"), get("$u4"), get("$o"))} (local.get $hf))
        (v128.store ${add(get("$ar"), get("$u4"), get("$u4"), get("$o"))} (local.get $vg))
        (v128.store ${add(get("$ar"), get("$u4"), get("$u4"), get("$u4"), get("$o"))} (local.get $ho))
        (v128.store ${add(get("$g"), get("$ur"), get("$o"))} (local.get $vg))
        (v128.store ${add(get("$c"), get("$ur"), get("$o"))} (local.get $vc))
        (v128.store ${add(get("$tc"), get("$ur"), get("$o"))} (local.get $h))
        (v128.store ${add(get("$hout"), get("$ur"), get("$o"))} (f32x4.mul (local.get $ho) (local.get $h)))`,
        )
      }`,
    )
  })`;
}

// the max of the row at $row (NaN ignored: f32x4.pmax, one instruction) into $best, $p and $c left at its end; with
// `nanFlag` (a padding row) also whether it holds a NaN, in $nan
function ceRowMax(nanFlag: boolean): string {
  const lane = (l: number) => `(f32x4.extract_lane ${l} (local.get $vb))`;
  return `(local.set $p (local.get $row))
    (local.set $vb (f32x4.splat (f32.const -inf)))
    (local.set $vn (v128.const i32x4 0 0 0 0))
    ${
    loop(
      "$c",
      get("$c4"),
      4,
      `(local.set $xv (v128.load (local.get $p)))
      (local.set $vb (f32x4.pmax (local.get $vb) (local.get $xv)))
      ${nanFlag ? "(local.set $vn (v128.or (local.get $vn) (f32x4.ne (local.get $xv) (local.get $xv))))" : ""}
      (local.set $p (i32.add (local.get $p) (i32.const 16)))`,
    )
  }
    (local.set $best (f32.max (f32.max ${lane(0)} ${lane(1)}) (f32.max ${lane(2)} ${lane(3)})))
    (local.set $nan (v128.any_true (local.get $vn)))
    (block $md (loop $ml
      (br_if $md (i32.ge_u (local.get $c) (local.get $cols)))
      (local.set $v (f32.load (local.get $p)))
      (if (f32.gt (local.get $v) (local.get $best)) (then (local.set $best (local.get $v))))
      (local.set $nan (i32.or (local.get $nan) (f32.ne (local.get $v) (local.get $v))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $ml)))`;
}

// sum exp(x - m) over the row at $row into $s ($m: m in every lane): eight columns at a time in two chains, then
// four, then one at a time; NaN for a row holding one
function ceSumExp(): string {
  const expOf = (at: string, u = "") => expInto(`(f32x4.sub (v128.load ${at}) (local.get $m))`, u);
  return `(local.set $acc (v128.const f32x4 0 0 0 0))
    (local.set $acc2 (v128.const f32x4 0 0 0 0))
    (local.set $p (local.get $row))
    ${
    loop(
      "$c",
      get("$c8"),
      8,
      `${expOf("(local.get $p)")}
      ${expOf("offset=16 (local.get $p)", "b")}
      (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
      (local.set $acc2 (f32x4.add (local.get $acc2) (local.get $eb)))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))`,
    )
  }
    (if (i32.lt_u (local.get $c) (local.get $c4)) (then
      ${expOf("(local.get $p)")}
      (local.set $acc (f32x4.add (local.get $acc) (local.get $e)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))))
    (local.set $acc (f32x4.add (local.get $acc) (local.get $acc2)))
    (local.set $s ${hsum("(local.get $acc)")})
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $c) (local.get $cols)))
      ${expInto("(f32x4.sub (f32x4.splat (f32.load (local.get $p))) (local.get $m))")}
      (local.set $s (f32.add (local.get $s) (f32x4.extract_lane 0 (local.get $e))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $sl)))`;
}

// the first column of the row at $row holding m into $c: the first vector that holds it, then its first lane
// (column 0 where none does: a row of NaN)
function ceFirstMax(): string {
  return `(local.set $p (local.get $row))
    (local.set $c (i32.const 0))
    (block $fd (loop $fl
      (br_if $fd (i32.ge_u (local.get $c) (local.get $c4)))
      (br_if $fd (v128.any_true (f32x4.eq (v128.load (local.get $p)) (local.get $m))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $fl)))
    (block $gd (loop $gl
      (br_if $gd (i32.ge_u (local.get $c) (local.get $cols)))
      (br_if $gd (f32.eq (f32.load (local.get $p)) (local.get $best)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $gl)))
    (if (i32.ge_u (local.get $c) (local.get $cols)) (then (local.set $c (i32.const 0))))`;
}

// the fused softmax cross-entropy's forward pass, per row of logits x (rows x cols): the max m (NaN ignored) and, at a
// real token (target not 0), sum exp(x - m) (NaN for a row holding one) and the first column holding m (the arg-max;
// the gt/bitselect lanes of argmax_rows cost four more instructions per vector than a max); at padding only the max,
// NaN where the row holds a NaN, so that a NaN anywhere in the logits reaches the loss (idx -1, sum 0)
function ceForwardWat(): string {
  const store = (best: string, s: string, idx: string) => `
        (f32.store ${add(get("$mx"), x4(get("$r")))} ${best})
        (f32.store ${add(get("$sum"), x4(get("$r")))} ${s})
        (i32.store ${add(get("$idx"), x4(get("$r")))} ${idx})`;
  return `
(func (export "ce_forward") (param $x i32) (param $tgt i32) (param $rows i32) (param $cols i32)
  (param $mx i32) (param $sum i32) (param $idx i32)
  (local $r i32) (local $c i32) (local $c4 i32) (local $c8 i32) (local $p i32) (local $row i32)
  (local $nan i32) (local $best f32) (local $v f32) (local $s f32) (local $vb v128) (local $vn v128) (local $xv v128)
  (local $m v128) (local $acc v128) (local $acc2 v128) ${expLocals(["", "b"])}
  ${EXP_INIT}
  (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
  (local.set $c8 (i32.and (local.get $cols) (i32.const -8)))
  ${
    loop(
      "$r",
      get("$rows"),
      1,
      `(local.set $row ${add(get("$x"), x4(mul(get("$r"), get("$cols"))))})
    (if (i32.eqz (i32.load ${add(get("$tgt"), x4(get("$r")))}))
      (then
        ${ceRowMax(true)}
        (if (local.get $nan) (then (local.set $best (f32.const nan))))
        ${store("(local.get $best)", "(f32.const 0)", "(i32.const -1)")})
      (else
        ${ceRowMax(false)}
        (local.set $m (f32x4.splat (local.get $best)))
        ${ceSumExp()}
        ${ceFirstMax()}
        ${store("(local.get $best)", "(local.get $s)", "(local.get $c)")}))`,
    )
  })`;
}

// its backward pass: out = w[r] exp(x - lse[r]) per row, a row of zeros where w[r] is 0 (padding); the caller then
// subtracts w[r] at each row's target
function ceBackwardWat(): string {
  const expOf = (at: string, u = "") => expInto(`(f32x4.sub (v128.load ${at}) (local.get $m))`, u);
  return `
(func (export "ce_backward") (param $x i32) (param $lse i32) (param $w i32) (param $rows i32) (param $cols i32)
  (param $out i32)
  (local $r i32) (local $c i32) (local $c4 i32) (local $c8 i32) (local $p i32) (local $o i32) (local $wr f32)
  (local $m v128) (local $wv v128) ${expLocals(["", "b"])}
  ${EXP_INIT}
  (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
  (local.set $c8 (i32.and (local.get $cols) (i32.const -8)))
  (local.set $p (local.get $x))
  (local.set $o (local.get $out))
  ${
    loop(
      "$r",
      get("$rows"),
      1,
      `(local.set $wr (f32.load ${add(get("$w"), x4(get("$r")))}))
    (if (f32.eq (local.get $wr) (f32.const 0))
      (then
        (memory.fill (local.get $o) (i32.const 0) ${x4(get("$cols"))})
        (local.set $p ${add(get("$p"), x4(get("$cols")))})
        (local.set $o ${add(get("$o"), x4(get("$cols")))}))
      (else
        (local.set $m (f32x4.splat (f32.load ${add(get("$lse"), x4(get("$r")))})))
        (local.set $wv (f32x4.splat (local.get $wr)))
        ${
        loop(
          "$c",
          get("$c8"),
          8,
          `${expOf("(local.get $p)")}
          ${expOf("offset=16 (local.get $p)", "b")}
          (v128.store (local.get $o) (f32x4.mul (local.get $e) (local.get $wv)))
          (v128.store offset=16 (local.get $o) (f32x4.mul (local.get $eb) (local.get $wv)))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (local.set $o (i32.add (local.get $o) (i32.const 32)))`,
        )
      }
        (if (i32.lt_u (local.get $c) (local.get $c4)) (then
          ${expOf("(local.get $p)")}
          (v128.store (local.get $o) (f32x4.mul (local.get $e) (local.get $wv)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))))
        (block $td (loop $tl
          (br_if $td (i32.ge_u (local.get $c) (local.get $cols)))
          ${expInto("(f32x4.sub (f32x4.splat (f32.load (local.get $p))) (local.get $m))")}
          (f32.store (local.get $o) (f32.mul (f32x4.extract_lane 0 (local.get $e)) (local.get $wr)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $tl)))))`,
    )
  })`;
}

// per row of x (rows x cols): the first index of the largest value, and that value (greedy decoding's choice).
// Four lanes each keep their best value and its column; the lanes are merged at the end of the row.
function argmaxRowsWat(): string {
  return `
(func (export "argmax_rows") (param $x i32) (param $rows i32) (param $cols i32) (param $idx i32) (param $val i32)
  (local $r i32) (local $c i32) (local $c4 i32) (local $p i32) (local $best f32) (local $bi i32) (local $v f32)
  (local $l i32) (local $vb v128) (local $vi v128) (local $vc v128) (local $m v128) (local $xv v128)
  (local.set $p (local.get $x))
  (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
  ${
    loop(
      "$r",
      get("$rows"),
      1,
      `(local.set $vb (f32x4.splat (f32.const -inf)))
    (local.set $vi (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $vc (v128.const i32x4 0 1 2 3))
    ${
        loop(
          "$c",
          get("$c4"),
          4,
          `(local.set $xv (v128.load (local.get $p)))
        (local.set $m (f32x4.gt (local.get $xv) (local.get $vb)))
        (local.set $vb (v128.bitselect (local.get $xv) (local.get $vb) (local.get $m)))
        (local.set $vi (v128.bitselect (local.get $vc) (local.get $vi) (local.get $m)))
        (local.set $vc (i32x4.add (local.get $vc) (v128.const i32x4 4 4 4 4)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))`,
        )
      }
    ;; merge the lanes: the largest value, the smallest column among equal ones
    (local.set $best (f32.const -inf))
    (local.set $bi (i32.const 0x7fffffff))
    ${
        [0, 1, 2, 3].map((l) => `
    (local.set $v (f32x4.extract_lane ${l} (local.get $vb)))
    (local.set $l (i32x4.extract_lane ${l} (local.get $vi)))
    (if (i32.or (f32.gt (local.get $v) (local.get $best))
          (i32.and (f32.eq (local.get $v) (local.get $best)) (i32.lt_u (local.get $l) (local.get $bi))))
      (then (local.set $best (local.get $v)) (local.set $bi (local.get $l))))`).join("")
      }
    ;; the last cols % 4 columns
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $c) (local.get $cols)))
      (local.set $v (f32.load (local.get $p)))
      (if (f32.gt (local.get $v) (local.get $best)) (then
        (local.set $best (local.get $v))
        (local.set $bi (local.get $c))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $tl)))
    ;; a row of NaN or -inf only: column 0, as a scan from the first column would give
    (if (i32.eq (local.get $bi) (i32.const 0x7fffffff)) (then
      (local.set $bi (i32.const 0))
      (local.set $best (f32.load ${add(get("$x"), x4(mul(get("$r"), get("$cols"))))}))))
    (i32.store ${add(get("$idx"), x4(get("$r")))} (local.get $bi))
    (f32.store ${add(get("$val"), x4(get("$r")))} (local.get $best))`,
    )
  })`;
}

/**
 * The module's WebAssembly text; `fma`: the GEMM uses relaxed SIMD's fused multiply-add; `shared`: the imported
 * memory is a shared one (the GEMM's worker thread and the main thread on one memory: ./gemm_threads.ts).
 */
export function kernelsWat(fma = false, shared = false): string {
  madd = fma ? fusedMadd : plainMadd;
  return `(module
  (import "env" "memory" (memory 1${shared ? " 65536 shared" : ""}))
  ${gemvRowsWat()}
  ${sumRowsWat()}
  ${rmspropWat()}
  ${argmaxRowsWat()}
  ${ceForwardWat()}
  ${ceBackwardWat()}
  ${lstmCellWat()}
  ${tanhWat()}
  ${attFwdWat()}
  ${attBwdWat()}
  ${gemmWat()})
`;
}
