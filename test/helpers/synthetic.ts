import type { FeatureMatrix } from '../../src/features/config.js';
import type { LabelledSet } from '../../src/train/trainer.js';
import { createRng } from '../../src/util/random.js';

export const classes = ['neutral', 'happy', 'sad', 'angry'];

/** Each class is a different temporal pattern on a different dimension, buried in noise: learnable, not trivial. */
export function syntheticSet(count: number, seed: number, dims = 6): LabelledSet {
  const rng = createRng(seed);
  const matrices: FeatureMatrix[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % classes.length;
    const frames = 30 + Math.floor(rng() * 30);
    const data = new Float32Array(frames * dims);
    for (let t = 0; t < frames; t++) {
      for (let d = 0; d < dims; d++) data[t * dims + d] = (rng() - 0.5) * 2;
      data[t * dims + label] += Math.sin(t * (0.3 + 0.4 * label)) * 1.5;
    }
    matrices.push({ frames, dims, data });
    labels.push(label);
  }
  return { matrices, labels };
}
