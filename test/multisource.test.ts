import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptModel, DEFAULT_ADAPT_OPTIONS } from '../src/adapt/adapt.js';
import { loadCorpus } from '../src/corpora/load.js';
import { protocolSplit } from '../src/corpora/split.js';
import { classicalBaseline } from '../src/experiment/baselines.js';
import { accumulateStats, mergeStats, normalisationFromStats } from '../src/features/cmvn.js';
import type { FeatureMatrix } from '../src/features/config.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { selectBackend } from '../src/model/backend.js';
import { loadModel, saveModel } from '../src/model/io.js';
import { predictProbabilities } from '../src/infer/infer.js';
import { labelledItems, readMatrices } from '../src/store/items.js';
import { openFeatureStore, preprocessCorpus, type FeatureStore } from '../src/store/index.js';
import { balancedOrder, cellClassWeights } from '../src/train/balance.js';
import { fitNormalisation, MIN_SPEAKER_FRAMES, normaliseSet, speakersOnCorpusStatistics } from '../src/infer/normalise.js';
import { prepareSource, pretrainOnSources } from '../src/train/pretrain.js';
import { recipeOptions } from '../src/train/recipes.js';
import { createRng } from '../src/util/random.js';
import { compiledCli, runCli } from './helpers/cli.js';

const demo = resolve(__dirname, '..', 'data', 'demo');

/** A manifest corpus of some speakers of a demo language, the audio linked from data/demo. */
function demoSubset(root: string, name: string, language: string, speakers: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const rows = ['path,speaker,emotion,language'];
  for (const speaker of speakers) {
    symlinkSync(join(demo, language, speaker), join(dir, speaker));
    for (const file of readdirSync(join(demo, language, speaker)).filter((f) => f.endsWith('.wav')).sort()) rows.push(`${speaker}/${file},${speaker},${file.split('_')[1]},${language}`);
  }
  writeFileSync(join(dir, 'manifest.csv'), `${rows.join('\n')}\n`);
  return dir;
}

function meanAndStd(matrices: FeatureMatrix[]) {
  const { mean, std } = normalisationFromStats(mergeStats(matrices.map(accumulateStats)));
  return { mean: Array.from(mean), std: Array.from(std) };
}

describe('balanced batches over (corpus, class) cells', () => {
  it('draws every cell equally often, so a one-clip cell is repeated as often as a large cell is drawn', () => {
    // Cell 0: clips 0-5; cell 1: clip 6 alone.
    const order = balancedOrder([0, 0, 0, 0, 0, 0, 1], 12, createRng(1));
    expect(order).toHaveLength(12);
    expect(order.filter((i) => i === 6)).toHaveLength(6);
    // Every clip of the large cell is drawn once before any is drawn twice.
    expect(new Set(order.filter((i) => i !== 6))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    // Each pair of consecutive draws (one round) holds one clip of each cell.
    for (let round = 0; round < 6; round++) expect(order.slice(2 * round, 2 * round + 2).filter((i) => i === 6)).toHaveLength(1);
  });

  it('a corpus of 90 clips does not drown one of 10: a batch of 32 over 2 corpora x 2 classes holds 8 of each cell', () => {
    const corpusOf = [...new Array(90).fill(0), ...new Array(10).fill(1)];
    const labels = corpusOf.map((_, i) => i % 2);
    const cells = corpusOf.map((corpus, i) => corpus * 2 + labels[i]);
    const batch = balancedOrder(cells, 100, createRng(3)).slice(0, 32);
    for (const cell of [0, 1, 2, 3]) expect(batch.filter((i) => cells[i] === cell)).toHaveLength(8);
  });

  it('class weights are 1 when every corpus has every class, and make up for a class missing from a corpus', () => {
    expect(cellClassWeights([0, 1, 2, 3], [0, 1, 0, 1], 2)).toEqual([1, 1]);
    // Corpus 0 has classes 0 and 1, corpus 1 only class 0: cells 0 (class 0), 1 (class 1), 2 (class 0).
    // Class 1 is drawn from 1 cell of 3: weight 3 / (2 × 1) = 1.5; class 0 from 2 cells: 3 / (2 × 2) = 0.75.
    expect(cellClassWeights([0, 1, 2], [0, 1, 0], 2)).toEqual([0.75, 1.5]);
  });
});

describe('the leave-one-corpus-out protocol', () => {
  it("splits RAVDESS as a target in pairs of sorted actors, so both genders (odd ids male) are on both sides", () => {
    const actors = Array.from({ length: 8 }, (_, i) => String(i + 1).padStart(2, '0'));
    expect(protocolSplit(actors, 'pairs')).toEqual({ adaptation: ['01', '02', '05', '06'], test: ['03', '04', '07', '08'] });
    expect(protocolSplit(actors)).toEqual({ adaptation: ['01', '03', '05', '07'], test: ['02', '04', '06', '08'] });
  });

  it('finds the classical row for RAVDESS alone and for the other three corpora pooled, in any order, and none otherwise', () => {
    expect(classicalBaseline(['ravdess'], 'emodb')?.unsupervised).toBe(47.3);
    expect(classicalBaseline(['turev-db', 'URDU', 'emodb'], 'ravdess')?.unsupervised).toBe(47.0);
    expect(classicalBaseline(['ravdess', 'emodb', 'turev-db'], 'urdu')?.['few-shot']).toBe(62.0);
    expect(classicalBaseline(['ravdess', 'emodb'], 'urdu')).toBeUndefined();
  });
});

describe('speaker normalisation', () => {
  const matrix = (frames: number, value: (t: number) => number): FeatureMatrix => ({ frames, dims: 1, data: Float32Array.from({ length: frames }, (_, t) => value(t)) });

  it("standardises each speaker on their own statistics and a speaker with too little audio on the corpus's, naming them", () => {
    // Speaker a: 2 clips of MIN_SPEAKER_FRAMES / 2 frames alternating 10 ± 2; speaker b: one short clip around 0.
    const a = [matrix(MIN_SPEAKER_FRAMES / 2, (t) => (t % 2 ? 12 : 8)), matrix(MIN_SPEAKER_FRAMES / 2, (t) => (t % 2 ? 12 : 8))];
    const b = matrix(10, (t) => (t % 2 ? 1 : -1));
    const corpus = { ...fitNormalisation([...a, b], 'speaker', 'test', 80), mean: [5], std: [4] };
    const normalised = normaliseSet([...a, b], ['a', 'a', 'b'], corpus);
    const ofA = meanAndStd(normalised.slice(0, 2));
    expect(ofA.mean[0]).toBeCloseTo(0, 5);
    expect(ofA.std[0]).toBeCloseTo(1, 5);
    // b is on the corpus statistics: (±1 − 5) / 4.
    expect(Array.from(normalised[2].data.slice(0, 2))).toEqual([-1.5, -1]);
    expect(speakersOnCorpusStatistics([...a, b], ['a', 'a', 'b'])).toEqual(['b']);
    // Corpus mode ignores speakers.
    expect(Array.from(normaliseSet([b], ['b'], { ...corpus, mode: 'corpus' })[0].data.slice(0, 2))).toEqual([-1.5, -1]);
  });
});

describe('pretraining on several sources (demo corpora)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-multisource-'));
  let stores: FeatureStore[];

  beforeAll(async () => {
    await selectBackend('wasm');
    const corpora = [demoSubset(root, 'en-a', 'en', ['en01', 'en02']), demoSubset(root, 'en-b', 'en', ['en03', 'en04']), join(demo, 'de')];
    stores = [];
    for (const dir of corpora) {
      const corpus = await loadCorpus(dir, { taxonomy: '4class' });
      await preprocessCorpus(corpus, join(root, 'features', corpus.name), { config: resolveFeatureConfig(), workers: 0 });
      stores.push(openFeatureStore(join(root, 'features', corpus.name)));
    }
  });

  it('standardises each source on its own statistics, not the pooled ones', () => {
    const options = recipeOptions('functionals');
    const [english, german] = [stores[0], stores[2]].map((store) => prepareSource({ store, validationSpeakers: [] }, options));
    for (const prepared of [english, german]) {
      const { mean, std } = meanAndStd(prepared.train);
      mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-3));
      std.forEach((s) => expect(s).toBeCloseTo(1, 2));
    }
    // The two corpora's raw statistics differ, so one scaler for both would leave them apart.
    const raw = [english, german].map((p) => meanAndStd(p.trainFrames).mean[0]);
    expect(Math.abs(raw[0] - raw[1])).toBeGreaterThan(0.5);
  });

  it('holds validation speakers out of every source and lists each source on the card with language and clip counts', async () => {
    const { card, model } = await pretrainOnSources(
      [
        { store: stores[0], validationSpeakers: ['en02'] },
        { store: stores[2], validationSpeakers: ['de04'] },
      ],
      { ...recipeOptions('functionals'), epochs: 1 },
    );
    expect(card.source.corpus).toBe('en-a+de');
    expect(card.source.language).toBe('en+de');
    expect(card.source.validationSpeakers).toEqual(['de/de04', 'en-a/en02']);
    expect(card.source.trainSpeakers).toEqual(['de/de01', 'de/de02', 'de/de03', 'en-a/en01']);
    expect(card.sources).toEqual([
      { corpus: 'en-a', language: 'en', clips: 32, trainClips: 16, validationClips: 16, trainSpeakers: ['en01'], validationSpeakers: ['en02'] },
      { corpus: 'de', language: 'de', clips: 64, trainClips: 48, validationClips: 16, trainSpeakers: ['de01', 'de02', 'de03'], validationSpeakers: ['de04'] },
    ]);
    expect(card.training.batches).toBe('balanced over (corpus, class) cells');
    expect(card.training.trainClips).toBe(64);
    expect(card.normalisation.fittedOn).toBe('en-a+de');

    // Adaptation with several sources trains on all of them (alignment) and needs at least one for methods that train.
    const target = stores[1];
    const adapted = await adaptModel(model, card, [stores[0], stores[2]], target, { ...DEFAULT_ADAPT_OPTIONS, method: 'mmd', shots: 1, epochs: 1, adaptationSpeakers: protocolSplit(['en03', 'en04']).adaptation });
    expect(adapted.card.adaptation?.labelledClips).toHaveLength(4);
    await expect(adaptModel(model, card, [], target, { ...DEFAULT_ADAPT_OPTIONS, method: 'selftrain', shots: 0 })).rejects.toThrow(/--source/);
  });

  it('pretrains with domain batch norm: recorded on the card, saved and reloaded to the same predictions, fine-tuned with it', async () => {
    const sources = [
      { store: stores[0], validationSpeakers: ['en02'] },
      { store: stores[2], validationSpeakers: ['de04'] },
    ];
    const { card, model } = await pretrainOnSources(sources, { ...recipeOptions('functionals'), epochs: 2, domainBatchNorm: true });
    expect(card.training.domainBatchNorm).toBe(true);
    expect(card.validation?.uar).toBeGreaterThanOrEqual(0);
    const dir = join(root, 'dsbn-model');
    await saveModel(dir, model, card);
    const reloaded = await loadModel(dir);
    expect(reloaded.card.training.domainBatchNorm).toBe(true);
    const clips = readMatrices(stores[1], labelledItems(stores[1]).slice(0, 4));
    expect(predictProbabilities(reloaded.model, clips)).toEqual(predictProbabilities(model, clips));
    const plain = await pretrainOnSources(sources, { ...recipeOptions('functionals'), epochs: 2 });
    expect('domainBatchNorm' in plain.card.training).toBe(false);
    const adapted = await adaptModel(model, card, [stores[0], stores[2]], stores[1], { ...DEFAULT_ADAPT_OPTIONS, method: 'adabn', shots: 1, epochs: 1, adaptationSpeakers: ['en03'] });
    expect(adapted.card.training.domainBatchNorm).toBe(true);
  });

  it.skipIf(!existsSync(compiledCli))('`ser train` takes --source once per corpus, validation speakers as corpus/speaker', async () => {
    const out = join(root, 'cli-model');
    const dirs = [stores[0].dir, stores[2].dir];
    const trained = await runCli(['train', '--backend', 'wasm', ...dirs.flatMap((d) => ['--source', d]), '--recipe', 'functionals', '--epochs', '1', '--validation-speakers', 'en-a/en01,de/de02', '--out', out]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toContain('Training on en-a (en, 32 labelled clips), de (de, 64 labelled clips)');
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
    expect(card.source.validationSpeakers).toEqual(['de/de02', 'en-a/en01']);
    expect(card.sources.map((s: { corpus: string; trainClips: number }) => [s.corpus, s.trainClips])).toEqual([['en-a', 16], ['de', 48]]);
    const refused = await runCli(['train', '--backend', 'wasm', ...dirs.flatMap((d) => ['--source', d]), '--validation-speakers', 'en01', '--out', out]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--validation-speakers: en01 name no source corpus (write corpus/speaker');
  });
});
