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
  /** Saved as the stock class: the weights and the numbers are tfjs's TimeDistributed's. */
  override getClassName(): string {
    return "TimeDistributed";
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [b, t, ...rest] = x.shape;
      const out = this.layer.call(tf.reshape(x, [b * t, ...rest]), kwargs);
      const y = Array.isArray(out) ? out[0] : out;
      return tf.reshape(y, [b, t, ...y.shape.slice(1)]);
    });
  }
}
