/**
 * {@linkcode FastTimeDistributed}: tfjs's `TimeDistributed` calls its layer once per time step through the RNN loop
 * (for the output softmax: T matmuls of B rows). This one folds time into the batch: one call on B*T rows. Exact for
 * layers that treat rows independently (Dense, activations, dropout), which {@linkcode accelerate} checks before it
 * turns a built `TimeDistributed` into one (./accelerate.ts). It adds no state and saves as `TimeDistributed`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { FastTimeDistributed } from "./fast_time_distributed.ts";
 * const td = new FastTimeDistributed({ layer: tf.layers.dense({ units: 3 }) });
 * const y = td.apply(tf.ones([2, 5, 4])) as tf.Tensor;
 * assertEquals(y.shape, [2, 5, 3]);
 * assertEquals(td.getClassName(), "TimeDistributed"); // what model.json says
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stockClass } from "./fast_lstm.ts";

type StockTimeDistributed = ReturnType<typeof tf.layers.timeDistributed>;
type TimeDistributedArgs = Parameters<typeof tf.layers.timeDistributed>[0];
type Kwargs = Parameters<StockTimeDistributed["call"]>[1];

const TimeDistributedBase = stockClass<new (args: TimeDistributedArgs) => StockTimeDistributed>(
  "TimeDistributed",
);

/** The layers a time-folded call computes exactly (they treat every row on its own). */
export const ROW_WISE_LAYERS: readonly string[] = ["Dense", "Activation", "Dropout"];

/** `TimeDistributed` that applies its layer once to all B*T rows instead of once per time step. */
export class FastTimeDistributed extends TimeDistributedBase {
  /** The flat rows (`b * T + t`) to compute while {@linkcode onRows} runs; null: all of them. */
  private rows: tf.Tensor1D | null = null;

  /** Saved as the stock class: the weights and the numbers are tfjs's TimeDistributed's. */
  override getClassName(): string {
    return "TimeDistributed";
  }

  /**
   * `f()` with this layer computing only the flat rows `rows` (`b * T + t`, int32) of its `(B, T, ...)` input, so
   * that its output is `(1, N, ...)` for N rows: lib/speed/fused_loss.ts computes the output layer (most of a
   * training step's products) at the real target positions only, padding being up to 41% of them (the `envnews`
   * profile's training split). The rows are put back to all of them before this returns; `f` must be synchronous.
   */
  onRows<T>(rows: tf.Tensor1D, f: () => T): T {
    const previous = this.rows;
    this.rows = rows;
    try {
      return f();
    } finally {
      this.rows = previous;
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, t, ...rest] = x.shape;
      const flat = tf.reshape(x, [b * t, ...rest]);
      const out = this.layer.call(this.rows ? tf.gather(flat, this.rows) : flat, kwargs);
      const y = Array.isArray(out) ? out[0] : out;
      return tf.reshape(y, this.rows ? [1, ...y.shape] : [b, t, ...y.shape.slice(1)]);
    });
  }
}
