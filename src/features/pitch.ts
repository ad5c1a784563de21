import { FLOAT32_EPSILON } from './filterbank.js';
import { countFrames } from './frames.js';

/**
 * Per-frame fundamental frequency (F0), voicing strength and log energy, aligned with the MFCC frames.
 *
 * F0 is YIN's (A. de Cheveigné and H. Kawahara, "YIN, a fundamental frequency estimator for speech and
 * music", J. Acoust. Soc. Am. 111(4):1917–1930, 2002), searched first on the signal low-passed at 1 kHz
 * and decimated to about 4 kHz, as Kaldi's pitch tracker does (P. Ghahremani et al., "A pitch extraction
 * algorithm tuned for automatic speech recognition", ICASSP 2014: lowpass-cutoff 1000 Hz, resample
 * frequency 4000 Hz), then refined at the full rate around that estimate. For frame t, centred on sample
 * c_t = t·frameShift + ⌊frameLength/2⌋ (the centre of MFCC frame t), with W the integration window:
 *
 *   difference (YIN step 2)   d_t(τ)  = Σ_{j=0}^{W−1} (x[s+j] − x[s+j+τ])²,  s = c_t − ⌊(W+τ)/2⌋,
 *                             so the W+τ samples it reads are centred on c_t whatever the lag;
 *   normalised (step 3)       d'_t(τ) = d_t(τ) · τ / Σ_{k=1}^{τ} d_t(k)   (1 where that sum is 0: silence);
 *   period (step 4)           on the decimated signal, the first τ in [fs/maxF0, fs/minF0] with
 *                             d'_t(τ) < threshold, followed down to its local minimum; the frame is voiced.
 *                             Where no lag dips under the threshold, the lag of the smallest d'_t is kept
 *                             and the frame is unvoiced;
 *   refinement (step 5)       at the full rate, from the integer lag nearest D·τ (D the decimation factor)
 *                             down d_t to the lag L of a local minimum (at most ⌈D/2⌉ lags away), then a
 *                             parabola through d_t(L−1), d_t(L), d_t(L+1):
 *                             τ̂ = L + (d(L−1) − d(L+1)) / (2·(d(L−1) − 2·d(L) + d(L+1))), F0 = fs / τ̂
 *                             (YIN fits the raw d, not d', which the normalisation biases);
 *   smoothing (cf. step 6)    runs of fewer than 3 voiced frames (30 ms) are called unvoiced: in quiet
 *                             stretches between words noise makes such blips, often at the range's ends;
 *                             then F0 ← median of F0 over the voiced frames among t−2 … t+2 of the same
 *                             voiced run, which removes isolated octave errors and leaves a glide unchanged;
 *   voicing strength          v_t = 1 − d'_t(τ) at the chosen coarse lag, clipped to [0, 1]: 1 periodic, ~0 noise;
 *   log energy                e_t = log max(Σ_n (32768·(x[n] − x̄))², ε) over MFCC frame t (x̄ its mean when
 *                             DC is removed), Kaldi's raw log energy at the int16 scale, ε = FLT_EPSILON.
 *
 * As features, log F0 is interpolated linearly over unvoiced frames between the voiced frames either side
 * and held flat before the first and after the last one, as Kaldi's pitch does, so it has no gaps; a clip
 * with no voiced frame gets log √(minF0·maxF0), the middle of the search range. W is the frame length, at
 * least one longest period (fs/minF0).
 *
 * Shapes: samples (N) at fs → T = countFrames(N, frameLength, frameShift) values per output, T × 3 columns
 * [log F0, voicing strength, log energy] from `writePitchColumns`.
 *
 * Example: a 220 Hz sawtooth (every harmonic under 8 kHz) at 16 kHz, 25 ms frames every 10 ms: the coarse
 * search at 4 kHz (D = 4) stops in the dip at τ ≈ 18.2 (4000/220), d' ≈ 0.004; the refinement steps to
 * L = 73 and the parabola gives τ̂ = 72.78 (72.73 exactly): F0 = 219.85 Hz, 0.07% low, voicing strength
 * 0.996, log F0 = 5.393 on frame 50 of 98.
 */

/** Search range, Hz: low male speech to high female and child speech. */
export const PITCH_MIN_F0 = 60;
export const PITCH_MAX_F0 = 500;
/**
 * YIN's absolute threshold on d'. The paper's 0.1 left a third of an espeak-ng vowel unvoiced and sent
 * some frames of a high voice to twice the period, whose d' was lower; white noise stays near d' ≈ 0.7.
 */
export const YIN_THRESHOLD = 0.2;
/** Columns per frame: log F0, voicing strength, log energy. */
export const PITCH_DIMS = 3;

/** Kaldi's pitch tracker decimates to about this rate, keeping what lies under 1 kHz. */
const COARSE_RATE = 4000;
const LOWPASS_CUTOFF = 1000;
/** Half-width of the decimation filter in decimated samples: −0.8 dB at 500 Hz, −6 dB at 1 kHz, −45 dB at 2 kHz at 16 kHz. */
const LOWPASS_HALF_WIDTH = 4;
const MEDIAN_HALF_WIDTH = 2;
const MIN_VOICED_RUN = 3;
/** Frames whose coarse differences are computed together: bounds the scratch memory whatever the clip's length. */
const FRAMES_PER_BLOCK = 512;
const INT16_SCALE = 32768;

export interface PitchOptions {
  sampleRate: number;
  frameLength: number;
  frameShift: number;
  /** Subtract each frame's mean before its energy (Kaldi's remove-dc-offset). */
  removeDcOffset: boolean;
}

export interface PitchTrack {
  frames: number;
  /** Hz; 0 on unvoiced frames. */
  f0: Float32Array;
  voiced: Uint8Array;
  voicingStrength: Float32Array;
  logEnergy: Float32Array;
}

interface PitchPlan {
  sampleRate: number;
  frameLength: number;
  frameShift: number;
  decimation: number;
  /** Low-pass taps h_{−K} … h_K (K = halfTaps) over full-rate samples, symmetric, summing to 1. */
  lowpass: Float64Array;
  halfTaps: number;
  window: number;
  coarseWindow: number;
  minLag: number;
  maxLag: number;
  coarseMinLag: number;
  coarseMaxLag: number;
  refineRadius: number;
  /** Zeros either side of the full-rate and decimated copies, so no frame reads outside them. */
  padding: number;
  coarsePadding: number;
  /** Row t − (first frame of the block) holds d_t(τ) of the decimated signal for τ = 0 … coarseMaxLag + 1; scratch. */
  differences: Float64Array;
  /** d'_t(τ) of one frame; scratch. */
  normalised: Float64Array;
  /** Window boundaries of a block (see blockBoundaries) and, per lag, Σ(y[j] − y[j+τ])² up to each; scratch. */
  boundaries: Int32Array;
  startBoundary: Int32Array;
  endBoundary: Int32Array;
  runningTotals: Float64Array;
  /** The coarse search's answer for the current frame; scratch. */
  estimate: { lag: number; aperiodicity: number; voiced: boolean };
}

function hannWindowedSinc(halfTaps: number, cutoff: number, sampleRate: number): Float64Array {
  const taps = Float64Array.from({ length: 2 * halfTaps + 1 }, (_, i) => {
    const k = i - halfTaps;
    const x = (2 * cutoff * k) / sampleRate;
    const sinc = k === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    return sinc * (0.5 + 0.5 * Math.cos((Math.PI * k) / (halfTaps + 1)));
  });
  let sum = 0;
  for (const tap of taps) sum += tap;
  return taps.map((tap) => tap / sum);
}

function buildPlan(options: PitchOptions): PitchPlan {
  const { sampleRate, frameLength, frameShift } = options;
  if (!(sampleRate >= COARSE_RATE)) throw new Error(`pitch needs a sample rate of at least ${COARSE_RATE} Hz, got ${sampleRate}`);
  const decimation = Math.floor(sampleRate / COARSE_RATE);
  const coarseRate = sampleRate / decimation;
  const halfTaps = LOWPASS_HALF_WIDTH * decimation;
  const window = Math.max(frameLength, Math.ceil(sampleRate / PITCH_MIN_F0));
  const coarseWindow = Math.round(window / decimation);
  const minLag = Math.floor(sampleRate / PITCH_MAX_F0);
  const maxLag = Math.ceil(sampleRate / PITCH_MIN_F0);
  const coarseMaxLag = Math.ceil(coarseRate / PITCH_MIN_F0);
  const refineRadius = Math.ceil(decimation / 2);
  return {
    sampleRate,
    frameLength,
    frameShift,
    decimation,
    lowpass: hannWindowedSinc(halfTaps, LOWPASS_CUTOFF, sampleRate),
    halfTaps,
    window,
    coarseWindow,
    minLag,
    maxLag,
    coarseMinLag: Math.max(2, Math.floor(coarseRate / PITCH_MAX_F0)),
    coarseMaxLag,
    refineRadius,
    padding: Math.max(halfTaps, Math.ceil((window + maxLag + refineRadius + 2) / 2)) + 2,
    coarsePadding: Math.ceil((coarseWindow + coarseMaxLag + 2) / 2) + 2,
    differences: new Float64Array(FRAMES_PER_BLOCK * (coarseMaxLag + 2)),
    normalised: new Float64Array(coarseMaxLag + 2),
    estimate: { lag: 0, aperiodicity: 1, voiced: false },
    boundaries: new Int32Array(2 * FRAMES_PER_BLOCK),
    startBoundary: new Int32Array(FRAMES_PER_BLOCK),
    endBoundary: new Int32Array(FRAMES_PER_BLOCK),
    runningTotals: new Float64Array(2 * FRAMES_PER_BLOCK),
  };
}

const planCache = new Map<string, PitchPlan>();

function pitchPlan(options: PitchOptions): PitchPlan {
  const key = `${options.sampleRate}:${options.frameLength}:${options.frameShift}`;
  let plan = planCache.get(key);
  if (!plan) {
    plan = buildPlan(options);
    planCache.set(key, plan);
  }
  return plan;
}

/** d(τ) = Σ_{j<length} (x[start+j] − x[start+j+lag])², in two partial sums. */
function differenceAt(x: Float64Array, start: number, lag: number, length: number): number {
  let sumEven = 0;
  let sumOdd = 0;
  let j = start;
  const end = start + length;
  for (; j + 1 < end; j += 2) {
    const even = x[j] - x[j + lag];
    const odd = x[j + 1] - x[j + 1 + lag];
    sumEven += even * even;
    sumOdd += odd * odd;
  }
  if (j < end) {
    const last = x[j] - x[j + lag];
    sumEven += last * last;
  }
  return sumEven + sumOdd;
}

/** d_t(τ) with its W+τ samples centred on `centre` (an index into the padded copy). */
function centredDifference(x: Float64Array, centre: number, lag: number, window: number): number {
  return differenceAt(x, centre - Math.floor((window + lag) / 2), lag, window);
}

/** The vertex offset in (−1, 1) of the parabola through (−1, a), (0, b), (1, c); 0 when b is no minimum. */
function parabolicOffset(a: number, b: number, c: number): number {
  const curvature = a - 2 * b + c;
  return curvature > 0 ? Math.max(-1, Math.min(1, (a - c) / (2 * curvature))) : 0;
}

function paddedCopy(samples: Float32Array, padding: number): Float64Array {
  const padded = new Float64Array(samples.length + 2 * padding);
  for (let i = 0; i < samples.length; i++) padded[padding + i] = samples[i];
  return padded;
}

/**
 * The signal low-passed and decimated by D, zero-padded by plan.coarsePadding either side:
 * y[m] = h₀·x[mD] + Σ_{k=1}^{K} h_k·(x[mD−k] + x[mD+k]), the filter being symmetric.
 */
function decimate(plan: PitchPlan, padded: Float64Array, length: number): Float64Array {
  const { lowpass, halfTaps, decimation, padding } = plan;
  const coarseLength = Math.ceil(length / decimation);
  const coarse = new Float64Array(coarseLength + 2 * plan.coarsePadding);
  for (let m = 0; m < coarseLength; m++) {
    const centre = padding + m * decimation;
    let sum = lowpass[halfTaps] * padded[centre];
    for (let k = 1; k <= halfTaps; k++) sum += lowpass[halfTaps + k] * (padded[centre - k] + padded[centre + k]);
    coarse[plan.coarsePadding + m] = sum;
  }
  return coarse;
}

/**
 * The offsets, from the first window's start, where some window of the block starts or ends (sorted,
 * distinct), and for each frame the indices of its start and end among them; the windows are centres[f] −
 * offset … + coarseWindow, so these are the same for every lag.
 */
function blockBoundaries(plan: PitchPlan, centres: Int32Array, count: number): number {
  const { boundaries, startBoundary, endBoundary, coarseWindow } = plan;
  let size = 0;
  const add = (offset: number): number => {
    if (size === 0 || boundaries[size - 1] !== offset) boundaries[size++] = offset;
    return size - 1;
  };
  const endOffset = (f: number) => centres[f] - centres[0] + coarseWindow;
  let ended = 0;
  for (let f = 0; f < count; f++) {
    const startOffset = centres[f] - centres[0];
    for (; ended < count && endOffset(ended) <= startOffset; ended++) endBoundary[ended] = add(endOffset(ended));
    startBoundary[f] = add(startOffset);
  }
  for (; ended < count; ended++) endBoundary[ended] = add(endOffset(ended));
  return size;
}

/**
 * YIN step 2 on the decimated signal for the frames centred on centres[0 … count): row f of
 * plan.differences gets d(τ) of frame f for every lag. The windows of neighbouring frames overlap, so per
 * lag the sums of (y[j] − y[j+τ])² between consecutive window boundaries are accumulated once and each d
 * is the difference of two running totals: about coarseWindow / coarse frame shift (2.5) times less work
 * than summing every window.
 */
function coarseDifferences(plan: PitchPlan, coarse: Float64Array, centres: Int32Array, count: number): void {
  const { differences, boundaries, startBoundary, endBoundary, runningTotals, coarseWindow, coarseMaxLag } = plan;
  const stride = coarseMaxLag + 2;
  const boundaryCount = blockBoundaries(plan, centres, count);
  for (let lag = 1; lag <= coarseMaxLag + 1; lag++) {
    const first = centres[0] - Math.floor((coarseWindow + lag) / 2);
    runningTotals[0] = 0;
    for (let b = 1; b < boundaryCount; b++) {
      runningTotals[b] = runningTotals[b - 1] + differenceAt(coarse, first + boundaries[b - 1], lag, boundaries[b] - boundaries[b - 1]);
    }
    for (let f = 0; f < count; f++) differences[f * stride + lag] = runningTotals[endBoundary[f]] - runningTotals[startBoundary[f]];
  }
}

/**
 * YIN steps 3–4 for row `row` of plan.differences, into plan.estimate: the coarse lag (fractional, by a
 * parabola through d) and d' there; voiced when d' dipped under the threshold.
 */
function coarseSearch(plan: PitchPlan, row: number): void {
  const { normalised, differences, coarseMinLag, coarseMaxLag } = plan;
  const base = row * (coarseMaxLag + 2);
  let cumulative = 0;
  normalised[0] = 1;
  for (let lag = 1; lag <= coarseMaxLag + 1; lag++) {
    cumulative += differences[base + lag];
    normalised[lag] = cumulative > 0 ? (differences[base + lag] * lag) / cumulative : 1;
  }
  let chosen = -1;
  for (let lag = coarseMinLag; lag <= coarseMaxLag; lag++) {
    if (normalised[lag] < YIN_THRESHOLD) {
      chosen = lag;
      while (chosen < coarseMaxLag && normalised[chosen + 1] < normalised[chosen]) chosen++;
      break;
    }
  }
  const voiced = chosen >= 0;
  if (!voiced) {
    chosen = coarseMinLag;
    for (let lag = coarseMinLag + 1; lag <= coarseMaxLag; lag++) if (normalised[lag] < normalised[chosen]) chosen = lag;
  }
  const at = base + chosen;
  plan.estimate.lag = chosen + parabolicOffset(differences[at - 1], differences[at], differences[at + 1]);
  plan.estimate.aperiodicity = normalised[chosen];
  plan.estimate.voiced = voiced;
}

/**
 * YIN step 5 at the full rate: from the lag nearest `guess`, steps down d while a neighbour is smaller (at
 * most refineRadius lags away), then returns the period in samples by a parabola through the raw d there.
 */
function refinePeriod(plan: PitchPlan, padded: Float64Array, centre: number, guess: number): number {
  const { window, refineRadius, minLag, maxLag } = plan;
  const nearest = Math.min(maxLag, Math.max(minLag, Math.round(guess)));
  const differenceAtLag = (lag: number) => centredDifference(padded, centre, lag, window);
  let lag = nearest;
  let here = differenceAtLag(lag);
  let before = differenceAtLag(lag - 1);
  let after = differenceAtLag(lag + 1);
  while (before < here && lag > Math.max(minLag, nearest - refineRadius)) {
    after = here;
    here = before;
    lag--;
    before = differenceAtLag(lag - 1);
  }
  while (after < here && lag < Math.min(maxLag, nearest + refineRadius)) {
    before = here;
    here = after;
    lag++;
    after = differenceAtLag(lag + 1);
  }
  return Math.min(maxLag, Math.max(minLag, lag + parabolicOffset(before, here, after)));
}

/** Kaldi's raw log energy of each frame (before pre-emphasis and window), int16 scale. */
function frameLogEnergies(samples: Float32Array, frames: number, options: PitchOptions): Float32Array {
  const energies = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const start = t * options.frameShift;
    let sum = 0;
    let sumSq = 0;
    for (let i = start; i < start + options.frameLength; i++) {
      const value = samples[i] * INT16_SCALE;
      sum += value;
      sumSq += value * value;
    }
    const energy = options.removeDcOffset ? sumSq - (sum * sum) / options.frameLength : sumSq;
    energies[t] = Math.log(Math.max(energy, FLOAT32_EPSILON));
  }
  return energies;
}

/** Unvoices (in place) every run of fewer than MIN_VOICED_RUN voiced frames. */
function dropShortVoicedRuns(f0: Float32Array, voiced: Uint8Array): void {
  let runStart = 0;
  for (let t = 0; t <= voiced.length; t++) {
    if (t < voiced.length && voiced[t]) continue;
    if (t - runStart < MIN_VOICED_RUN) {
      for (let u = runStart; u < t; u++) {
        voiced[u] = 0;
        f0[u] = 0;
      }
    }
    runStart = t + 1;
  }
}

/** Median over each voiced frame's voiced neighbours within ±MEDIAN_HALF_WIDTH in the same voiced run. */
function medianSmooth(f0: Float32Array, voiced: Uint8Array): Float32Array {
  const smoothed = f0.slice();
  const neighbours: number[] = [];
  for (let t = 0; t < f0.length; t++) {
    if (!voiced[t]) continue;
    neighbours.length = 0;
    for (let u = t; u >= Math.max(0, t - MEDIAN_HALF_WIDTH) && voiced[u]; u--) neighbours.push(f0[u]);
    for (let u = t + 1; u <= Math.min(f0.length - 1, t + MEDIAN_HALF_WIDTH) && voiced[u]; u++) neighbours.push(f0[u]);
    neighbours.sort((a, b) => a - b);
    const middle = neighbours.length >> 1;
    smoothed[t] = neighbours.length % 2 === 1 ? neighbours[middle] : (neighbours[middle - 1] + neighbours[middle]) / 2;
  }
  return smoothed;
}

/** F0, voicing and log energy of every MFCC frame of `samples` (in −1 … 1). */
export function trackPitch(samples: Float32Array, options: PitchOptions): PitchTrack {
  const plan = pitchPlan(options);
  const frames = countFrames(samples.length, options.frameLength, options.frameShift);
  const f0 = new Float32Array(frames);
  const voiced = new Uint8Array(frames);
  const voicingStrength = new Float32Array(frames);
  const padded = paddedCopy(samples, plan.padding);
  const coarse = decimate(plan, padded, samples.length);
  const centreOf = (t: number) => t * options.frameShift + Math.floor(options.frameLength / 2);
  const coarseCentres = new Int32Array(FRAMES_PER_BLOCK);
  for (let first = 0; first < frames; first += FRAMES_PER_BLOCK) {
    const count = Math.min(FRAMES_PER_BLOCK, frames - first);
    for (let f = 0; f < count; f++) coarseCentres[f] = plan.coarsePadding + Math.round(centreOf(first + f) / plan.decimation);
    coarseDifferences(plan, coarse, coarseCentres, count);
    for (let f = 0; f < count; f++) {
      const t = first + f;
      coarseSearch(plan, f);
      const { estimate } = plan;
      voicingStrength[t] = Math.max(0, Math.min(1, 1 - estimate.aperiodicity));
      if (!estimate.voiced) continue;
      voiced[t] = 1;
      f0[t] = plan.sampleRate / refinePeriod(plan, padded, plan.padding + centreOf(t), estimate.lag * plan.decimation);
    }
  }
  dropShortVoicedRuns(f0, voiced);
  return { frames, f0: medianSmooth(f0, voiced), voiced, voicingStrength, logEnergy: frameLogEnergies(samples, frames, options) };
}

/**
 * Writes [log F0, voicing strength, log energy] of every frame into columns offset … offset+2 of rows of
 * `stride` values; log F0 interpolated over unvoiced frames (see the file's comment).
 */
export function writePitchColumns(track: PitchTrack, data: Float32Array, stride: number, offset: number): void {
  const { frames, f0, voiced } = track;
  let previous = -1;
  for (let t = 0; t <= frames; t++) {
    if (t < frames && !voiced[t]) continue;
    const nextLog = t < frames ? Math.log(f0[t]) : previous >= 0 ? Math.log(f0[previous]) : Math.log(Math.sqrt(PITCH_MIN_F0 * PITCH_MAX_F0));
    const previousLog = previous >= 0 ? Math.log(f0[previous]) : nextLog;
    for (let u = previous + 1; u < t; u++) {
      data[u * stride + offset] = previousLog + ((nextLog - previousLog) * (u - previous)) / (t - previous);
    }
    if (t < frames) data[t * stride + offset] = nextLog;
    previous = t;
  }
  for (let t = 0; t < frames; t++) {
    data[t * stride + offset + 1] = track.voicingStrength[t];
    data[t * stride + offset + 2] = track.logEnergy[t];
  }
}
