import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptModel, drawShots, DEFAULT_ADAPT_OPTIONS } from '../src/adapt/adapt.js';
import { coralLoss } from '../src/adapt/coral.js';
import { dannLoss, domainDiscriminator } from '../src/adapt/dann.js';
import { reverseGradient, warmStartCoefficient } from '../src/adapt/grl.js';
import { mmdLoss } from '../src/adapt/mmd.js';
import { agreedPseudoLabels } from '../src/adapt/selfTraining.js';
import { classMarginalBias } from '../src/adapt/classBalance.js';
import { computeMetrics } from '../src/infer/metrics.js';
import { predictFiles } from '../src/predict/predict.js';
import { loadCorpus } from '../src/corpora/load.js';
import { protocolSplit } from '../src/corpora/split.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { selectBackend } from '../src/model/backend.js';
import { loadModel, saveModel } from '../src/model/io.js';
import { openFeatureStore, preprocessCorpus, type FeatureStore } from '../src/store/index.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrain, type PretrainedModel } from '../src/train/pretrain.js';
import { argMax, predictProbabilities } from '../src/infer/infer.js';
import { activeFrames, modelInputs } from '../src/infer/inputs.js';
import { applyNormalisation, fitNormalisation } from '../src/infer/normalise.js';
import { labelledItems, readMatrices } from '../src/store/items.js';
import { softmax } from './helpers/softmax.js';

const demo = resolve(__dirname, '..', 'data', 'demo');

describe('alignment losses', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('the gradient reversal layer is the identity forward and negates (and scales) the gradient', () => {
    const x = tf.tensor2d([[1, -2], [3, 0.5]]);
    expect(reverseGradient(x, 0.7).arraySync()).toEqual(x.arraySync());
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(reverseGradient(input as tf.Tensor2D, 0.7), tf.tensor2d([[1, 2], [3, 4]]))))(x);
    const expected = [[-0.7, -1.4], [-2.1, -2.8]];
    (gradient.arraySync() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 6)));
    expect(warmStartCoefficient(0)).toBe(0);
    expect(warmStartCoefficient(1)).toBeGreaterThan(0.99);
  });

  it('MMD and CORAL are near zero for samples of one distribution and grow with a shift', () => {
    const a = tf.randomNormal([64, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([64, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
    const shifted = tf.add(tf.mul(tf.randomNormal([64, 8], 0, 1, 'float32', 3), 3), 2) as tf.Tensor2D;
    for (const loss of [mmdLoss(), coralLoss()]) {
      const same = loss.loss(a, b, 0).dataSync()[0];
      const different = loss.loss(a, shifted, 0).dataSync()[0];
      expect(different).toBeGreaterThan(5 * Math.max(same, 1e-6));
    }
  });

  it('the DANN discriminator loss has gradients for the encoder side that oppose the discriminator', () => {
    const loss = dannLoss(domainDiscriminator(4, 0, 8));
    const source = tf.variable(tf.randomNormal([8, 4], 1, 1, 'float32', 4));
    const target = tf.variable(tf.randomNormal([8, 4], -1, 1, 'float32', 5));
    const { grads } = tf.variableGrads(() => loss.loss(source as unknown as tf.Tensor2D, target as unknown as tf.Tensor2D, 1), [source, target, ...loss.variables]);
    expect(Object.keys(grads)).toHaveLength(2 + loss.variables.length);
    expect(tf.norm(grads[source.name]).dataSync()[0]).toBeGreaterThan(0);
  });
});

describe('class-marginal balancing', () => {
  it('divides the mean predicted distribution out: q = (1/2, 1/4, 1/8, 1/8) gives the bias (log 2, 0, -log 2, -log 2)', () => {
    const probabilities = [
      [0.75, 0.25, 0, 0],
      [0.25, 0.25, 0.25, 0.25],
      [0.5, 0.25, 0.125, 0.125],
      [0.5, 0.25, 0.125, 0.125],
    ];
    const expected = [Math.log(2), 0, -Math.log(2), -Math.log(2)];
    classMarginalBias(probabilities).forEach((b, k) => expect(b).toBeCloseTo(expected[k], 12));
    // Balanced on average: no bias. No clip: an error, not a bias of NaN.
    classMarginalBias([[0.7, 0.1, 0.2], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6]]).forEach((b) => expect(b).toBeCloseTo(0, 12));
    expect(() => classMarginalBias([])).toThrow(/at least one unlabelled clip/);
  });

  it('a classifier skewed towards one class, balanced, recovers its unskewed decisions (UAR 1/3 -> 1)', () => {
    // Clips of class k have logits 3·onehot(k); the skewed model adds 4 to class 0's logit, so every clip is called class 0.
    const truth = [0, 0, 1, 1, 2, 2];
    const skewed = truth.map((k) => softmax([0, 1, 2].map((j) => (j === k ? 3 : 0) + (j === 0 ? 4 : 0))));
    const before = computeMetrics(truth, skewed.map(argMax), ['a', 'b', 'c']).uar;
    expect(before).toBeCloseTo(1 / 3, 12);
    const bias = classMarginalBias(skewed);
    expect(bias[0]).toBeGreaterThan(0);
    const balanced = skewed.map((row) => row.map((p, k) => Math.log(p) - bias[k]));
    expect(computeMetrics(truth, balanced.map(argMax), ['a', 'b', 'c']).uar).toBe(1);
  });
});

describe('adaptation on the bundled demo corpus (English -> German)', () => {
  let source: FeatureStore;
  let target: FeatureStore;
  let pretrained: PretrainedModel;
  const work = mkdtempSync(join(tmpdir(), 'ser-adapt-'));

  beforeAll(async () => {
    await selectBackend('wasm');
    const config = resolveFeatureConfig();
    for (const language of ['en', 'de']) {
      await preprocessCorpus(await loadCorpus(join(demo, language)), join(work, language), { config, workers: 0 });
    }
    source = openFeatureStore(join(work, 'en'));
    target = openFeatureStore(join(work, 'de'));
    pretrained = await pretrain(source, { ...DEFAULT_PRETRAIN_OPTIONS, epochs: 4, validationSpeakers: ['en02'], model: { channels: [32, 32] } });
  });

  it('draws k clips per class with the seed, deterministically', () => {
    const items = labelledItems(target);
    const shots = drawShots(items, pretrained.card.labels, 3, 1);
    expect(shots).toHaveLength(12);
    for (const label of pretrained.card.labels) expect(shots.filter((s) => s.label === label)).toHaveLength(3);
    expect(drawShots(items, pretrained.card.labels, 3, 1).map((s) => s.id)).toEqual(shots.map((s) => s.id));
    expect(drawShots(items, pretrained.card.labels, 3, 2).map((s) => s.id)).not.toEqual(shots.map((s) => s.id));
  });

  it('pseudo-labels the clips two views of the real model agree on, the most confident share of each class', () => {
    const frames = activeFrames(readMatrices(target, labelledItems(target)), target.config, 40);
    const sourceView = predictProbabilities(pretrained.model, frames.map((m) => applyNormalisation(m, pretrained.card.normalisation)));
    const targetStatistics = fitNormalisation(frames, 'corpus', target.corpus, 40);
    const targetView = predictProbabilities(pretrained.model, frames.map((m) => applyNormalisation(m, targetStatistics)));
    const pseudo = agreedPseudoLabels([sourceView, targetView], 0.5);
    const agreed = frames.map((_, i) => (argMax(sourceView[i]) === argMax(targetView[i]) ? argMax(sourceView[i]) : -1));
    expect(agreed.some((label) => label === -1)).toBe(true);
    for (const { index, label } of pseudo) expect(agreed[index]).toBe(label);
    for (let label = 0; label < 4; label++) {
      const members = agreed.flatMap((p, i) => (p === label ? [i] : []));
      const confidence = (i: number) => sourceView[i][label] + targetView[i][label];
      const kept = pseudo.filter((p) => p.label === label).map((p) => p.index);
      const left = members.filter((i) => !kept.includes(i));
      expect(kept).toHaveLength(Math.ceil(members.length / 2));
      if (kept.length > 0 && left.length > 0) expect(Math.min(...kept.map(confidence))).toBeGreaterThanOrEqual(Math.max(...left.map(confidence)));
    }
  });

  it('pseudo-labelling keeps no clip the views disagree on and refuses views of different clips', () => {
    const a = [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.7, 0.3]];
    const b = [[0.8, 0.2], [0.3, 0.7], [0.1, 0.9], [0.6, 0.4]];
    expect(agreedPseudoLabels([a, b], 1)).toEqual([{ index: 0, label: 0 }, { index: 3, label: 0 }, { index: 2, label: 1 }]);
    expect(agreedPseudoLabels([a, b], 0.5)).toEqual([{ index: 0, label: 0 }, { index: 2, label: 1 }]);
    expect(agreedPseudoLabels([a], 0.5)).toEqual([{ index: 0, label: 0 }, { index: 3, label: 0 }, { index: 2, label: 1 }]);
    expect(() => agreedPseudoLabels([a, b.slice(1)], 0.5)).toThrow(/same clips/);
  });

  it.each(['adabn', 'selftrain', 'dann', 'mmd', 'coral'] as const)('%s adapts using only the adaptation pool and records it in the card', async (method) => {
    const split = protocolSplit(labelledItems(target).map((i) => i.speaker));
    const adapted = await adaptModel(pretrained.model, pretrained.card, [source], target, { ...DEFAULT_ADAPT_OPTIONS, method, shots: method === 'mmd' ? 2 : 0, epochs: 1 });
    const card = adapted.card;
    expect(card.adaptation?.method).toBe(method);
    expect(card.adaptation?.adaptationSpeakers).toEqual(split.adaptation);
    expect(card.adaptation?.targetLanguage).toBe('de');
    expect(card.normalisation.fittedOn).toBe(target.corpus);
    // The source's temperature, fitted on its held-out speaker, is kept (the shots are trained on, so cannot refit it).
    expect(pretrained.card.calibration?.fittedOn).toBe('held-out source speakers');
    expect(card.calibration).toEqual(pretrained.card.calibration);
    const labelled = card.adaptation!.labelledClips;
    expect(labelled).toHaveLength(method === 'mmd' ? 8 : 0);
    const speakerOf = new Map(target.items.map((i) => [i.id, i.speaker]));
    for (const id of labelled) expect(split.adaptation).toContain(speakerOf.get(id));
    if (method === 'selftrain') {
      const pseudo = card.adaptation!.pseudoLabelledClips!;
      expect(pseudo.length).toBeGreaterThan(0);
      for (const { id, label } of pseudo) {
        expect(split.adaptation).toContain(speakerOf.get(id));
        expect(card.labels).toContain(label);
      }
    } else {
      expect(card.adaptation?.pseudoLabelledClips).toBeUndefined();
    }
    // Every method but adabn (no shots here) trained one epoch, and the card keeps it; DANN reports how often its discriminator was right.
    const history = card.adaptation?.history ?? [];
    expect(history.map((entry) => entry.epoch)).toEqual(method === 'adabn' ? [] : [1]);
    for (const entry of history) {
      expect(entry.alignmentLoss === null).toBe(method === 'selftrain');
      if (method === 'dann') expect(entry.alignmentMetrics?.discriminatorAccuracy).toBeGreaterThanOrEqual(0);
      if (method === 'dann') expect(entry.alignmentMetrics?.discriminatorAccuracy).toBeLessThanOrEqual(1);
      else expect(entry.alignmentMetrics).toBeUndefined();
    }
    // The source model is left as it was.
    expect(pretrained.model.getWeights().length).toBe(adapted.model.getWeights().length);
    const dir = join(work, `model-${method}`);
    await saveModel(dir, adapted.model, card);
    const reloaded = await loadModel(dir);
    expect(reloaded.card.adaptation).toEqual(card.adaptation);
  });

  it('adabn-balanced is adabn with the pool mean prediction divided out, kept in the weights, reloaded and applied by predict', async () => {
    const split = protocolSplit(labelledItems(target).map((i) => i.speaker));
    const options = { ...DEFAULT_ADAPT_OPTIONS, shots: 0 };
    const plain = await adaptModel(pretrained.model, pretrained.card, [], target, { ...options, method: 'adabn' });
    const balanced = await adaptModel(pretrained.model, pretrained.card, [], target, { ...options, method: 'adabn-balanced' });
    const poolItems = target.items.filter((item) => split.adaptation.includes(item.speaker));
    const pool = modelInputs(readMatrices(target, poolItems), plain.card);
    const plainPool = predictProbabilities(plain.model, pool);
    const bias = balanced.card.adaptation!.classBias!;
    expect(bias).toEqual(classMarginalBias(plainPool));
    expect(plain.card.adaptation?.classBias).toBeUndefined();
    // Every clip's probabilities are AdaBN's with log(K·q̄) taken off the logits.
    const expected = plainPool.map((row) => softmax(row.map((p, k) => Math.log(p) - bias[k])));
    predictProbabilities(balanced.model, pool).forEach((row, i) => row.forEach((p, k) => expect(p).toBeCloseTo(expected[i][k], 5)));
    expect(balanced.card.adaptation?.schedule).toMatch(/classes balanced on the pool/);

    // Saved and reloaded: the bias is in the weights, so `ser predict` applies it (then the card's temperature).
    const dirs = { plain: join(work, 'model-adabn-plain'), balanced: join(work, 'model-adabn-balanced') };
    await saveModel(dirs.plain, plain.model, plain.card);
    await saveModel(dirs.balanced, balanced.model, balanced.card);
    const reloaded = { plain: await loadModel(dirs.plain), balanced: await loadModel(dirs.balanced) };
    expect(reloaded.balanced.card.adaptation?.classBias).toEqual(bias);
    const clip = target.items[0].path;
    const temperature = balanced.card.calibration?.temperature ?? 1;
    const [plainClip, balancedClip] = await Promise.all(
      [reloaded.plain, reloaded.balanced].map(async (saved) => (await predictFiles(saved, [clip], { plan: { kind: 'speech' } }))[0]),
    );
    if (!('probabilities' in plainClip) || !('probabilities' in balancedClip) || !plainClip.probabilities || !balancedClip.probabilities) throw new Error('no clip estimate');
    const labels = balanced.card.labels;
    // p_T ∝ p^(1/T): the balanced clip's probabilities are the plain ones times exp(−b/T), renormalised.
    const shifted = labels.map((label, k) => plainClip.probabilities![label] * Math.exp(-bias[k] / temperature));
    const total = shifted.reduce((a, b) => a + b, 0);
    labels.forEach((label, k) => expect(balancedClip.probabilities![label]).toBeCloseTo(shifted[k] / total, 5));
  });

  it('a card whose classBias does not have one value per label is refused on loading', async () => {
    const adapted = await adaptModel(pretrained.model, pretrained.card, [], target, { ...DEFAULT_ADAPT_OPTIONS, method: 'adabn-balanced', shots: 0 });
    const dir = join(work, 'model-bad-bias');
    await saveModel(dir, adapted.model, { ...adapted.card, adaptation: { ...adapted.card.adaptation!, classBias: [0, 1] } });
    await expect(loadModel(dir)).rejects.toThrow(/classBias.*2 values but the card has 4 labels/);
  });

  it('refuses a target store of another feature configuration', async () => {
    const fbank = resolveFeatureConfig({ kind: 'fbank', numMelBins: 40, deltas: false });
    await preprocessCorpus(await loadCorpus(join(demo, 'de')), join(work, 'de-fbank'), { config: fbank, workers: 0 });
    await expect(
      adaptModel(pretrained.model, pretrained.card, [source], openFeatureStore(join(work, 'de-fbank')), { ...DEFAULT_ADAPT_OPTIONS, method: 'dann', shots: 0 }),
    ).rejects.toThrow(/de-fbank.*re-run `ser preprocess`/);
  });

  // issue 16 fault 12: --shots 1000 was accepted and recorded as 1000 shots taken from 32 clips.
  it('refuses more shots per class than any class of the adaptation pool holds', async () => {
    await expect(adaptModel(pretrained.model, pretrained.card, [source], target, { ...DEFAULT_ADAPT_OPTIONS, method: 'adabn', shots: 1000 })).rejects.toThrow(
      /1000 shots per class asked for, but no class of the adaptation pool has more than \d+ labelled clips; ask for at most \d+/,
    );
  });
});
