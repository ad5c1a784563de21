import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { featureConfigKey } from '../features/config.js';
import { readRegularFile, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { InvalidFileError, parseJsonBytes, parseWith } from '../util/validate.js';
import { modelCardSchema, type ModelCard } from './card.js';
import { nonFiniteWeight } from './weights.js';
import './layers.js';

export {
  MODEL_CARD_FORMAT,
  type AdaptationEpoch,
  type CalibrationCard,
  type ModelCard,
  type NormalisationCard,
  type SourceCard,
  type TrainingRecord,
} from './card.js';

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

/** Refuses to write a model with a NaN or infinite weight: it would answer NaN for every clip. */
export async function saveModel(dir: string, model: tf.LayersModel, card: ModelCard): Promise<void> {
  const broken = nonFiniteWeight(model);
  if (broken) throw new Error(`${dir}: not written, the model's weight ${broken} is not finite (training diverged); lower the learning rate`);
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

/** model.json as saveModel writes it: the tfjs topology and the manifest of the float32 weights in weights.bin. */
const modelJsonSchema = z.object({
  modelTopology: z.record(z.unknown()),
  weightsManifest: z
    .array(z.object({ paths: z.array(z.string()), weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.literal('float32') })) }))
    .length(1),
});

/** What one file of a model folder may weigh: JSON files 64 MB, weights 2 GiB. */
const MAX_JSON_BYTES = 64 * 1024 ** 2;
const MAX_WEIGHT_BYTES = 2 * 1024 ** 3;
const REWRITE = 'the model folder is damaged or was edited by hand: write it again with `ser train` or `ser adapt`, or restore it';

/**
 * Loads a model folder, validating every file: card.json against its schema (and its featureConfigKey
 * against its featureConfig), model.json's manifest, weights.bin's size against the manifest, every weight
 * finite, and the model's input and output sizes against the card. Errors name the file and the field.
 */
export async function loadModel(dir: string): Promise<SavedModel> {
  for (const file of ['model.json', 'weights.bin', 'card.json']) {
    if (!existsSync(join(dir, file))) {
      throw new ModelFolderError(dir, `no ${file}; a model folder is written by \`ser train\` or \`ser adapt\` (model.json, weights.bin, card.json)`);
    }
  }
  const cardFile = join(dir, 'card.json');
  const card = parseWith(modelCardSchema, parseJsonBytes(await readRegularFile(cardFile, MAX_JSON_BYTES), cardFile, REWRITE), cardFile, REWRITE) as ModelCard;
  if (featureConfigKey(card.featureConfig) !== card.featureConfigKey) {
    throw new InvalidFileError(cardFile, 'featureConfigKey', 'does not match featureConfig (one of them was edited)', REWRITE);
  }
  const topologyFile = join(dir, 'model.json');
  const topology = parseWith(modelJsonSchema, parseJsonBytes(await readRegularFile(topologyFile, MAX_JSON_BYTES), topologyFile, REWRITE), topologyFile, REWRITE);
  const weightSpecs = topology.weightsManifest[0].weights;
  const weightsFile = join(dir, 'weights.bin');
  const weights = await readRegularFile(weightsFile, MAX_WEIGHT_BYTES);
  const expectedBytes = 4 * weightSpecs.reduce((total, spec) => total + spec.shape.reduce((a, b) => a * b, 1), 0);
  if (weights.length !== expectedBytes) {
    throw new InvalidFileError(weightsFile, '', `is ${weights.length} bytes but model.json's manifest needs ${expectedBytes}`, REWRITE);
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: topology.modelTopology,
        weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[],
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
  } catch (error) {
    throw new InvalidFileError(topologyFile, 'modelTopology', `tfjs cannot build it (${(error as Error).message.split('\n')[0]})`, REWRITE);
  }
  const broken = nonFiniteWeight(model);
  if (broken) throw new InvalidFileError(weightsFile, '', `weight ${broken} holds NaN or infinite values`, REWRITE);
  const inputDims = model.inputs[0].shape.at(-1);
  const outputs = model.outputs[0].shape.at(-1);
  if (inputDims !== card.modelSpec.inputDims) {
    throw new InvalidFileError(cardFile, 'modelSpec.inputDims', `is ${card.modelSpec.inputDims} but the model in model.json reads ${inputDims} per frame`, REWRITE);
  }
  if (outputs !== card.labels.length) {
    throw new InvalidFileError(cardFile, 'labels', `lists ${card.labels.length} classes but the model in model.json has ${outputs} outputs`, REWRITE);
  }
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
