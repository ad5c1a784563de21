import { dropQuietFrames } from '../features/activity.js';
import type { FeatureMatrix } from '../features/config.js';
import type { NormalisationCard } from '../model/io.js';
import type { FeatureStore, StoreItem } from '../store/index.js';
import { fitNormalisation, normaliseSet, speakersOnCorpusStatistics, type NormalisationMode } from './normalise.js';

/** The frames a model sees of each item: quiet frames dropped; normalisation applied separately. */
export function activeMatrices(store: FeatureStore, items: StoreItem[], thresholdDb: number): FeatureMatrix[] {
  return items.map((item) => dropQuietFrames(store.readMatrix(item), store.config, thresholdDb));
}

/**
 * Fits the normalisation on `fitOn` (one domain's frames) and applies it to every set given; in 'speaker'
 * mode `apply` takes each clip's speaker (see `normaliseSet`), and with `fitSpeakers` the card names the
 * speakers of `fitOn` left on the corpus statistics.
 */
export function normaliseDomain(
  fitOn: FeatureMatrix[],
  mode: NormalisationMode,
  domain: string,
  thresholdDb: number,
  fitSpeakers?: readonly string[],
): { normalisation: NormalisationCard; apply: (matrices: FeatureMatrix[], speakers?: readonly string[]) => FeatureMatrix[] } {
  const fitted = fitNormalisation(fitOn, mode, domain, thresholdDb);
  const normalisation = mode === 'speaker' && fitSpeakers ? { ...fitted, speakersOnCorpusStatistics: speakersOnCorpusStatistics(fitOn, fitSpeakers) } : fitted;
  return { normalisation, apply: (matrices, speakers) => normaliseSet(matrices, speakers, normalisation) };
}

/** The speaker of each item. */
export function speakersOf(items: StoreItem[]): string[] {
  return items.map((item) => item.speaker);
}

/** Class list in taxonomy order, restricted to the labels present. */
export function classesOf(items: StoreItem[], taxonomyOrder: readonly string[]): string[] {
  const present = new Set(items.map((item) => item.label).filter((label): label is string => label !== null));
  const unknown = [...present].filter((label) => !taxonomyOrder.includes(label));
  if (unknown.length > 0) throw new Error(`labels ${unknown.join(', ')} are in no known taxonomy`);
  return taxonomyOrder.filter((label) => present.has(label));
}

export function labelIndices(items: StoreItem[], classes: string[]): number[] {
  return items.map((item) => {
    const index = classes.indexOf(item.label ?? '');
    if (index < 0) throw new Error(`${item.path}: label ${String(item.label)} is not one of the model's classes (${classes.join(', ')})`);
    return index;
  });
}
