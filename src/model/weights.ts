import type * as tf from '@tensorflow/tfjs';

/** The name of the first weight of the model holding a NaN or an infinity, or null when all are finite. */
export function nonFiniteWeight(model: tf.LayersModel): string | null {
  for (const weight of model.weights) {
    const values = weight.read().dataSync();
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return weight.name;
  }
  return null;
}
