import { featureConfigKey, type FeatureConfig, type FeatureMatrix } from './config.js';
import { dctMatrix, lifterCoefficients, multiplyMatrixVector, scaleRows } from './dct.js';
import { deltaScales, writeDeltas } from './deltas.js';
import { createDescriptorExtractor, type DescriptorExtractor } from './descriptors.js';
import { applyMelFilterBank, logWithFloor, melFilterBank, type MelFilterBank } from './filterbank.js';
import { countFrames, createWindow, msToSamples, windowFrame } from './frames.js';
import { kernelFeatures, melKernel, type MelKernel, type MelPlan } from './melKernel.js';
import { PITCH_DIMS, trackPitch, writePitchColumns } from './pitch.js';
import { nextPowerOfTwo, powerSpectrum, powerSpectrumPlan, spectrumBins, type PowerSpectrumPlan } from './spectrum.js';

/** Kaldi works on int16-valued samples; its log energies, and the golden fixtures, assume that scale. */
const INT16_SCALE = 32768;
const DELTA_ORDER = 2;
const DELTA_WINDOW = 2;

function baseDims(config: FeatureConfig): number {
  return config.kind === 'mfcc' ? config.numCeps : config.numMelBins;
}

/** The columns the deltas are taken of: the cepstra or mel energies, then the pitch columns when asked. */
function deltaSourceDims(config: FeatureConfig): number {
  return baseDims(config) + (config.pitch ? PITCH_DIMS : 0);
}

/** Columns per frame: [base | pitch | Δ | ΔΔ | descriptors], the deltas of [base | pitch]. */
export function featureDims(config: FeatureConfig): number {
  return deltaSourceDims(config) * (config.deltas ? DELTA_ORDER + 1 : 1) + config.descriptors.length;
}

/**
 * Everything a configuration needs, precomputed, with its scratch buffers. Every plan has the same shape
 * and one function runs them all, so the JIT compiles one loop that serves every configuration; a
 * closure per configuration ran about a third slower once a process had created a second one.
 */
interface ExtractionPlan {
  frameLength: number;
  frameShift: number;
  baseDims: number;
  deltaSourceDims: number;
  dims: number;
  removesDc: boolean;
  preemphasisCoefficient: number;
  /** The window times Kaldi's int16 scale, applied in the same pass. */
  scaledWindow: Float64Array;
  spectrum: PowerSpectrumPlan;
  melBank: MelFilterBank;
  /** The same steps for the SIMD kernel (melKernel.ts). */
  melPlan: MelPlan;
  /** The FFT reads all of it; only the first frameLength samples are written, so the padding stays zero. */
  padded: Float64Array;
  power: Float64Array;
  logMel: Float64Array;
  /** MFCC: the DCT with the lifter folded in, numCeps × numMelBins; null for filterbank features. */
  cepstralTransform: Float64Array | null;
  writeDescriptors: DescriptorExtractor | null;
  deltaScales: Float64Array[] | null;
}

function cepstralTransform(config: FeatureConfig): Float64Array | null {
  if (config.kind === 'fbank') return null;
  if (config.kind !== 'mfcc') throw new Error(`unknown feature kind '${String(config.kind)}' (expected mfcc or fbank)`);
  return scaleRows(dctMatrix(config.numCeps, config.numMelBins), config.numMelBins, lifterCoefficients(config.numCeps, config.cepstralLifter));
}

function buildPlan(config: FeatureConfig): ExtractionPlan {
  const frameLength = msToSamples(config.frameLengthMs, config.sampleRate);
  const frameShift = msToSamples(config.frameShiftMs, config.sampleRate);
  if (frameShift < 1) throw new Error(`frame shift of ${config.frameShiftMs} ms is under one sample at ${config.sampleRate} Hz`);
  if (!(config.preemphasisCoefficient >= 0 && config.preemphasisCoefficient <= 1)) {
    throw new Error(`preemphasisCoefficient must lie in [0, 1], got ${config.preemphasisCoefficient}`);
  }
  const fftSize = nextPowerOfTwo(frameLength);
  const scaledWindow = createWindow(config.windowType, frameLength).map((weight) => weight * INT16_SCALE);
  const melBank = melFilterBank({ sampleRate: config.sampleRate, fftSize, numBins: config.numMelBins, lowFreq: config.lowFreq, highFreq: config.highFreq });
  const transform = cepstralTransform(config);
  const scales = config.deltas ? deltaScales(DELTA_ORDER, DELTA_WINDOW) : null;
  return {
    frameLength,
    frameShift,
    baseDims: baseDims(config),
    deltaSourceDims: deltaSourceDims(config),
    dims: featureDims(config),
    removesDc: config.removeDcOffset,
    preemphasisCoefficient: config.preemphasisCoefficient,
    scaledWindow,
    spectrum: powerSpectrumPlan(fftSize),
    melBank,
    melPlan: {
      transform,
      rows: baseDims(config),
      deltaScales: scales,
      frameLength,
      frameShift,
      fftSize,
      window: scaledWindow,
      preemphasisCoefficient: config.preemphasisCoefficient,
      removesDc: config.removeDcOffset,
      melBank,
    },
    padded: new Float64Array(fftSize),
    power: new Float64Array(spectrumBins(fftSize)),
    logMel: new Float64Array(config.numMelBins),
    cepstralTransform: transform,
    writeDescriptors:
      config.descriptors.length > 0
        ? createDescriptorExtractor(config.descriptors, { sampleRate: config.sampleRate, frameLength, fftSize, windowType: config.windowType })
        : null,
    deltaScales: scales,
  };
}

/** Kaldi's per-frame pipeline in float64: DC removal, pre-emphasis, window, |FFT|², mel bank, log, then the DCT for MFCC. */
function writeBaseFeatures(plan: ExtractionPlan, samples: Float32Array, start: number, out: Float32Array, offset: number): void {
  const { logMel, cepstralTransform } = plan;
  windowFrame(samples, start, plan.scaledWindow, plan.preemphasisCoefficient, plan.removesDc, plan.padded);
  powerSpectrum(plan.spectrum, plan.padded, plan.power);
  applyMelFilterBank(plan.melBank, plan.power, logMel);
  logWithFloor(logMel);
  if (cepstralTransform) multiplyMatrixVector(cepstralTransform, plan.baseDims, logMel.length, logMel, out, offset);
  else for (let m = 0; m < logMel.length; m++) out[offset + m] = logMel[m];
}

/** Plans hold scratch buffers; sharing them is safe because extraction is synchronous. */
const planCache = new Map<string, ExtractionPlan>();

function extractionPlan(config: FeatureConfig): ExtractionPlan {
  const key = featureConfigKey(config);
  let plan = planCache.get(key);
  if (!plan) {
    plan = buildPlan(config);
    planCache.set(key, plan);
  }
  return plan;
}

/**
 * Kaldi-compatible features (snip_edges, no dither) of samples in −1 … 1, one row per 10 ms frame by
 * default, laid out [base | pitch | Δ | ΔΔ | descriptors]; deltas cover the base and pitch columns only.
 * The base features come from the wasm SIMD kernel (melKernel.ts) four frames at a time, or, with `kernel`
 * null (engines without wasm SIMD, and tests comparing the two), frame by frame in float64.
 */
export function extractFeatures(samples: Float32Array, sampleRate: number, config: FeatureConfig, kernel: MelKernel | null = melKernel()): FeatureMatrix {
  if (sampleRate !== config.sampleRate) {
    throw new Error(`audio at ${sampleRate} Hz given to a ${config.sampleRate} Hz feature configuration: resample it first`);
  }
  const plan = extractionPlan(config);
  const frames = countFrames(samples.length, plan.frameLength, plan.frameShift);
  if (frames === 0) {
    throw new Error(
      `clip of ${samples.length} samples is shorter than one ${config.frameLengthMs} ms frame (${plan.frameLength} samples at ${sampleRate} Hz)`,
    );
  }
  const { dims, writeDescriptors } = plan;
  const descriptorOffset = dims - config.descriptors.length;
  const data = new Float32Array(frames * dims);
  // The kernel takes the deltas too unless pitch columns, computed below, are to be among their sources.
  const kernelDeltas = kernel !== null && plan.deltaScales !== null && !config.pitch;
  if (kernel) kernelFeatures(kernel, plan.melPlan, samples, frames, data, dims, kernelDeltas);
  else for (let t = 0; t < frames; t++) writeBaseFeatures(plan, samples, t * plan.frameShift, data, t * dims);
  if (writeDescriptors) for (let t = 0; t < frames; t++) writeDescriptors(samples, t * plan.frameShift, data, t * dims + descriptorOffset);
  if (config.pitch) {
    const track = trackPitch(samples, { sampleRate, frameLength: plan.frameLength, frameShift: plan.frameShift, removeDcOffset: config.removeDcOffset });
    writePitchColumns(track, data, dims, plan.baseDims);
  }
  if (plan.deltaScales && !kernelDeltas) writeDeltas(data, frames, dims, plan.deltaSourceDims, plan.deltaScales);
  return { frames, dims, data };
}
