import { compiledCli, repoRoot, runCli } from './helpers/cli.js';
import { trainTinyModel } from './helpers/tinyModel.js';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { loadCorpus, parseCsv } from '../src/corpora/index.js';
import { selectBackend } from '../src/model/backend.js';
import { loadModel, type SavedModel } from '../src/model/io.js';
import { PredictionWriter, type OutputFormat } from '../src/predict/formats.js';
import { predictStream } from '../src/predict/live.js';
import { parseRttm } from '../src/predict/rttm.js';
import { scoreSegmentation } from '../src/segment/score.js';
import { buildRecording, toS16le } from '../scripts/lib/recording.js';
import {
  isClipFailure,
  listAudioInputs,
  predictAudio,
  predictFiles,
  type ClipOutcome,
  type ClipPrediction,
  type EmotionEstimate,
  type PredictOptions,
  type SegmentPrediction,
  type SpeakerTurn,
} from '../src/predict/predict.js';
import { decodeAudio } from '../src/audio/index.js';
import { createRng } from '../src/util/random.js';

const fixtureWav = join(repoRoot, 'test/fixtures/mfcc/espeak-en.wav');
/** The FLAC cases need ffmpeg; without it they skip (the rest runs), except under CI, where its absence is a failure. */
const ffmpegAvailable = spawnSync('ffmpeg', ['-version']).status === 0;
if (!ffmpegAvailable) {
  if (process.env.CI === 'true') throw new Error('ffmpeg is not on PATH, and CI=true requires it: apt-get install ffmpeg');
  console.warn('ffmpeg is not on PATH: skipping the FLAC prediction tests (apt-get install ffmpeg to run them)');
}
const SAMPLE_RATE = 16000;
/** Samples in the fixture: 3.5758125 s at 16 kHz. */
const FIXTURE_SAMPLES = 57213;
const SILENCE_SAMPLES = 4 * SAMPLE_RATE;
const windows: PredictOptions = { plan: { kind: 'windows', windowSeconds: 3, hopSeconds: 1.5 } };
const speechSegments: PredictOptions = { plan: { kind: 'speech' } };

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

/** An estimate that is there (not a clip or segment too quiet to judge) and a distribution over the labels. */
function expectDistribution(estimate: EmotionEstimate | { emotion: null; probabilities: null }, labels: string[]): void {
  if (estimate.emotion === null || estimate.probabilities === null) throw new Error('expected an estimate, got none');
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
  if (ffmpegAvailable) execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', fixtureWav, clips.flac]);

  // A real (if briefly trained) model: features, card and folder exactly as `ser train` makes them.
  await trainTinyModel(work);
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
    expect(clip.segments.map(({ start, end }) => [start, end])).toEqual([[0, 3], [0.5758125, 3.5758125]]);

    const long = prediction(outcomes, clips.long);
    expect(long.duration).toBe(11.151625);
    expectDistribution(long, labels);
    expect(long.segments.map(({ start, end }) => [start, end])).toEqual([
      [0, 3], [1.5, 4.5], [3, 6], [4.5, 7.5], [6, 9], [7.5, 10.5], [8.151625, 11.151625],
    ]);
    // The silence lasts from 3.576 s to 7.576 s: the window inside it gets no estimate, all others do.
    const silent = long.segments.filter((window) => window.emotion === null);
    expect(silent.map(({ start, speech }) => [start, speech])).toEqual([[4.5, false]]);
    expect(silent[0].probabilities).toBeNull();
    for (const window of long.segments.filter((w) => w.emotion !== null)) expectDistribution(window as EmotionEstimate, labels);
    // The first 3 s are the same audio in both clips, so their windows agree.
    for (const label of labels) expect(long.segments[0].probabilities![label]).toBeCloseTo(clip.segments[0].probabilities![label], 5);
  });

  it('by default scores the speech segments the VAD finds, none of them in the silence', async () => {
    const [long] = await predictFiles(saved, [clips.long], speechSegments);
    const prediction = long as ClipPrediction;
    expect(prediction.segments.length).toBeGreaterThanOrEqual(2);
    const silence = { start: FIXTURE_SAMPLES / SAMPLE_RATE, end: (FIXTURE_SAMPLES + SILENCE_SAMPLES) / SAMPLE_RATE };
    for (const segment of prediction.segments) {
      expect(segment.kind).toBe('speech');
      expect(segment.end <= silence.start + 0.2 || segment.start >= silence.end - 0.2).toBe(true);
      expectDistribution(segment as EmotionEstimate, saved.card.labels);
    }
    expect(prediction.segments[0].start).toBeLessThan(0.5);
    expect(prediction.segments.at(-1)!.end).toBeGreaterThan(prediction.duration - 0.5);
    expect(prediction.speechSeconds).toBeGreaterThan(5);
    expect(prediction.speechSeconds).toBeLessThan(7.3);
  });

  it('reports `uncertain` where the top probability is below --min-confidence, keeping the probabilities', async () => {
    const [plain] = (await predictFiles(saved, [clips.wav], speechSegments)) as ClipPrediction[];
    const [strict] = (await predictFiles(saved, [clips.wav], { ...speechSegments, minConfidence: 1 })) as ClipPrediction[];
    expect(strict.emotion).toBe('uncertain');
    expect(strict.confidence).toBe(plain.confidence);
    expect(strict.probabilities).toEqual(plain.probabilities);
    expect(strict.segments.every((segment) => segment.emotion === 'uncertain')).toBe(true);
    await expect(predictFiles(saved, [clips.wav], { ...speechSegments, minConfidence: 1.5 })).rejects.toThrow(/minimum confidence must be from 0 to 1/);
  });

  it('gives silence, a DC offset and -80 dBFS noise no emotion, for the clip and every window (issue 16, fault 7)', () => {
    const seconds = 6;
    const amplitude = 10 ** (-80 / 20) * Math.sqrt(3);
    let seed = 1;
    const noise = Float32Array.from({ length: seconds * SAMPLE_RATE }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return amplitude * (2 * (seed / 2 ** 31) - 1);
    });
    const recordings = { silence: new Float32Array(seconds * SAMPLE_RATE), dc: new Float32Array(seconds * SAMPLE_RATE).fill(0.25), noise };
    for (const [name, samples] of Object.entries(recordings)) {
      for (const options of [speechSegments, windows]) {
        const prediction = predictAudio(saved, name, { samples, sampleRate: SAMPLE_RATE }, options);
        expect(prediction.emotion, name).toBeNull();
        expect(prediction.speechSeconds).toBe(0);
        for (const segment of prediction.segments) expect([segment.speech, segment.emotion]).toEqual([false, null]);
      }
    }
  });

  it('refuses a hop that rounds to no samples, and scores 25 minutes in 0.1 s windows every 0.01 s without exhausting the stack (issue 16, fault 10)', async () => {
    await expect(predictFiles(saved, [clips.wav], { plan: { kind: 'windows', windowSeconds: 3, hopSeconds: 0.00002 } })).rejects.toThrow(
      /hop must be from one frame shift \(0\.01 s\)/,
    );
    const samples = new Float32Array(25 * 60 * SAMPLE_RATE);
    const speech = new wavefile.WaveFile(readFileSync(fixtureWav)).getSamples(false, Float64Array) as unknown as Float64Array;
    for (let i = 0; i < speech.length; i++) samples[60 * SAMPLE_RATE + i] = speech[i] / 32768;
    const prediction = predictAudio(saved, 'long', { samples, sampleRate: SAMPLE_RATE }, { plan: { kind: 'windows', windowSeconds: 0.1, hopSeconds: 0.01 } });
    expect(prediction.segments).toHaveLength(149_991);
    const judged = prediction.segments.filter((segment) => segment.emotion !== null);
    expect(judged.length).toBeGreaterThan(100);
    expect(judged.every((segment) => segment.start > 59.8 && segment.end < 64)).toBe(true);
    let csvLength = 0;
    const writer = new PredictionWriter('csv', saved.card.labels, (text) => (csvLength += text.length));
    writer.clip(prediction);
    writer.end();
    expect(csvLength).toBeGreaterThan(149_992 * 20);
  });

  it.skipIf(!ffmpegAvailable)('reads any format ffmpeg reads: a FLAC of the clip gives the WAV\'s prediction', async () => {
    const [wav, flac] = await predictFiles(saved, [clips.wav, clips.flac], windows);
    expect(isClipFailure(flac)).toBe(false);
    expect((flac as ClipPrediction).emotion).toBe((wav as ClipPrediction).emotion);
    for (const label of saved.card.labels) {
      expect((flac as ClipPrediction).probabilities![label]).toBeCloseTo((wav as ClipPrediction).probabilities![label], 5);
    }
  });

  it('reports a missing or corrupt file with the reason, a clip too short or a click as no speech, and predicts the others', async () => {
    const order = [clips.missing, clips.wav, clips.corrupt, clips.short, clips.click, clips.long];
    const outcomes = await predictFiles(saved, order, windows);
    expect(outcomes.map((outcome) => outcome.file)).toEqual(order);
    expect(outcomes.map(isClipFailure)).toEqual([true, false, true, false, false, false]);
    const reasons = outcomes.filter(isClipFailure).map((failure) => failure.error);
    expect(reasons[0]).toMatch(/not found/);
    // Not a WAV, so it goes to ffmpeg, which refuses it (or, where ffmpeg is absent, is named as missing).
    expect(reasons[1]).toMatch(ffmpegAvailable ? /cannot decode/ : /needs ffmpeg, which is not installed/);
    for (const quiet of [outcomes[3], outcomes[4]] as ClipPrediction[]) expect([quiet.emotion, quiet.speechSeconds, quiet.segments]).toEqual([null, 0, []]);
  });

  it('refuses windows too short for the model and hops that would skip audio', async () => {
    const plan = (windowSeconds: number, hopSeconds: number): PredictOptions => ({ plan: { kind: 'windows', windowSeconds, hopSeconds } });
    await expect(predictFiles(saved, [clips.wav], plan(0.04, 0.02))).rejects.toThrow(/window must be from 0\.065 s/);
    await expect(predictFiles(saved, [clips.wav], plan(2, 2.5))).rejects.toThrow(/hop must be .* to the window/);
  });
});

describe('listAudioInputs', () => {
  it('searches folders recursively for audio files, skipping hidden ones, and keeps other paths as given', async () => {
    const folder = join(work, 'inputs');
    mkdirSync(join(folder, 'nested/deeper'), { recursive: true });
    mkdirSync(join(folder, '.cache'), { recursive: true });
    mkdirSync(join(work, 'empty'), { recursive: true });
    copyFileSync(clips.wav, join(folder, 'b.wav'));
    // Listing goes by extension alone, so the WAV's bytes serve (no ffmpeg needed).
    copyFileSync(clips.wav, join(folder, 'nested/deeper/a.FLAC'));
    copyFileSync(clips.wav, join(folder, '.cache/hidden.wav'));
    writeFileSync(join(folder, 'nested/notes.txt'), 'not audio');

    const { files, failures } = await listAudioInputs([folder, clips.missing, join(folder, 'b.wav'), join(work, 'empty')]);
    expect(files).toEqual([join(folder, 'b.wav'), join(folder, 'nested/deeper/a.FLAC'), clips.missing]);
    expect(failures).toEqual([{ file: join(work, 'empty'), error: expect.stringMatching(/holds no audio files \(\.wav /) }]);
  });
});

describe('PredictionWriter', () => {
  function written(format: OutputFormat, outcomes: ClipOutcome[]): string {
    let text = '';
    const writer = new PredictionWriter(format, saved.card.labels, (chunk) => (text += chunk));
    for (const outcome of outcomes) writer.clip(outcome);
    writer.end();
    return text;
  }

  it('writes one CSV row per clip and per window, quoting names, with empty cells for a window without speech', async () => {
    const named = join(work, 'with, "comma".wav');
    copyFileSync(clips.long, named);
    const outcomes = await predictFiles(saved, [named], windows);
    const [header, ...rows] = parseCsv(written('csv', outcomes), 'predictions.csv').map((record) => record.fields);
    expect(header).toEqual(['file', 'start', 'end', 'kind', 'speaker', 'speech', 'emotion', 'confidence', ...saved.card.labels.map((label) => `p_${label}`)]);
    expect(rows).toHaveLength(1 + 7);
    expect(rows.every((row) => row[0] === named)).toBe(true);
    expect(rows.map((row) => [Number(row[1]), Number(row[2]), row[3]])).toEqual([
      [0, 11.151625, 'clip'], [0, 3, 'window'], [1.5, 4.5, 'window'], [3, 6, 'window'], [4.5, 7.5, 'window'], [6, 9, 'window'], [7.5, 10.5, 'window'], [8.151625, 11.151625, 'window'],
    ]);
    const [clipRow] = rows;
    expect(clipRow[6]).toBe((outcomes[0] as ClipPrediction).emotion);
    expect(clipRow.slice(8).map(Number).reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
    expect(rows[4].slice(5)).toEqual(['false', '', '', '', '', '', '']);
  });

  it('writes JSON lines, WebVTT and SubRip cues and an Audacity label track of the judged segments only', async () => {
    const outcomes = await predictFiles(saved, [clips.long], windows);
    const prediction = outcomes[0] as ClipPrediction;
    const judged = prediction.segments.filter((segment) => segment.emotion !== null);
    const lines = written('jsonl', outcomes).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1 + prediction.segments.length);
    expect(lines[0]).toMatchObject({ file: clips.long, kind: 'clip', start: 0, end: 11.151625, emotion: prediction.emotion });

    const vtt = written('vtt', outcomes);
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n')).toBe(true);
    expect(vtt.match(/-->/g)).toHaveLength(judged.length);
    expect(vtt).toContain(`\n${judged[0].emotion} ${judged[0].confidence!.toFixed(2)}\n`);
    expect(vtt).not.toContain('00:00:04.500 -->');

    const srt = written('srt', outcomes).split('\n\n');
    expect(srt).toHaveLength(judged.length);
    expect(srt[1]).toBe(`2\n00:00:01,500 --> 00:00:04,500\n${judged[1].emotion} ${judged[1].confidence!.toFixed(2)}`);
    expect(srt.at(-1)).toMatch(/^\d+\n00:00:08,152 --> 00:00:11,152\n/);

    const labels = written('audacity', outcomes).trim().split('\n');
    expect(labels[0]).toBe(`0.000000\t3.000000\t${judged[0].emotion} ${judged[0].confidence!.toFixed(2)}`);
    expect(labels).toHaveLength(judged.length);
  });

  it('writes a JSON array even when nothing was predicted', () => {
    expect(JSON.parse(written('json', []))).toEqual([]);
    expect(JSON.parse(written('json', [{ file: 'a.wav', error: 'x' }]))).toEqual([{ file: 'a.wav', error: 'x' }]);
  });
});

describe('compiled `ser predict` (dist/src/cli/index.js, built by `npm test`)', () => {
  it('exits 3 naming the bad files, with an error entry for each in the JSON, and predicts the good ones', async () => {
    const result = await runCli(['predict', '--backend', 'wasm', '--model', modelDir, clips.wav, clips.corrupt, clips.missing]);
    expect(result.code).toBe(3);
    const entries = JSON.parse(result.stdout) as ClipOutcome[];
    expect(entries.map((entry) => [entry.file, isClipFailure(entry)])).toEqual([[clips.wav, false], [clips.corrupt, true], [clips.missing, true]]);
    expectDistribution(entries[0] as ClipPrediction, saved.card.labels);
    expect(result.stderr).toContain(`${clips.corrupt}: ${ffmpegAvailable ? 'ffmpeg cannot decode' : 'decoding it needs ffmpeg'}`);
    expect(result.stderr).toContain(`${clips.missing}: file not found`);
  });

  it.skipIf(!ffmpegAvailable)('exits 0 when every file is predicted, and writes CSV on request', async () => {
    const result = await runCli(['predict', '--backend', 'wasm', '--model', modelDir, '--format', 'csv', '--window', '2', clips.flac]);
    expect(result.code).toBe(0);
    const rows = parseCsv(result.stdout, 'stdout').map((record) => record.fields);
    // Header, the clip, and windows [0, 2], [1, 3], [1.576, 3.576] (the hop defaults to half the window).
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

describe('live input: `ser predict -`', () => {
  const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

  it('writes a JSON line per speech segment within a second of its end when audio arrives in real time', async () => {
    const corpus = await loadCorpus(join(repoRoot, 'data/demo/en'));
    const recording = await buildRecording(corpus.utterances.slice(0, 4).map((utterance) => utterance.path), { noiseDb: -70, silenceSeconds: [1.5, 2.5] });
    const bytes = toS16le(recording.samples);
    const child = spawn(process.execPath, [compiledCli, 'predict', '--backend', 'wasm', '--model', modelDir, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // Wait until the model is loaded: the first byte written starts the clock.
    while (!stderr.includes('tfjs backend')) await sleep(50);
    await sleep(1500);
    const arrivals: { line: Record<string, unknown>; at: number }[] = [];
    let pendingText = '';
    child.stdout.on('data', (chunk) => {
      pendingText += chunk;
      const lines = pendingText.split('\n');
      pendingText = lines.pop()!;
      for (const line of lines) arrivals.push({ line: JSON.parse(line), at: performance.now() });
    });
    const exited = new Promise<number>((resolveExit) => child.on('close', (code) => resolveExit(code ?? -1)));
    const chunkSeconds = 0.05;
    const chunkBytes = Math.round(chunkSeconds * SAMPLE_RATE) * 2;
    const started = performance.now();
    for (let offset = 0, k = 0; offset < bytes.length; offset += chunkBytes, k++) {
      child.stdin.write(bytes.subarray(offset, offset + chunkBytes));
      await sleep(Math.max(0, started + (k + 1) * chunkSeconds * 1000 - performance.now()));
    }
    child.stdin.end();
    expect(await exited).toBe(0);
    const segments = arrivals.map(({ line }) => line as { start: number; end: number; emotion: string });
    const score = scoreSegmentation(segments, recording.speech);
    expect(score.missed).toEqual([]);
    expect(score.inSilence).toEqual([]);
    expect(segments.every((segment) => saved.card.labels.includes(segment.emotion))).toBe(true);
    // Latency: from when the segment's last sample was written to when its line arrived.
    const latencies = arrivals.map(({ line, at }) => (at - started) / 1000 - (line.end as number)).sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)];
    expect(median, `latencies ${latencies.map((value) => value.toFixed(2)).join(', ')} s`).toBeLessThan(1);
  });

  it('exits 3 naming standard input and the byte for text or a WAV stream at the wrong rate, and flushes what it had', async () => {
    const run = (input: Buffer) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolveRun) => {
        const child = spawn(process.execPath, [compiledCli, 'predict', '--backend', 'wasm', '--model', modelDir, '-']);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
        child.stdin.on('error', () => {});
        child.stdin.end(input);
      });
    const text = await run(Buffer.from('hello, this is not audio at all\n'));
    expect(text.code).toBe(3);
    expect(text.stderr).toContain('standard input, byte 0: text, not audio');

    const wave = new wavefile.WaveFile();
    wave.fromScratch(1, 44100, '16', new Int16Array(44100));
    const wrongRate = await run(Buffer.from(wave.toBuffer()));
    expect(wrongRate.code).toBe(3);
    expect(wrongRate.stderr).toMatch(/standard input, byte 24: WAV stream at 44100 Hz, the model reads 16000 Hz/);

    // Speech cut off mid-segment by the end of the stream, then a stray byte: the segment is still written.
    const speech = new wavefile.WaveFile(readFileSync(fixtureWav)).getSamples(false, Int16Array) as unknown as Int16Array;
    const raw = Buffer.concat([Buffer.alloc(SAMPLE_RATE), Buffer.from(speech.buffer, speech.byteOffset, 2 * 30000), Buffer.from([7])]);
    const cut = await run(raw);
    expect(cut.code).toBe(3);
    expect(cut.stderr).toContain('the stream ended inside a sample');
    const lines = cut.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1).end).toBeCloseTo(0.5 + 30000 / SAMPLE_RATE, 1);
  });
});

describe('predictStream', () => {
  it('holds a bounded window of audio over a long stream', async () => {
    const corpus = await loadCorpus(join(repoRoot, 'data/demo/de'));
    const recording = await buildRecording(corpus.utterances.slice(0, 8).map((utterance) => utterance.path), { noiseDb: -60 });
    const bytes = toS16le(recording.samples);
    const repeats = 20;
    async function* stream() {
      for (let k = 0; k < repeats; k++) for (let offset = 0; offset < bytes.length; offset += 3001) yield bytes.subarray(offset, offset + 3001);
    }
    const segments: SegmentPrediction[] = [];
    const summary = await predictStream(saved, stream(), 'test stream', (segment) => segments.push(segment));
    expect(summary.error).toBeUndefined();
    expect(summary.seconds).toBeCloseTo((repeats * bytes.length) / 2 / SAMPLE_RATE, 3);
    expect(segments.length).toBeGreaterThanOrEqual(repeats * 8);
    // At most the longest segment (10 s) plus a second or so, in a buffer that grows by doubling.
    expect(summary.peakSamplesHeld).toBeLessThanOrEqual(32 * SAMPLE_RATE);
  });
});

describe('predictStream on a broken stream', () => {
  it('names the byte where a read error broke the stream, and scores the segment it cut off', async () => {
    // 0.5 s of silence, then speech; the source fails 30000 samples into the speech (an unplugged device, EIO).
    const speech = new wavefile.WaveFile(readFileSync(fixtureWav)).getSamples(false, Int16Array) as unknown as Int16Array;
    const bytes = Buffer.concat([Buffer.alloc(SAMPLE_RATE), Buffer.from(speech.buffer, speech.byteOffset, 2 * 30000)]);
    async function* breaking() {
      for (let offset = 0; offset < bytes.length; offset += 4000) yield bytes.subarray(offset, offset + 4000);
      throw new Error('EIO: i/o error, read');
    }
    const segments: SegmentPrediction[] = [];
    const summary = await predictStream(saved, breaking(), 'microphone', (segment) => segments.push(segment));
    expect(summary.error).toBe(`microphone, byte ${bytes.length}: EIO: i/o error, read`);
    expect(summary.seconds).toBeCloseTo(bytes.length / 2 / SAMPLE_RATE, 6);
    expect(segments.length).toBeGreaterThanOrEqual(1);
    expect(segments.at(-1)!.end).toBeCloseTo(0.5 + 30000 / SAMPLE_RATE, 1);
    expect(saved.card.labels).toContain(segments.at(-1)!.emotion);
  });
});

describe('RTTM speaker turns (--segments)', () => {
  it('reads SPEAKER lines, skips other types and comments, and names the file and line of each bad one', () => {
    const text = [
      ';; diarised by hand',
      'SPEAKER long 1 7.6 3.5 <NA> <NA> alice <NA> <NA>',
      'SPEAKER long 1 0.0 3.5 <NA> <NA> alice <NA> <NA>',
      'SPKR-INFO long 1 <NA> <NA> <NA> unknown alice <NA> <NA>',
      'SPEAKER long 1 4.0 abc <NA> <NA> bob <NA> <NA>',
      'SPEAKER long 1 -1 2 <NA> <NA> bob <NA> <NA>',
      'SPEAKER long 1 2',
      'hello there',
      '',
    ].join('\n');
    const { byFile, errors } = parseRttm(text, 'calls.rttm');
    expect(byFile.get('long')!.map(({ start, end, speaker, origin }) => [start, end, speaker, origin])).toEqual([
      [0, 3.5, 'alice', 'calls.rttm:3'],
      [7.6, 11.1, 'alice', 'calls.rttm:2'],
    ]);
    expect(errors).toEqual([
      'calls.rttm:5: duration "abc" is not a number of seconds above 0',
      'calls.rttm:6: onset "-1" is not a number of seconds at or after 0',
      expect.stringMatching(/^calls\.rttm:7: 4 fields, an RTTM SPEAKER line has 10/),
      'calls.rttm:8: unknown line type "hello" (an RTTM line starts with SPEAKER)',
    ]);
  });

  it("with a 'speaker' normalisation card, standardises each speaker's turns on that speaker's statistics (a talker 20 dB quieter gets the same answers)", async () => {
    // alice: the fixture 4 times at full level; bob: the same 4 times at gain 0.1 (-20 dB); carol: one short
    // demo clip, under MIN_SPEAKER_FRAMES (10 s), so on the card's statistics. 5.5 s of digital silence
    // between turns (longer than the VAD's 3 s peak memory) and a VAD floor below the quiet talker, so every
    // turn's speech frames are the same frames; a gain only shifts the MFCCs' c0, which a speaker's own mean removes.
    // Noise at -50 dBFS under the fixture (espeak's digital silences would otherwise meet the log floor of the
    // mel energies at -20 dB, where a gain is no longer a shift).
    const rng = createRng(7);
    const noiseAmplitude = 10 ** (-50 / 20) * Math.sqrt(3);
    // Padded to a whole number of VAD hops (160 samples), so every turn lies on the VAD's frame grid alike.
    const decoded = (await decodeAudio(fixtureWav, { sampleRate: SAMPLE_RATE })).samples;
    const fixture = new Float32Array(Math.ceil(decoded.length / 160) * 160);
    fixture.set(decoded);
    for (let i = 0; i < fixture.length; i++) fixture[i] += noiseAmplitude * (2 * rng() - 1);
    const carolClip = (await decodeAudio(join(repoRoot, 'data/demo/en/en01/en01_angry_01.wav'), { sampleRate: SAMPLE_RATE })).samples;
    const gap = Math.round(5.5 * SAMPLE_RATE);
    const pieces: { samples: Float32Array; speaker: string }[] = [];
    for (let k = 0; k < 4; k++) {
      pieces.push({ samples: fixture, speaker: 'alice' });
      pieces.push({ samples: fixture.map((sample) => 0.1 * sample), speaker: 'bob' });
    }
    pieces.push({ samples: carolClip, speaker: 'carol' });
    const samples = new Float32Array(pieces.reduce((sum, piece) => sum + gap + piece.samples.length, gap));
    const turns: SpeakerTurn[] = [];
    let offset = gap;
    for (const [index, piece] of pieces.entries()) {
      samples.set(piece.samples, offset);
      turns.push({ start: offset / SAMPLE_RATE, end: (offset + piece.samples.length) / SAMPLE_RATE, speaker: piece.speaker, origin: `turns:${index + 1}` });
      offset += piece.samples.length + gap;
    }
    const audio = { samples, sampleRate: SAMPLE_RATE };
    const options = { plan: { kind: 'turns' as const, turns: () => turns }, vad: { absoluteFloorDb: -100 } };
    const bySpeaker = (card: SavedModel['card']) => {
      const predicted = predictAudio({ ...saved, card }, 'turns.wav', audio, options).segments;
      const probabilities = (speaker: string) => predicted.filter((turn) => turn.speaker === speaker).map((turn) => Object.values(turn.probabilities!));
      return { alice: probabilities('alice'), bob: probabilities('bob'), carol: probabilities('carol') };
    };
    const corpusCard = { ...saved.card, normalisation: { ...saved.card.normalisation, mode: 'corpus' as const } };
    const speakerCard = { ...saved.card, normalisation: { ...saved.card.normalisation, mode: 'speaker' as const } };
    const onCorpus = bySpeaker(corpusCard);
    const onSpeakers = bySpeaker(speakerCard);
    const largestDifference = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((value, k) => Math.abs(value - b[i][k]))));
    expect(onSpeakers.alice).toHaveLength(4);
    // On one set of statistics for everyone, the quiet talker's c0 is 20 dB lower and the answers differ.
    expect(largestDifference(onCorpus.alice, onCorpus.bob)).toBeGreaterThan(1e-3);
    // Each on their own, the two talkers are the same talker.
    expect(largestDifference(onSpeakers.alice, onSpeakers.bob)).toBeLessThan(1e-6);
    // carol has 0.8 s of audio: the card's statistics, as a corpus card gives.
    expect(largestDifference(onSpeakers.carol, onCorpus.carol)).toBeLessThan(1e-6);
  });

  it('scores each turn with its speaker, gives a turn in silence no emotion, and exits 3 naming a bad line', async () => {
    const rttm = join(work, 'long.rttm');
    writeFileSync(
      rttm,
      [
        'SPEAKER long 1 0.00 3.50 <NA> <NA> alice <NA> <NA>',
        'SPEAKER long 1 4.20 3.00 <NA> <NA> bob <NA> <NA>',
        'SPEAKER long 1 7.60 3.50 <NA> <NA> alice <NA> <NA>',
        'SPEAKER long 1 oops 3.50 <NA> <NA> alice <NA> <NA>',
      ].join('\n'),
    );
    const result = await runCli(['predict', '--backend', 'wasm', '--model', modelDir, '--segments', rttm, '--format', 'jsonl', clips.long]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`${rttm}:4: onset "oops" is not a number`);
    const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(rows.map((row) => [row.kind, row.speaker, row.start, row.end, row.speech])).toEqual([
      ['clip', undefined, 0, 11.151625, true],
      ['turn', 'alice', 0, 3.5, true],
      ['turn', 'bob', 4.2, 7.2, false],
      ['turn', 'alice', 7.6, 11.1, true],
    ]);
    expect(rows[2].emotion).toBeNull();
    expect(saved.card.labels).toContain(rows[1].emotion);
  });
});
