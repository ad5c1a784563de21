import FFT from 'fft.js';

export function nextPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}

/** Non-negative frequency bins of a real FFT, DC and Nyquist included. */
export function spectrumBins(fftSize: number): number {
  return fftSize / 2 + 1;
}

/** A real FFT of one size with its twiddles and scratch; shared, which is safe because each call completes before the next. */
export interface PowerSpectrumPlan {
  fftSize: number;
  halfTransform: FFT;
  scratch: Float64Array;
  cos: Float64Array;
  sin: Float64Array;
}

const planCache = new Map<number, PowerSpectrumPlan>();

export function powerSpectrumPlan(fftSize: number): PowerSpectrumPlan {
  let plan = planCache.get(fftSize);
  if (!plan) {
    if (fftSize < 4 || nextPowerOfTwo(fftSize) !== fftSize) throw new Error(`FFT size must be a power of two >= 4, got ${fftSize}`);
    const angle = (k: number) => (2 * Math.PI * k) / fftSize;
    plan = {
      fftSize,
      halfTransform: new FFT(fftSize / 2),
      scratch: new Float64Array(fftSize),
      cos: Float64Array.from({ length: fftSize / 2 + 1 }, (_, k) => Math.cos(angle(k))),
      sin: Float64Array.from({ length: fftSize / 2 + 1 }, (_, k) => Math.sin(angle(k))),
    };
    planCache.set(fftSize, plan);
  }
  return plan;
}

/**
 * Writes |X[k]|² for k = 0 … N/2 of the real signal `frame` (length N) into `power`.
 *
 * X comes from a complex FFT of size M = N/2 over z[n] = x[2n] + i·x[2n+1]: fft.js reads complex input
 * interleaved, so the frame already is z, and the half-size transform is markedly faster than fft.js's own
 * realTransform. The even and odd halves are then separated:
 * E[k] = (Z[k] + Z*[M-k])/2, O[k] = (Z[k] − Z*[M-k])/2i, X[k] = E[k] + e^(−2πik/N)·O[k].
 */
export function powerSpectrum(plan: PowerSpectrumPlan, frame: Float64Array, power: Float64Array): void {
  const { scratch: z, cos, sin } = plan;
  const half = plan.fftSize >> 1;
  // half is a power of two, so & (half − 1) is "mod half" without a division.
  const mask = half - 1;
  plan.halfTransform.transform(z, frame);
  for (let k = 0; k <= half; k++) {
    const a = 2 * (k & mask);
    const b = 2 * ((half - k) & mask);
    const evenRe = (z[a] + z[b]) / 2;
    const evenIm = (z[a + 1] - z[b + 1]) / 2;
    const oddRe = (z[a + 1] + z[b + 1]) / 2;
    const oddIm = (z[b] - z[a]) / 2;
    const re = evenRe + cos[k] * oddRe + sin[k] * oddIm;
    const im = evenIm + cos[k] * oddIm - sin[k] * oddRe;
    power[k] = re * re + im * im;
  }
}
