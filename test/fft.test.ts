import { describe, expect, it } from 'vitest';
import { complexFftPlan, fftInPlace, powerSpectrum, powerSpectrumPlan, spectrumBins } from '../src/features/index.js';

/** A fixed-seed generator of values in −1 … 1, so a failure reproduces. */
function randomValues(length: number, seed: number): Float64Array {
  let state = seed;
  return Float64Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (2 * state) / 2147483648 - 1;
  });
}

/** X[k] = Σ_n x[n]·e^(−2πikn/N), term by term. */
function naiveDft(re: Float64Array, im: Float64Array): { re: Float64Array; im: Float64Array } {
  const size = re.length;
  const out = { re: new Float64Array(size), im: new Float64Array(size) };
  for (let k = 0; k < size; k++) {
    for (let n = 0; n < size; n++) {
      const angle = (-2 * Math.PI * ((k * n) % size)) / size;
      out.re[k] += re[n] * Math.cos(angle) - im[n] * Math.sin(angle);
      out.im[k] += re[n] * Math.sin(angle) + im[n] * Math.cos(angle);
    }
  }
  return out;
}

const sizes = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

describe('FFT', () => {
  for (const size of sizes) {
    it(`a complex FFT of size ${size} matches the DFT of random input`, () => {
      const re = randomValues(size, size);
      const im = randomValues(size, size + 1);
      const expected = naiveDft(re, im);
      const plan = complexFftPlan(size);
      fftInPlace(plan, re, im);
      for (let k = 0; k < size; k++) {
        expect(re[plan.bitReversed[k]]).toBeCloseTo(expected.re[k], 9);
        expect(im[plan.bitReversed[k]]).toBeCloseTo(expected.im[k], 9);
      }
    });
  }

  for (const size of sizes.filter((size) => size >= 4)) {
    it(`the power spectrum of a random real frame of ${size} samples matches |DFT|²`, () => {
      const frame = randomValues(size, 7 * size);
      const expected = naiveDft(frame, new Float64Array(size));
      const power = new Float64Array(spectrumBins(size));
      const untouched = Float64Array.from(frame);
      powerSpectrum(powerSpectrumPlan(size), frame, power);
      expect(frame).toEqual(untouched);
      for (let k = 0; k < power.length; k++) expect(power[k]).toBeCloseTo(expected.re[k] ** 2 + expected.im[k] ** 2, 8);
    });
  }

  it('refuses a size that is not a power of two', () => {
    expect(() => complexFftPlan(384)).toThrow(/power of two/);
  });
});
