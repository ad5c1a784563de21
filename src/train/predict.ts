import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { fewestInputFrames } from '../model/emotionModel.js';
import { forward } from '../model/forward.js';
import { windowBatch } from './batches.js';

export interface Inference {
  probabilities: number[][];
  embeddings: number[][];
}

/**
 * Inference mode, one utterance at a time at its full length: no cropping, no padding. An utterance shorter
 * than the model's pooling needs is repeated end to end up to that length, as training windows are.
 */
export function infer(model: tf.LayersModel, matrices: FeatureMatrix[]): Inference {
  const probabilities: number[][] = [];
  const embeddings: number[][] = [];
  const fewestFrames = fewestInputFrames(model);
  for (const matrix of matrices) {
    const frames = Math.max(matrix.frames, fewestFrames);
    const data = frames === matrix.frames ? matrix.data : windowBatch([matrix], frames, () => 0, null);
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
