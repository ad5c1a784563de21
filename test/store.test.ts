import { compiledCli, repoRoot, runCli } from './helpers/cli.js';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeAudio } from '../src/audio/index.js';
import { loadCorpus, type Corpus } from '../src/corpora/index.js';
import { extractFeatures, featureConfigKey, resolveFeatureConfig, type FeatureMatrix } from '../src/features/index.js';
import { openFeatureStore, preprocessCorpus, type FeatureStore, type StoreError, type StoreIndex } from '../src/store/index.js';

const fixtureWav = join(repoRoot, 'test/fixtures/mfcc/espeak-en.wav');
const config = resolveFeatureConfig();

/** A voiced, vowel-like clip: harmonics of a gliding pitch under a slow envelope, plus a little noise. */
function syntheticSpeech(seconds: number, sampleRate: number, pitchHz: number, seed: number): Float64Array {
  const samples = new Float64Array(Math.round(seconds * sampleRate));
  let state = seed;
  let phase = 0;
  for (let n = 0; n < samples.length; n++) {
    const time = n / sampleRate;
    phase += (2 * Math.PI * pitchHz * (1 + 0.1 * Math.sin(2 * Math.PI * 1.5 * time))) / sampleRate;
    let voiced = 0;
    for (let harmonic = 1; harmonic <= 12; harmonic++) voiced += Math.sin(harmonic * phase) / harmonic;
    state = (state * 1103515245 + 12345) % 2147483648;
    const noise = state / 2147483648 - 0.5;
    samples[n] = 0.3 * Math.sin((Math.PI * time) / seconds) * voiced + 0.01 * noise;
  }
  return samples;
}

function pcm16Wav(samples: Float64Array, sampleRate: number): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, sampleRate, '16', Array.from(samples, (value) => Math.round(value * 32767)));
  return wav.toBuffer();
}

function float32Wav(samples: Float64Array, sampleRate: number): Uint8Array {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, sampleRate, '32f', Array.from(samples));
  return wav.toBuffer();
}

const manifestRows = [
  ['good/espeak.wav', 'spk1', 'angry'],
  ['good/vowel-a.wav', 'spk1', 'happy'],
  ['good/vowel-b.wav', 'spk2', 'sadness'],
  ['good/vowel-c-44k.wav', 'spk2', 'neutral'],
  ['good/surprise.wav', 'spk2', 'surprised'],
  ['bad/empty.wav', 'spk3', 'angry'],
  ['bad/truncated-header.wav', 'spk3', 'happy'],
  ['bad/text.wav', 'spk3', 'sad'],
  ['bad/ten-samples.wav', 'spk3', 'neutral'],
  ['bad/nan-samples.wav', 'spk3', 'angry'],
];
const labelledGood = ['good/espeak.wav', 'good/vowel-a.wav', 'good/vowel-b.wav', 'good/vowel-c-44k.wav'];
const bad = manifestRows.filter(([path]) => path.startsWith('bad/')).map(([path]) => path);

function writeCorpus(dir: string, rows: string[][]): void {
  writeFileSync(join(dir, 'manifest.csv'), ['path,speaker,emotion,language', ...rows.map((row) => `${row.join(',')},en`)].join('\n'));
}

let workDir: string;
let corpusDir: string;
let corpus: Corpus;
let referenceDir: string;
let firstRun: Awaited<ReturnType<typeof preprocessCorpus>>;

function readIndex(dir: string): StoreIndex {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as StoreIndex;
}

function readErrors(dir: string): StoreError[] {
  return JSON.parse(readFileSync(join(dir, 'errors.json'), 'utf8')) as StoreError[];
}

async function expectedMatrix(path: string): Promise<FeatureMatrix> {
  const audio = await decodeAudio(path, { sampleRate: config.sampleRate });
  return extractFeatures(audio.samples, audio.sampleRate, config);
}

function storeContents(store: FeatureStore): Array<{ id: string; label: string | null; data: number[]; sum: number[]; sumSq: number[] }> {
  return store.loadAll().map(({ item, matrix }) => ({ id: item.id, label: item.label, data: Array.from(matrix.data), sum: item.sum, sumSq: item.sumSq }));
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'ser-store-'));
  corpusDir = join(workDir, 'tiny');
  mkdirSync(join(corpusDir, 'good'), { recursive: true });
  mkdirSync(join(corpusDir, 'bad'), { recursive: true });
  copyFileSync(fixtureWav, join(corpusDir, 'good/espeak.wav'));
  writeFileSync(join(corpusDir, 'good/vowel-a.wav'), pcm16Wav(syntheticSpeech(1.2, 16000, 140, 1), 16000));
  writeFileSync(join(corpusDir, 'good/vowel-b.wav'), pcm16Wav(syntheticSpeech(0.7, 16000, 220, 2), 16000));
  writeFileSync(join(corpusDir, 'good/vowel-c-44k.wav'), pcm16Wav(syntheticSpeech(0.9, 44100, 180, 3), 44100));
  writeFileSync(join(corpusDir, 'good/surprise.wav'), pcm16Wav(syntheticSpeech(0.5, 16000, 260, 4), 16000));
  writeFileSync(join(corpusDir, 'bad/empty.wav'), new Uint8Array(0));
  writeFileSync(join(corpusDir, 'bad/truncated-header.wav'), readFileSync(fixtureWav).subarray(0, 30));
  writeFileSync(join(corpusDir, 'bad/text.wav'), 'this is a text file, not audio\n');
  writeFileSync(join(corpusDir, 'bad/ten-samples.wav'), pcm16Wav(syntheticSpeech(10 / 16000, 16000, 140, 5), 16000));
  const withNaN = syntheticSpeech(0.5, 16000, 200, 6);
  withNaN[1234] = NaN;
  writeFileSync(join(corpusDir, 'bad/nan-samples.wav'), float32Wav(withNaN, 16000));
  writeCorpus(corpusDir, manifestRows);
  corpus = await loadCorpus(corpusDir, { taxonomy: '4class' });
  referenceDir = join(workDir, 'reference');
  firstRun = await preprocessCorpus(corpus, referenceDir, { config, workers: 0 });
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('preprocessCorpus', () => {
  it('stores every labelled readable file with the frames extractFeatures gives', async () => {
    expect(firstRun.processed).toBe(labelledGood.length);
    expect(firstRun.skipped).toBe(0);
    const store = openFeatureStore(referenceDir);
    expect(store.configKey).toBe(featureConfigKey(config));
    expect(store.corpus).toBe(corpus.name);
    expect(store.language).toBe('en');
    expect(store.items.map((item) => item.path)).toEqual(labelledGood.map((path) => join(corpusDir, path)));
    expect(store.items.map((item) => item.label)).toEqual(['angry', 'happy', 'sad', 'neutral']);
    for (const item of store.items) {
      const expected = await expectedMatrix(item.path);
      const stored = store.readMatrix(item);
      expect(item.dims).toBe(39);
      expect([stored.frames, stored.dims]).toEqual([expected.frames, expected.dims]);
      expect(stored.data).toEqual(expected.data);
      expect(statSync(join(referenceDir, item.file)).size).toBe(item.frames * item.dims * 4);
      for (let d = 0; d < item.dims; d++) {
        let sum = 0;
        let sumSq = 0;
        for (let t = 0; t < item.frames; t++) {
          sum += stored.data[t * item.dims + d];
          sumSq += stored.data[t * item.dims + d] ** 2;
        }
        expect(item.sum[d]).toBeCloseTo(sum, 6);
        expect(item.sumSq[d]).toBeCloseTo(sumSq, 4);
      }
    }
    // Frames of 25 ms every 10 ms lying wholly inside the clip: 356 for the fixture, as Kaldi gives
    // (test/fixtures/mfcc/espeak-en.mfcc.json); 1.2 s, 0.7 s and 0.9 s (44.1 kHz, resampled) for the others.
    expect(store.items.map((item) => item.frames)).toEqual([356, 118, 68, 88]);
  });

  it('lists every bad file in errors.json and the summary, with a reason', () => {
    const errors = readErrors(referenceDir);
    expect(errors).toEqual(firstRun.failed);
    expect(errors.map((error) => error.path).sort()).toEqual(bad.map((path) => join(corpusDir, path)).sort());
    const reasonOf = (name: string): string => errors.find((error) => error.path.endsWith(name))!.reason;
    expect(reasonOf('ten-samples.wav')).toMatch(/shorter than one 25 ms frame/);
    expect(reasonOf('nan-samples.wav')).toMatch(/sample 1234 is NaN/);
    expect(reasonOf('empty.wav')).toMatch(/empty/);
    for (const error of errors) expect(error.reason.length).toBeGreaterThan(10);
  });

  it('skips everything already in the store on a rerun, leaving the frame files untouched', async () => {
    const before = openFeatureStore(referenceDir).items.map((item) => statSync(join(referenceDir, item.file)).mtimeMs);
    const rerun = await preprocessCorpus(corpus, referenceDir, { config, workers: 0 });
    expect(rerun).toMatchObject({ processed: 0, skipped: labelledGood.length });
    expect(rerun.failed.map((error) => error.path).sort()).toEqual(firstRun.failed.map((error) => error.path).sort());
    const after = openFeatureStore(referenceDir).items.map((item) => statSync(join(referenceDir, item.file)).mtimeMs);
    expect(after).toEqual(before);
  });

  it('refuses a store of another configuration unless told to overwrite it', async () => {
    const otherConfig = resolveFeatureConfig({ deltas: false });
    const copyDir = join(workDir, 'other-config');
    await preprocessCorpus(corpus, copyDir, { config, workers: 0 });
    await expect(preprocessCorpus(corpus, copyDir, { config: otherConfig, workers: 0 })).rejects.toThrow(
      new RegExp(`${copyDir} .*another feature configuration: deltas \\(store: true, requested: false\\).*--out.*--overwrite`),
    );
    expect(readIndex(copyDir).configKey).toBe(featureConfigKey(config));

    const rebuilt = await preprocessCorpus(corpus, copyDir, { config: otherConfig, workers: 0, overwrite: true });
    expect(rebuilt).toMatchObject({ processed: labelledGood.length, skipped: 0 });
    const store = openFeatureStore(copyDir);
    expect(store.configKey).toBe(featureConfigKey(otherConfig));
    expect(store.items.every((item) => item.dims === 13)).toBe(true);
  });

  it('keeps utterances without a class, label null, with allLabels', async () => {
    const summary = await preprocessCorpus(corpus, join(workDir, 'all-labels'), { config, workers: 0, allLabels: true });
    expect(summary.processed).toBe(labelledGood.length + 1);
    const surprise = openFeatureStore(join(workDir, 'all-labels')).items.find((item) => item.path.endsWith('surprise.wav'));
    expect(surprise).toMatchObject({ emotion: 'surprised', label: null, dims: 39 });
  });

  it('resumes an interrupted run to the same store a clean run gives', async () => {
    const interruptedDir = join(workDir, 'interrupted');
    const storedBeforeAbort = 3;
    let stored = 0;
    await expect(
      preprocessCorpus(corpus, interruptedDir, {
        config,
        workers: 0,
        onProgress: (_done, _total, item) => {
          if (item.ok && ++stored === storedBeforeAbort) throw new Error('simulated interruption');
        },
      }),
    ).rejects.toThrow('simulated interruption');
    const saved = readIndex(interruptedDir);
    expect(saved.items).toHaveLength(storedBeforeAbort);

    // As if killed between writing a frame file and saving the index (the file exists, its entry does not),
    // with a frame file lost after its entry was saved and a temporary file left by a write cut short.
    const [unindexed, lost] = saved.items;
    saved.items = saved.items.filter((item) => item !== unindexed);
    writeFileSync(join(interruptedDir, 'index.json'), JSON.stringify(saved));
    unlinkSync(join(interruptedDir, lost.file));
    const leftover = join(interruptedDir, `${unindexed.file}.tmp-4242-abc123`);
    writeFileSync(leftover, new Uint8Array(12));

    const resumed = await preprocessCorpus(corpus, interruptedDir, { config, workers: 0 });
    expect(resumed).toMatchObject({ processed: labelledGood.length - 1, skipped: 1 });
    expect(storeContents(openFeatureStore(interruptedDir))).toEqual(storeContents(openFeatureStore(referenceDir)));
    expect(readErrors(interruptedDir)).toEqual(readErrors(referenceDir));
    expect(existsSync(leftover)).toBe(false);
  });

  it('names the folder when no utterance has a label in the taxonomy', async () => {
    const unlabelled = { ...corpus, utterances: corpus.utterances.filter((utterance) => utterance.label === null) };
    await expect(preprocessCorpus(unlabelled, join(workDir, 'none'), { config, workers: 0 })).rejects.toThrow(
      new RegExp(`${corpusDir}.*--all-labels`),
    );
  });
});

describe('openFeatureStore', () => {
  it('explains a folder without a store and a damaged frame file', () => {
    expect(() => openFeatureStore(corpusDir)).toThrow(/no feature store.*ser preprocess/);
    const damagedDir = join(workDir, 'damaged');
    cpSync(referenceDir, damagedDir, { recursive: true });
    const store = openFeatureStore(damagedDir);
    const [item] = store.items;
    truncateSync(join(damagedDir, item.file), 100);
    expect(() => store.readMatrix(item)).toThrow(new RegExp(`${join(damagedDir, item.file)} holds 100 bytes.*rerun ser preprocess`));
  });
});



describe.skipIf(!existsSync(compiledCli))('compiled ser CLI (dist/src/cli/index.js, built by `npm test`)', () => {
  it('preprocess exits 3 naming the bad files, and 0 once they are gone', async () => {
    const withBad = await runCli(['preprocess', corpusDir, '--out', join(workDir, 'cli-store'), '--workers', '2']);
    expect(withBad.code).toBe(3);
    for (const path of bad) expect(withBad.stdout).toContain(path);
    expect(withBad.stderr).toMatch(/files/);
    expect(storeContents(openFeatureStore(join(workDir, 'cli-store')))).toEqual(storeContents(openFeatureStore(referenceDir)));

    const cleanDir = join(workDir, 'clean');
    mkdirSync(join(cleanDir, 'good'), { recursive: true });
    for (const [path] of manifestRows.filter(([path]) => path.startsWith('good/'))) copyFileSync(join(corpusDir, path), join(cleanDir, path));
    writeCorpus(cleanDir, manifestRows.filter(([path]) => path.startsWith('good/')));
    const clean = await runCli(['preprocess', cleanDir, '--out', join(workDir, 'cli-clean'), '--workers', '2']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/processed 4 files/);
  });

  it('preprocess exits 1 naming the folder when the store has another configuration', async () => {
    const refused = await runCli(['preprocess', corpusDir, '--out', referenceDir, '--no-deltas']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(referenceDir);
    expect(refused.stderr).toMatch(/--overwrite/);
  });

  it('features --json prints the matrix of one file', async () => {
    const printed = await runCli(['features', fixtureWav, '--no-deltas', '--json']);
    expect(printed.code).toBe(0);
    const parsed = JSON.parse(printed.stdout) as { sampleRate: number; frames: number; dims: number; data: number[][] };
    const audio = await decodeAudio(fixtureWav, { sampleRate: 16000 });
    const expected = extractFeatures(audio.samples, audio.sampleRate, resolveFeatureConfig({ deltas: false }));
    expect(parsed).toMatchObject({ sampleRate: 16000, frames: expected.frames, dims: 13 });
    expect(Float32Array.from(parsed.data.flat())).toEqual(expected.data);
  });
});
