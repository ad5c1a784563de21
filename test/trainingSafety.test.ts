// issue 16 faults 6 (NaN never caught), 9 (resume on another store or recipe), 13 (card fields never checked), 15 (resume not bit-identical).
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, featureConfigKey } from '../src/features/config.js';
import { buildEmotionModel, type ModelSpec } from '../src/model/emotionModel.js';
import { loadModel, MODEL_CARD_FORMAT, saveModel, type ModelCard } from '../src/model/io.js';
import { trainClassifier, type TrainOptions } from '../src/train/trainer.js';
import { createRng } from '../src/util/random.js';
import { classes, syntheticSet } from './helpers/synthetic.js';

const spec: ModelSpec = { inputDims: 6, numClasses: 4, channels: [8], kernelSize: 3, embeddingDim: 8, inputStatistics: true, seed: 1 };
const options: TrainOptions = {
  classes, epochs: 4, batchSize: 8, learningRate: 0.01, windowFrames: 16, seed: 9, dropout: 0.2, classBalanced: true,
  augment: { timeMasks: 1, maxTimeFraction: 0.2, featureMasks: 1, maxFeatureFraction: 0.2 },
};
const work = mkdtempSync(join(tmpdir(), 'ser-training-safety-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function cardFor(modelSpec: ModelSpec): ModelCard {
  return {
    format: MODEL_CARD_FORMAT,
    labels: classes,
    featureConfig: { ...DEFAULT_FEATURE_CONFIG, deltas: false, numCeps: 6 },
    featureConfigKey: featureConfigKey({ ...DEFAULT_FEATURE_CONFIG, deltas: false, numCeps: 6 }),
    normalisation: { mode: 'corpus', mean: new Array(6).fill(0), std: new Array(6).fill(1), fittedOn: 'synthetic', activeFrameThresholdDb: 40 },
    modelSpec,
    source: { corpus: 'synthetic', language: 'en', trainSpeakers: ['a'], validationSpeakers: [] },
    training: {
      seed: 0, epochs: 1, epochsRun: 1, batchSize: 8, learningRate: 0.01, windowFrames: 16, dropout: 0.2, patience: 8,
      specAugment: true, classBalanced: true, threads: 1, trainClips: 32, validationClips: 0, history: [],
    },
    validation: null,
    backend: 'cpu',
    packageVersion: '0.1.0',
    createdAt: new Date(0).toISOString(),
  };
}

async function savedModel(): Promise<string> {
  const dir = mkdtempSync(join(work, 'model-'));
  await saveModel(dir, buildEmotionModel(spec), cardFor(spec));
  return dir;
}

describe('resuming training', () => {
  it('continues an interrupted run to the very weights of an uninterrupted one, bit for bit', async () => {
    const train = syntheticSet(64, 4);
    const uninterrupted = buildEmotionModel(spec);
    await trainClassifier(uninterrupted, train, options);
    const checkpointDir = mkdtempSync(join(work, 'ckpt-'));
    // Stopped after 24 steps, where Adam's beta2^25 kept as a running product and recomputed by pow differ in float32.
    await trainClassifier(buildEmotionModel(spec), train, { ...options, epochs: 3, checkpointDir });
    const resumed = buildEmotionModel({ ...spec, seed: 77 });
    expect((await trainClassifier(resumed, train, { ...options, checkpointDir, resume: true })).resumedFrom).toBe(3);
    expect(resumed.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(uninterrupted.getWeights().map((w) => Array.from(w.dataSync())));
  });

  it('refuses a checkpoint written on other data of the same dimensions, naming what differs', async () => {
    const checkpointDir = mkdtempSync(join(work, 'ckpt-'));
    await trainClassifier(buildEmotionModel(spec), syntheticSet(32, 4), { ...options, epochs: 1, checkpointDir });
    await expect(trainClassifier(buildEmotionModel(spec), syntheticSet(32, 5), { ...options, checkpointDir, resume: true })).rejects.toThrow(
      /state\.json: field trainedOn\.data: this checkpoint was trained on other data .*; resume only the run that wrote this checkpoint/,
    );
    await expect(trainClassifier(buildEmotionModel(spec), syntheticSet(32, 4), { ...options, learningRate: 0.02, checkpointDir, resume: true })).rejects.toThrow(
      /other settings \(learningRate 0\.01 there, 0\.02 now\)/,
    );
  });

  it('refuses a checkpoint of another model (recipe) with a short message, not a tensor dump', async () => {
    const checkpointDir = mkdtempSync(join(work, 'ckpt-'));
    await trainClassifier(buildEmotionModel(spec), syntheticSet(32, 4), { ...options, epochs: 1, checkpointDir });
    const error = await trainClassifier(buildEmotionModel({ ...spec, channels: [] }), syntheticSet(32, 4), { ...options, checkpointDir, resume: true }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/field trainedOn\.model: this checkpoint holds a model of other layers/);
    expect((error as Error).message.length).toBeLessThan(1000);
  });
});

describe('non-finite numbers are caught', () => {
  it('stops training on a NaN loss, naming the learning rate', async () => {
    await expect(trainClassifier(buildEmotionModel(spec), syntheticSet(32, 4), { ...options, learningRate: Number.NaN })).rejects.toThrow(
      /training diverged at epoch 1, batch \d+: the loss is NaN \(learning rate NaN\); lower the learning rate/,
    );
  });

  it('refuses to save a model whose weights are NaN', async () => {
    const model = buildEmotionModel(spec);
    model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, Number.NaN)));
    await expect(saveModel(mkdtempSync(join(work, 'nan-')), model, cardFor(spec))).rejects.toThrow(/not finite \(training diverged\)/);
  });

  it('refuses random bytes as weights.bin: of another size, and of the right size holding NaN', async () => {
    const dir = await savedModel();
    const size = readFileSync(join(dir, 'weights.bin')).length;
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(size - 4));
    await expect(loadModel(dir)).rejects.toThrow(/weights\.bin: is \d+ bytes but model\.json's manifest needs \d+/);
    const rng = createRng(1);
    const random = Uint8Array.from({ length: size }, () => Math.floor(rng() * 256));
    // Random bytes hold NaNs and infinities (an exponent of all ones) somewhere among thousands of floats.
    random.set([0xff, 0xff, 0xff, 0x7f], 0);
    writeFileSync(join(dir, 'weights.bin'), random);
    await expect(loadModel(dir)).rejects.toThrow(/weights\.bin: weight .* holds NaN or infinite values/);
  });
});

describe('the model card is validated field by field', () => {
  const edit = async (change: (card: Record<string, any>) => void): Promise<string> => {
    const dir = await savedModel();
    const card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8'));
    change(card);
    writeFileSync(join(dir, 'card.json'), JSON.stringify(card));
    return dir;
  };

  it('refuses a card listing two labels for a four-class model (it answered an empty emotion)', async () => {
    const dir = await edit((card) => (card.labels = ['neutral', 'angry']));
    await expect(loadModel(dir)).rejects.toThrow(/card\.json: field labels: lists 2 classes but modelSpec\.numClasses is 4/);
  });

  it('names the field of a wrong type, and the fix', async () => {
    const dir = await edit((card) => (card.normalisation.mean[3] = 'x'));
    await expect(loadModel(dir)).rejects.toThrow(/card\.json: field normalisation\.mean\[3\]: Expected number, received string; .*ser train/);
    const noWindow = await edit((card) => delete card.training.windowFrames);
    await expect(loadModel(noWindow)).rejects.toThrow(/field training\.windowFrames: Required/);
  });

  it('refuses a featureConfig edited apart from its key', async () => {
    const dir = await edit((card) => (card.featureConfig.numMelBins = 40));
    await expect(loadModel(dir)).rejects.toThrow(/field featureConfigKey: does not match featureConfig/);
  });

  it('loads a model it saved, keeping fields a later version adds', async () => {
    const { card } = await loadModel(await edit((written) => Object.assign(written, { futureField: ['en'] })));
    expect(card.labels).toEqual(classes);
    expect((card as Record<string, unknown>).futureField).toEqual(['en']);
  });
});
