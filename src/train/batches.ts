import type { FeatureMatrix } from '../features/config.js';
import { cropOrTile } from '../infer/windows.js';
import type { Rng } from '../util/random.js';

export interface SpecAugmentOptions {
  timeMasks: number;
  maxTimeFraction: number;
  featureMasks: number;
  maxFeatureFraction: number;
}

export const DEFAULT_SPEC_AUGMENT: SpecAugmentOptions = { timeMasks: 2, maxTimeFraction: 0.1, featureMasks: 2, maxFeatureFraction: 0.1 };

/** SpecAugment-style masking of one window in place; the masked value 0 is the mean of normalised features. */
export function specAugment(window: Float32Array, offset: number, frames: number, dims: number, rng: Rng, options: SpecAugmentOptions): void {
  for (let m = 0; m < options.timeMasks; m++) {
    const width = Math.floor(rng() * options.maxTimeFraction * frames);
    const start = Math.floor(rng() * (frames - width));
    window.fill(0, offset + start * dims, offset + (start + width) * dims);
  }
  for (let m = 0; m < options.featureMasks; m++) {
    const width = Math.floor(rng() * options.maxFeatureFraction * dims);
    const start = Math.floor(rng() * (dims - width));
    for (let t = 0; t < frames; t++) window.fill(0, offset + t * dims + start, offset + t * dims + start + width);
  }
}

/** Windows of several utterances, one after another. */
export interface Windows {
  /** [count, windowFrames, dims], row-major. */
  frames: Float32Array;
  count: number;
  windowFrames: number;
  dims: number;
}

/** Frames of several utterances as one [batch, length, dims] buffer. */
export function windowBatch(matrices: FeatureMatrix[], length: number, rng: Rng, augment: SpecAugmentOptions | null): Float32Array {
  const dims = matrices[0].dims;
  const batch = new Float32Array(matrices.length * length * dims);
  matrices.forEach((matrix, i) => {
    const offset = i * length * dims;
    cropOrTile(matrix, length, rng, batch, offset);
    if (augment) specAugment(batch, offset, length, dims, rng, augment);
  });
  return batch;
}
