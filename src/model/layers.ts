import * as tf from '@tensorflow/tfjs';

/**
 * Mean and standard deviation over time: [batch, time, channels] -> [batch, 2 * channels].
 * Any number of frames works, so one model serves 1 s words and 10 s recordings alike.
 */
export class StatsPooling extends tf.layers.Layer {
  static readonly className = 'SerStatsPooling';
  private readonly epsilon: number;

  constructor(config: { epsilon?: number; name?: string } = {}) {
    super(config);
    this.epsilon = config.epsilon ?? 1e-5;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape;
    const channels = shape[2];
    return [shape[0], channels == null ? null : 2 * channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { mean, variance } = tf.moments(x, 1);
      const std = tf.sqrt(tf.add(variance, this.epsilon));
      return tf.concat([mean, std], 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(StatsPooling);
