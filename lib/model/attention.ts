/**
 * Bahdanau (additive) attention as a tfjs-layers custom layer, registered for serialization.
 *
 * For every decoder position t and encoder position s:
 *
 *     score[t, s] = v^T tanh(W1 h_dec[t] + W2 h_enc[s])
 *     alpha[t, :] = softmax_s(score[t, :])       (padded encoder positions get weight 0)
 *     context[t]  = sum_s alpha[t, s] h_enc[s]
 *
 * Inputs: `[decoderStates (B, Td, Ud), encoderStates (B, Te, Ue), encoderTokens (B, Te)]`; a token id of 0 marks a
 * padded encoder position. Outputs: `[context (B, Td, Ue), weights (B, Td, Te)]`.
 * Parameters: W1 `Ud x A`, W2 `Ue x A`, v `A x 1` (no biases), so `A * (Ud + Ue + 1)` in all.
 *
 * With `coverage` (See et al. 2017) the attention also sees how much each input position has been attended so
 * far, `cov[t, s] = sum_{t' < t} alpha[t', s]`:
 *
 *     score[t, s] = v^T tanh(W1 h_dec[t] + W2 h_enc[s] + w_cov cov[t, s])
 *
 * so the decoder positions are computed one after another. A fourth input may give the coverage before the
 * first position `(B, Te)` (the one-step decoder carries it; zeros by default), and two more outputs follow:
 * the coverage loss `covLoss[t] = sum_s min(alpha[t, s], cov[t, s])` `(B, Td)` (what training adds to the
 * cross-entropy, penalising attending again to what was attended) and the coverage after the last position
 * `(B, Te)`. `w_cov` adds `A` parameters.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { BahdanauAttention } from "./attention.ts";
 * const layer = new BahdanauAttention({ units: 3 });
 * const hDec = [0.5, -1]; // one decoder step (B=1, Td=1, Ud=2)
 * const hEnc = [[1, 0], [0, 2], [-1, 1]]; // three encoder positions (Te=3, Ue=2), the third padding
 * const inputs = [tf.tensor3d([[hDec]]), tf.tensor3d([hEnc]), tf.tensor2d([[5, 7, 0]], undefined, "int32")];
 * layer.apply(inputs); // builds W1 (2 x 3), W2 (2 x 3), v (3 x 1); set them to known values:
 * const W1 = [[0.5, -0.3, 0.8], [0.2, 0.7, -0.4]], W2 = [[-0.6, 0.1, 0.3], [0.4, -0.2, 0.9]];
 * const v = [[1], [-0.5], [0.8]];
 * layer.setWeights([tf.tensor2d(W1), tf.tensor2d(W2), tf.tensor2d(v)]);
 * const [ctx, w] = layer.apply(inputs) as tf.Tensor[];
 * // by hand: score[s] = v^T tanh(W1 h_dec + W2 h_enc[s]) over the two real positions, softmax, context
 * const times = (x: number[], m: number[][]) => m[0].map((_, a) => x[0] * m[0][a] + x[1] * m[1][a]);
 * const query = times(hDec, W1);
 * const score = (h: number[]) => times(h, W2).reduce((s, k, a) => s + v[a][0] * Math.tanh(query[a] + k), 0);
 * const e = [Math.exp(score(hEnc[0])), Math.exp(score(hEnc[1]))];
 * const alpha = [e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1])];
 * const weights = (w.arraySync() as number[][][])[0][0];
 * assertAlmostEquals(weights[0], alpha[0], 1e-6);
 * assertAlmostEquals(weights[1], alpha[1], 1e-6);
 * assertEquals(weights[2], 0); // the padded position gets weight 0
 * const context = (ctx.arraySync() as number[][][])[0][0]; // sum_s alpha[s] h_enc[s]
 * [0, 1].forEach((d) => assertAlmostEquals(context[d], alpha[0] * hEnc[0][d] + alpha[1] * hEnc[1][d], 1e-6));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Configuration of {@linkcode BahdanauAttention}. */
export interface BahdanauAttentionArgs {
  /** Size A of the additive hidden layer. */
  units: number;
  /** Coverage (see the module documentation); default false. */
  coverage?: boolean;
  name?: string;
  trainable?: boolean;
}

/** A large negative number added to the scores of padded positions before the softmax. */
const MASK_VALUE = -1e9;

/** Additive attention layer; see the module documentation. */
export class BahdanauAttention extends tf.layers.Layer {
  /** Name under which the class is registered for (de)serialization. */
  static className = "BahdanauAttention";
  readonly units: number;
  readonly coverage: boolean;
  protected wCov: tf.LayerVariable | null = null;
  protected w1: tf.LayerVariable | null = null;
  protected w2: tf.LayerVariable | null = null;
  protected v: tf.LayerVariable | null = null;

  constructor(args: BahdanauAttentionArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!Number.isInteger(args.units) || args.units < 1) {
      throw new Error(`BahdanauAttention: units must be a positive integer (got ${args.units})`);
    }
    this.units = args.units;
    this.coverage = args.coverage ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [dec, enc] = inputShape as tf.Shape[];
    const ud = dec[dec.length - 1], ue = enc[enc.length - 1];
    if (ud == null || ue == null) {
      throw new Error("BahdanauAttention: the last dimensions of its inputs must be known");
    }
    const init = () => tf.initializers.glorotUniform({});
    this.w1 = this.addWeight("W1", [ud, this.units], "float32", init());
    this.w2 = this.addWeight("W2", [ue, this.units], "float32", init());
    this.v = this.addWeight("v", [this.units, 1], "float32", init());
    if (this.coverage) this.wCov = this.addWeight("w_coverage", [1, this.units], "float32", init());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const [dec, enc] = inputShape as tf.Shape[];
    const out = [[dec[0], dec[1], enc[2]], [dec[0], dec[1], enc[1]]];
    return this.coverage ? [...out, [dec[0], dec[1]], [dec[0], enc[1]]] : out;
  }

  /**
   * `[context (B, Td, Ue), alpha (B, Td, Te)]` from `[h_dec (B, Td, Ud), h_enc (B, Te, Ue), tokens (B, Te)]`
   * (with coverage: see {@linkcode callWithCoverage}).
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    if (this.coverage) return this.callWithCoverage(inputs as tf.Tensor[]);
    return tf.tidy(() => {
      const [hDec, hEnc, tokens] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
      const query = this.project(hDec, this.w1!); // W1 h_dec: (B, Td, A)
      const keys = this.project(hEnc, this.w2!); // W2 h_enc: (B, Te, A)
      const score = this.scores(query, keys); // v^T tanh(W1 h_dec[t] + W2 h_enc[s]): (B, Td, Te)
      const alpha = this.maskedSoftmax(score, tokens); // over s; padded positions get 0
      const context = tf.matMul(alpha, hEnc); // sum_s alpha[t, s] h_enc[s]: (B, Td, Ue)
      return [context, alpha];
    });
  }

  /**
   * `score[b, t, s] = v^T tanh(query[b, t] + keys[b, s])` for `query (B, Td, A)` and `keys (B, Te, A)`:
   * broadcast to `(B, Td, Te, A)`, tanh, and a product with v.
   */
  scores(query: tf.Tensor3D, keys: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, td, a] = query.shape;
      const te = keys.shape[1];
      const hidden = tf.tanh(tf.add(tf.reshape(query, [b, td, 1, a]), tf.reshape(keys, [b, 1, te, a])));
      return tf.reshape(tf.matMul(tf.reshape(hidden, [b * td * te, a]), this.v!.read()), [b, td, te]);
    });
  }

  /** Softmax over the encoder positions of `score (B, Td, Te)`, after giving padded positions (token 0) -1e9. */
  maskedSoftmax(score: tf.Tensor3D, tokens: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, te] = tokens.shape;
      const padded = tf.reshape(tf.cast(tf.equal(tokens, 0), "float32"), [b, 1, te]);
      return tf.softmax(tf.add(score, tf.mul(padded, MASK_VALUE)), -1) as tf.Tensor3D;
    });
  }

  /** `x W` for every row of `x (B, T, D)` and `w (D, A)`: `(B, T, A)`. */
  private project(x: tf.Tensor3D, w: tf.LayerVariable): tf.Tensor3D {
    const [b, t, d] = x.shape;
    return tf.reshape(tf.matMul(tf.reshape(x, [b * t, d]), w.read()), [b, t, this.units]);
  }

  /**
   * With coverage, position t needs the weights of the positions before it, so the positions go one at a time:
   * `[context, alpha, coverageLoss (B, Td), coverage after the last position (B, Te)]`.
   */
  private callWithCoverage(inputs: tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [dec, enc, tokens, cov0] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D?];
      const [b, td, ud] = dec.shape;
      const te = enc.shape[1];
      const keys = this.encoderKeys(enc);
      let cov = cov0 ?? tf.zeros([b, te]) as tf.Tensor2D;
      const steps: tf.Tensor3D[] = [], losses: tf.Tensor[] = [];
      for (let t = 0; t < td; t++) {
        const w = this.weightsFromKeys(tf.slice(dec, [0, t, 0], [b, 1, ud]), keys, tokens, cov); // (B, 1, Te)
        const w2 = tf.reshape(w, [b, te]) as tf.Tensor2D;
        losses.push(tf.sum(tf.minimum(w2, cov), -1, true)); // (B, 1)
        cov = tf.add(cov, w2);
        steps.push(w);
      }
      const alpha = tf.concat(steps, 1);
      return [tf.matMul(alpha, enc), alpha, tf.concat(losses, 1), cov];
    });
  }

  /**
   * alpha = masked softmax over encoder positions of v^T tanh(W1 dec + W2 enc); shape (B, Td, Te). Without
   * coverage only (with coverage, positions depend on each other: see {@linkcode call}).
   */
  attentionWeights(dec: tf.Tensor3D, enc: tf.Tensor3D, tokens: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.weightsFromKeys(dec, this.encoderKeys(enc), tokens));
  }

  /**
   * `W2 h_enc` for every encoder position, shape (B, Te, A). It does not depend on the decoder, so a decoder
   * that runs one step at a time computes it once per input ({@linkcode weightsFromKeys}) instead of every step.
   */
  encoderKeys(enc: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => this.project(enc, this.w2!));
  }

  /**
   * The attention weights (B, Td, Te) given the encoder keys from {@linkcode encoderKeys}. With coverage, `cov`
   * (B, Te) is the coverage before these positions (then Td is 1 in practice: see {@linkcode call}), and
   * `w_cov cov[s]` joins the keys.
   */
  weightsFromKeys(dec: tf.Tensor3D, keys: tf.Tensor3D, tokens: tf.Tensor2D, cov?: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      let k: tf.Tensor3D = keys;
      if (this.coverage) {
        if (!cov) throw new Error("BahdanauAttention: a coverage layer needs the coverage so far");
        const [b, te] = cov.shape;
        k = tf.add(
          k,
          tf.reshape(tf.matMul(tf.reshape(cov, [b * te, 1]), this.wCov!.read()), [b, te, this.units]),
        );
      }
      return this.maskedSoftmax(this.scores(this.project(dec, this.w1!), k), tokens);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, ...(this.coverage ? { coverage: true } : {}) };
  }
}

tf.serialization.registerClass(BahdanauAttention);
