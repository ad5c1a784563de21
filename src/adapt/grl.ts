import * as tf from '@tensorflow/tfjs';

/**
 * The gradient reversal layer R_λ of DANN (Ganin & Lempitsky, "Unsupervised Domain Adaptation by
 * Backpropagation", ICML 2015, eq. 8–9), TLlib's `GradientReverseLayer`: identity forward, the gradient
 * multiplied by −λ backward,
 *
 *   R_λ(x) = x,   ∂R_λ/∂x = −λ·I
 *
 * for any shape. Example: R_0.7([[1, −2]]) = [[1, −2]]; an upstream gradient [[1, 2]] comes back as [[−0.7, −1.4]].
 */
export function reverseGradient<T extends tf.Tensor>(x: T, coefficient: number): T {
  const reversal = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.mul(dy, -coefficient) };
  });
  return reversal(x) as T;
}

/** A value that training must not move (tfjs has no stop-gradient op): R_0, its gradient is zero. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return reverseGradient(x, 0);
}

/**
 * The warm-start schedule of λ in DANN (Ganin & Lempitsky 2015, §5.2; TLlib's `WarmStartGradientReverseLayer`
 * with lo 0, hi 1, alpha 10): at training progress p ∈ [0, 1],
 *
 *   λ(p) = 2 / (1 + exp(−γ p)) − 1,   γ = 10
 *
 * so the discriminator's noisy early signal barely reaches the encoder. λ(0) = 0, λ(0.1) ≈ 0.462, λ(0.5) ≈ 0.987.
 */
export function warmStartCoefficient(progress: number, steepness = 10): number {
  return 2 / (1 + Math.exp(-steepness * progress)) - 1;
}
