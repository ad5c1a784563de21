import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../src/audio/index.js';
import {
  DEFAULT_FEATURE_CONFIG,
  extractFeatures,
  featureConfigKey,
  featureDims,
  FLOAT32_EPSILON,
  PITCH_MAX_F0,
  PITCH_MIN_F0,
  resolveFeatureConfig,
  trackPitch,
  writePitchColumns,
  type PitchTrack,
} from '../src/features/index.js';
import { openFeatureStore } from '../src/store/index.js';
import { createRng } from '../src/util/random.js';
import { repoRoot, runCli } from './helpers/cli.js';

const SAMPLE_RATE = 16000;
const FRAME_LENGTH = 400;
const FRAME_SHIFT = 160;
const options = { sampleRate: SAMPLE_RATE, frameLength: FRAME_LENGTH, frameShift: FRAME_SHIFT, removeDcOffset: true };
const frameCentreSeconds = (t: number) => (t * FRAME_SHIFT + FRAME_LENGTH / 2) / SAMPLE_RATE;

/** Σ_k sin(k·φ(t))/k over the harmonics under Nyquist, φ the integral of 2π·f0(t): a sawtooth-like voice source. */
function harmonicSignal(seconds: number, f0At: (time: number) => number, harmonics = 12): Float32Array {
  const samples = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  let phase = 0;
  for (let n = 0; n < samples.length; n++) {
    const f0 = f0At(n / SAMPLE_RATE);
    let value = 0;
    for (let k = 1; k <= harmonics && k * f0 < SAMPLE_RATE / 2; k++) value += Math.sin(k * phase) / k;
    samples[n] = 0.3 * value;
    phase += (2 * Math.PI * f0) / SAMPLE_RATE;
  }
  return samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function voicedCount(track: PitchTrack): number {
  return track.voiced.reduce((sum, flag) => sum + flag, 0);
}

/** Relative errors |F0 − truth| / truth on the voiced frames, truth taken at each frame's centre. */
function voicedErrors(track: PitchTrack, truthAt: (time: number) => number): number[] {
  const errors: number[] = [];
  for (let t = 0; t < track.frames; t++) {
    if (track.voiced[t]) errors.push(Math.abs(track.f0[t] - truthAt(frameCentreSeconds(t))) / truthAt(frameCentreSeconds(t)));
  }
  return errors;
}

describe('trackPitch (YIN)', () => {
  it.each([60, 73.4, 100, 147, 220, 333.3, 440, 500])('finds a steady %s Hz harmonic tone on every frame within 1%%', (f0) => {
    const track = trackPitch(harmonicSignal(1, () => f0), options);
    expect(track.frames).toBe(98);
    expect(voicedCount(track)).toBeGreaterThanOrEqual(0.95 * track.frames);
    expect(median(voicedErrors(track, () => f0))).toBeLessThan(0.01);
    expect(median(Array.from(track.voicingStrength))).toBeGreaterThan(0.9);
  });

  it.each([
    [60, 500],
    [500, 60],
  ])('follows a 2 s exponential glide from %s to %s Hz within 1%% (median over voiced frames)', (from, to) => {
    const rate = Math.log(to / from) / 2;
    const truthAt = (time: number) => from * Math.exp(rate * time);
    const track = trackPitch(harmonicSignal(2, truthAt), options);
    const errors = voicedErrors(track, truthAt);
    expect(errors.length).toBeGreaterThanOrEqual(0.9 * track.frames);
    expect(median(errors)).toBeLessThan(0.01);
  });

  it('calls white noise unvoiced, with little voicing strength', () => {
    const rng = createRng(5);
    const noise = Float32Array.from({ length: 2 * SAMPLE_RATE }, () => rng() - 0.5);
    const track = trackPitch(noise, options);
    expect(voicedCount(track)).toBeLessThanOrEqual(0.02 * track.frames);
    expect(median(Array.from(track.voicingStrength))).toBeLessThan(0.5);
  });

  it('calls silence unvoiced, with zero voicing strength and the floor log energy', () => {
    const track = trackPitch(new Float32Array(SAMPLE_RATE), options);
    expect(voicedCount(track)).toBe(0);
    expect(Math.max(...track.voicingStrength)).toBe(0);
    for (const value of track.logEnergy) expect(value).toBeCloseTo(Math.log(FLOAT32_EPSILON), 5);
  });

  it("gives each frame Kaldi's raw log energy: log Σ(32768·(x − x̄))² over the MFCC frame", () => {
    const samples = harmonicSignal(0.5, () => 150).map((value, n) => value * (1 + n / SAMPLE_RATE) + 0.05);
    const track = trackPitch(samples, options);
    for (const t of [0, 7, track.frames - 1]) {
      const frame = Array.from(samples.subarray(t * FRAME_SHIFT, t * FRAME_SHIFT + FRAME_LENGTH), (value) => value * 32768);
      const mean = frame.reduce((sum, value) => sum + value, 0) / FRAME_LENGTH;
      expect(track.logEnergy[t]).toBeCloseTo(Math.log(frame.reduce((sum, value) => sum + (value - mean) ** 2, 0)), 4);
    }
  });

  it('tracks at other sample rates (8, 22.05 and 44.1 kHz)', () => {
    for (const sampleRate of [8000, 22050, 44100]) {
      const samples = Float32Array.from({ length: sampleRate }, (_, n) => Math.sin((2 * Math.PI * 180 * n) / sampleRate) + 0.5 * Math.sin((2 * Math.PI * 360 * n) / sampleRate));
      const frameLength = Math.floor(sampleRate * 0.025);
      const track = trackPitch(samples, { sampleRate, frameLength, frameShift: Math.floor(sampleRate * 0.01), removeDcOffset: true });
      expect(voicedCount(track)).toBeGreaterThanOrEqual(0.95 * track.frames);
      expect(median(Array.from(track.f0).filter((f0) => f0 > 0))).toBeCloseTo(180, 0);
    }
  });
});

describe('writePitchColumns', () => {
  it('interpolates log F0 linearly over an unvoiced gap and holds it flat at the edges', () => {
    const gapStart = 0.5;
    const gapEnd = 0.8;
    const tone = harmonicSignal(1.3, (time) => (time < gapStart ? 200 : 300));
    const samples = tone.map((value, n) => (n / SAMPLE_RATE >= gapStart && n / SAMPLE_RATE < gapEnd ? 0 : value));
    const track = trackPitch(samples, options);
    const data = new Float32Array(track.frames * 3);
    writePitchColumns(track, data, 3, 0);
    const gapMiddle = (gapStart + gapEnd) / 2;
    const lastBefore = track.voiced.findLastIndex((flag, t) => flag === 1 && frameCentreSeconds(t) < gapMiddle);
    const firstAfter = track.voiced.findIndex((flag, t) => flag === 1 && frameCentreSeconds(t) > gapMiddle);
    expect(firstAfter - lastBefore).toBeGreaterThan(20);
    for (let t = lastBefore + 1; t < firstAfter; t++) {
      expect(track.voiced[t]).toBe(0);
      const share = (t - lastBefore) / (firstAfter - lastBefore);
      expect(data[t * 3]).toBeCloseTo(Math.log(track.f0[lastBefore]) + share * (Math.log(track.f0[firstAfter]) - Math.log(track.f0[lastBefore])), 4);
    }
    expect(Math.exp(data[0])).toBeCloseTo(200, 0);
    expect(Math.exp(data[(track.frames - 1) * 3])).toBeCloseTo(300, 0);
  });

  it('gives a clip with no voiced frame the middle of the search range', () => {
    const track = trackPitch(new Float32Array(SAMPLE_RATE / 2), options);
    const data = new Float32Array(track.frames * 3);
    writePitchColumns(track, data, 3, 0);
    for (let t = 0; t < track.frames; t++) expect(data[t * 3]).toBeCloseTo(Math.log(Math.sqrt(PITCH_MIN_F0 * PITCH_MAX_F0)), 5);
  });
});

describe('FeatureConfig.pitch', () => {
  it('leaves the key of every configuration without pitch as it was before pitch existed', () => {
    const before =
      '{"cepstralLifter":22,"deltas":true,"descriptors":[],"frameLengthMs":25,"frameShiftMs":10,"highFreq":0,"kind":"mfcc","lowFreq":20,' +
      '"numCeps":13,"numMelBins":23,"preemphasisCoefficient":0.97,"removeDcOffset":true,"sampleRate":16000,"windowType":"povey"}';
    expect(featureConfigKey(resolveFeatureConfig())).toBe(before);
    expect(featureConfigKey(resolveFeatureConfig({ pitch: false }))).toBe(before);
    expect(resolveFeatureConfig({ pitch: false })).toEqual(resolveFeatureConfig());
    expect(featureConfigKey({ ...DEFAULT_FEATURE_CONFIG, pitch: false })).toBe(before);
    expect(featureConfigKey(resolveFeatureConfig({ pitch: true }))).toBe(before.replace('"numMelBins":23,', '"numMelBins":23,"pitch":true,'));
  });

  it('appends [log F0, voicing, log energy] after the cepstra, and their deltas after the cepstral deltas', () => {
    const config = resolveFeatureConfig({ pitch: true });
    const plain = resolveFeatureConfig();
    expect(featureDims(config)).toBe(48);
    expect(featureDims(resolveFeatureConfig({ pitch: true, deltas: false, descriptors: ['rms'] }))).toBe(17);
    const samples = harmonicSignal(1, (time) => 120 * Math.exp(0.5 * time));
    const withPitch = extractFeatures(samples, SAMPLE_RATE, config);
    const without = extractFeatures(samples, SAMPLE_RATE, plain);
    const track = trackPitch(samples, options);
    expect(withPitch.frames).toBe(track.frames);
    const expectedPitch = new Float32Array(track.frames * 3);
    writePitchColumns(track, expectedPitch, 3, 0);
    for (let t = 0; t < withPitch.frames; t++) {
      const row = withPitch.data.subarray(t * 48, (t + 1) * 48);
      expect(Array.from(row.subarray(0, 13))).toEqual(Array.from(without.data.subarray(t * 39, t * 39 + 13)));
      expect(Array.from(row.subarray(13, 16))).toEqual(Array.from(expectedPitch.subarray(t * 3, t * 3 + 3)));
      // Without pitch the SIMD kernel sums the deltas in float32 (melKernel.ts), with it deltas.ts in float64.
      Array.from(row.subarray(16, 29)).forEach((delta, d) => expect(delta).toBeCloseTo(without.data[t * 39 + 13 + d], 5));
    }
    // Δ log F0 of a glide rising by 0.5 (natural log) a second: 0.005 a 10 ms frame, away from the edges.
    const middle = Math.floor(withPitch.frames / 2);
    expect(withPitch.data[middle * 48 + 16 + 13]).toBeCloseTo(0.005, 3);
  });
});

describe('ser preprocess --pitch', () => {
  it('stores 48-dim frames under a key of their own, and a rerun without --pitch refuses the store', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ser-pitch-cli-')), 'store');
    try {
      const first = await runCli(['preprocess', join(repoRoot, 'data/demo/en'), '--out', out, '--workers', '1', '--pitch']);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('+ pitch + deltas = 48 dims per frame');
      const store = openFeatureStore(out);
      expect(store.config.pitch).toBe(true);
      expect(store.configKey).toBe(featureConfigKey(resolveFeatureConfig({ pitch: true })));
      expect(new Set(store.items.map((item) => item.dims))).toEqual(new Set([48]));
      const plain = await runCli(['preprocess', join(repoRoot, 'data/demo/en'), '--out', out, '--workers', '1']);
      expect(plain.code).not.toBe(0);
      expect(plain.stderr).toContain('pitch');
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });
});

const CI = process.env.CI === 'true';
const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
if (!hasEspeak && !CI) console.warn('espeak-ng is not on PATH: skipping the synthetic voice pitch tests (apt-get install espeak-ng to run them)');

describe.skipIf(!hasEspeak && !CI)('trackPitch on an espeak-ng voice', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ser-pitch-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  async function speak(pitch: number): Promise<Float32Array> {
    const file = join(folder, `p${pitch}.wav`);
    execFileSync('espeak-ng', ['-p', String(pitch), '-s', '120', '-w', file, 'aaaaaaaaaaaa. Where were you a year ago?']);
    return (await decodeAudio(file, { sampleRate: SAMPLE_RATE })).samples;
  }

  /** The reference: the lag of the highest plain autocorrelation Σ x[n]·x[n+τ] of a 60 ms span, τ for 60–300 Hz. */
  function autocorrelationF0(samples: Float32Array, start: number): number {
    const length = Math.round(0.06 * SAMPLE_RATE);
    let bestLag = 0;
    let best = -Infinity;
    for (let lag = Math.floor(SAMPLE_RATE / 300); lag <= Math.ceil(SAMPLE_RATE / 60); lag++) {
      let sum = 0;
      for (let n = start; n < start + length; n++) sum += samples[n] * samples[n + lag];
      if (sum > best) [best, bestLag] = [sum, lag];
    }
    return SAMPLE_RATE / bestLag;
  }

  it('rises with the set pitch, and agrees within 2% with an autocorrelation reference on the sustained vowel', async () => {
    const medians: number[] = [];
    for (const pitch of [30, 50, 70, 90]) {
      const samples = await speak(pitch);
      const track = trackPitch(samples, options);
      const voiced = Array.from(track.f0).filter((_, t) => track.voiced[t]);
      expect(voiced.length).toBeGreaterThan(0.4 * track.frames);
      medians.push(median(voiced));
      // The vowel's middle, 0.25–0.95 s. espeak-ng's low voices are rough: at -p 30 (about 65 Hz) d' hovers
      // around the threshold and 59% of the vowel is voiced (espeak-ng 1.51); at -p 50 81%, at -p 90 97%.
      const vowelFrames = Array.from({ length: track.frames }, (_, t) => t).filter((t) => frameCentreSeconds(t) >= 0.25 && frameCentreSeconds(t) <= 0.95);
      expect(vowelFrames.filter((t) => track.voiced[t]).length).toBeGreaterThanOrEqual(0.4 * vowelFrames.length);
      // At 0.3, 0.4 … 0.9 s: the tracker's median over its voiced frames within ±30 ms against the reference
      // over that 60 ms; the median of those relative differences, as the reference itself can slip an octave.
      const differences: number[] = [];
      for (const seconds of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) {
        const near = vowelFrames.filter((t) => track.voiced[t] && Math.abs(frameCentreSeconds(t) - seconds) <= 0.03).map((t) => track.f0[t]);
        if (near.length === 0) continue;
        const reference = autocorrelationF0(samples, Math.round((seconds - 0.03) * SAMPLE_RATE));
        differences.push(Math.abs(median(near) - reference) / reference);
      }
      expect(differences.length).toBeGreaterThanOrEqual(4);
      expect(median(differences)).toBeLessThan(0.01);
    }
    for (let i = 1; i < medians.length; i++) expect(medians[i] / medians[i - 1]).toBeGreaterThan(1.1);
  });
});
