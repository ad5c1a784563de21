import type { FeatureConfig } from './config.js';

export type WindowType = FeatureConfig['windowType'];

/** Kaldi truncates: 25 ms at 22050 Hz is 551 samples, not 552. */
export function msToSamples(ms: number, sampleRate: number): number {
  return Math.floor((sampleRate * ms) / 1000);
}

/** Frames lying wholly inside the signal (Kaldi `snip_edges=true`). */
export function countFrames(numSamples: number, frameLength: number, frameShift: number): number {
  return numSamples < frameLength ? 0 : 1 + Math.floor((numSamples - frameLength) / frameShift);
}

/** Fills `frame` with the samples from `start` on, multiplied by `scale`. */
export function copyFrame(samples: ArrayLike<number>, start: number, scale: number, frame: Float64Array): void {
  for (let i = 0; i < frame.length; i++) frame[i] = samples[start + i] * scale;
}

export function removeDcOffset(frame: Float64Array): void {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i];
  const mean = sum / frame.length;
  for (let i = 0; i < frame.length; i++) frame[i] -= mean;
}

/** x[i] -= c·x[i-1]; Kaldi lets the first sample be its own predecessor, so x[0] becomes (1-c)·x[0]. */
export function preemphasize(frame: Float64Array, coefficient: number): void {
  for (let i = frame.length - 1; i > 0; i--) frame[i] -= coefficient * frame[i - 1];
  frame[0] -= coefficient * frame[0];
}

export function applyWindow(frame: Float64Array, window: Float64Array): void {
  for (let i = 0; i < frame.length; i++) frame[i] *= window[i];
}

const hann = (phase: number): number => 0.5 - 0.5 * Math.cos(phase);

/** Each window as a function of 2πn/(N-1): the symmetric forms Kaldi uses. */
const windowShapes: Record<WindowType, (phase: number) => number> = {
  hanning: hann,
  hamming: (phase) => 0.54 - 0.46 * Math.cos(phase),
  povey: (phase) => Math.pow(hann(phase), 0.85),
};

const windowCache = new Map<string, Float64Array>();

/** The returned array is shared by every caller asking for the same window: read it, never write it. */
export function createWindow(type: WindowType, length: number): Float64Array {
  const key = `${type}:${length}`;
  let window = windowCache.get(key);
  if (!window) {
    const shape = windowShapes[type];
    if (!shape) throw new Error(`unknown window type '${type}' (expected ${Object.keys(windowShapes).join(', ')})`);
    if (!Number.isInteger(length) || length < 2) throw new Error(`a window needs at least 2 samples, got ${length}`);
    const step = (2 * Math.PI) / (length - 1);
    window = Float64Array.from({ length }, (_, n) => shape(n * step));
    windowCache.set(key, window);
  }
  return window;
}
