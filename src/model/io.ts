import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import type { FeatureConfig } from '../features/config.js';
import type { ModelSpec } from './emotionModel.js';
import './layers.js';

export const MODEL_CARD_FORMAT = 'ser-model-card/1';

/** How frames are standardised before the model sees them (see src/infer/normalise.ts). */
export interface NormalisationCard {
  mode: 'corpus' | 'utterance';
  /** Per-dimension statistics fitted on the domain named by `fittedOn`; per-corpus mode refits them on a new domain. */
  mean: number[];
  std: number[];
  fittedOn: string;
  /** Frames more than this many dB below an utterance's loudest are dropped. */
  activeFrameThresholdDb: number;
}

/** Temperature scaling of a model's probabilities: p_T ∝ p^(1/T) (see src/infer/calibration.ts). */
export interface CalibrationCard {
  /** 1 leaves probabilities as the model gives them. */
  temperature: number;
  /** Which clips it was fitted on: the held-out source speakers, or the labelled shots of an adaptation. */
  fittedOn: string;
  clips: number;
  /** ECE of those clips before and after scaling (in-sample: the clips T was fitted on). */
  eceBefore: number;
  eceAfter: number;
}

export interface ModelCard {
  format: typeof MODEL_CARD_FORMAT;
  labels: string[];
  featureConfig: FeatureConfig;
  featureConfigKey: string;
  normalisation: NormalisationCard;
  modelSpec: ModelSpec;
  source: { corpus: string; language: string; trainSpeakers: string[]; validationSpeakers: string[] };
  adaptation?: {
    method: string;
    targetCorpus: string;
    targetLanguage: string;
    shots: number;
    adaptationSpeakers: string[];
    labelledClips: string[];
    unlabelledClips: number;
    /** `selftrain`: the pool clips it trained on and the label it gave each. */
    pseudoLabelledClips?: { id: string; label: string }[];
    schedule: string;
    /** Each epoch of the adaptation's training, where it trained. */
    history?: AdaptationEpoch[];
  };
  training: Record<string, unknown>;
  /** Temperature scaling of the probabilities (src/infer/calibration.ts); absent: none. */
  calibration?: CalibrationCard;
  /** Scores on held-out source speakers at the chosen epoch. */
  validation: { uar: number; accuracy: number; macroF1: number; epoch: number } | null;
  backend: string;
  packageVersion: string;
  createdAt: string;
}

/** One epoch of an adaptation's training, as the card keeps it. */
export interface AdaptationEpoch {
  epoch: number;
  /** Mean classification loss over the epoch's batches. */
  loss: number;
  /** Mean alignment loss over the epoch's batches; null without one. */
  alignmentLoss: number | null;
  /** Figures the alignment loss reports, averaged over the epoch (dann: `discriminatorAccuracy`). */
  alignmentMetrics?: Record<string, number>;
}

export interface SavedModel {
  model: tf.LayersModel;
  card: ModelCard;
}

/** Model topology and weights as tfjs artifacts, without touching the disk (checkpoints reuse this). */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

function weightBytes(artifacts: tf.io.ModelArtifacts): Uint8Array {
  const data = artifacts.weightData;
  const buffers = Array.isArray(data) ? data : data ? [data] : [];
  return new Uint8Array(tf.io.concatenateArrayBuffers(buffers));
}

export async function saveModel(dir: string, model: tf.LayersModel, card: ModelCard): Promise<void> {
  const artifacts = await modelArtifacts(model);
  await writeFileAtomic(join(dir, 'weights.bin'), weightBytes(artifacts));
  await writeJsonAtomic(join(dir, 'model.json'), {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  });
  await writeJsonAtomic(join(dir, 'card.json'), card);
}

export class ModelFolderError extends Error {
  constructor(readonly folder: string, reason: string) {
    super(`${folder}: ${reason}`);
  }
}

export async function loadModel(dir: string): Promise<SavedModel> {
  for (const file of ['model.json', 'weights.bin', 'card.json']) {
    if (!existsSync(join(dir, file))) {
      throw new ModelFolderError(dir, `no ${file}; a model folder is written by \`ser train\` or \`ser adapt\` (model.json, weights.bin, card.json)`);
    }
  }
  const card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as ModelCard;
  if (card.format !== MODEL_CARD_FORMAT) throw new ModelFolderError(dir, `card.json has format ${String(card.format)}, expected ${MODEL_CARD_FORMAT}`);
  const topology = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const weights = await readFile(join(dir, 'weights.bin'));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology.modelTopology,
      weightSpecs: topology.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  return { model, card };
}

/** Features of another configuration would be silently meaningless to the model: refuse them. */
export function assertFeaturesMatch(card: ModelCard, featureConfigKey: string, where: string): void {
  if (card.featureConfigKey !== featureConfigKey) {
    throw new Error(
      `${where}: features were extracted with ${featureConfigKey} but the model expects ${card.featureConfigKey}; ` +
        're-run `ser preprocess` with the model\'s feature options (see its card.json featureConfig)',
    );
  }
}
