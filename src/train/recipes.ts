import { DEFAULT_PRETRAIN_OPTIONS, type PretrainOptions } from './pretrain.js';

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
  conv: { activeFrameThresholdDb: 40, dropout: 0.3, model: {} },
  functionals: { activeFrameThresholdDb: 80, dropout: 0.6, model: { channels: [], embeddingDim: 512, utteranceNorm: true } },
} satisfies Record<string, Partial<PretrainOptions>>;

export type PretrainRecipe = keyof typeof PRETRAIN_RECIPES;
export const PRETRAIN_RECIPE_NAMES = Object.keys(PRETRAIN_RECIPES) as PretrainRecipe[];

/** The pretraining defaults with a recipe's settings over them. */
export function recipeOptions(recipe: PretrainRecipe): Omit<PretrainOptions, 'validationSpeakers'> {
  return { ...DEFAULT_PRETRAIN_OPTIONS, ...PRETRAIN_RECIPES[recipe] };
}
