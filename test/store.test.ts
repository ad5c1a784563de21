import { repoRoot, runCli } from './helpers/cli.js';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeAudio } from '../src/audio/index.js';
import { recordSchema } from '../src/store/format.js';
import { looksLikeRecord } from '../src/store/itemLog.js';
import { loadCorpus, openCorpusListing, type Corpus } from '../src/corpora/index.js';
import { extractFeatures, featureConfigKey, resolveFeatureConfig, type FeatureMatrix } from '../src/features/index.js';
import { beginStoreRun, openFeatureStore, preprocessCorpus, runJob, type FeatureStore, type StoreError, type StoreHeader, type StoreItem } from '../src/store/index.js';

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

function readIndex(dir: string): StoreHeader {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as StoreHeader;
}

function readLogLines(dir: string): string[] {
  return readFileSync(join(dir, 'items.jsonl'), 'utf8').split('\n').filter((line) => line !== '');
}

function readErrors(dir: string): StoreError[] {
  return JSON.parse(readFileSync(join(dir, 'errors.json'), 'utf8')) as StoreError[];
}

async function expectedMatrix(path: string): Promise<FeatureMatrix> {
  const audio = await decodeAudio(path, { sampleRate: config.sampleRate });
  return extractFeatures(audio.samples, audio.sampleRate, config);
}

function storeContents(store: FeatureStore): Array<{ item: StoreItem; data: number[] }> {
  return store.loadAll().map(({ item, matrix }) => ({ item, data: Array.from(matrix.data) }));
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

describe('beginStoreRun', () => {
  it('records outcomes in any order into the store a run in corpus order writes; a repeated outcome is ignored, an unknown one refused', async () => {
    const dir = join(workDir, 'shuffled');
    const run = await beginStoreRun(corpus, dir, { config });
    const jobs = [...run.jobs];
    expect(jobs.map((job) => job.path)).toEqual(corpus.utterances.filter((utterance) => utterance.label !== null).map((utterance) => utterance.path));
    expect(run.jobs.at(1)).toEqual(jobs[1]);
    expect(() => run.jobs.at(jobs.length)).toThrow(RangeError);
    const outcomes: Awaited<ReturnType<typeof runJob>>[] = [];
    const order = jobs.map((_, index) => index).reverse();
    for (const index of order) outcomes.push(await runJob(jobs[index], dir, config));
    const recorded = outcomes.map((outcome, at) => run.record(order[at], outcome));
    expect(recorded.map((item) => [item?.path, item?.ok])).toEqual([...jobs].reverse().map((job) => [job.path, job.path.includes('/good/')]));
    expect(outcomes[0].ok).toBe(true);
    expect(run.record(order[0], outcomes[0])).toBeUndefined();
    expect(() => run.record(0, { id: 'not-in-the-corpus', ok: false, reason: 'x' })).toThrow(/did not ask for/);
    expect(() => run.record(jobs.length, outcomes[0])).toThrow(/did not ask for/);
    await run.close();
    for (const file of ['index.json', 'items.jsonl', 'errors.json']) expect(readFileSync(join(dir, file), 'utf8')).toBe(readFileSync(join(referenceDir, file), 'utf8'));
  });
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
      const audio = statSync(item.path);
      expect([item.size, item.mtimeMs]).toEqual([audio.size, audio.mtimeMs]);
    }
    expect(readIndex(referenceDir)).toMatchObject({ format: 'ser-feature-store/2', count: labelledGood.length });
    expect(existsSync(join(referenceDir, 'lock'))).toBe(false);
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
    const saved = openFeatureStore(interruptedDir).items;
    expect(saved).toHaveLength(storedBeforeAbort);

    // As if killed between writing a frame file and appending its record (the file exists, its record does
    // not), and in the middle of appending one (a torn last line), with a frame file lost after its record
    // was written and a temporary file left by a write cut short.
    const [unindexed, lost] = saved;
    const lines = readLogLines(interruptedDir).filter((line) => !line.includes(JSON.stringify(unindexed.id)));
    writeFileSync(join(interruptedDir, 'items.jsonl'), `${lines.join('\n')}\n{"id":"good/vow`);
    unlinkSync(join(interruptedDir, lost.file));
    const leftover = join(interruptedDir, `${unindexed.file}.tmp-4242-abc123`);
    writeFileSync(leftover, new Uint8Array(12));

    const resumed = await preprocessCorpus(corpus, interruptedDir, { config, workers: 0 });
    expect(resumed).toMatchObject({ processed: labelledGood.length - 1, skipped: 1 });
    expect(storeContents(openFeatureStore(interruptedDir))).toEqual(storeContents(openFeatureStore(referenceDir)));
    expect(readErrors(interruptedDir)).toEqual(readErrors(referenceDir));
    expect(existsSync(leftover)).toBe(false);

    // A queue worker killed mid-write, while a run goes on, leaves a temporary frame file: gone at the end.
    const midRun = join(interruptedDir, 'frames', 'x.f32.tmp-4343-def456');
    let written = 0;
    const rewrite = await preprocessCorpus(corpus, interruptedDir, { config, workers: 0, onProgress: () => writeFileSync(midRun, `half ${++written}`) });
    expect([rewrite.processed, written]).toEqual([0, bad.length]);
    expect(existsSync(midRun)).toBe(false);
  });

  it('names the folder when no utterance has a label in the taxonomy', async () => {
    const unlabelled = { ...corpus, utterances: corpus.utterances.filter((utterance) => utterance.label === null) };
    await expect(preprocessCorpus(unlabelled, join(workDir, 'none'), { config, workers: 0 })).rejects.toThrow(
      new RegExp(`${corpusDir}.*--all-labels`),
    );
  });
});

describe('store run over a streamed listing, memory flat in the item count (issue 17)', () => {
  /** A copy of the reference store, to damage or replay. */
  function referenceCopy(name: string): string {
    const dir = join(workDir, name);
    cpSync(referenceDir, dir, { recursive: true });
    return dir;
  }
  const storeFiles = (dir: string): string[] => ['index.json', 'items.jsonl', 'errors.json'].map((file) => readFileSync(join(dir, file), 'utf8'));
  const leftovers = (dir: string): string[] => [...readdirSync(dir), ...readdirSync(join(dir, 'frames'))].filter((name) => /\.tmp-\d+-/.test(name));

  it('writes, from a listing streamed off a sorted temporary file, the bytes a run over the array writes', async () => {
    const dir = join(workDir, 'streamed');
    const listing = openCorpusListing(corpusDir, { taxonomy: '4class', chunkLines: 2 });
    try {
      const summary = await preprocessCorpus(listing, dir, { config, workers: 0 });
      expect(summary).toMatchObject({ processed: labelledGood.length, skipped: 0 });
      expect(storeFiles(dir)).toEqual(storeFiles(referenceDir));
      const rerun = await preprocessCorpus(listing, dir, { config, workers: 0 });
      expect(rerun).toMatchObject({ processed: 0, skipped: labelledGood.length });
    } finally {
      listing.close();
    }
  });

  it('matches a log out of corpus order, with a later record of an id replacing an earlier one, by sorting in several spills', async () => {
    const dir = referenceCopy('shuffled-log');
    const lines = readLogLines(dir);
    expect(lines).toHaveLength(labelledGood.length);
    // Reversed, then a later record of the first item saying its audio had another modification time: the
    // later one wins, so that item is extracted again and the others are kept.
    const replaced = { ...(JSON.parse(lines[0]) as StoreItem), mtimeMs: 1 };
    // A record whose utterance left the corpus: its frame file goes.
    const ghost = { ...(JSON.parse(lines[1]) as StoreItem), id: 'ghost', path: join(corpusDir, 'good/ghost.wav') };
    writeFileSync(join(dir, 'frames/ghost.f32'), new Uint8Array(ghost.frames * ghost.dims * 4));
    writeFileSync(join(dir, 'items.jsonl'), `${[...lines].reverse().join('\n')}\n${JSON.stringify(ghost)}\n${JSON.stringify(replaced)}\n`);
    const summary = await preprocessCorpus(corpus, dir, { config, workers: 0, sortChunkLines: 1 });
    expect(summary).toMatchObject({ processed: 1, skipped: labelledGood.length - 1 });
    expect(storeFiles(dir)).toEqual(storeFiles(referenceDir));
    expect(existsSync(join(dir, 'frames/ghost.f32'))).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('keeps what is still in an edited corpus and removes what left it (the in-step match fails over to sorting)', async () => {
    const dir = referenceCopy('edited');
    const [removed] = openFeatureStore(dir).items;
    const smaller = { ...corpus, utterances: corpus.utterances.filter((utterance) => utterance.id !== removed.id) };
    const edited = await preprocessCorpus(smaller, dir, { config, workers: 0, sortChunkLines: 1 });
    expect(edited).toMatchObject({ processed: 0, skipped: labelledGood.length - 1 });
    expect(readLogLines(dir)).toEqual(readLogLines(referenceDir).filter((line) => !line.includes(JSON.stringify(removed.id))));
    expect(existsSync(join(dir, removed.file))).toBe(false);
    const restored = await preprocessCorpus(corpus, dir, { config, workers: 0 });
    expect(restored).toMatchObject({ processed: 1, skipped: labelledGood.length - 1 });
    expect(storeFiles(dir)).toEqual(storeFiles(referenceDir));
  });

  it('resumes a run killed between spilling sorted runs and writing the compacted log: same store, no temporary file left', async () => {
    const dir = referenceCopy('killed-mid-sort');
    // What such a run leaves: the log it was reading (records appended after the compaction, repeating
    // earlier ones), its sort runs, its table and job files, and a half-written compacted log.
    const lines = readLogLines(dir);
    writeFileSync(join(dir, 'items.jsonl'), `${lines.join('\n')}\n${lines.slice(0, 2).join('\n')}\n`);
    for (const name of ['run0.tmp-4242-abc123', 'sorted.tmp-4242-abc124', 'run-items.tmp-4242-abc125', 'run-jobs.tmp-4242-abc126', 'items.jsonl.tmp-4242-abc127']) {
      writeFileSync(join(dir, name), '["half a line');
    }
    const resumed = await preprocessCorpus(corpus, dir, { config, workers: 0, sortChunkLines: 1 });
    expect(resumed).toMatchObject({ processed: 0, skipped: labelledGood.length });
    expect(storeFiles(dir)).toEqual(storeFiles(referenceDir));
    expect(leftovers(dir)).toEqual([]);
  });
});

describe('store faults (issue 16)', () => {
  it('2: a path read from the index that leaves the store is refused, and nothing outside is deleted', async () => {
    const victim = join(workDir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    // A format-1 index, hand-edited: its item names a file outside the store.
    const legacyDir = join(workDir, 'legacy-escape');
    mkdirSync(legacyDir);
    const item = { id: 'x', path: join(corpusDir, 'good/espeak.wav'), speaker: 's', emotion: 'angry', label: 'angry', frames: 1, dims: 39, file: '../victim.txt', sum: [], sumSq: [] };
    const legacy = { format: 'ser-feature-store/1', config, configKey: featureConfigKey(config), corpus: corpus.name, language: 'en', items: [item] };
    writeFileSync(join(legacyDir, 'index.json'), JSON.stringify(legacy));
    await expect(preprocessCorpus(corpus, legacyDir, { config, workers: 0 })).rejects.toThrow(/index\.json: path "\.\.\/victim\.txt" points outside/);
    expect(() => openFeatureStore(legacyDir)).toThrow(/points outside/);
    // A format-2 log, hand-edited: an id made of separators; the frame file name follows from the id, escaped.
    const currentDir = join(workDir, 'current-escape');
    cpSync(referenceDir, currentDir, { recursive: true });
    const record = { ...JSON.parse(readLogLines(currentDir)[0]!), id: '../../victim.txt' };
    writeFileSync(join(currentDir, 'items.jsonl'), `${[...readLogLines(currentDir), JSON.stringify(record)].join('\n')}\n`);
    await preprocessCorpus(corpus, currentDir, { config, workers: 0 });
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    // A record of the wrong shape names the file, line and field.
    writeFileSync(join(currentDir, 'items.jsonl'), '{"id":"a","path":"/a","speaker":"s","emotion":"e","label":null,"frames":"many","dims":39,"size":1,"mtimeMs":1}\n');
    expect(() => openFeatureStore(currentDir)).toThrow(/items\.jsonl:1: field frames: Expected number/);
  });

  it('2: a format-1 store is read as it is and migrated on the next run, with a notice', async () => {
    const legacyDir = join(workDir, 'legacy');
    cpSync(referenceDir, legacyDir, { recursive: true });
    const items = openFeatureStore(referenceDir).items.map(({ size: _size, mtimeMs: _mtimeMs, ...item }) => ({ ...item, sum: [0], sumSq: [0] }));
    const { count: _count, ...header } = readIndex(referenceDir);
    writeFileSync(join(legacyDir, 'index.json'), JSON.stringify({ ...header, format: 'ser-feature-store/1', items }));
    rmSync(join(legacyDir, 'items.jsonl'));
    expect(openFeatureStore(legacyDir).items.map((item) => item.id)).toEqual(items.map((item) => item.id));
    const notices: string[] = [];
    const migrated = await preprocessCorpus(corpus, legacyDir, { config, workers: 0, onNotice: (message) => notices.push(message) });
    expect(migrated).toMatchObject({ processed: 0, skipped: labelledGood.length });
    expect(notices.join('\n')).toMatch(/migrating the store from ser-feature-store\/1 to ser-feature-store\/2/);
    expect(storeContents(openFeatureStore(legacyDir))).toEqual(storeContents(openFeatureStore(referenceDir)));
  });

  it('4: two runs into one store at once: one is refused, the store the other writes is whole', async () => {
    const sharedDir = join(workDir, 'concurrent');
    const runs = await Promise.allSettled([
      preprocessCorpus(corpus, sharedDir, { config, workers: 0 }),
      preprocessCorpus(corpus, sharedDir, { config, workers: 0, overwrite: true }),
    ]);
    const refused = runs.filter((run) => run.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(new RegExp(`${sharedDir} is being written by another run \\(pid ${process.pid} .*wait for it to finish or choose another --out`));
    expect(storeContents(openFeatureStore(sharedDir))).toEqual(storeContents(openFeatureStore(referenceDir)));
    expect(existsSync(join(sharedDir, 'lock'))).toBe(false);
  });

  it('4: a lock left by a process that died is taken over, with a notice', async () => {
    const staleDir = join(workDir, 'stale-lock');
    mkdirSync(staleDir);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(staleDir, 'lock'), JSON.stringify({ pid: dead, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const notices: string[] = [];
    await preprocessCorpus(corpus, staleDir, { config, workers: 0, onNotice: (message) => notices.push(message) });
    expect(notices).toEqual([expect.stringMatching(new RegExp(`taking over the lock of a run that stopped.*pid ${dead}`))]);
    expect(storeContents(openFeatureStore(staleDir))).toEqual(storeContents(openFeatureStore(referenceDir)));
  });

  it('5: a rerun without allLabels keeps a store made with it; changed audio is extracted again', async () => {
    const copyDir = join(workDir, 'relabel-corpus');
    cpSync(corpusDir, copyDir, { recursive: true });
    const copy = await loadCorpus(copyDir, { taxonomy: '4class' });
    const storeDir = join(workDir, 'relabel-store');
    await preprocessCorpus(copy, storeDir, { config, workers: 0, allLabels: true });
    const framesBefore = readdirSync(join(storeDir, 'frames')).sort();
    const rerun = await preprocessCorpus(copy, storeDir, { config, workers: 0 });
    expect(rerun).toMatchObject({ processed: 0, skipped: labelledGood.length });
    expect(readdirSync(join(storeDir, 'frames')).sort()).toEqual(framesBefore);
    expect(openFeatureStore(storeDir).items.find((item) => item.path.endsWith('surprise.wav'))).toMatchObject({ label: null });

    // Same name, new audio: re-extracted, and the store holds the new frames.
    const changed = join(copyDir, 'good/vowel-a.wav');
    writeFileSync(changed, pcm16Wav(syntheticSpeech(0.8, 16000, 300, 9), 16000));
    const afterChange = await preprocessCorpus(copy, storeDir, { config, workers: 0 });
    expect(afterChange).toMatchObject({ processed: 1, skipped: labelledGood.length - 1 });
    const item = openFeatureStore(storeDir).items.find((entry) => entry.path === changed)!;
    expect(openFeatureStore(storeDir).readMatrix(item).data).toEqual((await expectedMatrix(changed)).data);
  });
});

describe('item log records', () => {
  it('the fast check accepts exactly what the zod schema accepts', () => {
    const good = { id: 'a', path: '/a.wav', speaker: 's', emotion: 'happy', label: 'happy', frames: 3, dims: 39, size: 100, mtimeMs: 1.5 };
    const variants: unknown[] = [good, { ...good, label: null }, null, 'text', [], { ...good, id: '' }, { ...good, path: 3 }, { ...good, label: undefined },
      { ...good, frames: -1 }, { ...good, frames: 1.5 }, { ...good, dims: '39' }, { ...good, size: null }, { ...good, mtimeMs: -1 }, { ...good, mtimeMs: '1' },
      { ...good, speaker: undefined }, { ...good, emotion: 5 }];
    for (const value of variants) expect([value, looksLikeRecord(value)]).toEqual([value, recordSchema.safeParse(value).success]);
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



describe('compiled ser CLI (dist/src/cli/index.js, built by `npm test`)', () => {
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
