import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { forward } from '../model/forward.js';

export interface Inference {
  probabilities: number[][];
  embeddings: number[][];
}

/** Inference mode, one utterance at a time at its full length: no cropping, no padding. */
export function infer(model: tf.LayersModel, matrices: FeatureMatrix[]): Inference {
  const probabilities: number[][] = [];
  const embeddings: number[][] = [];
  for (const matrix of matrices) {
    tf.tidy(() => {
      const result = forward(model, tf.tensor3d(matrix.data, [1, matrix.frames, matrix.dims]), { training: false });
      probabilities.push(Array.from(result.probabilities.dataSync()));
      embeddings.push(Array.from(result.embedding.dataSync()));
    });
  }
  return { probabilities, embeddings };
}

export function predictProbabilities(model: tf.LayersModel, matrices: FeatureMatrix[]): number[][] {
  return infer(model, matrices).probabilities;
}
