import { describe, expect, it } from 'vitest';
import { scalarKernel, simdKernel } from '../src/audio/firKernel.js';
import { resample, resamplingStages } from '../src/audio/resample.js';

/** The rates corpora come in (nEMO 24 kHz, EMO-DB copies 22.05 kHz, studio 96 kHz) and an odd one. */
const DOWN_RATES = [96000, 48000, 44100, 32000, 24000, 22050, 44101];
const TARGET = 16000;
const AMPLITUDE = 0.9;

function decibels(ratio: number): number {
  return 20 * Math.log10(ratio);
}

function tone(frequency: number, sampleRate: number, seconds: number, amplitude = AMPLITUDE): Float32Array {
  return Float32Array.from({ length: Math.round(sampleRate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
}

/** A linear sweep from `startHz` to `endHz`: phase(t) = 2π (f0 t + (f1 − f0) t² / 2T). */
function sweep(startHz: number, endHz: number, sampleRate: number, seconds: number): Float32Array {
  const rate = (endHz - startHz) / seconds;
  return Float32Array.from({ length: Math.round(sampleRate * seconds) }, (_, i) => {
    const t = i / sampleRate;
    return AMPLITUDE * Math.sin(2 * Math.PI * (startHz * t + (rate * t * t) / 2));
  });
}

/** The signal without `edge` samples at each end, where the filter runs into the zero padding. */
function interior(samples: Float32Array, edge = 400): Float32Array {
  return samples.subarray(edge, samples.length - edge);
}

function peak(samples: Float32Array): number {
  return samples.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
}

/** Amplitude of a sinusoid of known frequency, fitted by least squares (exact for a pure tone). */
function fittedAmplitude(samples: Float32Array, frequency: number, sampleRate: number): number {
  let ss = 0;
  let cc = 0;
  let sc = 0;
  let ys = 0;
  let yc = 0;
  for (let i = 0; i < samples.length; i++) {
    const angle = (2 * Math.PI * frequency * i) / sampleRate;
    const s = Math.sin(angle);
    const c = Math.cos(angle);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += samples[i] * s;
    yc += samples[i] * c;
  }
  const determinant = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / determinant;
  const b = (yc * ss - ys * sc) / determinant;
  return Math.hypot(a, b);
}

describe('resample: stopband', () => {
  it.each(DOWN_RATES)('attenuates every tone from the new Nyquist (8 kHz) up by 80 dB or more, from %i Hz', (fromRate) => {
    const nyquist = fromRate / 2;
    let worst = -Infinity;
    for (let k = 0; k <= 40; k++) {
      const frequency = 8000 + ((nyquist - 8000) * k) / 40 - (k === 40 ? 1 : 0);
      const output = resample(tone(frequency, fromRate, 0.25), fromRate, TARGET);
      worst = Math.max(worst, decibels(peak(interior(output)) / AMPLITUDE));
    }
    expect(worst).toBeLessThan(-80);
  });

  it.each(DOWN_RATES)('lets no part of a sweep from 8 kHz to the Nyquist frequency through above -80 dB, from %i Hz', (fromRate) => {
    const output = resample(sweep(8000, fromRate / 2, fromRate, 2), fromRate, TARGET);
    expect(decibels(peak(interior(output)) / AMPLITUDE)).toBeLessThan(-80);
  });

});

describe('resample: passband', () => {
  // Ripple (largest gain deviation from 0 dB, 20 Hz – 0.9 Nyquist) as stated in resample.ts: 0.001 dB a stage.
  it.each([...DOWN_RATES, 8000])('is flat within ±0.001 dB per stage up to 0.9 of the lower Nyquist frequency, from %i Hz', (fromRate) => {
    const edge = 0.9 * (Math.min(fromRate, TARGET) / 2);
    let largestDeviation = 0;
    for (let k = 0; k <= 30; k++) {
      const frequency = 20 + ((edge - 20) * k) / 30;
      const output = resample(tone(frequency, fromRate, 0.5), fromRate, TARGET);
      largestDeviation = Math.max(largestDeviation, Math.abs(decibels(fittedAmplitude(interior(output), frequency, TARGET) / AMPLITUDE)));
    }
    expect(largestDeviation).toBeLessThan(0.001 * resamplingStages(fromRate, TARGET).length);
  });

  // From 8 kHz this also shows there are no images: that of f would lie at 8000 − f, above 4.4 kHz.
  it.each([48000, 44100, 22050, 8000])('turns a sweep over the passband into the same sweep at 16 kHz (error under -70 dB), from %i Hz', (fromRate) => {
    const edge = 0.9 * (Math.min(fromRate, TARGET) / 2);
    const output = resample(sweep(20, edge, fromRate, 2), fromRate, TARGET);
    const ideal = sweep(20, edge, TARGET, 2);
    expect(output).toHaveLength(ideal.length);
    let largestError = 0;
    for (let i = 400; i < ideal.length - 400; i++) largestError = Math.max(largestError, Math.abs(output[i] - ideal[i]));
    expect(decibels(largestError / AMPLITUDE)).toBeLessThan(-70);
  });
});

describe('resample: stages and kernels', () => {
  it('halves 48 and 44.1 kHz first, cheaply, and keeps the sharp filter for the last, lowest-rate stage', () => {
    const describe = (fromRate: number) => resamplingStages(fromRate, TARGET).map(({ fromRate: from, toRate: to, up, down }) => ({ from, to, up, down }));
    expect(describe(48000)).toEqual([{ from: 48000, to: 24000, up: 1, down: 2 }, { from: 24000, to: 16000, up: 2, down: 3 }]);
    expect(describe(44100)).toEqual([{ from: 44100, to: 22050, up: 1, down: 2 }, { from: 22050, to: 16000, up: 320, down: 441 }]);
    expect(describe(32000)).toEqual([{ from: 32000, to: 16000, up: 1, down: 2 }]);
    const [halving, last] = resamplingStages(48000, TARGET);
    // Taps per 16 kHz output: 32 · (24/16) for the halving plus 160, against 304 for one 48 → 16 kHz filter.
    expect(halving.taps).toBeLessThan(last.taps / 4);
  });

  it('gives the same samples from the wasm SIMD kernel and the scalar one, across chunk boundaries', () => {
    const simd = simdKernel();
    expect(simd, 'Node 20 validates wasm SIMD').toBeDefined();
    const noise = Float32Array.from({ length: 48000 * 3 + 17 }, (_, i) => Math.sin(i * 0.37) * 0.5 + Math.sin(i * 2.1) * 0.3);
    for (const fromRate of [48000, 44100, 8000, 44101]) {
      const fast = resample(noise, fromRate, TARGET, simd);
      const reference = resample(noise, fromRate, TARGET, scalarKernel());
      expect(fast).toHaveLength(Math.ceil((noise.length * TARGET) / fromRate));
      let largestDifference = 0;
      for (let i = 0; i < fast.length; i++) largestDifference = Math.max(largestDifference, Math.abs(fast[i] - reference[i]));
      expect(largestDifference).toBeLessThan(1e-5);
    }
  });

  it('resamples a clip longer than one kernel call as one piece: no seam where chunks meet', () => {
    const input = tone(1000, 48000, 2);
    const output = resample(input, 48000, TARGET);
    const ideal = tone(1000, TARGET, 2);
    let largestError = 0;
    for (let i = 400; i < ideal.length - 400; i++) largestError = Math.max(largestError, Math.abs(output[i] - ideal[i]));
    expect(decibels(largestError / AMPLITUDE)).toBeLessThan(-70);
  });
});
