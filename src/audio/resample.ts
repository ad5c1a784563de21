/**
 * Band-limited resampling with a Kaiser-windowed sinc, evaluated as a polyphase filter.
 *
 * The filter is flat up to PASSBAND_EDGE of the lower Nyquist frequency and reaches
 * STOPBAND_ATTENUATION_DB at the lower Nyquist itself, so nothing above the new Nyquist aliases back.
 */

const PASSBAND_EDGE = 0.9;
const STOPBAND_ATTENUATION_DB = 80;
/**
 * A rate ratio L/M needs L filter phases; odd rates (44101 Hz → 16 kHz needs 16000) would make huge tables, so
 * phases are capped and the nearest one is used: a timing error of at most 1/(2·MAX_PHASES) input sample,
 * which keeps the error under −70 dB throughout the passband.
 */
const MAX_PHASES = 2048;

interface PolyphaseFilter {
  /** Output samples per `downFactor` input samples (the reduced ratio toRate/fromRate = up/down). */
  upFactor: number;
  downFactor: number;
  /** Rows of the table; row r holds the taps for an output at fractional input position r/phaseRows. */
  phaseRows: number;
  taps: number;
  /** Taps before and after the output position; taps = 2 × halfTaps. */
  halfTaps: number;
  /** (phaseRows + 1) × taps, row-major. */
  coefficients: Float32Array;
}

const filterCache = new Map<string, PolyphaseFilter>();

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; term > sum * 1e-12; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
  }
  return sum;
}

function kaiserBeta(attenuationDb: number): number {
  return 0.1102 * (attenuationDb - 8.7);
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const angle = Math.PI * x;
  return Math.sin(angle) / angle;
}

function designFilter(fromRate: number, toRate: number): PolyphaseFilter {
  const divisor = greatestCommonDivisor(fromRate, toRate);
  const upFactor = toRate / divisor;
  const downFactor = fromRate / divisor;

  // Frequencies are in cycles per input sample; the band edges sit at fractions of the lower Nyquist (½ cycle
  // per sample at the lower rate).
  const lowerNyquist = 0.5 * (Math.min(fromRate, toRate) / fromRate);
  const transitionWidth = (1 - PASSBAND_EDGE) * lowerNyquist;
  const cutoff = ((1 + PASSBAND_EDGE) / 2) * lowerNyquist;
  // Kaiser's estimate of the filter length that reaches the attenuation within the transition width.
  const length = (STOPBAND_ATTENUATION_DB - 7.95) / (2.285 * 2 * Math.PI * transitionWidth);
  const halfWidth = length / 2;
  const beta = kaiserBeta(STOPBAND_ATTENUATION_DB);
  const windowNorm = besselI0(beta);

  // Even, so that taps is a multiple of the four partial sums the inner loop keeps.
  const halfTaps = 2 * Math.ceil((Math.ceil(halfWidth) + 1) / 2);
  const taps = 2 * halfTaps;
  const phaseRows = Math.min(upFactor, MAX_PHASES);
  const coefficients = new Float32Array((phaseRows + 1) * taps);
  for (let row = 0; row <= phaseRows; row++) {
    const fraction = row / phaseRows;
    const rowStart = row * taps;
    let rowSum = 0;
    for (let tap = 0; tap < taps; tap++) {
      // Distance from the output position to the input sample this tap multiplies.
      const distance = fraction + halfTaps - 1 - tap;
      const relative = distance / halfWidth;
      if (Math.abs(relative) >= 1) continue;
      const window = besselI0(beta * Math.sqrt(1 - relative * relative)) / windowNorm;
      const value = 2 * cutoff * sinc(2 * cutoff * distance) * window;
      coefficients[rowStart + tap] = value;
      rowSum += value;
    }
    // Unit gain at DC for every phase, so a constant signal stays exactly constant.
    for (let tap = 0; tap < taps; tap++) coefficients[rowStart + tap] /= rowSum;
  }
  return { upFactor, downFactor, phaseRows, taps, halfTaps, coefficients };
}

function filterFor(fromRate: number, toRate: number): PolyphaseFilter {
  const key = `${fromRate}:${toRate}`;
  let filter = filterCache.get(key);
  if (!filter) {
    filter = designFilter(fromRate, toRate);
    filterCache.set(key, filter);
  }
  return filter;
}

export function assertSampleRate(rate: number, what: string): void {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new RangeError(`${what} must be a positive whole number of hertz, got ${rate}`);
  }
}

/**
 * Converts `samples` from `fromRate` to `toRate` (both in Hz), low-pass filtered just below the lower
 * Nyquist frequency. The output covers the same duration: ceil(length · toRate / fromRate) samples.
 * Equal rates return the input array itself.
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  assertSampleRate(fromRate, 'the source sample rate');
  assertSampleRate(toRate, 'the target sample rate');
  if (fromRate === toRate) return samples;

  const { upFactor, downFactor, phaseRows, taps, halfTaps, coefficients } = filterFor(fromRate, toRate);
  const outputLength = Math.ceil((samples.length * upFactor) / downFactor);
  const output = new Float32Array(outputLength);

  // Zeros either side let every output use all taps without bounds checks in the inner loop.
  const padded = new Float32Array(samples.length + taps);
  padded.set(samples, halfTaps);

  const wholeStep = Math.floor(downFactor / upFactor);
  const phaseStep = downFactor % upFactor;
  const rowsPerPhase = phaseRows / upFactor;
  let inputPosition = 0;
  let phase = 0;
  for (let out = 0; out < outputLength; out++) {
    const rowStart = Math.round(phase * rowsPerPhase) * taps;
    // Tap 0 multiplies input sample inputPosition − halfTaps + 1, stored at padded index inputPosition + 1.
    const inputStart = inputPosition + 1;
    // Four independent partial sums instead of one: the additions no longer wait on each other.
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    for (let tap = 0; tap < taps; tap += 4) {
      const c = rowStart + tap;
      const x = inputStart + tap;
      sum0 += coefficients[c] * padded[x];
      sum1 += coefficients[c + 1] * padded[x + 1];
      sum2 += coefficients[c + 2] * padded[x + 2];
      sum3 += coefficients[c + 3] * padded[x + 3];
    }
    output[out] = sum0 + sum1 + sum2 + sum3;
    inputPosition += wholeStep;
    phase += phaseStep;
    if (phase >= upFactor) {
      phase -= upFactor;
      inputPosition += 1;
    }
  }
  return output;
}
