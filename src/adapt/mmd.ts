import * as tf from '@tensorflow/tfjs';
import type { AlignmentLoss } from '../train/trainer.js';
import { stopGradient } from './grl.js';

/** ‖a_i − b_j‖² for every row pair: [n, d] × [m, d] → [n, m], negatives from rounding clipped to 0. */
function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const aa = tf.sum(tf.square(a), 1, true);
  const bb = tf.sum(tf.square(b), 1, true);
  return tf.relu(tf.add(tf.sub(aa, tf.mul(2, tf.matMul(a, b, false, true))), tf.transpose(bb))) as tf.Tensor2D;
}

/**
 * Multi-kernel maximum mean discrepancy of DAN (Long et al., "Learning Transferable Features with Deep
 * Adaptation Networks", ICML 2015; Gretton et al., JMLR 2012 for MMD), the **biased** (V-statistic)
 * estimator of MMD², as TLlib's `MultipleKernelMaximumMeanDiscrepancy` with `linear=False`.
 *
 * With f_s: [n_s, d] source and f_t: [n_t, d] target embeddings, z = [f_s; f_t] (n = n_s + n_t rows),
 * D_ij = ‖z_i − z_j‖², D̄ = Σ_ij D_ij / (n² − n) (the mean distance between distinct rows, held constant for
 * the gradient) and the kernel a sum of Gaussians whose bandwidths are multiples m of D̄ (so the loss needs
 * no tuning to the embedding's scale; TLlib's `GaussianKernel(alpha = m/2)`):
 *
 *   k(x, y) = Σ_m exp(−‖x − y‖² / (m·D̄ + 1e-6))
 *   MMD²_b  = mean_{i,j ∈ s} k(f_s,i, f_s,j) + mean_{i,j ∈ t} k(f_t,i, f_t,j) − 2 · mean_{i ∈ s, j ∈ t} k(f_s,i, f_t,j)
 *
 * Biased: the within-domain means include the diagonal k(x, x) = (number of kernels), so the estimate is
 * never negative and is above 0 for two finite samples of one distribution; the unbiased U-statistic
 * would leave the diagonal out.
 *
 * Example (one kernel, m = 1): f_s = [[0], [1]], f_t = [[2], [3]] give D̄ = 40/12, k = exp(−0.3 D) and
 * MMD²_b = (1 + e^−0.3) − (2e^−1.2 + e^−2.7 + e^−0.3)/2 ≈ 1.03561.
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
