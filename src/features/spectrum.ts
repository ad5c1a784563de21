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

/** Writes |X[k]|² for k = 0 … fftSize/2 of the real signal `frame` (length fftSize) into `power`. */
export type PowerSpectrum = (frame: Float64Array, power: Float64Array) => void;

const powerSpectrumCache = new Map<number, PowerSpectrum>();

/**
 * A real FFT of size N computed as a complex FFT of size N/2 over z[n] = x[2n] + i·x[2n+1]: fft.js reads
 * complex input interleaved, so the frame is already laid out as z, and the half-size transform is
 * markedly faster than fft.js's own realTransform. The even and odd halves are then separated:
 * E[k] = (Z[k] + Z*[M-k])/2, O[k] = (Z[k] − Z*[M-k])/2i, X[k] = E[k] + e^(−2πik/N)·O[k], M = N/2.
 *
 * One transform per FFT size; its scratch buffer is shared, which is safe because a call runs to
 * completion before the next one starts.
 */
export function createPowerSpectrum(fftSize: number): PowerSpectrum {
  let transform = powerSpectrumCache.get(fftSize);
  if (!transform) {
    if (fftSize < 4 || nextPowerOfTwo(fftSize) !== fftSize) throw new Error(`FFT size must be a power of two >= 4, got ${fftSize}`);
    const half = fftSize / 2;
    const fft = new FFT(half);
    const z = new Float64Array(fftSize);
    const cos = Float64Array.from({ length: half + 1 }, (_, k) => Math.cos((2 * Math.PI * k) / fftSize));
    const sin = Float64Array.from({ length: half + 1 }, (_, k) => Math.sin((2 * Math.PI * k) / fftSize));
    transform = (frame, power) => {
      fft.transform(z, frame);
      for (let k = 0; k <= half; k++) {
        const a = 2 * (k % half);
        const b = 2 * ((half - k) % half);
        const evenRe = (z[a] + z[b]) / 2;
        const evenIm = (z[a + 1] - z[b + 1]) / 2;
        const oddRe = (z[a + 1] + z[b + 1]) / 2;
        const oddIm = (z[b] - z[a]) / 2;
        const re = evenRe + cos[k] * oddRe + sin[k] * oddIm;
        const im = evenIm + cos[k] * oddIm - sin[k] * oddRe;
        power[k] = re * re + im * im;
      }
    };
    powerSpectrumCache.set(fftSize, transform);
  }
  return transform;
}
