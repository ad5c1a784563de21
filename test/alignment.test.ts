import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { coralLoss } from '../src/adapt/coral.js';
import { dannLoss, domainDiscriminator } from '../src/adapt/dann.js';
import { mmdLoss } from '../src/adapt/mmd.js';
import type { AlignmentLoss } from '../src/train/trainer.js';

const value = (loss: AlignmentLoss, source: number[][], target: number[][]) => loss.loss(tf.tensor2d(source), tf.tensor2d(target), 1).dataSync()[0];

describe('alignment losses in closed form', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('CORAL is ‖C_s − C_t‖²_F / 4d² with the n − 1 covariance', () => {
    // d = 1: var([0, 2]) = 2, var([0, 4]) = 8, so (2 − 8)² / 4 = 9.
    expect(value(coralLoss(), [[0], [2]], [[0], [4]])).toBeCloseTo(9, 5);
    // d = 2: C_s = diag(2, 0), C_t = diag(0, 2), so (4 + 4) / 16 = 0.5; a shift of the target's mean changes nothing.
    expect(value(coralLoss(), [[1, 0], [-1, 0]], [[0, 1], [0, -1]])).toBeCloseTo(0.5, 6);
    expect(value(coralLoss(), [[1, 0], [-1, 0]], [[5, 6], [5, 4]])).toBeCloseTo(0.5, 6);
  });

  it('MMD is the biased estimator with bandwidths relative to the mean distance', () => {
    // One kernel: D̄ = 40/12, k = exp(−0.3 D); MMD²_b = (1 + e^−0.3) − (2e^−1.2 + e^−2.7 + e^−0.3)/2.
    const expected = 1 + Math.exp(-0.3) - (2 * Math.exp(-1.2) + Math.exp(-2.7) + Math.exp(-0.3)) / 2;
    expect(expected).toBeCloseTo(1.03561, 5);
    expect(value(mmdLoss([1]), [[0], [1]], [[2], [3]])).toBeCloseTo(expected, 5);
    // Biased: the within-domain means include k(x, x), so a set against itself is 0 but any other pair is above it.
    expect(value(mmdLoss([1]), [[0], [1]], [[1], [0]])).toBeCloseTo(0, 6);
    // [0, 1] against [0, 2], from the formula: the distinct pairs' squared distances 1, 0, 4, 1, 1, 4 give D̄ = 22/12, k = exp(−D/D̄).
    const s = [[0], [1]];
    const t = [[0], [2]];
    const points = [...s, ...t].map(([x]) => x);
    const k = points.map((a) => points.map((b) => Math.exp(-((a - b) ** 2) / (22 / 12 + 1e-6))));
    const block = (r: number, c: number) => (k[r][c] + k[r][c + 1] + k[r + 1][c] + k[r + 1][c + 1]) / 4;
    expect(value(mmdLoss([1]), s, t)).toBeCloseTo(block(0, 0) + block(2, 2) - 2 * block(0, 2), 5);
  });

  it('DANN with an untrained discriminator (all logits 0) is ln 2 and half right', () => {
    const discriminator = domainDiscriminator(2, 0, 4);
    discriminator.variables.forEach((variable) => variable.assign(tf.zerosLike(variable)));
    const loss = dannLoss(discriminator);
    expect(value(loss, [[1, 2], [3, 4]], [[5, 6], [7, 8]])).toBeCloseTo(Math.LN2, 6);
    // Every logit 0 is "not source": the two target rows are right, the two source rows wrong.
    expect(loss.takeMetrics!().discriminatorAccuracy.dataSync()[0]).toBe(0.5);
    expect(loss.takeMetrics!()).toEqual({});
  });
});

/**
 * Source embeddings ~ N(0, I); target ones come from a trainable affine map of N(0, I) samples that starts
 * shifted by 3 and scaled by 2. Trained on the alignment loss alone, the map should narrow the gap.
 */
describe('each alignment loss, trained, narrows a synthetic domain gap', () => {
  const d = 2;
  const n = 32;
  const gap = (source: tf.Tensor2D, target: tf.Tensor2D) =>
    tf.tidy(() => {
      const covariance = (x: tf.Tensor2D) => {
        const centred = tf.sub(x, tf.mean(x, 0, true));
        return tf.div(tf.matMul(centred, centred, true, false), n - 1);
      };
      const means = tf.norm(tf.sub(tf.mean(source, 0), tf.mean(target, 0)));
      const covariances = tf.norm(tf.sub(covariance(source), covariance(target)));
      return { means: means.dataSync()[0], covariances: covariances.dataSync()[0] };
    });

  it.each([
    { name: 'coral', makeLoss: () => coralLoss(), measured: 'covariances' },
    { name: 'mmd', makeLoss: () => mmdLoss(), measured: 'means' },
    { name: 'dann', makeLoss: () => dannLoss(domainDiscriminator(d, 1, 16)), measured: 'means' },
  ] as const)('$name narrows the gap in the $measured', ({ makeLoss, measured }) => {
    const source = tf.randomNormal([n, d], 0, 1, 'float32', 11) as tf.Tensor2D;
    const noise = tf.randomNormal([n, d], 0, 1, 'float32', 12) as tf.Tensor2D;
    const scale = tf.variable(tf.mul(tf.eye(d), 2) as tf.Tensor2D);
    const shift = tf.variable(tf.fill([d], 3));
    const mapped = () => tf.add(tf.matMul(noise, scale), shift) as tf.Tensor2D;
    const loss = makeLoss();
    const before = gap(source, mapped())[measured];
    const optimizer = tf.train.adam(0.1);
    for (let step = 0; step < 80; step++) {
      tf.tidy(() => {
        optimizer.minimize(() => loss.loss(source, mapped(), step / 80), false, [scale, shift, ...loss.variables]);
      });
      loss.takeMetrics?.();
    }
    const after = gap(source, mapped())[measured];
    expect(before).toBeGreaterThan(2);
    expect(after).toBeLessThan(0.5 * before);
  });
});
