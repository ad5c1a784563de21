import { createWindow, windowFrame, type WindowType } from './frames.js';
import { loadMeyda } from './meyda.js';
import { powerSpectrum, powerSpectrumPlan, spectrumBins } from './spectrum.js';

/** The fields meyda's extractors read; one object is reused for every frame. */
interface MeydaFrame {
  signal: Float32Array;
  ampSpectrum: Float32Array;
  sampleRate: number;
  bufferSize: number;
}

type MeydaExtractor = (frame: MeydaFrame) => number;

let extractors: Record<string, MeydaExtractor> | undefined;

/** meyda's extractors, loaded on first use: most configurations never need them (see meyda.ts for the cost). */
function meydaExtractors(): Record<string, MeydaExtractor> {
  extractors ??= loadMeyda().featureExtractors as Record<string, MeydaExtractor>;
  return extractors;
}

const toHz = (bins: number, frame: MeydaFrame): number => (bins * frame.sampleRate) / frame.bufferSize;

/**
 * Supported descriptors and whether they read the spectrum. meyda reports centroid and spread in FFT
 * bins, which would make them depend on the FFT size; they are given in Hz here. Left out: meyda's mfcc
 * (not Kaldi's), spectralKurtosis (meyda's formula has 6·μ1·μ2 where the central moment needs 6·μ1²·μ2),
 * and the descriptors needing meyda's bark or chroma tables.
 */
const DESCRIPTORS: Record<string, { spectral: boolean; compute: MeydaExtractor }> = {
  rms: { spectral: false, compute: (frame) => meydaExtractors().rms(frame) },
  energy: { spectral: false, compute: (frame) => meydaExtractors().energy(frame) },
  zcr: { spectral: false, compute: (frame) => meydaExtractors().zcr(frame) },
  spectralCentroid: { spectral: true, compute: (frame) => toHz(meydaExtractors().spectralCentroid(frame), frame) },
  spectralSpread: { spectral: true, compute: (frame) => toHz(meydaExtractors().spectralSpread(frame), frame) },
  spectralSkewness: { spectral: true, compute: (frame) => meydaExtractors().spectralSkewness(frame) },
  spectralFlatness: { spectral: true, compute: (frame) => meydaExtractors().spectralFlatness(frame) },
  spectralRolloff: { spectral: true, compute: (frame) => meydaExtractors().spectralRolloff(frame) },
  spectralSlope: { spectral: true, compute: (frame) => meydaExtractors().spectralSlope(frame) },
  spectralCrest: { spectral: true, compute: (frame) => meydaExtractors().spectralCrest(frame) },
};

export const DESCRIPTOR_NAMES: readonly string[] = Object.keys(DESCRIPTORS);

export function checkDescriptorNames(names: readonly string[]): void {
  for (const name of names) {
    if (!Object.hasOwn(DESCRIPTORS, name)) throw new Error(`unknown descriptor '${name}' (supported: ${DESCRIPTOR_NAMES.join(', ')})`);
  }
}

export interface DescriptorOptions {
  sampleRate: number;
  frameLength: number;
  fftSize: number;
  windowType: WindowType;
}

/** Writes the descriptors of the frame starting at sample `start` into out[offset …]. */
export type DescriptorExtractor = (samples: Float32Array, start: number, out: Float32Array, offset: number) => void;

/**
 * Descriptors describe the signal as given (−1 … 1, no DC removal or pre-emphasis): time-domain ones read
 * the raw frame, spectral ones its windowed magnitude spectrum.
 */
export function createDescriptorExtractor(names: readonly string[], options: DescriptorOptions): DescriptorExtractor {
  checkDescriptorNames(names);
  const { sampleRate, frameLength, fftSize, windowType } = options;
  const selected = names.map((name) => DESCRIPTORS[name]);
  const needsSpectrum = selected.some((descriptor) => descriptor.spectral);
  const window = createWindow(windowType, frameLength);
  const spectrum = powerSpectrumPlan(fftSize);
  const padded = new Float64Array(fftSize);
  const power = new Float64Array(spectrumBins(fftSize));
  const frame: MeydaFrame = { signal: new Float32Array(frameLength), ampSpectrum: new Float32Array(power.length), sampleRate, bufferSize: fftSize };

  return (samples, start, out, offset) => {
    for (let i = 0; i < frameLength; i++) frame.signal[i] = samples[start + i];
    if (needsSpectrum) {
      windowFrame(samples, start, window, 0, false, padded);
      powerSpectrum(spectrum, padded, power);
      for (let k = 0; k < power.length; k++) frame.ampSpectrum[k] = Math.sqrt(power[k]);
    }
    for (let d = 0; d < selected.length; d++) {
      const value = selected[d].compute(frame);
      // A silent frame makes meyda's spectral ratios 0/0; a NaN would poison every statistic downstream.
      out[offset + d] = Number.isFinite(value) ? value : 0;
    }
  };
}
