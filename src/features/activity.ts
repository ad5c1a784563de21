import type { FeatureConfig, FeatureMatrix } from './config.js';

/**
 * Mean log mel energy of each frame, read back from the features: column 0 of an orthonormal-DCT MFCC is
 * sum(log mel) / sqrt(bins), and a filterbank's first `numMelBins` columns are the log mel energies.
 */
export function frameLogEnergy(matrix: FeatureMatrix, config: FeatureConfig): Float32Array {
  const energy = new Float32Array(matrix.frames);
  for (let t = 0; t < matrix.frames; t++) {
    const row = t * matrix.dims;
    if (config.kind === 'mfcc') {
      energy[t] = matrix.data[row] / Math.sqrt(config.numMelBins);
    } else {
      let sum = 0;
      for (let b = 0; b < config.numMelBins; b++) sum += matrix.data[row + b];
      energy[t] = sum / config.numMelBins;
    }
  }
  return energy;
}

/** The energy below which a frame is quiet: `thresholdDb` under the loudest frame's (energies are natural-log powers). */
export function quietFloor(energy: Float32Array, thresholdDb: number): number {
  let loudest = -Infinity;
  for (const value of energy) loudest = Math.max(loudest, value);
  return loudest - (thresholdDb / 10) * Math.LN10;
}

/** Rows `first` … `end`−1 of the matrix whose energy (`frameLogEnergy` of it) reaches `floor`; the matrix itself when that is all of it. */
export function framesReaching(matrix: FeatureMatrix, energy: Float32Array, floor: number, first = 0, end = matrix.frames): FeatureMatrix {
  const kept: number[] = [];
  for (let t = first; t < end; t++) if (energy[t] >= floor) kept.push(t);
  if (kept.length === matrix.frames) return matrix;
  const data = new Float32Array(kept.length * matrix.dims);
  kept.forEach((t, row) => data.set(matrix.data.subarray(t * matrix.dims, (t + 1) * matrix.dims), row * matrix.dims));
  return { frames: kept.length, dims: matrix.dims, data };
}

/**
 * Keeps the frames within `thresholdDb` of the utterance's loudest one. Padding and pauses carry no
 * emotion but dominate statistics (a clip zero-padded to 2 s has a floor-valued tail).
 */
export function dropQuietFrames(matrix: FeatureMatrix, config: FeatureConfig, thresholdDb: number): FeatureMatrix {
  const energy = frameLogEnergy(matrix, config);
  return framesReaching(matrix, energy, quietFloor(energy, thresholdDb));
}
