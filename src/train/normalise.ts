import type { FeatureMatrix } from '../features/config.js';
import type { NormalisationCard } from '../model/io.js';

export type NormalisationMode = NormalisationCard['mode'];

function utteranceMean(matrix: FeatureMatrix): Float64Array {
  const mean = new Float64Array(matrix.dims);
  for (let t = 0; t < matrix.frames; t++) for (let d = 0; d < matrix.dims; d++) mean[d] += matrix.data[t * matrix.dims + d];
  return mean.map((value) => value / Math.max(1, matrix.frames));
}

/**
 * Per-dimension mean and std over every frame of a domain. In 'utterance' mode each utterance's own mean
 * is removed first (so the std is that of the centred frames), which needs no data of the domain at all
 * at test time beyond the clip itself.
 */
export function fitNormalisation(matrices: FeatureMatrix[], mode: NormalisationMode, fittedOn: string, activeFrameThresholdDb: number): NormalisationCard {
  const dims = matrices[0].dims;
  const sum = new Float64Array(dims);
  const sumSq = new Float64Array(dims);
  let count = 0;
  for (const matrix of matrices) {
    const centre = mode === 'utterance' ? utteranceMean(matrix) : new Float64Array(dims);
    for (let t = 0; t < matrix.frames; t++) {
      for (let d = 0; d < dims; d++) {
        const value = matrix.data[t * dims + d] - centre[d];
        sum[d] += value;
        sumSq[d] += value * value;
      }
    }
    count += matrix.frames;
  }
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sumSq, (s, d) => Math.sqrt(Math.max(s / count - mean[d] * mean[d], 1e-8)));
  return { mode, mean: mode === 'utterance' ? new Array(dims).fill(0) : mean, std, fittedOn, activeFrameThresholdDb };
}

export function applyNormalisation(matrix: FeatureMatrix, normalisation: NormalisationCard): FeatureMatrix {
  const { dims } = matrix;
  const centre = normalisation.mode === 'utterance' ? utteranceMean(matrix) : Float64Array.from(normalisation.mean);
  const data = new Float32Array(matrix.data.length);
  for (let t = 0; t < matrix.frames; t++) {
    for (let d = 0; d < dims; d++) data[t * dims + d] = (matrix.data[t * dims + d] - centre[d]) / normalisation.std[d];
  }
  return { frames: matrix.frames, dims, data };
}
