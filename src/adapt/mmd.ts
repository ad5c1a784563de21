import * as tf from '@tensorflow/tfjs';
import type { AlignmentLoss } from '../train/trainer.js';
import { stopGradient } from './grl.js';

function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const aa = tf.sum(tf.square(a), 1, true);
  const bb = tf.sum(tf.square(b), 1, true);
  return tf.relu(tf.add(tf.sub(aa, tf.mul(2, tf.matMul(a, b, false, true))), tf.transpose(bb))) as tf.Tensor2D;
}

/**
 * Multi-kernel maximum mean discrepancy (Long et al., 2015): Gaussian kernels whose bandwidths are
 * multiples of the batch's mean squared distance, so the loss needs no tuning to the embedding's scale.
 */
export function mmdLoss(bandwidthMultipliers: number[] = [0.25, 0.5, 1, 2, 4]): AlignmentLoss {
  return {
    name: 'mmd',
    variables: [],
    loss(source, target) {
      const both = tf.concat([source, target], 0);
      const distances = squaredDistances(both, both);
      const n = both.shape[0];
      const meanDistance = stopGradient(tf.div(tf.sum(distances), n * n - n));
      const kernel = bandwidthMultipliers
        .map((m) => tf.exp(tf.div(tf.neg(distances), tf.add(tf.mul(meanDistance, m), 1e-6))))
        .reduce((sum, k) => tf.add(sum, k)) as tf.Tensor2D;
      const ns = source.shape[0];
      const nt = target.shape[0];
      const block = (rowStart: number, rows: number, colStart: number, cols: number) =>
        tf.mean(tf.slice(kernel, [rowStart, colStart], [rows, cols]));
      return tf.sub(tf.add(block(0, ns, 0, ns), block(ns, nt, ns, nt)), tf.mul(2, block(0, ns, ns, nt))) as tf.Scalar;
    },
  };
}
