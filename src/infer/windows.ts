import type { FeatureMatrix } from '../features/config.js';
import type { Rng } from '../util/random.js';

/**
 * A window of exactly `length` frames: a random crop of a longer utterance, or a shorter one repeated
 * end to end. Repeating rather than zero-padding keeps batch-norm and pooling statistics free of padding.
 */
export function cropOrTile(matrix: FeatureMatrix, length: number, rng: Rng, target: Float32Array, offset: number): void {
  const { dims, frames } = matrix;
  const start = frames > length ? Math.floor(rng() * (frames - length + 1)) : 0;
  for (let t = 0; t < length; t++) {
    const source = (start + t) % frames;
    target.set(matrix.data.subarray(source * dims, (source + 1) * dims), offset + t * dims);
  }
}
