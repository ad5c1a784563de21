/**
 * Band-limited resampling: a cascade of Kaiser-windowed sinc filters, each evaluated as a rational polyphase
 * filter (only the outputs that are kept are computed, and only with the phase of the filter they need) by a
 * wasm SIMD kernel (firKernel.ts).
 *
 * Quality, the same at every ratio: flat to PASSBAND_EDGE (0.9) of the lower Nyquist frequency, with a passband
 * ripple within ±0.001 dB a stage (measured: ±0.0013 dB from 48 and 44.1 kHz, two stages), and at least
 * STOPBAND_ATTENUATION_DB (80 dB; measured 82–83) down from the lower Nyquist frequency up, so nothing above the
 * new Nyquist aliases back (test/resample.test.ts measures both on tones and sweeps).
 *
 * Cost: a filter's length in input samples is (A − 7.95) / (2.285 · 2π · Δf / f_in) (Kaiser's estimate, A the
 * attenuation in dB, Δf the transition width), so a sharp 800 Hz transition is cheapest at a low input rate.
 * Rates that halve while staying above the target first go through halving stages whose transition is wide,
 * because after halving f_in only what lies above f_in/2 − f_target/2 folds onto the band that is kept:
 *   48 kHz → 16 kHz: 48 → 24 kHz (7.2 → 16 kHz transition, 32 taps), then 24 → 16 kHz (L/M = 2/3, 160 taps
 *   per output) instead of one 320-tap filter per output; 44.1 kHz: 44.1 → 22.05 → 16 kHz (48 taps, then
 *   L/M = 320/441 with 160). Tap counts are rounded up to the kernel's multiple of 16 with zeros.
 */
import { alignTo16, ensureMemory } from '../util/wasm.js';
import { firKernel, TAP_MULTIPLE, type FirKernel } from './firKernel.js';
import { SCRATCH, scratchSamples } from './scratch.js';

const PASSBAND_EDGE = 0.9;
const STOPBAND_ATTENUATION_DB = 80;
/** Kaiser's length estimate lands within about a decibel of its target (44.1 kHz: 80.2 dB designed for 80), so the design aims higher. */
const DESIGN_ATTENUATION_DB = STOPBAND_ATTENUATION_DB + 2;
/**
 * A rate ratio L/M needs L filter phases; odd rates (44101 Hz → 16 kHz needs 16000) would make huge tables, so
 * phases are capped and the nearest one is used: a timing error of at most 1/(2·MAX_PHASES) input sample,
 * which keeps the error under −70 dB throughout the passband.
 */
const MAX_PHASES = 2048;
/**
 * Outputs computed per kernel call (whole periods, at least one): bounds the wasm memory a long file needs,
 * and keeps a chunk's input (6k samples at 48 → 16 kHz) in the first-level cache while the kernel sweeps it
 * once per phase.
 */
const CHUNK_OUTPUTS = 4096;

/** One polyphase filter from `fromRate` to `toRate` = fromRate · up / down. */
export interface ResamplingStage {
  fromRate: number;
  toRate: number;
  up: number;
  down: number;
  /** Taps per output (a multiple of TAP_MULTIPLE), half of them before the output position. */
  taps: number;
  halfTaps: number;
  /** Rows of `taps` coefficients; row r is the filter for an output r/(rows − 1) of an input sample past one. */
  coefficients: Float32Array;
  /**
   * For the `up` outputs of one period (after which the input has moved on by `down` samples): the first input
   * sample each reads, relative to the period's first, in an input padded with halfTaps zeros in front; and its row.
   */
  inputOffsets: Int32Array;
  rows: Int32Array;
}

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

/** A low-pass flat to `passbandHz` and at least STOPBAND_ATTENUATION_DB down from `stopbandHz`, resampling on the way. */
function designStage(fromRate: number, toRate: number, passbandHz: number, stopbandHz: number): ResamplingStage {
  const divisor = greatestCommonDivisor(fromRate, toRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;

  // Frequencies in cycles per input sample.
  const transitionWidth = (stopbandHz - passbandHz) / fromRate;
  const cutoff = (passbandHz + stopbandHz) / 2 / fromRate;
  const length = (DESIGN_ATTENUATION_DB - 7.95) / (2.285 * 2 * Math.PI * transitionWidth);
  const halfWidth = length / 2;
  const beta = kaiserBeta(DESIGN_ATTENUATION_DB);
  const windowNorm = besselI0(beta);

  const halfTaps = (TAP_MULTIPLE / 2) * Math.ceil((Math.ceil(halfWidth) + 1) / (TAP_MULTIPLE / 2));
  const taps = 2 * halfTaps;
  const phaseRows = Math.min(up, MAX_PHASES);
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

  // Output p of a period sits p·down/up input samples in: whole part → where tap 0 reads, fraction → the row.
  const inputOffsets = new Int32Array(up);
  const rows = new Int32Array(up);
  for (let p = 0; p < up; p++) {
    inputOffsets[p] = Math.floor((p * down) / up) + 1;
    rows[p] = Math.round((((p * down) % up) * phaseRows) / up);
  }
  return { fromRate, toRate, up, down, taps, halfTaps, coefficients, inputOffsets, rows };
}

function planStages(fromRate: number, toRate: number): ResamplingStage[] {
  const keptNyquist = Math.min(fromRate, toRate) / 2;
  const passband = PASSBAND_EDGE * keptNyquist;
  const stages: ResamplingStage[] = [];
  let rate = fromRate;
  while (rate % 2 === 0 && rate / 2 > toRate) {
    // After halving, what lies above rate/2 − toRate/2 folds onto the band the last stage keeps.
    stages.push(designStage(rate, rate / 2, passband, rate / 2 - toRate / 2));
    rate /= 2;
  }
  stages.push(designStage(rate, toRate, passband, keptNyquist));
  return stages;
}

const stageCache = new Map<string, ResamplingStage[]>();

/** The cascade that resample() runs from `fromRate` to `toRate`, designed once per pair of rates. */
export function resamplingStages(fromRate: number, toRate: number): ResamplingStage[] {
  const key = `${fromRate}:${toRate}`;
  let stages = stageCache.get(key);
  if (!stages) {
    stages = planStages(fromRate, toRate);
    stageCache.set(key, stages);
  }
  return stages;
}

/** Where a kernel's memory holds the stages copied into it; above `top` it is scratch for the running stage. */
interface KernelHeap {
  top: number;
  tables: Map<ResamplingStage, number>;
}
const heaps = new WeakMap<FirKernel, KernelHeap>();

const BYTES = 4;

/** Copies the stage's coefficients and period table into the kernel's memory once; returns the table address. */
function placeStage(kernel: FirKernel, heap: KernelHeap, stage: ResamplingStage): number {
  const placed = heap.tables.get(stage);
  if (placed !== undefined) return placed;
  const coefficientsAt = heap.top;
  const tableAt = alignTo16(coefficientsAt + stage.coefficients.byteLength);
  heap.top = alignTo16(tableAt + 2 * stage.up * BYTES);
  ensureMemory(kernel.memory, heap.top);
  new Float32Array(kernel.memory.buffer).set(stage.coefficients, coefficientsAt / BYTES);
  const table = new Int32Array(kernel.memory.buffer, tableAt, 2 * stage.up);
  for (let p = 0; p < stage.up; p++) {
    table[2 * p] = stage.inputOffsets[p] * BYTES;
    table[2 * p + 1] = coefficientsAt + stage.rows[p] * stage.taps * BYTES;
  }
  heap.tables.set(stage, tableAt);
  return tableAt;
}

/** into[at + i] = padded[from + i] for i < count, where padded is `samples` behind `lead` zeros and zeros after. */
function copyPadded(samples: Float32Array, lead: number, from: number, count: number, into: Float32Array, at: number): void {
  const first = from - lead;
  const low = Math.min(Math.max(0, first), first + count);
  const high = Math.max(Math.min(samples.length, first + count), low);
  into.fill(0, at, at + (low - first));
  into.set(samples.subarray(low, high), at + (low - first));
  into.fill(0, at + (high - first), at + count);
}

/** Fills `output` (all of it) with the stage's outputs. */
function runStage(kernel: FirKernel, stage: ResamplingStage, samples: Float32Array, output: Float32Array): Float32Array {
  let heap = heaps.get(kernel);
  if (!heap) {
    heap = { top: 16, tables: new Map() };
    heaps.set(kernel, heap);
  }
  const tableAt = placeStage(kernel, heap, stage);
  const { up, down, taps, halfTaps, inputOffsets } = stage;
  const periodsPerChunk = Math.max(1, Math.floor(CHUNK_OUTPUTS / up));
  const chunkOutputs = periodsPerChunk * up;
  const chunkInputs = (periodsPerChunk - 1) * down + inputOffsets[up - 1] + taps;
  const inputAt = heap.top;
  const outputAt = alignTo16(inputAt + chunkInputs * BYTES);
  ensureMemory(kernel.memory, outputAt + chunkOutputs * BYTES);
  const floats = new Float32Array(kernel.memory.buffer);

  const outputCount = output.length;
  for (let first = 0; first < outputCount; first += chunkOutputs) {
    const count = Math.min(chunkOutputs, outputCount - first);
    copyPadded(samples, halfTaps, (first / up) * down, chunkInputs, floats, inputAt / BYTES);
    // The last chunk computes whole periods; the outputs past `count` stay in the kernel's memory.
    kernel.run(inputAt, tableAt, up, down * BYTES, taps * BYTES, outputAt, Math.ceil(count / up));
    output.set(floats.subarray(outputAt / BYTES, outputAt / BYTES + count), first);
  }
  return output;
}

export function assertSampleRate(rate: number, what: string): void {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new RangeError(`${what} must be a positive whole number of hertz, got ${rate}`);
  }
}

/**
 * Converts mono `samples` from `fromRate` to `toRate` (both in Hz), low-pass filtered just below the lower
 * Nyquist frequency. The output covers the same duration: ceil(length · toRate / fromRate) samples.
 * Equal rates return the input array itself. `kernel` is for comparing kernels; the default is the fastest.
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number, kernel: FirKernel = firKernel()): Float32Array {
  assertSampleRate(fromRate, 'the source sample rate');
  assertSampleRate(toRate, 'the target sample rate');
  if (fromRate === toRate) return samples;

  const stages = resamplingStages(fromRate, toRate);
  const outputLength = Math.ceil((samples.length * toRate) / fromRate);
  let signal = samples;
  stages.forEach((stage, index) => {
    // Each halving stage rounds its length up; the last stage computes exactly the overall length. Only
    // the last stage's output leaves; the others go into buffers reused from call to call, two in turn.
    const last = index === stages.length - 1;
    const output = last
      ? new Float32Array(outputLength)
      : scratchSamples(index % 2 === 0 ? SCRATCH.evenStage : SCRATCH.oddStage, Math.ceil((signal.length * stage.up) / stage.down));
    signal = runStage(kernel, stage, signal, output);
  });
  return signal;
}
