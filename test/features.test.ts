import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WaveFile } from 'wavefile';
import { describe, expect, it } from 'vitest';
import {
  accumulateStats,
  addDeltas,
  createWindow,
  dctMatrix,
  deltaScales,
  extractFeatures,
  featureDims,
  fitScopedCmvn,
  hzToMel,
  mergeStats,
  nextPowerOfTwo,
  normalisationFromStats,
  normaliseInPlace,
  powerSpectrum,
  powerSpectrumPlan,
  resolveFeatureConfig,
  windowFrame,
  type FeatureConfig,
  type FeatureMatrix,
} from '../src/features/index.js';
import { dot } from '../src/util/dot.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const localFixtures = join(repoRoot, 'test/fixtures/mfcc');
const sharedFixtures = join(repoRoot, '../shared/fixtures/mfcc');
const sharedPresent = existsSync(join(sharedFixtures, 'index.json'));

/** The three configurations of the golden fixtures (see their index.json). */
const fixtureConfigs: Record<string, FeatureConfig> = {
  mfcc: resolveFeatureConfig({ kind: 'mfcc', numMelBins: 23, numCeps: 13, cepstralLifter: 22, deltas: false }),
  mfcc40: resolveFeatureConfig({ kind: 'mfcc', numMelBins: 40, numCeps: 20, cepstralLifter: 22, deltas: false }),
  fbank40: resolveFeatureConfig({ kind: 'fbank', numMelBins: 40, deltas: false }),
};

const fixtureClips = [
  { clip: 'espeak-en', dir: localFixtures, present: true },
  ...['emodb-sad', 'ravdess-angry', 'urdu-happy'].map((clip) => ({ clip, dir: sharedFixtures, present: sharedPresent })),
];

function readWav(path: string): Float32Array {
  const wav = new WaveFile(readFileSync(path));
  const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
  if (fmt.sampleRate !== 16000 || fmt.numChannels !== 1 || fmt.bitsPerSample !== 16) {
    throw new Error(`${path}: expected 16 kHz 16-bit mono, found ${fmt.sampleRate} Hz ${fmt.bitsPerSample}-bit ×${fmt.numChannels}`);
  }
  return Float32Array.from(wav.getSamples(false, Int16Array) as unknown as Int16Array, (sample) => sample / 32768);
}

interface Reference {
  frames: number;
  dims: number;
  data: number[][];
}

/** Worst absolute error, and worst error as a fraction of the allowed 0.01 + 0.001·|reference|. */
function compare(actual: FeatureMatrix, reference: Reference): { maxAbs: number; maxOfTolerance: number } {
  let maxAbs = 0;
  let maxOfTolerance = 0;
  reference.data.forEach((row, t) =>
    row.forEach((expected, d) => {
      const error = Math.abs(actual.data[t * actual.dims + d] - expected);
      maxAbs = Math.max(maxAbs, error);
      maxOfTolerance = Math.max(maxOfTolerance, error / (0.01 + 0.001 * Math.abs(expected)));
    }),
  );
  return { maxAbs, maxOfTolerance };
}

function columnMoments(matrix: FeatureMatrix, d: number): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  for (let t = 0; t < matrix.frames; t++) {
    const value = matrix.data[t * matrix.dims + d];
    sum += value;
    sumSq += value * value;
  }
  const mean = sum / matrix.frames;
  return { mean, std: Math.sqrt(sumSq / matrix.frames - mean * mean) };
}

function sine(frequency: number, amplitude: number, seconds: number, sampleRate = 16000): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sampleRate) }, (_, n) => amplitude * Math.sin((2 * Math.PI * frequency * n) / sampleRate));
}

const espeak = readWav(join(localFixtures, 'espeak-en.wav'));

describe('Kaldi golden fixtures (torchaudio.compliance.kaldi)', () => {
  it.skipIf(!sharedPresent)('the configurations here match the options in index.json', () => {
    const index = JSON.parse(readFileSync(join(sharedFixtures, 'index.json'), 'utf8'));
    const { common } = index;
    for (const [name, options] of Object.entries<Record<string, number | string>>(index.configs)) {
      const config = fixtureConfigs[name];
      expect(config, name).toBeDefined();
      expect({
        kind: config.kind,
        frameLengthMs: config.frameLengthMs,
        frameShiftMs: config.frameShiftMs,
        preemphasisCoefficient: config.preemphasisCoefficient,
        windowType: config.windowType,
        removeDcOffset: config.removeDcOffset,
        lowFreq: config.lowFreq,
        highFreq: config.highFreq,
        numMelBins: config.numMelBins,
      }).toEqual({
        kind: options.kind,
        frameLengthMs: common.frame_length,
        frameShiftMs: common.frame_shift,
        preemphasisCoefficient: common.preemphasis_coefficient,
        windowType: common.window_type,
        removeDcOffset: common.remove_dc_offset,
        lowFreq: common.low_freq,
        highFreq: common.high_freq,
        numMelBins: options.num_mel_bins,
      });
      if (options.kind === 'mfcc') expect([config.numCeps, config.cepstralLifter]).toEqual([options.num_ceps, options.cepstral_lifter]);
    }
  });

  for (const { clip, dir, present } of fixtureClips) {
    for (const [name, config] of Object.entries(fixtureConfigs)) {
      const title = present ? `${clip} ${name}` : `${clip} ${name} (skipped: ${sharedFixtures} not found)`;
      it.skipIf(!present)(title, () => {
        const reference: Reference = JSON.parse(readFileSync(join(dir, `${clip}.${name}.json`), 'utf8'));
        const features = extractFeatures(readWav(join(dir, `${clip}.wav`)), 16000, config);
        expect([features.frames, features.dims]).toEqual([reference.frames, reference.dims]);
        const { maxAbs, maxOfTolerance } = compare(features, reference);
        console.log(`${clip} ${name}: max |error| ${maxAbs.toExponential(2)}, ${(100 * maxOfTolerance).toFixed(2)}% of tolerance`);
        expect(maxOfTolerance).toBeLessThanOrEqual(1);
      });
    }
  }
});

describe('pieces', () => {
  it('dot products run over the given stretches of both arrays, odd lengths included', () => {
    const a = Float64Array.of(9, 1, 2, 3, 4, 5);
    const b = Float64Array.of(7, 7, 10, 20, 30, 40);
    expect(dot(a, 1, b, 2, 3)).toBe(1 * 10 + 2 * 20 + 3 * 30);
    expect(dot(a, 1, b, 2, 4)).toBe(1 * 10 + 2 * 20 + 3 * 30 + 4 * 40);
    expect(dot(a, 0, b, 0, 0)).toBe(0);
  });

  it('pre-emphasis treats the first sample as its own predecessor', () => {
    const frame = new Float64Array(3);
    windowFrame(Float32Array.of(1, 2, 3), 0, Float64Array.of(1, 1, 1), 0.97, false, frame);
    expect(Array.from(frame)).toEqual([1 - 0.97, 2 - 0.97, 3 - 2 * 0.97].map((x) => expect.closeTo(x, 12)));
  });

  it('a frame loses its mean before pre-emphasis, then takes the window', () => {
    const frame = new Float64Array(3);
    windowFrame(Float32Array.of(9, 1, 2, 3), 1, Float64Array.of(2, 3, 4), 0.5, true, frame);
    expect(Array.from(frame)).toEqual([-1 * 0.5 * 2, (0 - 0.5 * -1) * 3, (1 - 0.5 * 0) * 4].map((x) => expect.closeTo(x, 12)));
  });

  it('the povey window is a symmetric hann window raised to 0.85', () => {
    const povey = createWindow('povey', 400);
    const hanning = createWindow('hanning', 400);
    expect([povey[0], povey[399]]).toEqual([0, 0]);
    expect(povey[150]).toBeCloseTo(povey[249], 12);
    expect(povey[150]).toBeCloseTo(hanning[150] ** 0.85, 12);
  });

  it('a 400-sample frame uses a 512-point FFT whose power peaks at a cosine of bin 10', () => {
    expect(nextPowerOfTwo(400)).toBe(512);
    const frame = Float64Array.from({ length: 512 }, (_, n) => Math.cos((2 * Math.PI * 10 * n) / 512));
    const power = new Float64Array(257);
    powerSpectrum(powerSpectrumPlan(512), frame, power);
    expect(power[10]).toBeCloseTo(256 * 256, 6);
    expect(power[9] + power[11] + power[0] + power[256]).toBeLessThan(1e-12);
  });

  it('the mel scale is 1127 ln(1 + f/700)', () => {
    expect(hzToMel(700)).toBeCloseTo(1127 * Math.LN2, 10);
  });

  it('the DCT matrix is orthonormal', () => {
    const n = 23;
    const dct = dctMatrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += dct[i * n + k] * dct[j * n + k];
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });
});

describe('deltas', () => {
  const frames = 12;
  const slopes = [0.5, -3];
  const ramp: FeatureMatrix = { frames, dims: 2, data: Float32Array.from({ length: frames * 2 }, (_, i) => 7 * (i % 2) + slopes[i % 2] * Math.floor(i / 2)) };
  const withDeltas = addDeltas(ramp);
  const at = (t: number, d: number) => withDeltas.data[t * withDeltas.dims + d];

  it('Kaldi second-order filter over 9 frames', () => {
    expect(Array.from(deltaScales(2, 2)[2], (x) => Math.round(x * 100))).toEqual([4, 4, 1, -4, -10, -4, 1, 4, 4]);
  });

  it('a linear ramp has a constant delta and zero delta-delta where the windows fit', () => {
    expect(withDeltas.dims).toBe(6);
    for (let t = 2; t < frames - 2; t++) slopes.forEach((slope, d) => expect(at(t, 2 + d)).toBeCloseTo(slope, 5));
    for (let t = 4; t < frames - 4; t++) slopes.forEach((_, d) => expect(at(t, 4 + d)).toBeCloseTo(0, 5));
    for (let t = 0; t < frames; t++) slopes.forEach((_, d) => expect(at(t, d)).toBe(ramp.data[t * 2 + d]));
  });

  it('edge frames are replicated: the first delta sees x0 x0 x0 x1 x2, i.e. half the slope', () => {
    slopes.forEach((slope, d) => {
      expect(at(0, 2 + d)).toBeCloseTo(slope / 2, 5);
      expect(at(frames - 1, 2 + d)).toBeCloseTo(slope / 2, 5);
    });
  });

  it('extractFeatures lays frames out as [mfcc | Δ | ΔΔ], equal to add-deltas of the plain mfcc', () => {
    const plain = extractFeatures(espeak, 16000, fixtureConfigs.mfcc);
    const full = extractFeatures(espeak, 16000, { ...fixtureConfigs.mfcc, deltas: true });
    const expected = addDeltas(plain);
    expect([full.frames, full.dims]).toEqual([plain.frames, 39]);
    expect(Math.max(...full.data.map((value, i) => Math.abs(value - expected.data[i])))).toBeLessThan(1e-4);
  });
});

describe('CMVN', () => {
  const features = extractFeatures(espeak, 16000, resolveFeatureConfig());

  it('normalised features have mean 0 and std 1 in every dimension', () => {
    const normalised = { ...features, data: features.data.slice() };
    normaliseInPlace(normalised, normalisationFromStats(accumulateStats(features)));
    for (let d = 0; d < features.dims; d++) {
      const { mean, std } = columnMoments(normalised, d);
      expect(mean).toBeCloseTo(0, 4);
      expect(std).toBeCloseTo(1, 4);
    }
  });

  it('merged statistics of two halves equal the statistics of the whole', () => {
    const half = Math.floor(features.frames / 2) * features.dims;
    const first = { frames: half / features.dims, dims: features.dims, data: features.data.subarray(0, half) };
    const second = { frames: features.frames - first.frames, dims: features.dims, data: features.data.subarray(half) };
    const merged = mergeStats([accumulateStats(first), accumulateStats(second)]);
    const whole = accumulateStats(features);
    expect(merged.frames).toBe(whole.frames);
    for (let d = 0; d < features.dims; d++) {
      expect(merged.sum[d]).toBeCloseTo(whole.sum[d], 6);
      expect(merged.sumSq[d]).toBeCloseTo(whole.sumSq[d], 4);
    }
  });

  it('per-speaker statistics remove each speaker’s own offset; an unseen speaker is an error', () => {
    const shifted = (offset: number): FeatureMatrix => ({ ...features, data: features.data.map((x) => x + offset) });
    const utterances = [
      { id: 'a1', speaker: 'a', matrix: shifted(0) },
      { id: 'a2', speaker: 'a', matrix: shifted(0) },
      { id: 'b1', speaker: 'b', matrix: shifted(100) },
    ];
    const normalisationOf = fitScopedCmvn(
      utterances.map(({ id, speaker, matrix }) => ({ id, speaker, ...accumulateStats(matrix) })),
      'speaker',
    );
    for (const { id, speaker, matrix } of utterances) {
      normaliseInPlace(matrix, normalisationOf({ id, speaker }));
      expect(columnMoments(matrix, 0).mean).toBeCloseTo(0, 4);
    }
    expect(utterances[0].matrix.data[0]).toBeCloseTo(utterances[2].matrix.data[0], 3);
    expect(() => normalisationOf({ id: 'c1', speaker: 'c' })).toThrow(/speaker 'c'/);
    const corpusWide = fitScopedCmvn(
      utterances.map(({ id, speaker }) => ({ id, speaker, ...accumulateStats(shifted(speaker === 'b' ? 100 : 0)) })),
      'corpus',
    );
    expect(corpusWide({ id: 'c1', speaker: 'c' }).mean[0]).toBeCloseTo(columnMoments(features, 0).mean + 100 / 3, 3);
  });
});

describe('descriptors', () => {
  const config = resolveFeatureConfig({ descriptors: ['rms', 'zcr', 'spectralCentroid', 'spectralFlatness'] });

  it('appends rms, zero crossings and centroid of a known sine after the deltas', () => {
    const features = extractFeatures(sine(1000, 0.5, 0.5), 16000, config);
    expect(features.dims).toBe(39 + 4);
    expect(featureDims(config)).toBe(features.dims);
    for (let t = 0; t < features.frames; t++) {
      const [rms, zcr, centroid] = features.data.subarray(t * features.dims + 39, t * features.dims + 42);
      expect(rms).toBeCloseTo(0.5 / Math.SQRT2, 3);
      expect(zcr).toBeGreaterThanOrEqual(49);
      expect(zcr).toBeLessThanOrEqual(50);
      expect(Math.abs(centroid - 1000)).toBeLessThan(30);
    }
  });

  it('the spectrum follows the frame length (the FFT size), unlike meyda’s own cache', () => {
    for (const frameLengthMs of [25, 64, 25]) {
      const features = extractFeatures(sine(3000, 0.5, 1), 16000, { ...config, frameLengthMs });
      expect(Math.abs(features.data[39 + 2] - 3000)).toBeLessThan(30);
    }
  });

  it('silence gives finite descriptors and floor-valued log energies', () => {
    const features = extractFeatures(new Float32Array(4000), 16000, config);
    expect(features.data.every(Number.isFinite)).toBe(true);
    expect(features.data[0]).toBeCloseTo(Math.sqrt(23) * Math.log(2 ** -23), 4);
    expect(features.data[1]).toBeCloseTo(0, 4);
    expect(features.data[39]).toBe(0);
  });

  it('rejects an unknown descriptor, naming the supported ones', () => {
    expect(() => extractFeatures(espeak, 16000, { ...config, descriptors: ['mfcc'] })).toThrow(/unknown descriptor 'mfcc'.*spectralCentroid/);
  });
});

describe('extractFeatures', () => {
  it('the mel bank follows the FFT size: a 3 kHz tone peaks in the mel bin centred nearest 3 kHz at 25, 64 and 25 ms', () => {
    const config = resolveFeatureConfig({ kind: 'fbank', numMelBins: 40, deltas: false });
    const melLow = hzToMel(config.lowFreq);
    const melDelta = (hzToMel(8000) - melLow) / (config.numMelBins + 1);
    const expectedBin = Math.round((hzToMel(3000) - melLow) / melDelta) - 1;
    for (const frameLengthMs of [25, 64, 25]) {
      const row = extractFeatures(sine(3000, 0.5, 1), 16000, { ...config, frameLengthMs }).data.subarray(0, config.numMelBins);
      expect(row.indexOf(Math.max(...row)), `${frameLengthMs} ms`).toBe(expectedBin);
    }
  });

  it('refuses a clip shorter than one frame', () => {
    expect(() => extractFeatures(new Float32Array(399), 16000, resolveFeatureConfig())).toThrow(/shorter than one 25 ms frame \(400 samples/);
    expect(extractFeatures(new Float32Array(400), 16000, resolveFeatureConfig()).frames).toBe(1);
  });

  it('refuses audio at another sample rate than the configuration', () => {
    expect(() => extractFeatures(espeak, 8000, resolveFeatureConfig())).toThrow(/8000 Hz .* 16000 Hz/);
  });

  it('speed: MFCC + deltas on one core (printed, not asserted)', () => {
    const config = resolveFeatureConfig();
    const seconds = 120;
    const audio = new Float32Array(seconds * 16000);
    for (let offset = 0; offset < audio.length; offset += espeak.length) audio.set(espeak.subarray(0, audio.length - offset), offset);
    let best = { cpu: Infinity, wall: Infinity };
    let features: FeatureMatrix | undefined;
    for (let run = 0; run < 5; run++) {
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      features = extractFeatures(audio, 16000, config);
      const { user, system } = process.cpuUsage(cpuBefore);
      best = { cpu: Math.min(best.cpu, (user + system) / 1e6), wall: Math.min(best.wall, (performance.now() - wallBefore) / 1000) };
    }
    // CPU time is the fairer single-core figure on a shared machine; both are printed.
    console.log(`MFCC+Δ+ΔΔ, ${seconds} s of audio, best of 5: ${Math.round(seconds / best.cpu)}× real time per CPU second, ${Math.round(seconds / best.wall)}× wall clock`);
    expect(features?.frames).toBe(1 + Math.floor((audio.length - 400) / 160));
  });
});
