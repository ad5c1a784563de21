import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { forward } from '../model/forward.js';
import { windowBatch, type Windows } from './batches.js';
import { createRng } from '../util/random.js';
import { evenRanges } from '../util/ranges.js';
import { rowsByDomain } from './domainBatchNorm.js';

/**
 * Re-estimation of batch-norm statistics (exact statistics before each validation, and AdaBN, Li et al.,
 * 2016): every batch-norm layer's moving mean and variance replaced by the average of its batch statistics
 * over a domain's data. Training uses it on its own data before each validation (moving averages lag far
 * behind a model that changes fast, and a model judged with stale statistics can predict one class for
 * everything); adaptation uses it on the target domain. Each batch's statistics depend on that batch alone,
 * so threads can compute them for different batches (see dataParallel.ts).
 */

interface NormLayer {
  momentum: number;
  getWeights(): tf.Tensor[];
  setWeights(weights: tf.Tensor[]): void;
}

function normLayers(model: tf.LayersModel): NormLayer[] {
  return model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization') as unknown as NormLayer[];
}

/** A batch the statistics are averaged over, and the domain its clips come from (0 when there is one). */
export interface StatisticsBatch extends Windows {
  domain: number;
}

/**
 * The domain's data as the batches the statistics are averaged over: equal-sized (a last batch of one would
 * contribute a variance of zero), windows drawn with the seed. With `domains` (each clip's, for domain batch
 * norm, domainBatchNorm.ts), every batch holds one domain's clips: each domain's clips (in data order) cut
 * into batches of their own, domains ascending, so the average is over the domains' own statistics.
 */
export function statisticsBatches(data: FeatureMatrix[], windowFrames: number, seed: number, batchSize = 32, domains?: readonly number[]): StatisticsBatch[] {
  const rng = createRng(seed);
  const groups: [number, FeatureMatrix[]][] = domains ? rowsByDomain(domains).map(([domain, rows]) => [domain, rows.map((row) => data[row])]) : [[0, data]];
  return groups.flatMap(([domain, clips]) =>
    evenRanges(clips.length, Math.ceil(clips.length / batchSize)).map(([start, end]) => {
      const members = clips.slice(start, end);
      return { frames: windowBatch(members, windowFrames, rng, null), count: members.length, windowFrames, dims: members[0].dims, domain };
    }),
  );
}

/** The mean and variance that each batch-norm layer computes over one batch in training mode, layer by layer: [mean, variance, mean, variance, ...]. */
export function batchStatistics(model: tf.LayersModel, batch: Windows): Float32Array[] {
  const layers = normLayers(model);
  const momenta = layers.map((layer) => layer.momentum);
  // With momentum 0 and moving statistics of 0, a training-mode update writes the batch statistics exactly: 0 − (0 − x)·1.
  for (const layer of layers) {
    const [gamma, beta, mean, variance] = layer.getWeights();
    const zeros = [tf.zerosLike(mean), tf.zerosLike(variance)];
    layer.setWeights([gamma, beta, ...zeros]);
    tf.dispose(zeros);
    layer.momentum = 0;
  }
  tf.tidy(() => {
    forward(model, tf.tensor3d(batch.frames, [batch.count, batch.windowFrames, batch.dims]), { training: true });
  });
  layers.forEach((layer, k) => (layer.momentum = momenta[k]));
  return layers.flatMap((layer) => layer.getWeights().slice(2).map((moving) => moving.dataSync() as Float32Array));
}

/**
 * Sets each layer's moving statistics to the average of the batches' (in batch order), through the
 * update tfjs itself makes with momentum i/(i+1) on the i-th batch, in float32 as it does:
 * moving − (moving − batch)·(1 − momentum).
 */
export function applyBatchStatistics(model: tf.LayersModel, perBatch: Float32Array[][]): void {
  for (const [k, layer] of normLayers(model).entries()) {
    const [gamma, beta, ...moving] = layer.getWeights();
    const averaged = moving.map((tensor, m) => {
      const values = Float32Array.from(tensor.dataSync());
      perBatch.forEach((statistics, i) => {
        const decay = Math.fround(1 - i / (i + 1));
        const batch = statistics[2 * k + m];
        for (let j = 0; j < values.length; j++) values[j] = Math.fround(values[j] - Math.fround(Math.fround(values[j] - batch[j]) * decay));
      });
      return tf.tensor(values, tensor.shape);
    });
    layer.setWeights([gamma, beta, ...averaged]);
    tf.dispose(averaged);
  }
}

export function hasBatchNorm(model: tf.LayersModel): boolean {
  return normLayers(model).length > 0;
}

/** Re-estimates every batch-norm layer's statistics on `data`, in this thread. */
export function reestimateBatchNorm(model: tf.LayersModel, data: FeatureMatrix[], windowFrames: number, seed: number, batchSize = 32): void {
  if (!hasBatchNorm(model)) return;
  applyBatchStatistics(model, statisticsBatches(data, windowFrames, seed, batchSize).map((batch) => batchStatistics(model, batch)));
}
