import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { fewestInputFrames } from '../model/emotionModel.js';
import { forward } from '../model/forward.js';
import { cropOrTile } from './windows.js';

export interface Inference {
  probabilities: number[][];
  embeddings: number[][];
}

/**
 * Inference mode, one utterance at a time at its full length: no cropping, no padding. An utterance shorter
 * than the model's pooling needs is repeated end to end up to that length, as training windows are.
 * The matrices are model inputs already (see `modelInputs`).
 */
export function infer(model: tf.LayersModel, matrices: FeatureMatrix[]): Inference {
  const probabilities: number[][] = [];
  const embeddings: number[][] = [];
  const fewestFrames = fewestInputFrames(model);
  for (const matrix of matrices) {
    const frames = Math.max(matrix.frames, fewestFrames);
    let data = matrix.data;
    if (frames !== matrix.frames) {
      data = new Float32Array(frames * matrix.dims);
      cropOrTile(matrix, frames, () => 0, data, 0);
    }
    tf.tidy(() => {
      const result = forward(model, tf.tensor3d(data, [1, frames, matrix.dims]), { training: false });
      probabilities.push(Array.from(result.probabilities.dataSync()));
      embeddings.push(Array.from(result.embedding.dataSync()));
    });
  }
  return { probabilities, embeddings };
}

export function predictProbabilities(model: tf.LayersModel, matrices: FeatureMatrix[]): number[][] {
  return infer(model, matrices).probabilities;
}

/** The index of the largest value; the first of equal ones. */
export function argMax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
