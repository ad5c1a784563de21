import * as tf from '@tensorflow/tfjs';
import type { AlignmentLoss } from '../train/trainer.js';

/** Sample covariance of the rows: [n, d] → [d, d], C = (X − x̄)ᵀ(X − x̄) / (n − 1). */
function covariance(x: tf.Tensor2D): tf.Tensor2D {
  const centred = tf.sub(x, tf.mean(x, 0, true));
  return tf.div(tf.matMul(centred, centred, true, false), Math.max(1, x.shape[0] - 1)) as tf.Tensor2D;
}

/**
 * Deep CORAL (Sun & Saenko, "Deep CORAL: Correlation Alignment for Deep Domain Adaptation", ECCV 2016
 * workshops, eq. 1): the squared Frobenius distance between the source and target embedding covariances,
 *
 *   L = ‖C_s − C_t‖²_F / (4d²),   C = (X − x̄)ᵀ(X − x̄) / (n − 1)
 *
 * with f_s: [n_s, d] and f_t: [n_t, d]. It aligns second-order statistics only: a shift of the means costs
 * nothing (batch norm and AdaBN handle those).
 *
 * Example: d = 2, f_s = [[1, 0], [−1, 0]] (C_s = diag(2, 0)), f_t = [[0, 1], [0, −1]] (C_t = diag(0, 2)):
 * L = (2² + 2²) / (4·4) = 0.5.
 */
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
