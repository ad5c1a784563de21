import type * as tf from '@tensorflow/tfjs';
import { extractFeatures, type FeatureMatrix } from '../features/index.js';
import { argMax, infer } from '../infer/infer.js';
import { modelInputs } from '../infer/inputs.js';
import { fewestInputFrames } from '../model/emotionModel.js';
import type { ModelCard } from '../model/io.js';

/** A stretch of the clip, in seconds from its start. */
export interface Span {
  start: number;
  end: number;
}

export interface SegmentEstimate extends Span {
  /** null (and so are the probabilities) when the segment holds fewer frames of sound than the model needs. */
  emotion: string | null;
  probabilities: Record<string, number> | null;
}

export interface ClipAnalysis {
  /** Seconds of audio. */
  duration: number;
  /** The most probable class for the whole clip, and every class's probability. */
  emotion: string;
  probabilities: Record<string, number>;
  segments: SegmentEstimate[];
  /** The clip's feature matrix, before quiet frames are dropped: what `ser features` prints. */
  features: FeatureMatrix;
}

function byLabel(labels: string[], probabilities: number[]): Record<string, number> {
  return Object.fromEntries(labels.map((label, k) => [label, probabilities[k]]));
}

function mostProbable(labels: string[], probabilities: number[]): string {
  return labels[argMax(probabilities)];
}

/**
 * What the page shows for a clip of mono samples at the card's sample rate: the model's estimate for the
 * whole clip, computed as `ser predict` computes it (features, quiet frames dropped, the card's
 * normalisation), and one per segment, each from its own samples prepared the same way. Runs in the page and
 * in Node alike. Throws when the whole clip holds too little sound for the model.
 */
export function analyseClip(model: tf.LayersModel, card: ModelCard, samples: Float32Array, segments: Span[]): ClipAnalysis {
  const { featureConfig: config, normalisation, labels } = card;
  const fewestFrames = fewestInputFrames(model);
  const features = extractFeatures(samples, config.sampleRate, config);
  const [clipInput] = modelInputs([features], card);
  if (clipInput.frames < fewestFrames) {
    throw new Error(`too little sound: ${clipInput.frames} frames within ${normalisation.activeFrameThresholdDb} dB of the loudest, the model needs at least ${fewestFrames}`);
  }
  const segmentInputs = modelInputs(
    segments.map((span) => extractFeatures(samples.subarray(Math.round(span.start * config.sampleRate), Math.round(span.end * config.sampleRate)), config.sampleRate, config)),
    card,
  );
  const judged = segmentInputs.flatMap((input, k) => (input.frames >= fewestFrames ? [k] : []));
  const [clipProbabilities, ...judgedProbabilities] = infer(model, [clipInput, ...judged.map((k) => segmentInputs[k])]).probabilities;
  const estimates = new Map(judged.map((k, j) => [k, judgedProbabilities[j]]));
  return {
    duration: samples.length / config.sampleRate,
    emotion: mostProbable(labels, clipProbabilities),
    probabilities: byLabel(labels, clipProbabilities),
    segments: segments.map((span, k) => {
      const probabilities = estimates.get(k);
      return probabilities
        ? { ...span, emotion: mostProbable(labels, probabilities), probabilities: byLabel(labels, probabilities) }
        : { ...span, emotion: null, probabilities: null };
    }),
    features,
  };
}
