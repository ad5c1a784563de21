import * as tf from '@tensorflow/tfjs';
import { TAXONOMIES } from '../corpora/labels.js';
import { buildEmotionModel, DEFAULT_MODEL_SPEC, type ModelSpec } from '../model/emotionModel.js';
import { MODEL_CARD_FORMAT, type ModelCard } from '../model/io.js';
import { calibrate } from '../infer/calibration.js';
import { argMax, predictProbabilities } from '../infer/infer.js';
import { activeFrames } from '../infer/inputs.js';
import { computeMetrics } from '../infer/metrics.js';
import { fitNormalisation, normaliseSet, speakersOf, type NormalisationMode } from '../infer/normalise.js';
import { classesOf, labelIndices, labelledItems, readMatrices } from '../store/items.js';
import type { FeatureStore, StoreItem } from '../store/index.js';
import { PACKAGE_VERSION } from '../util/version.js';
import { DEFAULT_SPEC_AUGMENT } from './batches.js';
import { trainClassifier, type EpochReport, type TrainResult } from './trainer.js';

export interface PretrainOptions {
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  windowFrames: number;
  dropout: number;
  patience: number;
  /** Source speakers held out for validation (checkpoint choice and early stopping); never test data. */
  validationSpeakers: string[];
  /** Train on these speakers only (default: every speaker not held out). */
  speakers?: string[];
  normalisation: NormalisationMode;
  activeFrameThresholdDb: number;
  specAugment: boolean;
  /**
   * With several sources, domain-specific batch norm (domainBatchNorm.ts): every batch holds one corpus's
   * clips, normalised on that corpus's own statistics, the condition AdaBN puts a new language in. Recorded in the
   * card's `training` only when set.
   */
  domainBatchNorm?: boolean;
  model: Partial<Omit<ModelSpec, 'inputDims' | 'numClasses' | 'seed'>>;
  checkpointDir?: string;
  resume?: boolean;
  /** Threads computing each batch's gradients (see `TrainOptions.threads`). */
  threads?: number;
  onEpoch?: (report: EpochReport) => void;
  onStep?: (step: number, stepsPerEpoch: number, epoch: number) => void;
}

export { DEFAULT_PRETRAIN_OPTIONS } from './recipes.js';

export interface PretrainedModel {
  model: tf.LayersModel;
  card: ModelCard;
  result: TrainResult;
}

/** One source corpus of a pretraining: its store and the speakers held out of it for validation. */
export interface PretrainSource {
  store: FeatureStore;
  validationSpeakers: string[];
  /** Train on these speakers only (default: every speaker not held out). */
  speakers?: string[];
}

/** Pretrains the emotion model on a source-language feature store. */
export function pretrain(store: FeatureStore, options: PretrainOptions): Promise<PretrainedModel> {
  return pretrainOnSources([{ store, validationSpeakers: options.validationSpeakers, speakers: options.speakers }], options);
}

/** A source's labelled clips, split into training and validation speakers, each set standardised on the source's own training statistics. */
export function prepareSource(source: PretrainSource, options: Omit<PretrainOptions, 'validationSpeakers' | 'speakers'>) {
  const { store } = source;
  const allowed = source.speakers ? new Set(source.speakers) : null;
  const items = labelledItems(store).filter((item) => !allowed || allowed.has(item.speaker));
  if (items.length === 0) throw new Error(`${store.dir}: no labelled utterances to train on`);
  const held = new Set(source.validationSpeakers);
  const trainItems = items.filter((item) => !held.has(item.speaker));
  const validationItems = items.filter((item) => held.has(item.speaker));
  if (trainItems.length === 0) throw new Error(`${store.dir}: every speaker is held out for validation; hold out fewer`);
  const trainFrames = activeFrames(readMatrices(store, trainItems), store.config, options.activeFrameThresholdDb);
  const normalisation = fitNormalisation(trainFrames, options.normalisation, store.corpus, options.activeFrameThresholdDb, speakersOf(trainItems));
  const validationFrames = activeFrames(readMatrices(store, validationItems), store.config, options.activeFrameThresholdDb);
  return {
    source,
    items,
    trainItems,
    validationItems,
    trainFrames,
    normalisation,
    train: normaliseSet(trainFrames, speakersOf(trainItems), normalisation),
    validation: normaliseSet(validationFrames, speakersOf(validationItems), normalisation),
  };
}

/**
 * Pretrains on one or several source corpora (any languages, one feature configuration). Each source is
 * standardised on its own statistics (so a corpus's recording conditions are not mistaken for emotion), its
 * validation speakers are held out of it, and with several sources every batch is balanced over
 * (corpus, class) cells, so a large corpus does not drown a small one. The card's own normalisation, used
 * where a model meets a domain it was not adapted to, is fitted on all sources' training frames together.
 */
export async function pretrainOnSources(sources: PretrainSource[], options: Omit<PretrainOptions, 'validationSpeakers' | 'speakers'>): Promise<PretrainedModel> {
  if (sources.length === 0) throw new Error('pretraining needs at least one source feature store');
  const [first] = sources;
  for (const { store } of sources.slice(1)) {
    if (store.configKey !== first.store.configKey) {
      throw new Error(`${store.dir}: features were extracted with ${store.configKey} but ${first.store.dir} with ${first.store.configKey}; every source needs the same feature options (re-run \`ser preprocess\` with them)`);
    }
  }
  const corpora = sources.map(({ store }) => store.corpus);
  const repeated = corpora.find((corpus, i) => corpora.indexOf(corpus) !== i);
  if (repeated) throw new Error(`source corpus ${repeated} is given twice`);
  const prepared = sources.map((source) => prepareSource(source, options));
  const classes = classesOf(prepared.flatMap((p) => p.items), TAXONOMIES['7class']);
  const trainItems = prepared.flatMap((p) => p.trainItems);
  const validationItems = prepared.flatMap((p) => p.validationItems);
  const domain = sources.length === 1 ? first.store.corpus : corpora.join('+');
  // One source: its own statistics; several: all sources' training frames together.
  const normalisation = sources.length === 1 ? prepared[0].normalisation : fitNormalisation(
    prepared.flatMap((p) => p.trainFrames),
    options.normalisation,
    domain,
    options.activeFrameThresholdDb,
    prepared.flatMap((p) => qualified(p.source.store, speakersOf(p.trainItems), sources.length > 1)),
  );
  const train = { matrices: prepared.flatMap((p) => p.train), labels: labelIndices(trainItems, classes) };
  const groups = sources.length > 1 ? prepared.flatMap((p, corpus) => p.trainItems.map(() => corpus)) : undefined;
  const validation =
    validationItems.length > 0
      ? {
          matrices: prepared.flatMap((p) => p.validation),
          labels: labelIndices(validationItems, classes),
          ...(groups ? { groups: prepared.flatMap((p, corpus) => p.validationItems.map(() => corpus)) } : {}),
        }
      : undefined;
  const domainBatchNorm = options.domainBatchNorm === true && groups !== undefined;

  const modelSpec: ModelSpec = { ...DEFAULT_MODEL_SPEC, ...options.model, inputDims: first.store.items[0].dims, numClasses: classes.length, seed: options.seed };
  const model = buildEmotionModel(modelSpec);
  const result = await trainClassifier(model, train, {
    classes,
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    windowFrames: options.windowFrames,
    seed: options.seed,
    dropout: options.dropout,
    classBalanced: true,
    groups,
    ...(domainBatchNorm ? { domainBatchNorm } : {}),
    augment: options.specAugment ? DEFAULT_SPEC_AUGMENT : null,
    validation,
    patience: validation ? options.patience : undefined,
    checkpointDir: options.checkpointDir,
    resume: options.resume,
    threads: options.threads,
    onEpoch: options.onEpoch,
    onStep: options.onStep,
  });

  const validationProbabilities = validation ? predictProbabilities(model, validation.matrices) : null;
  const validationMetrics = validation ? computeMetrics(validation.labels, validationProbabilities!.map(argMax), classes) : null;
  const calibration = validation ? calibrate(validationProbabilities!, validation.labels, 'held-out source speakers') : undefined;
  const card: ModelCard = {
    format: MODEL_CARD_FORMAT,
    labels: classes,
    featureConfig: first.store.config,
    featureConfigKey: first.store.configKey,
    normalisation,
    modelSpec,
    source: {
      corpus: domain,
      language: [...new Set(sources.map(({ store }) => store.language))].join('+'),
      trainSpeakers: prepared.flatMap((p) => qualified(p.source.store, speakerList(p.trainItems), sources.length > 1)).sort(),
      validationSpeakers: prepared.flatMap((p) => qualified(p.source.store, speakerList(p.validationItems), sources.length > 1)).sort(),
    },
    ...(sources.length > 1
      ? {
          sources: prepared.map((p) => ({
            corpus: p.source.store.corpus,
            language: p.source.store.language,
            clips: p.items.length,
            trainClips: p.trainItems.length,
            validationClips: p.validationItems.length,
            trainSpeakers: speakerList(p.trainItems),
            validationSpeakers: speakerList(p.validationItems),
          })),
        }
      : {}),
    training: {
      seed: options.seed,
      epochs: options.epochs,
      epochsRun: result.history.length,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      windowFrames: options.windowFrames,
      dropout: options.dropout,
      patience: options.patience,
      specAugment: options.specAugment,
      classBalanced: true,
      ...(groups ? { batches: 'balanced over (corpus, class) cells' } : {}),
      ...(domainBatchNorm ? { domainBatchNorm } : {}),
      threads: result.threads,
      trainClips: trainItems.length,
      validationClips: validationItems.length,
      history: result.history,
    },
    validation: validationMetrics
      ? { uar: validationMetrics.uar, accuracy: validationMetrics.accuracy, macroF1: validationMetrics.macroF1, epoch: result.bestEpoch }
      : null,
    ...(calibration ? { calibration } : {}),
    backend: tf.getBackend(),
    packageVersion: PACKAGE_VERSION,
    createdAt: new Date().toISOString(),
  };
  return { model, card, result };
}

function speakerList(items: StoreItem[]): string[] {
  return [...new Set(items.map((item) => item.speaker))].sort();
}

/** With several corpora a speaker id is prefixed by its corpus (`emodb/03`): ids repeat across corpora. */
function qualified(store: FeatureStore, speakers: string[], several: boolean): string[] {
  return several ? speakers.map((speaker) => `${store.corpus}/${speaker}`) : speakers;
}
