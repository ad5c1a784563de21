import * as tf from '@tensorflow/tfjs';
import type { AlignmentLoss } from '../train/trainer.js';

function covariance(x: tf.Tensor2D): tf.Tensor2D {
  const centred = tf.sub(x, tf.mean(x, 0, true));
  return tf.div(tf.matMul(centred, centred, true, false), Math.max(1, x.shape[0] - 1)) as tf.Tensor2D;
}

/** Deep CORAL (Sun & Saenko, 2016): the distance between source and target embedding covariances. */
export function coralLoss(): AlignmentLoss {
  return {
    name: 'coral',
    variables: [],
    loss(source, target) {
      const d = source.shape[1];
      return tf.div(tf.sum(tf.square(tf.sub(covariance(source), covariance(target)))), 4 * d * d) as tf.Scalar;
    },
  };
}
