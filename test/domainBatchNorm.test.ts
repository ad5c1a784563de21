import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchStatistics, statisticsBatches } from '../src/train/batchNorm.js';
import { domainBatchOrder } from '../src/train/domainBatchNorm.js';
import { createRng } from '../src/util/random.js';

/** frames [batch, time, 1] -> mean over time -> a batch norm (γ = 1, β = 0) as the embedding -> a dense classifier. */
function batchNormNet(): tf.LayersModel {
  const frames = tf.input({ shape: [null, 1] });
  const pooled = tf.layers.globalAveragePooling1d().apply(frames);
  const embedding = tf.layers.batchNormalization({ epsilon: 1e-6, name: 'embedding' }).apply(pooled) as tf.SymbolicTensor;
  const probabilities = tf.layers.dense({ units: 2, activation: 'softmax', name: 'classifier' }).apply(embedding) as tf.SymbolicTensor;
  return tf.model({ inputs: frames, outputs: [probabilities, embedding] });
}

const clip = (value: number) => ({ frames: 1, dims: 1, data: Float32Array.from([value]) });

describe('domain-specific batch norm (Chang et al. 2019)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('deals every training batch to one domain, in rounds, each balanced over its own classes', () => {
    // Domain 0: 6 clips of classes 0/1 (cells 0, 1); domain 1: 4 clips (cells 2, 3); domain 2: 8 clips (cells 4, 5).
    const domains = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2];
    const cells = domains.map((domain, i) => 2 * domain + (i % 2));
    const order = domainBatchOrder(cells, domains, 7, 4, createRng(1));
    const batches = Array.from({ length: 7 }, (_, step) => order.slice(4 * step, 4 * step + 4));
    const batchDomains = batches.map((batch) => new Set(batch.map((i) => domains[i])));
    batchDomains.forEach((set) => expect(set.size).toBe(1));
    // 7 batches over 3 domains: two full rounds and one more, whatever the corpora's sizes.
    const perDomain = [0, 1, 2].map((d) => batchDomains.filter((set) => set.has(d)).length).sort();
    expect(perDomain).toEqual([2, 2, 3]);
    // Within a batch of 4 from a domain of 2 cells: 2 clips of each class.
    batches.forEach((batch) => expect(batch.filter((i) => cells[i] % 2 === 0)).toHaveLength(2));
  });

  it("re-estimates on batches of one domain each, whose statistics are that domain's (the example of domainBatchNorm.ts)", () => {
    // Domain 0: 1, 3 (mean 2, variance 1); domain 1: 10, 20, 30 (mean 20, variance 200/3).
    const batches = statisticsBatches([1, 10, 3, 20, 30].map(clip), 1, 0, 8, [0, 1, 0, 1, 1]);
    expect(batches.map((batch) => [batch.domain, ...batch.frames])).toEqual([[0, 1, 3], [1, 10, 20, 30]]);
    const model = batchNormNet();
    const [[mean0, variance0], [mean1, variance1]] = batches.map((batch) => batchStatistics(model, batch).map((values) => values[0]));
    expect([mean0, variance0]).toEqual([2, 1]);
    expect(mean1).toBeCloseTo(20, 5);
    expect(variance1).toBeCloseTo(200 / 3, 4);
    // Without domains the batches mix them: one batch of all five, mean 12.8 and variance 118.16.
    const mixed = statisticsBatches([1, 10, 3, 20, 30].map(clip), 1, 0, 8);
    expect(mixed.map((batch) => batch.domain)).toEqual([0]);
    const [mean, variance] = batchStatistics(model, mixed[0]).map((values) => values[0]);
    expect(mean).toBeCloseTo(12.8, 5);
    expect(variance).toBeCloseTo(118.16, 3);
  });
});
