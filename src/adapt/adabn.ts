import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { forward } from '../model/forward.js';
import { windowBatch } from '../train/batches.js';
import { createRng } from '../util/random.js';

/**
 * AdaBN (Li et al., 2016): every batch-norm layer's moving statistics are replaced by the statistics of the
 * target domain. A momentum of i/(i+1) on the i-th batch makes the moving value the plain average of all
 * batches, so the result does not depend on a decay constant.
 */
export function reestimateBatchNorm(model: tf.LayersModel, target: FeatureMatrix[], windowFrames: number, seed: number, batchSize = 32): void {
  const normLayers = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
  const momenta = normLayers.map((layer) => (layer as unknown as { momentum: number }).momentum);
  const rng = createRng(seed);
  const batches = Math.ceil(target.length / batchSize);
  for (let i = 0; i < batches; i++) {
    normLayers.forEach((layer) => ((layer as unknown as { momentum: number }).momentum = i / (i + 1)));
    const members = target.slice(i * batchSize, (i + 1) * batchSize);
    const frames = windowBatch(members, windowFrames, rng, null);
    tf.tidy(() => {
      forward(model, tf.tensor3d(frames, [members.length, windowFrames, members[0].dims]), { training: true });
    });
  }
  normLayers.forEach((layer, k) => ((layer as unknown as { momentum: number }).momentum = momenta[k]));
}
