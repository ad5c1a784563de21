import * as tf from '@tensorflow/tfjs';
import { protocolSplit } from '../corpora/split.js';
import { predictProbabilities } from '../infer/infer.js';
import { activeFrames } from '../infer/inputs.js';
import { fitNormalisation, normaliseSet, speakersOf } from '../infer/normalise.js';
import { buildEmotionModel } from '../model/emotionModel.js';
import { assertFeaturesMatch, type AdaptationEpoch, type ModelCard } from '../model/io.js';
import type { FeatureStore, StoreItem } from '../store/index.js';
import { labelIndices, labelledItems, readMatrices } from '../store/items.js';
import { DEFAULT_SPEC_AUGMENT } from '../train/batches.js';
import { reestimateBatchNorm } from '../train/batchNorm.js';
import { trainClassifier, type AlignmentLoss, type EpochReport, type LabelledSet } from '../train/trainer.js';
import { createRng, shuffle } from '../util/random.js';
import { classMarginalBias, shiftClassifierBias } from './classBalance.js';
import { ADAPTATION_STRATEGIES } from './methods/index.js';
import type { AdaptOptions, AdaptationMethod } from './options.js';
import type { AdaptationPool, TrainingRun } from './strategy.js';

export { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, type AdaptOptions, type AdaptationMethod } from './options.js';

/**
 * The methods `ser adapt` uses by default: in each setting the best mean UAR over the four leave-one-corpus-out
 * targets of ../shared/BENCHMARK.md together (each corpus the target once), not over the single-source
 * table's three targets; on a lead within the noise of the seeds, the method that needs and assumes less:
 * `mmd` and `coral` (0.6 above `adabn` unsupervised, 0.2 and 0.3 few-shot) need the source corpora and differ
 * from it mostly by the order of batches; `adabn-balanced` (1.4 above it unsupervised on seeds 0-2, 0.2 on
 * seeds 3-5, below it few-shot) assumes the target clips cover the classes evenly. `sourceFree` the better of
 * the methods that need no source data (README, "How the recommended methods were chosen").
 */
export const RECOMMENDED_METHODS = { unsupervised: 'adabn', 'few-shot': 'adabn', sourceFree: 'adabn' } as const satisfies Record<string, AdaptationMethod>;

export function recommendedMethod(shots: number): AdaptationMethod {
  return shots > 0 ? RECOMMENDED_METHODS['few-shot'] : RECOMMENDED_METHODS.unsupervised;
}

/** Methods that use nothing but the model and the target audio: no source corpus. */
export const SOURCE_FREE_METHODS: readonly AdaptationMethod[] = ['none', 'adabn', 'adabn-balanced'];

/** Whether a method (with `shots` labelled target clips per class) trains on labelled source clips beside the target. */
export function needsSourceData(method: AdaptationMethod, shots: number): boolean {
  return shots > 0 || !SOURCE_FREE_METHODS.includes(method);
}

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

/** The adaptation speakers' clips, the target normalisation refitted on them, and the labelled shots drawn among them. */
function adaptationPool(card: ModelCard, target: FeatureStore, options: AdaptOptions): AdaptationPool & { speakers: string[] } {
  const speakers = options.adaptationSpeakers ?? protocolSplit(target.items.map((i) => i.speaker)).adaptation;
  const allowed = new Set(speakers);
  const items = target.items.filter((item) => allowed.has(item.speaker));
  if (items.length === 0) throw new Error(`${target.dir}: none of the adaptation speakers (${speakers.join(', ')}) is in the store`);
  const threshold = card.normalisation.activeFrameThresholdDb;
  const matrices = readMatrices(target, items);
  const frames = activeFrames(matrices, card.featureConfig, threshold);
  const targetCard: ModelCard = { ...card, normalisation: fitNormalisation(frames, card.normalisation.mode, target.corpus, threshold, speakersOf(items)) };
  const inputs = normaliseSet(frames, speakersOf(items), targetCard.normalisation);
  const classes = card.labels;
  const labelledPool = items.filter((i) => i.label !== null && classes.includes(i.label));
  const largestClass = Math.max(0, ...classes.map((label) => labelledPool.filter((item) => item.label === label).length));
  if (options.shots > largestClass) {
    throw new Error(`${target.dir}: ${options.shots} shots per class asked for, but no class of the adaptation pool has more than ${largestClass} labelled clips; ask for at most ${largestClass}`);
  }
  const shotItems = options.shots > 0 ? drawShots(labelledPool, classes, options.shots, options.seed) : [];
  return {
    speakers: [...allowed].sort(),
    items,
    matrices,
    inputs,
    targetCard,
    shotItems,
    shots: { matrices: shotItems.map((shot) => inputs[items.indexOf(shot)]), labels: labelIndices(shotItems, classes) },
  };
}

/**
 * The sources' labelled clips, each source normalised with its own statistics, and the labelled target clips
 * repeated until they are about a third of each epoch, so they are not drowned by the source. With several
 * sources, `groups` names each clip's corpus (the labelled target clips a corpus of their own), so batches
 * are balanced over (corpus, class) cells.
 */
function trainingSet(card: ModelCard, sources: FeatureStore[], labelledTarget: LabelledSet): LabelledSet & { groups?: number[] } {
  const classes = card.labels;
  const threshold = card.normalisation.activeFrameThresholdDb;
  const perSource = sources.map((source) => {
    const items = labelledItems(source).filter((item) => classes.includes(item.label!));
    const frames = activeFrames(readMatrices(source, items), card.featureConfig, threshold);
    const normalisation = fitNormalisation(frames, card.normalisation.mode, source.corpus, threshold);
    return { items, matrices: normaliseSet(frames, speakersOf(items), normalisation) };
  });
  const sourceMatrices = perSource.flatMap((s) => s.matrices);
  const targetCount = labelledTarget.labels.length;
  const repeats = targetCount > 0 ? Math.max(1, Math.round(sourceMatrices.length / 2 / targetCount)) : 0;
  const targetRepeated = Array.from({ length: repeats }, () => labelledTarget.labels).flat();
  return {
    matrices: [...sourceMatrices, ...Array.from({ length: repeats }, () => labelledTarget.matrices).flat()],
    labels: [...perSource.flatMap((s) => labelIndices(s.items, classes)), ...targetRepeated],
    ...(sources.length > 1 ? { groups: [...perSource.flatMap((s, corpus) => s.items.map(() => corpus)), ...targetRepeated.map(() => sources.length)] } : {}),
  };
}

/** One line of an adaptation's training history, as the card keeps it. */
function historyEntry({ epoch, loss, alignmentLoss, alignmentMetrics }: EpochReport): AdaptationEpoch {
  return { epoch, loss, alignmentLoss, ...(alignmentMetrics ? { alignmentMetrics } : {}) };
}

/**
 * Carries a source model to a target language with the method's strategy (`methods/`): the labelled target
 * clips it makes, the alignment loss it trains with, whether AdaBN follows. Nothing here reads target test
 * speakers: the target data is restricted to `adaptationSpeakers`, and every schedule is fixed (no
 * checkpoint is chosen on target data).
 */
export async function adaptModel(
  model: tf.LayersModel,
  card: ModelCard,
  sources: FeatureStore[],
  target: FeatureStore,
  options: AdaptOptions,
): Promise<{ model: tf.LayersModel; card: ModelCard }> {
  for (const source of sources) assertFeaturesMatch(card, source.configKey, source.dir);
  assertFeaturesMatch(card, target.configKey, target.dir);
  if (sources.length === 0 && needsSourceData(options.method, options.shots)) {
    throw new Error(
      `${options.method}${options.shots > 0 ? ` with ${options.shots} shots` : ''} trains on labelled source clips beside the target: ` +
        `give the corpora the model was trained on with --source (once per corpus), or use ${SOURCE_FREE_METHODS.join(' or ')} without shots, which need the target audio alone`,
    );
  }
  const strategy = ADAPTATION_STRATEGIES[options.method];
  const pool = adaptationPool(card, target, options);
  const adapted = copyModel(model, card);
  const { windowFrames, dropout } = card.training;
  const context = { source: { model, card }, adapted, pool, options, windowFrames };
  const { labelled: labelledTarget, pseudoLabelledClips } = strategy.targetLabels?.(context) ?? { labelled: pool.shots };

  const finalAdaBN = strategy.finalAdaBN(options);
  let run: TrainingRun | null = null;
  let history: EpochReport[] = [];
  if (strategy.alignment || labelledTarget.labels.length > 0) {
    const { groups, ...labelled } = trainingSet(card, sources, labelledTarget);
    const loss: AlignmentLoss | undefined = strategy.alignment?.(card.modelSpec.embeddingDim, options.seed);
    const result = await trainClassifier(adapted, labelled, {
      classes: card.labels,
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      windowFrames,
      seed: options.seed,
      dropout,
      classBalanced: true,
      groups,
      // A model pretrained with domain batch norm is fine-tuned with it: the labelled target clips a domain of their own.
      ...(groups && card.training.domainBatchNorm ? { domainBatchNorm: true } : {}),
      augment: DEFAULT_SPEC_AUGMENT,
      alignment: loss ? { loss, target: pool.inputs, weight: options.alignmentWeight } : undefined,
      threads: options.threads,
      onEpoch: options.onEpoch,
      onStep: options.onStep,
    });
    loss?.variables.forEach((v) => v.dispose());
    run = { threads: result.threads, finalAdaBN };
    history = result.history;
  }
  if (finalAdaBN) reestimateBatchNorm(adapted, pool.inputs, windowFrames, options.seed);
  const classBias = strategy.balanceClasses ? classMarginalBias(predictProbabilities(adapted, pool.inputs)) : null;
  if (classBias) shiftClassifierBias(adapted, classBias);

  const adaptedCard: ModelCard = {
    ...card,
    // The source's temperature is kept, never refitted here: the only labelled target clips are the shots,
    // which every method with shots trains on, so a temperature fitted on them would be fitted in-sample.
    ...(card.calibration ? { calibration: card.calibration } : {}),
    normalisation: pool.targetCard.normalisation,
    adaptation: {
      method: options.method,
      targetCorpus: target.corpus,
      targetLanguage: target.language,
      shots: options.shots,
      adaptationSpeakers: pool.speakers,
      labelledClips: pool.shotItems.map((item) => item.id),
      unlabelledClips: pool.items.length,
      ...(pseudoLabelledClips ? { pseudoLabelledClips } : {}),
      ...(classBias ? { classBias } : {}),
      schedule: strategy.describeSchedule(options, run),
      ...(history.length > 0 ? { history: history.map(historyEntry) } : {}),
    },
    createdAt: new Date().toISOString(),
  };
  return { model: adapted, card: adaptedCard };
}
