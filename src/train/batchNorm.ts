import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { forward } from '../model/forward.js';
import { windowBatch } from './batches.js';
import { createRng } from '../util/random.js';

/**
 * Replaces every batch-norm layer's moving statistics by the statistics of `data`. A momentum of i/(i+1)
 * on the i-th batch makes the moving value the plain average of all batches. Training uses it on its own
 * data before each validation (moving averages lag far behind a model that changes fast, and a model
 * judged with stale statistics can predict one class for everything); adaptation uses it on the target
 * domain (AdaBN, Li et al., 2016).
 */
export function reestimateBatchNorm(model: tf.LayersModel, data: FeatureMatrix[], windowFrames: number, seed: number, batchSize = 32): void {
  const normLayers = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
  if (normLayers.length === 0) return;
  const momenta = normLayers.map((layer) => (layer as unknown as { momentum: number }).momentum);
  const rng = createRng(seed);
  const batches = Math.ceil(data.length / batchSize);
  for (let i = 0; i < batches; i++) {
    normLayers.forEach((layer) => ((layer as unknown as { momentum: number }).momentum = i / (i + 1)));
    // Equal-sized batches: a last batch of one would contribute a variance of zero.
    const members = data.slice(Math.round((i * data.length) / batches), Math.round(((i + 1) * data.length) / batches));
    const frames = windowBatch(members, windowFrames, rng, null);
    tf.tidy(() => {
      forward(model, tf.tensor3d(frames, [members.length, windowFrames, members[0].dims]), { training: true });
    });
  }
  normLayers.forEach((layer, k) => ((layer as unknown as { momentum: number }).momentum = momenta[k]));
}
