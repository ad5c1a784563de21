import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEmotionModel, fewestInputFrames, type ModelSpec } from '../src/model/emotionModel.js';
import { forward } from '../src/model/forward.js';
import { StatsPooling } from '../src/model/layers.js';
import { reestimateBatchNorm } from '../src/train/batchNorm.js';
import { trainClassifier, type LabelledSet } from '../src/train/trainer.js';
import { argMax, infer, predictProbabilities } from '../src/infer/infer.js';
import { classes, syntheticSet } from './helpers/synthetic.js';

const spec: ModelSpec = { inputDims: 6, numClasses: 4, channels: [8, 8], kernelSize: 3, embeddingDim: 16, inputStatistics: true, seed: 1 };

describe('emotion model and trainer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs on utterances of any length and gives probabilities and an embedding', () => {
    const model = buildEmotionModel(spec);
    for (const frames of [7, 40, 123]) {
      const { probabilities, embedding } = forward(model, tf.randomNormal([2, frames, 6]), { training: false });
      expect(probabilities.shape).toEqual([2, 4]);
      expect(embedding.shape).toEqual([2, 16]);
      const sums = tf.sum(probabilities, 1).arraySync() as number[];
      sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
    }
  });

  it('predicts utterances shorter than its pooling needs by repeating them, as training windows do', () => {
    const model = buildEmotionModel(spec);
    expect(fewestInputFrames(model)).toBe(2);
    const short = { frames: 1, dims: 6, data: Float32Array.from([0.5, -1, 2, 0, 1, -0.5]) };
    const repeated = { frames: 2, dims: 6, data: Float32Array.from([...short.data, ...short.data]) };
    const [a, b] = infer(model, [short, repeated]).probabilities;
    a.forEach((p, k) => {
      expect(Number.isFinite(p)).toBe(true);
      expect(p).toBeCloseTo(b[k], 6);
    });
  });

  it('learns a learnable task well above chance on held-out data', async () => {
    const model = buildEmotionModel(spec);
    const train = syntheticSet(96, 1);
    const test = syntheticSet(48, 2);
    const result = await trainClassifier(model, train, {
      classes, epochs: 12, batchSize: 16, learningRate: 0.01, windowFrames: 24, seed: 3, dropout: 0.1,
      classBalanced: true, augment: null, validation: test,
    });
    const predictions = predictProbabilities(model, test.matrices).map(argMax);
    const accuracy = predictions.filter((p, i) => p === test.labels[i]).length / test.labels.length;
    expect(accuracy).toBeGreaterThan(0.6);
    expect(result.bestValidationUar).toBeGreaterThan(0.6);
  });

  it('without conv blocks, learns from utterance statistics alone, which AdaBN standardises per domain', async () => {
    const functionals: ModelSpec = { ...spec, channels: [], utteranceNorm: true };
    const model = buildEmotionModel(functionals);
    expect(model.layers.map((layer) => layer.getClassName())).not.toContain('Conv1D');
    const train = syntheticSet(96, 1);
    const test = syntheticSet(48, 2);
    await trainClassifier(model, train, {
      classes, epochs: 12, batchSize: 16, learningRate: 0.01, windowFrames: 24, seed: 3, dropout: 0.1, classBalanced: true, augment: null,
    });
    const correct = (set: LabelledSet) => predictProbabilities(model, set.matrices).map(argMax).filter((p, i) => p === set.labels[i]).length / set.labels.length;
    expect(correct(test)).toBeGreaterThan(0.6);

    // Another domain: every feature shifted by 3. Its pooled means move by 3, and AdaBN follows them.
    const shifted = test.matrices.map((m) => ({ ...m, data: m.data.map((v) => v + 3) }));
    const utteranceNorm = model.getLayer('utterance_bn');
    const movingMean = () => (utteranceNorm.getWeights()[2].arraySync() as number[]).slice(0, 6);
    reestimateBatchNorm(model, test.matrices, 24, 5);
    const before = movingMean();
    reestimateBatchNorm(model, shifted, 24, 5);
    movingMean().forEach((mean, d) => expect(mean - before[d]).toBeCloseTo(3, 1));
    expect(correct({ matrices: shifted, labels: test.labels })).toBeGreaterThan(0.6);
  });

  it('pools percentiles of its input beside mean and std, as numpy computes them, and keeps them through its saved topology', async () => {
    // One utterance, 11 frames, 2 dims; numpy: mean [5, 5.364], std [3.162, 5.432], P10 [1, 1], P50 [5, 4], P90 [9, 10], P25 [2.5, 1.5].
    const frames = tf.tensor2d([[0, 10], [5, 20], [2, 0], [9, 1], [1, 1], [3, 2], [4, 3], [8, 4], [6, 5], [7, 6], [10, 7]]).reshape([1, 11, 2]);
    const pooled = (new StatsPooling({ percentiles: [0.1, 0.5, 0.9, 0.25] }).apply(frames) as tf.Tensor).arraySync() as number[][];
    const expected = [5, 5.3636, 3.1623, 5.4318, 1, 1, 5, 4, 9, 10, 2.5, 1.5];
    pooled[0].forEach((value, i) => expect(value).toBeCloseTo(expected[i], 3));
    expect(() => new StatsPooling({ percentiles: [90] })).toThrow(/fractions in \[0, 1\]/);

    const withPercentiles: ModelSpec = { ...spec, channels: [], utteranceNorm: true, inputPercentiles: [0.1, 0.5, 0.9] };
    const model = buildEmotionModel(withPercentiles);
    expect(model.getLayer('utterance_bn').getWeights()[0].shape).toEqual([5 * 6]);
    // Trains (no gradient is asked of the sort: nothing before it learns) well above chance.
    await trainClassifier(model, syntheticSet(96, 1), {
      classes, epochs: 8, batchSize: 16, learningRate: 0.01, windowFrames: 24, seed: 3, dropout: 0.1, classBalanced: true, augment: null,
    });
    const test = syntheticSet(48, 2);
    expect(predictProbabilities(model, test.matrices).map(argMax).filter((p, i) => p === test.labels[i]).length / 48).toBeGreaterThan(0.6);
    const reloaded = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
    expect(reloaded.getLayer('frame_statistics').getConfig().percentiles).toEqual([0.1, 0.5, 0.9]);
    // A model without them writes no percentiles, as before they existed.
    expect(buildEmotionModel({ ...spec, channels: [] }).getLayer('frame_statistics').getConfig()).not.toHaveProperty('percentiles');
  });

  it('resumes from its last checkpoint to the same weights as an uninterrupted run', async () => {
    const train = syntheticSet(32, 4);
    const options = {
      classes, epochs: 4, batchSize: 8, learningRate: 0.01, windowFrames: 16, seed: 9, dropout: 0.2,
      classBalanced: true, augment: { timeMasks: 1, maxTimeFraction: 0.2, featureMasks: 1, maxFeatureFraction: 0.2 },
    };
    const uninterrupted = buildEmotionModel(spec);
    await trainClassifier(uninterrupted, train, options);

    const checkpointDir = mkdtempSync(join(tmpdir(), 'ser-ckpt-'));
    const interrupted = buildEmotionModel(spec);
    await trainClassifier(interrupted, train, { ...options, epochs: 2, checkpointDir });
    const resumed = buildEmotionModel({ ...spec, seed: 77 });
    const result = await trainClassifier(resumed, train, { ...options, checkpointDir, resume: true });
    expect(result.resumedFrom).toBe(2);
    const a = uninterrupted.getWeights().map((w) => Array.from(w.dataSync()));
    const b = resumed.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b.length).toBe(a.length);
    // Bit for bit (issue 16 fault 15: they differed by 1.6e-3 while Adam's running powers were recomputed on resume).
    expect(b).toEqual(a);
  });
});
