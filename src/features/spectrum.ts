import { complexFftPlan, fftInPlace, type ComplexFftPlan } from './fft.js';

export function nextPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}

/** Non-negative frequency bins of a real FFT, DC and Nyquist included. */
export function spectrumBins(fftSize: number): number {
  return fftSize / 2 + 1;
}

/** A real FFT of one size with its tables and scratch; shared, which is safe because each call completes before the next. */
export interface PowerSpectrumPlan {
  fftSize: number;
  halfTransform: ComplexFftPlan;
  /** The frame as M = N/2 complex points z[n] = x[2n] + i·x[2n+1], transformed in place. */
  re: Float64Array;
  im: Float64Array;
  /** For k = 0 … M/2: where the transform leaves Z[k] and Z[(M − k) mod M]. */
  atBin: Int32Array;
  atMirrorBin: Int32Array;
  cos: Float64Array;
  sin: Float64Array;
}

const planCache = new Map<number, PowerSpectrumPlan>();

function buildPlan(fftSize: number): PowerSpectrumPlan {
  const half = fftSize / 2;
  const halfTransform = complexFftPlan(half);
  const pairs = half / 2 + 1;
  const angle = (k: number) => (2 * Math.PI * k) / fftSize;
  return {
    fftSize,
    halfTransform,
    re: new Float64Array(half),
    im: new Float64Array(half),
    atBin: Int32Array.from({ length: pairs }, (_, k) => halfTransform.bitReversed[k % half]),
    atMirrorBin: Int32Array.from({ length: pairs }, (_, k) => halfTransform.bitReversed[(half - k) % half]),
    cos: Float64Array.from({ length: pairs }, (_, k) => Math.cos(angle(k))),
    sin: Float64Array.from({ length: pairs }, (_, k) => Math.sin(angle(k))),
  };
}

export function powerSpectrumPlan(fftSize: number): PowerSpectrumPlan {
  let plan = planCache.get(fftSize);
  if (!plan) {
    if (fftSize < 4 || nextPowerOfTwo(fftSize) !== fftSize) throw new Error(`FFT size must be a power of two >= 4, got ${fftSize}`);
    plan = buildPlan(fftSize);
    planCache.set(fftSize, plan);
  }
  return plan;
}

/**
 * Writes |X[k]|² for k = 0 … N/2 of the real signal `frame` (length N) into `power`.
 *
 * X comes from a complex FFT of size M = N/2 over z[n] = x[2n] + i·x[2n+1], half the work of a complex
 * transform of size N. The even and odd halves are then separated:
 * E[k] = (Z[k] + Z*[M-k])/2, O[k] = (Z[k] − Z*[M-k])/2i, X[k] = E[k] + P[k] with P[k] = e^(−2πik/N)·O[k].
 * Bins k and M − k share E and P (X[M-k] = (E[k] − P[k])*), so one step yields both.
 */
export function powerSpectrum(plan: PowerSpectrumPlan, frame: Float64Array, power: Float64Array): void {
  const { re, im, atBin, atMirrorBin, cos, sin } = plan;
  const half = plan.fftSize >> 1;
  for (let n = 0; n < half; n++) {
    re[n] = frame[2 * n];
    im[n] = frame[2 * n + 1];
  }
  fftInPlace(plan.halfTransform, re, im);
  for (let k = 0; k < atBin.length; k++) {
    const a = atBin[k];
    const b = atMirrorBin[k];
    const aRe = re[a];
    const aIm = im[a];
    const bRe = re[b];
    const bIm = im[b];
    const evenRe = (aRe + bRe) / 2;
    const evenIm = (aIm - bIm) / 2;
    const oddRe = (aIm + bIm) / 2;
    const oddIm = (bRe - aRe) / 2;
    const productRe = cos[k] * oddRe + sin[k] * oddIm;
    const productIm = cos[k] * oddIm - sin[k] * oddRe;
    const sumRe = evenRe + productRe;
    const sumIm = evenIm + productIm;
    const diffRe = evenRe - productRe;
    const diffIm = evenIm - productIm;
    power[k] = sumRe * sumRe + sumIm * sumIm;
    power[half - k] = diffRe * diffRe + diffIm * diffIm;
  }
}
