import * as tf from '@tensorflow/tfjs';
import { protocolSplit } from '../corpora/split.js';
import { buildEmotionModel } from '../model/emotionModel.js';
import { assertFeaturesMatch, type ModelCard } from '../model/io.js';
import type { FeatureStore, StoreItem } from '../store/index.js';
import { DEFAULT_SPEC_AUGMENT } from '../train/batches.js';
import { reestimateBatchNorm } from '../train/batchNorm.js';
import { applyNormalisation } from '../train/normalise.js';
import { predictProbabilities } from '../train/predict.js';
import { activeMatrices, labelIndices, normaliseDomain } from '../train/prepare.js';
import { labelledItems } from '../train/pretrain.js';
import { trainClassifier, type AlignmentLoss, type EpochReport, type LabelledSet } from '../train/trainer.js';
import { createRng, shuffle } from '../util/random.js';
import { coralLoss } from './coral.js';
import { dannLoss } from './dann.js';
import { mmdLoss } from './mmd.js';
import { agreedPseudoLabels } from './selfTraining.js';

export const ALIGNMENT_METHODS: Record<string, (embeddingDim: number, seed: number) => AlignmentLoss> = {
  dann: (embeddingDim, seed) => dannLoss(embeddingDim, seed),
  mmd: () => mmdLoss(),
  coral: () => coralLoss(),
};

/**
 * `none`: per-domain normalisation only; `adabn`: plus target batch-norm statistics; `selftrain`: training on
 * the pool clips where the source model (source statistics) and its AdaBN copy (pool statistics) predict the
 * same class, the most confident of each; the rest train with an alignment loss.
 */
export const ADAPTATION_METHODS = ['none', 'adabn', 'selftrain', ...Object.keys(ALIGNMENT_METHODS)] as const;
export type AdaptationMethod = (typeof ADAPTATION_METHODS)[number];

/** The method that did best in the benchmark's setting: `selftrain` on target audio alone, `adabn` once there are labelled clips. */
export function recommendedMethod(shots: number): AdaptationMethod {
  return shots > 0 ? 'adabn' : 'selftrain';
}

export interface AdaptOptions {
  method: AdaptationMethod;
  /** Labelled target clips per class (few-shot); 0 = unsupervised. */
  shots: number;
  /** Target speakers whose audio may be used; by default the adaptation pool of the benchmark protocol (even positions). */
  adaptationSpeakers?: string[];
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  alignmentWeight: number;
  /** `selftrain`: the share of each predicted class's agreed pool clips, most confident first, taken as pseudo-labelled. */
  pseudoLabelFraction: number;
  /**
   * Alignment methods: re-estimate batch-norm statistics on the target after training, so inference normalises
   * with target statistics. `selftrain` keeps the statistics it trained with: they already cover the pool clips,
   * and the pool's own statistics carry its label mix (measured: with them, unsupervised URDU 65.5 against 69.3).
   */
  finalAdaBN: boolean;
  /** Threads computing each batch's gradients (see `TrainOptions.threads`; alignment losses train in one). */
  threads?: number;
  onEpoch?: (report: EpochReport) => void;
  onStep?: (step: number, stepsPerEpoch: number, epoch: number) => void;
}

export const DEFAULT_ADAPT_OPTIONS: Omit<AdaptOptions, 'method' | 'shots'> = {
  seed: 0,
  epochs: 6,
  batchSize: 32,
  learningRate: 3e-4,
  alignmentWeight: 1,
  pseudoLabelFraction: 0.5,
  finalAdaBN: true,
};

/** k clips per class drawn with the seed; fewer where a class has fewer. */
export function drawShots(items: StoreItem[], classes: string[], shots: number, seed: number): StoreItem[] {
  const rng = createRng(seed * 31 + 5);
  return classes.flatMap((label) => shuffle(items.filter((item) => item.label === label), rng).slice(0, shots));
}

function copyModel(model: tf.LayersModel, card: ModelCard): tf.LayersModel {
  const copy = buildEmotionModel(card.modelSpec);
  copy.setWeights(model.getWeights());
  return copy;
}

/**
 * Carries a source model to a target language. Nothing here reads target test speakers: the target
 * data is restricted to `adaptationSpeakers`, and every schedule is fixed (no checkpoint is chosen on
 * target data).
 */
export async function adaptModel(
  model: tf.LayersModel,
  card: ModelCard,
  source: FeatureStore,
  target: FeatureStore,
  options: AdaptOptions,
): Promise<{ model: tf.LayersModel; card: ModelCard }> {
  assertFeaturesMatch(card, source.configKey, source.dir);
  assertFeaturesMatch(card, target.configKey, target.dir);
  const adaptationSpeakers = options.adaptationSpeakers ?? protocolSplit(target.items.map((i) => i.speaker)).adaptation;
  const pool = new Set(adaptationSpeakers);
  const targetItems = target.items.filter((item) => pool.has(item.speaker));
  if (targetItems.length === 0) throw new Error(`${target.dir}: none of the adaptation speakers (${adaptationSpeakers.join(', ')}) is in the store`);
  const threshold = card.normalisation.activeFrameThresholdDb;
  const classes = card.labels;

  const targetFrames = activeMatrices(target, targetItems, threshold);
  const targetDomain = normaliseDomain(targetFrames, card.normalisation.mode, target.corpus, threshold);
  const targetMatrices = targetDomain.apply(targetFrames);
  const labelledPool = targetItems.filter((i) => i.label !== null && classes.includes(i.label));
  const largestClass = Math.max(0, ...classes.map((label) => labelledPool.filter((item) => item.label === label).length));
  if (options.shots > largestClass) {
    throw new Error(`${target.dir}: ${options.shots} shots per class asked for, but no class of the adaptation pool has more than ${largestClass} labelled clips; ask for at most ${largestClass}`);
  }
  const shotItems = options.shots > 0 ? drawShots(labelledPool, classes, options.shots, options.seed) : [];

  const adapted = copyModel(model, card);
  const { windowFrames, dropout } = card.training;
  let labelledTarget: LabelledSet = { matrices: targetDomain.apply(activeMatrices(target, shotItems, threshold)), labels: labelIndices(shotItems, classes) };
  let pseudoLabelledClips: { id: string; label: string }[] | undefined;
  if (options.method === 'selftrain') {
    const shotIds = new Set(shotItems.map((item) => item.id));
    const unlabelled = targetItems.flatMap((item, index) => (shotIds.has(item.id) ? [] : [index]));
    const sourceView = predictProbabilities(model, unlabelled.map((index) => applyNormalisation(targetFrames[index], card.normalisation)));
    reestimateBatchNorm(adapted, targetMatrices, windowFrames, options.seed);
    const poolView = predictProbabilities(adapted, unlabelled.map((index) => targetMatrices[index]));
    const pseudo = agreedPseudoLabels([sourceView, poolView], options.pseudoLabelFraction);
    pseudoLabelledClips = pseudo.map(({ index, label }) => ({ id: targetItems[unlabelled[index]].id, label: classes[label] }));
    labelledTarget = {
      matrices: [...labelledTarget.matrices, ...pseudo.map(({ index }) => targetMatrices[unlabelled[index]])],
      labels: [...labelledTarget.labels, ...pseudo.map(({ label }) => label)],
    };
  }
  const needsTraining = options.method in ALIGNMENT_METHODS || labelledTarget.labels.length > 0;
  let threads = 1;
  if (needsTraining) {
    const sourceItems = labelledItems(source).filter((item) => classes.includes(item.label!));
    const sourceFrames = activeMatrices(source, sourceItems, threshold);
    const sourceMatrices = normaliseDomain(sourceFrames, card.normalisation.mode, source.corpus, threshold).apply(sourceFrames);
    // Labelled target clips are repeated until they are about a third of each epoch, so they are not drowned by the source.
    const targetCount = labelledTarget.labels.length;
    const repeats = targetCount > 0 ? Math.max(1, Math.round(sourceMatrices.length / 2 / targetCount)) : 0;
    const labelled = {
      matrices: [...sourceMatrices, ...Array.from({ length: repeats }, () => labelledTarget.matrices).flat()],
      labels: [...labelIndices(sourceItems, classes), ...Array.from({ length: repeats }, () => labelledTarget.labels).flat()],
    };
    const alignment = options.method in ALIGNMENT_METHODS
      ? { loss: ALIGNMENT_METHODS[options.method](card.modelSpec.embeddingDim, options.seed), target: targetMatrices, weight: options.alignmentWeight }
      : undefined;
    ({ threads } = await trainClassifier(adapted, labelled, {
      classes,
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      windowFrames,
      seed: options.seed,
      dropout,
      classBalanced: true,
      augment: DEFAULT_SPEC_AUGMENT,
      alignment,
      threads: options.threads,
      onEpoch: options.onEpoch,
      onStep: options.onStep,
    }));
    alignment?.loss.variables.forEach((v) => v.dispose());
  }
  const finalAdaBN = options.method === 'adabn' || (options.method in ALIGNMENT_METHODS && options.finalAdaBN);
  if (finalAdaBN) reestimateBatchNorm(adapted, targetMatrices, windowFrames, options.seed);

  const adaptedCard: ModelCard = {
    ...card,
    normalisation: targetDomain.normalisation,
    adaptation: {
      method: options.method,
      targetCorpus: target.corpus,
      targetLanguage: target.language,
      shots: options.shots,
      adaptationSpeakers: [...pool].sort(),
      labelledClips: shotItems.map((item) => item.id),
      unlabelledClips: targetItems.length,
      ...(pseudoLabelledClips ? { pseudoLabelledClips } : {}),
      schedule: needsTraining
        ? `fixed: ${options.method === 'selftrain' ? `pool clips where the source model and its AdaBN copy agree pseudo-labelled (the most confident ${options.pseudoLabelFraction} of each class), ` : ''}${options.epochs} epochs, lr ${options.learningRate}, alignment weight ${options.alignmentWeight}${threads > 1 ? `, batches split over ${threads} threads` : ''}${finalAdaBN ? ', then AdaBN' : ''}; no checkpoint chosen on target data`
        : options.method === 'adabn' ? 'batch-norm statistics re-estimated on the adaptation pool' : 'per-domain normalisation fitted on the adaptation pool',
    },
    createdAt: new Date().toISOString(),
  };
  return { model: adapted, card: adaptedCard };
}
