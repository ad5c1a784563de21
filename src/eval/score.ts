import type * as tf from '@tensorflow/tfjs';
import { assertFeaturesMatch, type ModelCard } from '../model/io.js';
import { argMax, infer } from '../infer/infer.js';
import { modelInputs } from '../infer/inputs.js';
import { speakersOf } from '../infer/normalise.js';
import type { FeatureStore, StoreItem } from '../store/index.js';
import { labelIndices, readMatrices } from '../store/items.js';
import { pca2d } from './projection.js';
import type { CalibrationResult, EmbeddingPlot, EvaluationGroup } from './report.js';
import { reliability, scaleProbabilities } from '../infer/calibration.js';

export interface ScoredItems {
  group: EvaluationGroup;
  items: StoreItem[];
  probabilities: number[][];
  embeddings: number[][];
}

/**
 * The model's predictions on the labelled items of a store (optionally only some speakers), with the
 * frames prepared exactly as in training (`modelInputs`).
 */
export function scoreStore(
  model: tf.LayersModel,
  card: ModelCard,
  store: FeatureStore,
  options: { speakers?: string[] } = {},
): ScoredItems {
  assertFeaturesMatch(card, store.configKey, store.dir);
  const speakers = options.speakers ? new Set(options.speakers) : null;
  const items = store.items.filter((item) => item.label !== null && card.labels.includes(item.label) && (!speakers || speakers.has(item.speaker)));
  if (items.length === 0) throw new Error(`${store.dir}: no labelled utterances of the model's classes (${card.labels.join(', ')})${speakers ? ` among speakers ${[...speakers].join(', ')}` : ''}`);
  // 'speaker' normalisation: each test speaker on the statistics of their own clips here (audio only, no labels).
  const { probabilities, embeddings } = infer(model, modelInputs(readMatrices(store, items), card, speakersOf(items)));
  return {
    group: { corpus: store.corpus, language: store.language, classes: card.labels, yTrue: labelIndices(items, card.labels), yPred: probabilities.map(argMax) },
    items,
    probabilities,
    embeddings,
  };
}

/** ECE of a scored set before and after the card's temperature scaling, with the bins of its reliability diagram. */
export function calibrationOf(scored: ScoredItems, card: ModelCard): CalibrationResult {
  const temperature = card.calibration?.temperature ?? 1;
  const { corpus, language, yTrue } = scored.group;
  return {
    corpus,
    language,
    temperature,
    before: reliability(scored.probabilities, yTrue),
    after: reliability(
      scored.probabilities.map((row) => scaleProbabilities(row, temperature)),
      yTrue,
    ),
  };
}

/** The embeddings of scored sets projected together onto their two principal axes, labelled by language and true emotion. */
export function embeddingPlot(title: string, scored: ScoredItems[]): EmbeddingPlot {
  const projected = pca2d(scored.flatMap((set) => set.embeddings));
  const points = scored.flatMap(({ group }) => group.yTrue.map((classIndex) => ({ language: group.language, emotion: group.classes[classIndex] })));
  return { title, points: points.map((point, i) => ({ ...point, x: projected[i][0], y: projected[i][1] })) };
}
