import * as tf from '@tensorflow/tfjs';
import { TAXONOMIES } from '../corpora/labels.js';
import { buildEmotionModel, DEFAULT_MODEL_SPEC, type ModelSpec } from '../model/emotionModel.js';
import { MODEL_CARD_FORMAT, type ModelCard } from '../model/io.js';
import { calibrate } from '../infer/calibration.js';
import { argMax, predictProbabilities } from '../infer/infer.js';
import { activeFrames, modelInputs } from '../infer/inputs.js';
import { computeMetrics } from '../infer/metrics.js';
import { applyNormalisation, fitNormalisation, type NormalisationMode } from '../infer/normalise.js';
import { classesOf, labelIndices, labelledItems, readMatrices } from '../store/items.js';
import type { FeatureStore } from '../store/index.js';
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
  model: Partial<Omit<ModelSpec, 'inputDims' | 'numClasses' | 'seed'>>;
  checkpointDir?: string;
  resume?: boolean;
  /** Threads computing each batch's gradients (see `TrainOptions.threads`). */
  threads?: number;
  onEpoch?: (report: EpochReport) => void;
  onStep?: (step: number, stepsPerEpoch: number, epoch: number) => void;
}

export const DEFAULT_PRETRAIN_OPTIONS: Omit<PretrainOptions, 'validationSpeakers'> = {
  seed: 0,
  epochs: 24,
  batchSize: 32,
  learningRate: 1e-3,
  windowFrames: 200,
  dropout: 0.3,
  patience: 8,
  normalisation: 'corpus',
  activeFrameThresholdDb: 40,
  specAugment: true,
  model: {},
};

export interface PretrainedModel {
  model: tf.LayersModel;
  card: ModelCard;
  result: TrainResult;
}

/** Pretrains the emotion model on a source-language feature store. */
export async function pretrain(store: FeatureStore, options: PretrainOptions): Promise<PretrainedModel> {
  const allowed = options.speakers ? new Set(options.speakers) : null;
  const items = labelledItems(store).filter((item) => !allowed || allowed.has(item.speaker));
  if (items.length === 0) throw new Error(`${store.dir}: no labelled utterances to train on`);
  const classes = classesOf(items, TAXONOMIES['7class']);
  const held = new Set(options.validationSpeakers);
  const trainItems = items.filter((item) => !held.has(item.speaker));
  const validationItems = items.filter((item) => held.has(item.speaker));
  if (trainItems.length === 0) throw new Error(`${store.dir}: every speaker is held out for validation; hold out fewer`);

  const trainFrames = activeFrames(readMatrices(store, trainItems), store.config, options.activeFrameThresholdDb);
  const normalisation = fitNormalisation(trainFrames, options.normalisation, store.corpus, options.activeFrameThresholdDb);
  const train = { matrices: trainFrames.map((matrix) => applyNormalisation(matrix, normalisation)), labels: labelIndices(trainItems, classes) };
  const validation =
    validationItems.length > 0
      ? { matrices: modelInputs(readMatrices(store, validationItems), { featureConfig: store.config, normalisation }), labels: labelIndices(validationItems, classes) }
      : undefined;

  const modelSpec: ModelSpec = { ...DEFAULT_MODEL_SPEC, ...options.model, inputDims: store.items[0].dims, numClasses: classes.length, seed: options.seed };
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
    featureConfig: store.config,
    featureConfigKey: store.configKey,
    normalisation,
    modelSpec,
    source: {
      corpus: store.corpus,
      language: store.language,
      trainSpeakers: [...new Set(trainItems.map((i) => i.speaker))].sort(),
      validationSpeakers: [...held].sort(),
    },
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
