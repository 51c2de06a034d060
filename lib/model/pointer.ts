/**
 * Copy attention: the pointer-generator of See, Liu and Manning (2017, "Get To The Point"), as a tfjs-layers
 * custom layer registered for serialization.
 *
 * At every decoder step t a learned gate decides between writing a word from the vocabulary and copying one
 * of the input's words:
 *
 *     p_gen[t] = sigmoid(w_c . context[t] + w_s . s[t] + w_x . x[t] + b)
 *     P[t, w]  = p_gen[t] * P_vocab[t, w] + (1 - p_gen[t]) * sum_{i : ext[i] = w} alpha[t, i]
 *
 * where `s[t]` is the decoder LSTM's output, `x[t]` the decoder input's embedding and `alpha[t, :]` the
 * attention weights over the input positions. The distribution runs over an *extended vocabulary* of
 * `V + Tin` ids: ids below `V` are vocabulary words; id `V + i` is the input word at position `i` when that
 * word is outside the vocabulary (every occurrence of such a word carries the id of its first position, see
 * `Tokenizer.extendInput`), so names, numbers and rare words of the input can be copied into the summary.
 *
 * Inputs: `[vocabProbs (B, T, V), attention (B, T, Tin), context (B, T, Ue), decoderOut (B, T, Ud),
 * decoderEmbedded (B, T, d), extendedInput (B, Tin) int32]`. Output: probabilities `(B, T, V + Tin)`.
 * Parameters: `w_c (Ue)`, `w_s (Ud)`, `w_x (d)`, `b`: `Ue + Ud + d + 1` in all.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { scatterCopy } from "./pointer.ts";
 * // one step, three input positions; the first and third hold the same word (id 2); width V + Tin = 6
 * const att = tf.tensor3d([[[0.5, 0.2, 0.3]]]);
 * const ext = tf.tensor2d([[2, 5, 2]], [1, 3], "int32");
 * const copied = await scatterCopy(att, ext, 6).data();
 * assertAlmostEquals(copied[2], 0.8, 1e-6); // 0.5 + 0.3: duplicate words add up
 * assertAlmostEquals(copied[5], 0.2, 1e-6);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Configuration of {@linkcode PointerGenerator}. */
export interface PointerGeneratorArgs {
  name?: string;
  trainable?: boolean;
}

/**
 * Scatter-add attention weights `(B, T, Tin)` onto `(B, T, width)` at the ids `ext (B, Tin)`: row `(b, t)` gets
 * `alpha[b, t, i]` added at column `ext[b, i]` (positions with the same id add up). The gradient is the
 * matching gather, written out with `tf.customGrad` because tfjs has no gradient for `scatterND`.
 */
export function scatterCopy(att: tf.Tensor3D, ext: tf.Tensor2D, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, tin] = att.shape;
    // flat index of (b, t, ext[b, i]) in a (B * T * width) buffer, for every (b, t, i)
    const rowStart = tf.reshape(tf.mul(tf.range(0, b * t, 1, "int32"), tf.scalar(width, "int32")), [b, t, 1]);
    const idx = tf.reshape(tf.add(rowStart, tf.reshape(tf.cast(ext, "int32"), [b, 1, tin])), [b * t * tin]);
    // tfjs types the arguments as (Tensor | save)[]: the two tensors, then the save function
    const scatter = tf.customGrad(
      ((a: tf.Tensor, i: tf.Tensor, save: tf.GradSaveFunc) => {
        const flatIdx = i as tf.Tensor1D;
        save([flatIdx]);
        const value = tf.reshape(
          tf.scatterND(tf.reshape(flatIdx, [b * t * tin, 1]), tf.reshape(a, [b * t * tin]), [b * t * width]),
          [b, t, width],
        );
        return {
          value,
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
            tf.reshape(tf.gather(tf.reshape(dy, [b * t * width]), saved[0] as tf.Tensor1D), [b, t, tin]),
            tf.zeros([b * t * tin]), // the ids get no gradient
          ],
        };
      }) as unknown as Parameters<typeof tf.customGrad>[0],
    );
    return scatter(att, idx) as tf.Tensor3D;
  });
}

/**
 * What {@linkcode PointerGenerator} mixes, as one of its calls made under {@linkcode PointerGenerator.collectParts}
 * had them: the caller owns these tensors (and disposes them).
 */
export interface PointerParts {
  /** The gate `p_gen (B, T, 1)`, computed by the call (on the gradient tape, as in a normal call). */
  pGen: tf.Tensor3D;
  /** The attention weights `(B, T, Tin)` the call was given. */
  attention: tf.Tensor3D;
  /** The encoder tokens in extended ids `(B, Tin)` the call was given. */
  extended: tf.Tensor2D;
}

/** The pointer-generator layer; see the module documentation. */
export class PointerGenerator extends tf.layers.Layer {
  /** Name under which the class is registered for (de)serialization. */
  static className = "PointerGenerator";
  private wc: tf.LayerVariable | null = null;
  private ws: tf.LayerVariable | null = null;
  private wx: tf.LayerVariable | null = null;
  private b: tf.LayerVariable | null = null;
  /** While {@linkcode collectParts} runs: where calls hand their parts (null otherwise: calls mix). */
  private parts: PointerParts[] | null = null;

  constructor(args: PointerGeneratorArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, , ctx, dec, emb] = inputShape as tf.Shape[];
    const dims = [ctx, dec, emb].map((s) => s[s.length - 1]);
    if (dims.some((d) => d == null)) {
      throw new Error(
        "PointerGenerator: the last dimensions of context, decoder output and embedding must be known",
      );
    }
    const init = () => tf.initializers.glorotUniform({});
    this.wc = this.addWeight("w_context", [dims[0]!, 1], "float32", init());
    this.ws = this.addWeight("w_state", [dims[1]!, 1], "float32", init());
    this.wx = this.addWeight("w_input", [dims[2]!, 1], "float32", init());
    this.b = this.addWeight("b", [1], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [vocab, att] = inputShape as tf.Shape[];
    const v = vocab[2], tin = att[2];
    return [vocab[0], vocab[1], v == null || tin == null ? null : v + tin];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [vocab, att, ctx, dec, emb, ext] = inputs as tf.Tensor[];
      const pGen = this.gate(ctx as tf.Tensor3D, dec as tf.Tensor3D, emb as tf.Tensor3D);
      if (this.parts) {
        // kept: they outlive this tidy (and the caller's scopes) until the caller disposes them
        this.parts.push({
          pGen: tf.keep(pGen),
          attention: tf.keep(tf.clone(att)) as tf.Tensor3D,
          extended: tf.keep(tf.clone(ext)) as tf.Tensor2D,
        });
        // a view, not the input itself: tfjs-layers would clone an input returned as is, and the clone's gradient
        // copies the whole (B, T, V) gradient
        return tf.reshape(vocab, vocab.shape);
      }
      return this.mix(vocab as tf.Tensor3D, att as tf.Tensor3D, pGen, ext as tf.Tensor2D);
    });
  }

  /**
   * Run `apply` (a synchronous call of the model that holds this layer, e.g. `() => model.apply(inputs)`) with the
   * layer handing out what it mixes instead of mixing it: during `apply` the layer's call returns its first input
   * unchanged (a view of it, `(B, T, V)`: the vocabulary distribution, or what the caller made the output Dense give,
   * e.g. its logits: lib/speed/fused_loss.ts) and hands its gate, attention and extended ids to the returned `parts`,
   * which the caller then owns. The layer must run exactly once during `apply` (else this throws, disposing what it
   * handed out). Nothing else changes: the same weights and the same ops for the gate, on the gradient tape when
   * `apply` runs under one; afterwards the layer mixes again.
   */
  collectParts<T>(apply: () => T): { out: T; parts: PointerParts } {
    if (this.parts) throw new Error(`${this.name}: collectParts() is already running`);
    const parts: PointerParts[] = [];
    this.parts = parts;
    try {
      const out = apply();
      if (parts.length !== 1) throw new Error(`${this.name}: ran ${parts.length} times in collectParts()`);
      return { out, parts: parts[0] };
    } catch (e) {
      tf.dispose(parts.flatMap((p) => [p.pGen, p.attention, p.extended]));
      throw e;
    } finally {
      this.parts = null;
    }
  }

  /** `p_gen (B, T, 1)`: the probability of generating from the vocabulary rather than copying. */
  gate(ctx: tf.Tensor3D, dec: tf.Tensor3D, emb: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t] = dec.shape;
      const proj = (x: tf.Tensor3D, w: tf.LayerVariable) =>
        tf.matMul(tf.reshape(x, [b * t, x.shape[2]]), w.read());
      const logit = tf.add(
        tf.add(tf.add(proj(ctx, this.wc!), proj(dec, this.ws!)), proj(emb, this.wx!)),
        this.b!.read(),
      );
      return tf.reshape(tf.sigmoid(logit), [b, t, 1]) as tf.Tensor3D;
    });
  }

  /** The final distribution `(B, T, V + Tin)` from the vocabulary distribution, attention and gate. */
  mix(vocab: tf.Tensor3D, att: tf.Tensor3D, pGen: tf.Tensor3D, ext: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t, v] = vocab.shape;
      const tin = att.shape[2];
      const generated = tf.concat([tf.mul(pGen, vocab), tf.zeros([b, t, tin])], -1);
      const copied = scatterCopy(tf.mul(tf.sub(1, pGen), att) as tf.Tensor3D, ext, v + tin);
      return tf.add(generated, copied) as tf.Tensor3D;
    });
  }
}

tf.serialization.registerClass(PointerGenerator);
