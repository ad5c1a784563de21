import type { ModelSpec } from '../model/emotionModel.js';
import type { PretrainOptions } from './pretrain.js';

/** A complete training recipe: every setting pretraining reads, none left to a fallback (the model spec whole). */
export type Recipe = Pick<
  PretrainOptions,
  'epochs' | 'batchSize' | 'learningRate' | 'windowFrames' | 'dropout' | 'patience' | 'normalisation' | 'activeFrameThresholdDb' | 'specAugment' | 'domainBatchNorm'
> & { model: Omit<ModelSpec, 'inputDims' | 'numClasses' | 'seed'> };

/** What both recipes share: the schedule, the window, the optimiser. */
const SCHEDULE = { epochs: 24, batchSize: 32, learningRate: 1e-3, windowFrames: 200, patience: 8, normalisation: 'corpus', specAugment: true } as const;

/**
 * Named training recipes, measured on the protocol of ../shared/BENCHMARK.md:
 * - `conv`: the frame-level convolutional encoder beside utterance statistics. Best where training and test
 *   share a language (RAVDESS held-out actors 67–80% UAR; target-supervised EMO-DB 77%).
 * - `functionals`: no convolution; utterance statistics of the frames (pauses kept: only frames 80 dB below
 *   the loudest are dropped), standardised per domain by a batch norm that AdaBN re-estimates, then a wide,
 *   heavily dropped-out embedding. Weaker in its own language (50–58% on RAVDESS) but what carries to
 *   another: the conv encoder learns cues of the source corpus that do not transfer.
 */
export const PRETRAIN_RECIPES = {
  conv: {
    ...SCHEDULE,
    activeFrameThresholdDb: 40,
    dropout: 0.3,
    model: { channels: [64, 128, 128], kernelSize: 5, embeddingDim: 128, inputStatistics: true, utteranceNorm: false },
  },
  functionals: {
    ...SCHEDULE,
    activeFrameThresholdDb: 80,
    dropout: 0.6,
    model: { channels: [], kernelSize: 5, embeddingDim: 512, inputStatistics: true, utteranceNorm: true },
  },
} satisfies Record<string, Recipe>;

export type PretrainRecipe = keyof typeof PRETRAIN_RECIPES;
export const PRETRAIN_RECIPE_NAMES = Object.keys(PRETRAIN_RECIPES) as PretrainRecipe[];

/** Pretraining options of a recipe, seed 0. */
export function recipeOptions(recipe: PretrainRecipe): Omit<PretrainOptions, 'validationSpeakers'> & { model: Recipe['model'] } {
  const { model, ...settings } = PRETRAIN_RECIPES[recipe];
  return { seed: 0, ...settings, model: { ...model, channels: [...model.channels] } };
}

/** The `conv` recipe, what pretrain() is given by default. */
export const DEFAULT_PRETRAIN_OPTIONS: Omit<PretrainOptions, 'validationSpeakers'> = recipeOptions('conv');
