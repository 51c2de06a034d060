/**
 * {@linkcode ReverseValid}: each row's words in reverse order, its padding left where it is. The backward half of a
 * bidirectional encoder layer (lib/model/seq2seq.ts) is an ordinary LSTM reading the reversed rows, and the same
 * layer puts its outputs back in word order (reversing twice is the identity).
 *
 * Why not reverse the whole padded row, as Keras's `go_backwards` does: a row of 7 words in 50 positions would then
 * start with 43 padding steps, and the backward state at every word would carry them. Reversing the words only,
 * the backward LSTM reads the row's words first (the last word first) and the padding after them, as the forward
 * LSTM does: the backward annotation of every word is that of a backward LSTM over the words alone, which is what
 * a masked Keras `Bidirectional` gives (the tests check it against tfjs's, masked). Padding is id 0 at the end of a
 * row (lib/data's encoding); the row's length is its count of non-zero ids.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { ReverseValid } from "./reverse.ts";
 * const x = tf.tensor3d([[[1], [2], [3], [0]]]); // (B=1, T=4, D=1): three words and one padding step
 * const tokens = tf.tensor2d([[7, 8, 9, 0]], undefined, "int32");
 * const reversed = new ReverseValid().apply([x, tokens]) as tf.Tensor;
 * assertEquals(Array.from(reversed.dataSync()), [3, 2, 1, 0]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * For every row `b` of `tokens (B, T)` (0 = padding, at the end), the flat index into `(B*T)` rows that reverses its
 * first `len_b` positions: position `t < len_b` reads `len_b - 1 - t`, the others read themselves.
 */
export function reverseValidIndices(tokens: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, t] = tokens.shape;
    const int = (v: number) => tf.scalar(v, "int32"); // a plain number would make the result float32
    const len = tf.sum(tf.cast(tf.notEqual(tokens, int(0)), "int32"), 1, true); // (B, 1)
    const pos = tf.range(0, t, 1, "int32").reshape([1, t]); // (1, T)
    const within = tf.less(pos, len); // (B, T)
    const source = tf.where(within, tf.sub(tf.sub(len, int(1)), pos), tf.broadcastTo(pos, [b, t])); // (B, T)
    const rowStart = tf.mul(tf.range(0, b, 1, "int32").reshape([b, 1]), int(t)); // (B, 1)
    return tf.reshape(tf.add(source, rowStart), [b * t]) as tf.Tensor1D;
  });
}

/** The layer; see the module documentation. Inputs `[x (B, T, D), tokens (B, T)]`, output `(B, T, D)`. */
export class ReverseValid extends tf.layers.Layer {
  /** Name under which the class is registered for (de)serialization. */
  static className = "ReverseValid";

  constructor(args: { name?: string } = {}) {
    super({ name: args.name, trainable: false });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, tokens] = inputs as tf.Tensor[];
      const [b, t, d] = x.shape;
      const idx = reverseValidIndices(tf.cast(tokens, "int32") as tf.Tensor2D);
      // one gather of rows: its gradient scatters back through the same indices
      return tf.reshape(tf.gather(tf.reshape(x, [b * t, d]), idx), [b, t, d]);
    });
  }
}

tf.serialization.registerClass(ReverseValid);
