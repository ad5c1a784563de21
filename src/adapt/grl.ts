import * as tf from '@tensorflow/tfjs';

/** Identity forward; the gradient flows back multiplied by -coefficient (Ganin & Lempitsky, 2015). */
export function reverseGradient<T extends tf.Tensor>(x: T, coefficient: number): T {
  const reversal = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.mul(dy, -coefficient) };
  });
  return reversal(x) as T;
}

/** A value that training must not move (tfjs has no stop-gradient op): its gradient is zero. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return reverseGradient(x, 0);
}

/** The warm-start schedule of DANN: 0 at the start, rising smoothly to 1 as training progresses. */
export function warmStartCoefficient(progress: number, steepness = 10): number {
  return 2 / (1 + Math.exp(-steepness * progress)) - 1;
}
