import { dropQuietFrames } from '../features/activity.js';
import type { FeatureConfig, FeatureMatrix } from '../features/config.js';
import type { ModelCard } from '../model/io.js';
import { normaliseSet } from './normalise.js';

/** What of a model card decides how frames reach its model. */
export type InputCard = Pick<ModelCard, 'featureConfig' | 'normalisation'>;

/** Each utterance with its quiet frames (more than `thresholdDb` below its loudest frame) dropped. */
export function activeFrames(matrices: FeatureMatrix[], config: FeatureConfig, thresholdDb: number): FeatureMatrix[] {
  return matrices.map((matrix) => dropQuietFrames(matrix, config, thresholdDb));
}

/**
 * The frames a model sees of each utterance, the same in training, evaluation, adaptation and prediction:
 * quiet frames dropped per the card's `activeFrameThresholdDb`, then the card's normalisation applied
 * ('speaker' normalisation with each utterance's speaker, where known: see `normaliseSet`).
 */
export function modelInputs(matrices: FeatureMatrix[], card: InputCard, speakers?: readonly string[]): FeatureMatrix[] {
  const { featureConfig, normalisation } = card;
  return normaliseSet(activeFrames(matrices, featureConfig, normalisation.activeFrameThresholdDb), speakers, normalisation);
}
