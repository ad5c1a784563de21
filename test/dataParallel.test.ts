import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutBatch, shardCount } from '../src/train/dataParallel.js';
import type { EpochReport, TrainOptions } from '../src/train/trainer.js';
import { repoRoot } from './helpers/cli.js';
import { classes, syntheticSet } from './helpers/synthetic.js';

describe('cutting a batch into shards', () => {
  const batch = {
    frames: Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => i),
    labels: Int32Array.from([0, 1, 2, 3, 0]),
    count: 5,
    windowFrames: 2,
    dims: 3,
    dropoutSeed: 40,
  };

  it('keeps every utterance once, in order, with a dropout seed per shard', () => {
    const shards = cutBatch(batch, 2);
    expect(shards.map((s) => s.count)).toEqual([3, 2]);
    expect(shards.map((s) => s.dropoutSeed)).toEqual([40, 41]);
    expect(shards.flatMap((s) => [...s.labels])).toEqual([...batch.labels]);
    expect(shards.flatMap((s) => [...s.frames])).toEqual([...batch.frames]);
    expect(cutBatch(batch, 1)[0]).toMatchObject({ count: 5, dropoutSeed: 40 });
  });

  it('gives each shard at least 8 utterances, so batch-norm statistics stay meaningful', () => {
    expect(shardCount(32, 2)).toBe(2);
    expect(shardCount(32, 8)).toBe(4);
    expect(shardCount(15, 2)).toBe(1);
    expect(shardCount(16, 2)).toBe(2);
    expect(shardCount(3, 4)).toBe(1);
  });
});

// Worker threads run the compiled build, so the training itself is tested there (`npm test` builds it first).
const compiledIndex = join(repoRoot, 'dist/src/index.js');

describe('data-parallel training (compiled build, worker threads)', () => {
  let api: typeof import('../src/index.js');

  beforeAll(async () => {
    api = (await import(pathToFileURL(compiledIndex).href)) as typeof import('../src/index.js');
    await api.selectBackend('wasm');
  });

  /** A small conv net without batch norm or dropout, whose batch gradient does not depend on how the batch is cut. */
  function convNet(seed: number): tf.LayersModel {
    const frames = tf.input({ shape: [null, 6] });
    const conv = tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(frames);
    const embedding = tf.layers.globalAveragePooling1d({ name: 'embedding' }).apply(conv) as tf.SymbolicTensor;
    const probabilities = tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: 'classifier' }).apply(embedding) as tf.SymbolicTensor;
    return tf.model({ inputs: frames, outputs: [probabilities, embedding] });
  }

  const options = (threads: number, epochs: EpochReport[]): TrainOptions => ({
    classes, epochs: 3, batchSize: 24, learningRate: 0.01, windowFrames: 20, seed: 5, dropout: 0,
    classBalanced: true, augment: null, threads, onEpoch: (report) => epochs.push(report),
  });

  it('defaults to one thread per core for conv models and to one for models of utterance statistics', () => {
    expect(api.defaultTrainingThreads({ channels: [64, 128] })).toBe(availableParallelism());
    expect(api.defaultTrainingThreads({ channels: [] })).toBe(1);
  });

  it('with two threads, takes the same steps as one thread: the shards\' gradients add up to the batch\'s', async () => {
    const data = syntheticSet(48, 11);
    const runs = [];
    for (const threads of [1, 2]) {
      const model = convNet(3);
      const epochs: EpochReport[] = [];
      await api.trainClassifier(model, data, options(threads, epochs));
      runs.push({ weights: model.getWeights().map((w) => Array.from(w.dataSync())), losses: epochs.map((e) => e.loss) });
      model.dispose();
    }
    const [single, parallel] = runs;
    parallel.losses.forEach((loss, epoch) => expect(loss).toBeCloseTo(single.losses[epoch], 5));
    single.weights.forEach((values, i) => values.forEach((v, j) => expect(parallel.weights[i][j]).toBeCloseTo(v, 4)));
    // The loss fell: the steps were real ones.
    expect(single.losses[2]).toBeLessThan(single.losses[0]);
  });

  it('trains the emotion model, batch norm on each shard, well above chance', async () => {
    const model = api.buildEmotionModel({ inputDims: 6, numClasses: 4, channels: [8, 8], kernelSize: 3, embeddingDim: 16, inputStatistics: true, seed: 1 });
    const test = syntheticSet(48, 2);
    const result = await api.trainClassifier(model, syntheticSet(96, 1), {
      classes, epochs: 12, batchSize: 16, learningRate: 0.01, windowFrames: 24, seed: 3, dropout: 0.1,
      classBalanced: true, augment: null, validation: test, threads: 2,
    });
    expect(result.bestValidationUar).toBeGreaterThan(0.6);
    model.dispose();
  });

  it('shares batch-norm re-estimation and validation among threads, with the statistics and predictions of one thread', async () => {
    const compiled = (module: string) => import(pathToFileURL(join(repoRoot, 'dist/src/train', module)).href);
    const { TrainingWorkers } = (await compiled('dataParallel.js')) as typeof import('../src/train/dataParallel.js');
    const { applyBatchStatistics, reestimateBatchNorm, statisticsBatches } = (await compiled('batchNorm.js')) as typeof import('../src/train/batchNorm.js');
    const { predictProbabilities } = (await import(pathToFileURL(join(repoRoot, 'dist/src/infer/infer.js')).href)) as typeof import('../src/infer/infer.js');
    const spec = { inputDims: 6, numClasses: 4, channels: [8], kernelSize: 3, embeddingDim: 16, inputStatistics: true, utteranceNorm: true, seed: 4 };
    const [single, shared] = [api.buildEmotionModel(spec), api.buildEmotionModel(spec)];
    const data = syntheticSet(72, 6).matrices;
    // Weights unlike the ones a worker's copy starts from, so that a worker has to use those it is sent.
    const moved = single.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.3, 'float32', i)));
    single.setWeights(moved);
    shared.setWeights(moved);
    tf.dispose(moved);
    reestimateBatchNorm(single, data, 16, 3);
    const workers = await TrainingWorkers.start(shared, { numClasses: 4, classWeights: [1, 1, 1, 1], dropout: 0 }, 1);
    try {
      applyBatchStatistics(shared, await workers.batchStatistics(shared, statisticsBatches(data, 16, 3)));
      const movingMean = (model: tf.LayersModel) => Array.from(model.getLayer('bn1').getWeights()[2].dataSync());
      expect(movingMean(single).some((mean) => Math.abs(mean) > 1e-3)).toBe(true);
      const expected = single.getWeights().map((w) => Array.from(w.dataSync()));
      shared.getWeights().forEach((w, i) => Array.from(w.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 6)));
      const probabilities = predictProbabilities(single, data);
      (await workers.predictProbabilities(shared, data)).forEach((row, i) => row.forEach((p, k) => expect(p).toBeCloseTo(probabilities[i][k], 6)));
    } finally {
      await workers.close();
    }
  });

  it('resumes a two-thread run from its checkpoint to the weights of an uninterrupted one', async () => {
    const spec = { inputDims: 6, numClasses: 4, channels: [8], kernelSize: 3, embeddingDim: 16, inputStatistics: true, seed: 1 };
    const train = syntheticSet(32, 4);
    const settings = {
      classes, epochs: 4, batchSize: 16, learningRate: 0.01, windowFrames: 16, seed: 9, dropout: 0.2, threads: 2,
      classBalanced: true, augment: { timeMasks: 1, maxTimeFraction: 0.2, featureMasks: 1, maxFeatureFraction: 0.2 },
    };
    const uninterrupted = api.buildEmotionModel(spec);
    await api.trainClassifier(uninterrupted, train, settings);
    const checkpointDir = mkdtempSync(join(tmpdir(), 'ser-parallel-ckpt-'));
    // Stopped after 2 steps, where Adam's beta2^3 as a running product and as pow differ in float32.
    await api.trainClassifier(api.buildEmotionModel(spec), train, { ...settings, epochs: 1, checkpointDir });
    const resumed = api.buildEmotionModel({ ...spec, seed: 77 });
    expect((await api.trainClassifier(resumed, train, { ...settings, checkpointDir, resume: true })).resumedFrom).toBe(1);
    // Bit for bit (issue 16 fault 15).
    expect(resumed.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(uninterrupted.getWeights().map((w) => Array.from(w.dataSync())));
  });
});
