import { featureConfigKey, type FeatureConfig, type FeatureMatrix } from './config.js';
import { dctMatrix, lifterCoefficients, multiplyMatrixVector, scaleRows } from './dct.js';
import { deltaScales, writeDeltas } from './deltas.js';
import { createDescriptorExtractor, type DescriptorExtractor } from './descriptors.js';
import { applyMelFilterBank, logWithFloor, melFilterBank } from './filterbank.js';
import { applyWindow, copyFrame, countFrames, createWindow, msToSamples, preemphasize, removeDcOffset } from './frames.js';
import { createPowerSpectrum, nextPowerOfTwo, spectrumBins } from './spectrum.js';

/** Kaldi works on int16-valued samples; its log energies, and the golden fixtures, assume that scale. */
const INT16_SCALE = 32768;
const DELTA_ORDER = 2;
const DELTA_WINDOW = 2;

/** Writes one frame's values, starting at sample `start`, into out[offset …]. */
type FrameWriter = (samples: Float32Array, start: number, out: Float32Array, offset: number) => void;

/** Writes the base features of a frame from its log mel energies. */
type Projection = (logMel: Float64Array, out: Float32Array, offset: number) => void;

function baseDims(config: FeatureConfig): number {
  return config.kind === 'mfcc' ? config.numCeps : config.numMelBins;
}

/** Columns per frame: [base | Δ | ΔΔ | descriptors]. */
export function featureDims(config: FeatureConfig): number {
  return baseDims(config) * (config.deltas ? DELTA_ORDER + 1 : 1) + config.descriptors.length;
}

function createProjection(config: FeatureConfig): Projection {
  const numBins = config.numMelBins;
  if (config.kind === 'fbank') {
    return (logMel, out, offset) => {
      for (let m = 0; m < numBins; m++) out[offset + m] = logMel[m];
    };
  }
  if (config.kind !== 'mfcc') throw new Error(`unknown feature kind '${String(config.kind)}' (expected mfcc or fbank)`);
  const numCeps = config.numCeps;
  const lifteredDct = scaleRows(dctMatrix(numCeps, numBins), numBins, lifterCoefficients(numCeps, config.cepstralLifter));
  return (logMel, out, offset) => multiplyMatrixVector(lifteredDct, numCeps, numBins, logMel, out, offset);
}

/** Kaldi's per-frame pipeline: DC removal, pre-emphasis, window, |FFT|², mel bank, log, then the projection. */
function createKaldiFrameWriter(config: FeatureConfig, frameLength: number, fftSize: number): FrameWriter {
  const { removeDcOffset: removesDc, preemphasisCoefficient } = config;
  const window = createWindow(config.windowType, frameLength);
  const powerSpectrum = createPowerSpectrum(fftSize);
  const bank = melFilterBank({ sampleRate: config.sampleRate, fftSize, numBins: config.numMelBins, lowFreq: config.lowFreq, highFreq: config.highFreq });
  const project = createProjection(config);
  // The FFT reads all fftSize samples; only the first frameLength are ever written, so the padding stays zero.
  const padded = new Float64Array(fftSize);
  const frame = padded.subarray(0, frameLength);
  const power = new Float64Array(spectrumBins(fftSize));
  const logMel = new Float64Array(config.numMelBins);
  return (samples, start, out, offset) => {
    copyFrame(samples, start, INT16_SCALE, frame);
    if (removesDc) removeDcOffset(frame);
    preemphasize(frame, preemphasisCoefficient);
    applyWindow(frame, window);
    powerSpectrum(padded, power);
    applyMelFilterBank(bank, power, logMel);
    logWithFloor(logMel);
    project(logMel, out, offset);
  };
}

interface ExtractionPlan {
  frameLength: number;
  frameShift: number;
  baseDims: number;
  dims: number;
  writeBase: FrameWriter;
  writeDescriptors: DescriptorExtractor | null;
  deltaScales: Float64Array[] | null;
}

function buildPlan(config: FeatureConfig): ExtractionPlan {
  const frameLength = msToSamples(config.frameLengthMs, config.sampleRate);
  const frameShift = msToSamples(config.frameShiftMs, config.sampleRate);
  if (frameShift < 1) throw new Error(`frame shift of ${config.frameShiftMs} ms is under one sample at ${config.sampleRate} Hz`);
  if (!(config.preemphasisCoefficient >= 0 && config.preemphasisCoefficient <= 1)) {
    throw new Error(`preemphasisCoefficient must lie in [0, 1], got ${config.preemphasisCoefficient}`);
  }
  const fftSize = nextPowerOfTwo(frameLength);
  return {
    frameLength,
    frameShift,
    baseDims: baseDims(config),
    dims: featureDims(config),
    writeBase: createKaldiFrameWriter(config, frameLength, fftSize),
    writeDescriptors:
      config.descriptors.length > 0
        ? createDescriptorExtractor(config.descriptors, { sampleRate: config.sampleRate, frameLength, fftSize, windowType: config.windowType })
        : null,
    deltaScales: config.deltas ? deltaScales(DELTA_ORDER, DELTA_WINDOW) : null,
  };
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
 * default, laid out [base | Δ | ΔΔ | descriptors]; deltas cover the base features only.
 */
export function extractFeatures(samples: Float32Array, sampleRate: number, config: FeatureConfig): FeatureMatrix {
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
  const { dims, baseDims: base, writeBase, writeDescriptors } = plan;
  const descriptorOffset = dims - config.descriptors.length;
  const data = new Float32Array(frames * dims);
  for (let t = 0; t < frames; t++) {
    const start = t * plan.frameShift;
    writeBase(samples, start, data, t * dims);
    writeDescriptors?.(samples, start, data, t * dims + descriptorOffset);
  }
  if (plan.deltaScales) writeDeltas(data, frames, dims, base, plan.deltaScales);
  return { frames, dims, data };
}
