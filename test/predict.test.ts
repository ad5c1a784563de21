import { repoRoot, runCli } from './helpers/cli.js';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { loadCorpus, parseCsv } from '../src/corpora/index.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { selectBackend } from '../src/model/backend.js';
import { loadModel, saveModel, type SavedModel } from '../src/model/io.js';
import { isClipFailure, listAudioInputs, predictFiles, predictionsCsv, type ClipOutcome, type ClipPrediction, type EmotionEstimate } from '../src/predict/predict.js';
import { openFeatureStore, preprocessCorpus } from '../src/store/index.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrain } from '../src/train/pretrain.js';

const fixtureWav = join(repoRoot, 'test/fixtures/mfcc/espeak-en.wav');
const SAMPLE_RATE = 16000;
/** Samples in the fixture: 3.5758125 s at 16 kHz. */
const FIXTURE_SAMPLES = 57213;
const SILENCE_SAMPLES = 4 * SAMPLE_RATE;
const windows = { windowSeconds: 3, hopSeconds: 1.5 };

const work = mkdtempSync(join(tmpdir(), 'ser-predict-'));
const modelDir = join(work, 'model');
const clips = {
  wav: fixtureWav,
  flac: join(work, 'espeak-en.flac'),
  /** The fixture, 4 s of digital silence, the fixture again. */
  long: join(work, 'long.wav'),
  /** 10 ms: shorter than the frames the model needs. */
  short: join(work, 'short.wav'),
  /** 1 s of digital silence with a 20-sample click: only two frames hold any sound. */
  click: join(work, 'click.wav'),
  corrupt: join(work, 'corrupt.wav'),
  missing: join(work, 'missing.wav'),
};
let saved: SavedModel;

function writeWav(path: string, samples: Int16Array): void {
  const wave = new wavefile.WaveFile();
  wave.fromScratch(1, SAMPLE_RATE, '16', samples);
  writeFileSync(path, wave.toBuffer());
}

function expectDistribution(estimate: EmotionEstimate, labels: string[]): void {
  expect(Object.keys(estimate.probabilities)).toEqual(labels);
  const values = Object.values(estimate.probabilities);
  expect(values.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
  expect(estimate.probabilities[estimate.emotion]).toBe(Math.max(...values));
}

function prediction(outcomes: ClipOutcome[], file: string): ClipPrediction {
  const outcome = outcomes.find((candidate) => candidate.file === file);
  if (!outcome || isClipFailure(outcome)) throw new Error(`${file} was not predicted: ${JSON.stringify(outcome)}`);
  return outcome;
}

beforeAll(async () => {
  await selectBackend('wasm');
  const speech = new wavefile.WaveFile(readFileSync(fixtureWav)).getSamples(false, Int16Array) as unknown as Int16Array;
  expect(speech.length).toBe(FIXTURE_SAMPLES);
  const long = new Int16Array(2 * FIXTURE_SAMPLES + SILENCE_SAMPLES);
  long.set(speech, 0);
  long.set(speech, FIXTURE_SAMPLES + SILENCE_SAMPLES);
  writeWav(clips.long, long);
  writeWav(clips.short, speech.slice(20000, 20160));
  const click = new Int16Array(SAMPLE_RATE);
  click.fill(20000, 1060, 1080);
  writeWav(clips.click, click);
  writeFileSync(clips.corrupt, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256)));
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', fixtureWav, clips.flac]);

  // A real (if briefly trained) model: features, card and folder exactly as `ser train` makes them.
  const storeDir = join(work, 'store');
  await preprocessCorpus(await loadCorpus(join(repoRoot, 'data/demo/en')), storeDir, { config: resolveFeatureConfig(), workers: 0 });
  const trained = await pretrain(openFeatureStore(storeDir), {
    ...DEFAULT_PRETRAIN_OPTIONS,
    epochs: 1,
    validationSpeakers: ['en02'],
    model: { channels: [8, 8, 8], embeddingDim: 16 },
  });
  await saveModel(modelDir, trained.model, trained.card);
  saved = await loadModel(modelDir);
});

describe('predictFiles', () => {
  it('predicts a clip whole and, when it is longer than the window, window by window', async () => {
    const outcomes = await predictFiles(saved, [clips.wav, clips.long], windows);
    const labels = saved.card.labels;
    const clip = prediction(outcomes, clips.wav);
    expect(clip.duration).toBe(FIXTURE_SAMPLES / SAMPLE_RATE);
    expectDistribution(clip, labels);
    // 3.576 s: one window from the start, one more ending at the end.
    expect(clip.windows.map(({ start, end }) => [start, end])).toEqual([[0, 3], [0.5758125, 3.5758125]]);

    const long = prediction(outcomes, clips.long);
    expect(long.duration).toBe(11.151625);
    expectDistribution(long, labels);
    expect(long.windows.map(({ start, end }) => [start, end])).toEqual([
      [0, 3], [1.5, 4.5], [3, 6], [4.5, 7.5], [6, 9], [7.5, 10.5], [8.151625, 11.151625],
    ]);
    // The silence lasts from 3.576 s to 7.576 s: the window inside it gets no estimate, all others do.
    const silent = long.windows.filter((window) => window.emotion === null);
    expect(silent.map(({ start }) => start)).toEqual([4.5]);
    expect(silent[0].probabilities).toBeNull();
    for (const window of long.windows.filter((w) => w.emotion !== null)) expectDistribution(window as EmotionEstimate, labels);
    // The first 3 s are the same audio in both clips, so their windows agree.
    for (const label of labels) expect(long.windows[0].probabilities![label]).toBeCloseTo(clip.windows[0].probabilities![label], 5);
  });

  it('reads any format ffmpeg reads: a FLAC of the clip gives the WAV\'s prediction', async () => {
    const [wav, flac] = await predictFiles(saved, [clips.wav, clips.flac], windows);
    expect(isClipFailure(flac)).toBe(false);
    expect((flac as ClipPrediction).emotion).toBe((wav as ClipPrediction).emotion);
    for (const label of saved.card.labels) {
      expect((flac as ClipPrediction).probabilities[label]).toBeCloseTo((wav as ClipPrediction).probabilities[label], 5);
    }
  });

  it('reports a missing, corrupt, too short or too quiet file with the reason, and predicts the others', async () => {
    const order = [clips.missing, clips.wav, clips.corrupt, clips.short, clips.click, clips.long];
    const outcomes = await predictFiles(saved, order, windows);
    expect(outcomes.map((outcome) => outcome.file)).toEqual(order);
    expect(outcomes.map(isClipFailure)).toEqual([true, false, true, true, true, false]);
    const reasons = outcomes.filter(isClipFailure).map((failure) => failure.error);
    expect(reasons[0]).toMatch(/not found/);
    expect(reasons[1]).toMatch(/cannot decode/);
    expect(reasons[2]).toMatch(/^too short: 0\.01 s of audio; the model needs at least 0\.055 s$/);
    expect(reasons[3]).toMatch(/^too little sound: 2 frames within 40 dB/);
  });

  it('refuses windows too short for the model and hops that would skip audio', async () => {
    await expect(predictFiles(saved, [clips.wav], { windowSeconds: 0.04, hopSeconds: 0.02 })).rejects.toThrow(/window must be at least 0\.065 s/);
    await expect(predictFiles(saved, [clips.wav], { windowSeconds: 2, hopSeconds: 2.5 })).rejects.toThrow(/hop must be .* at most the window/);
  });
});

describe('listAudioInputs', () => {
  it('searches folders recursively for audio files, skipping hidden ones, and keeps other paths as given', async () => {
    const folder = join(work, 'inputs');
    mkdirSync(join(folder, 'nested/deeper'), { recursive: true });
    mkdirSync(join(folder, '.cache'), { recursive: true });
    mkdirSync(join(work, 'empty'), { recursive: true });
    copyFileSync(clips.wav, join(folder, 'b.wav'));
    copyFileSync(clips.flac, join(folder, 'nested/deeper/a.FLAC'));
    copyFileSync(clips.wav, join(folder, '.cache/hidden.wav'));
    writeFileSync(join(folder, 'nested/notes.txt'), 'not audio');

    const { files, failures } = await listAudioInputs([folder, clips.missing, join(folder, 'b.wav'), join(work, 'empty')]);
    expect(files).toEqual([join(folder, 'b.wav'), join(folder, 'nested/deeper/a.FLAC'), clips.missing]);
    expect(failures).toEqual([{ file: join(work, 'empty'), error: expect.stringMatching(/holds no audio files \(\.wav /) }]);
  });
});

describe('predictionsCsv', () => {
  it('writes one row per clip and per window, quoting names, with empty cells for a window without sound', async () => {
    const named = join(work, 'with, "comma".wav');
    copyFileSync(clips.long, named);
    const outcomes = await predictFiles(saved, [named], windows);
    const [header, ...rows] = parseCsv(predictionsCsv(outcomes as ClipPrediction[], saved.card.labels), 'predictions.csv').map((record) => record.fields);
    expect(header).toEqual(['file', 'start', 'end', 'emotion', ...saved.card.labels.map((label) => `p_${label}`)]);
    expect(rows).toHaveLength(1 + 7);
    expect(rows.every((row) => row[0] === named)).toBe(true);
    expect(rows.map((row) => [Number(row[1]), Number(row[2])])).toEqual([
      [0, 11.151625], [0, 3], [1.5, 4.5], [3, 6], [4.5, 7.5], [6, 9], [7.5, 10.5], [8.151625, 11.151625],
    ]);
    const [clipRow] = rows;
    expect(clipRow[3]).toBe((outcomes[0] as ClipPrediction).emotion);
    expect(clipRow.slice(4).map(Number).reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
    expect(rows[4].slice(3)).toEqual(['', '', '', '', '']);
  });
});


describe('compiled `ser predict` (dist/src/cli/index.js, built by `npm test`)', () => {
  it('exits 3 naming the bad files, with an error entry for each in the JSON, and predicts the good ones', async () => {
    const result = await runCli(['predict', '--backend', 'wasm', '--model', modelDir, clips.wav, clips.corrupt, clips.missing]);
    expect(result.code).toBe(3);
    const entries = JSON.parse(result.stdout) as ClipOutcome[];
    expect(entries.map((entry) => [entry.file, isClipFailure(entry)])).toEqual([[clips.wav, false], [clips.corrupt, true], [clips.missing, true]]);
    expectDistribution(entries[0] as ClipPrediction, saved.card.labels);
    expect(result.stderr).toContain(`${clips.corrupt}: ffmpeg cannot decode`);
    expect(result.stderr).toContain(`${clips.missing}: file not found`);
  });

  it('exits 0 when every file is predicted, and writes CSV on request', async () => {
    const result = await runCli(['predict', '--backend', 'wasm', '--model', modelDir, '--format', 'csv', '--window', '2', '--hop', '1', clips.flac]);
    expect(result.code).toBe(0);
    const rows = parseCsv(result.stdout, 'stdout').map((record) => record.fields);
    // Header, the clip, and windows [0, 2], [1, 3], [1.576, 3.576].
    expect(rows.map((row) => row.slice(0, 3))).toEqual([
      ['file', 'start', 'end'],
      [clips.flac, '0', '3.5758125'],
      [clips.flac, '0', '2'],
      [clips.flac, '1', '3'],
      [clips.flac, '1.5758125', '3.5758125'],
    ]);
  });

  it('names a model folder without card.json and how to make one', async () => {
    const incomplete = join(work, 'incomplete-model');
    mkdirSync(incomplete);
    for (const file of ['model.json', 'weights.bin']) copyFileSync(join(modelDir, file), join(incomplete, file));
    const result = await runCli(['predict', '--backend', 'wasm', '--model', incomplete, clips.wav]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${incomplete}: no card.json`);
  });
});
