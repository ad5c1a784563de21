import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { FeatureMatrix } from '../features/config.js';
import { epochReportSchema } from '../model/card.js';
import { loadTensors, saveTensors } from '../model/tensorFile.js';
import { writeJsonAtomic } from '../util/fs.js';
import { InvalidFileError, readJsonFile } from '../util/validate.js';

/**
 * Per-epoch checkpoints of trainClassifier: `state.json` names the last complete epoch and what the run
 * trains on; its `model-<epoch>.bin`, `best-<epoch>.bin` and `optimizer-<epoch>.bin` are written before it,
 * so a crash never leaves state.json pointing at half a checkpoint.
 */

export const CHECKPOINT_FORMAT = 'ser-checkpoint/1';

/**
 * What shapes a run, so that `--resume` continues only the run that wrote the checkpoint: hashes of the
 * training and validation data (features and labels), the model's weight shapes, and the settings. The
 * number of epochs is left out: resuming with more epochs extends a run.
 */
const runIdentitySchema = z.object({
  data: z.string(),
  validation: z.string().nullable(),
  model: z.string(),
  settings: z.record(z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export type RunIdentity = z.infer<typeof runIdentitySchema>;

const checkpointStateSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  epoch: z.number().int().positive(),
  history: z.array(epochReportSchema),
  bestEpoch: z.number().int().nonnegative(),
  bestValidationUar: z.number().min(0).max(1).nullable(),
  staleEpochs: z.number().int().nonnegative(),
  /** Adam's beta1^t and beta2^t as it holds them (see restoreAdamPowers). */
  adamPowers: z.tuple([z.number().finite(), z.number().finite()]),
  trainedOn: runIdentitySchema,
});
export type CheckpointState = z.infer<typeof checkpointStateSchema>;

/** A hash of labelled frame matrices: any change to a frame, a label or the order gives another. */
export function hashLabelledData(matrices: FeatureMatrix[], labels: number[] | null): string {
  const hash = createHash('sha256');
  for (const matrix of matrices) {
    hash.update(Int32Array.of(matrix.frames, matrix.dims));
    hash.update(new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength));
  }
  if (labels) hash.update(Int32Array.from(labels));
  return hash.digest('hex');
}

export function modelShapes(model: tf.LayersModel): string {
  return model.weights.map((weight) => `${weight.name.replace(/_\d+$/, '')}:${weight.shape.join('x')}`).join(' ');
}

const REDO = 'resume only the run that wrote this checkpoint, or train into another --out (or delete the checkpoints folder to start over)';

/** Throws, naming what differs, when the checkpoint was written by a run on other data, model or settings. */
function assertSameRun(file: string, saved: RunIdentity, current: RunIdentity): void {
  if (saved.data !== current.data) {
    throw new InvalidFileError(file, 'trainedOn.data', 'this checkpoint was trained on other data (another feature store, other speakers or labels)', REDO);
  }
  if (saved.validation !== current.validation) {
    throw new InvalidFileError(file, 'trainedOn.validation', 'this checkpoint was validated on other data (other validation speakers)', REDO);
  }
  if (saved.model !== current.model) {
    throw new InvalidFileError(file, 'trainedOn.model', `this checkpoint holds a model of other layers (another recipe or model options): ${saved.model} against ${current.model}`, REDO);
  }
  const keys = [...new Set([...Object.keys(saved.settings), ...Object.keys(current.settings)])].sort();
  const differing = keys.filter((key) => saved.settings[key] !== current.settings[key]);
  if (differing.length > 0) {
    const pairs = differing.map((key) => `${key} ${JSON.stringify(saved.settings[key])} there, ${JSON.stringify(current.settings[key])} now`).join('; ');
    throw new InvalidFileError(file, `trainedOn.settings.${differing[0]}`, `this checkpoint was trained with other settings (${pairs})`, REDO);
  }
}

/**
 * Adam keeps beta1^t and beta2^t as running products; its setWeights recomputes them as pow(beta, t + 1),
 * which differs in the last bits, and a resumed run drifted from an uninterrupted one (weights apart by up
 * to 0.06 after 3 more epochs). The checkpoint keeps the products exactly. They are tfjs's private fields.
 */
interface AdamPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function adamPowers(optimizer: tf.Optimizer): [number, number] {
  const { accBeta1, accBeta2 } = optimizer as unknown as AdamPowers;
  return [accBeta1.dataSync()[0], accBeta2.dataSync()[0]];
}

function restoreAdamPowers(optimizer: tf.Optimizer, [beta1Power, beta2Power]: [number, number]): void {
  const { accBeta1, accBeta2 } = optimizer as unknown as AdamPowers;
  tf.tidy(() => {
    accBeta1.assign(tf.scalar(beta1Power));
    accBeta2.assign(tf.scalar(beta2Power));
  });
}

export type TrainingProgress = Omit<CheckpointState, 'format' | 'adamPowers' | 'trainedOn'>;

export async function writeCheckpoint(
  dir: string,
  model: tf.LayersModel,
  bestWeights: tf.Tensor[],
  optimizer: tf.Optimizer,
  progress: TrainingProgress,
  trainedOn: RunIdentity,
): Promise<void> {
  const named = (tensors: tf.Tensor[]) => tensors.map((tensor, i) => ({ name: String(i), tensor }));
  await saveTensors(join(dir, `model-${progress.epoch}.bin`), named(model.getWeights()));
  await saveTensors(join(dir, `best-${progress.epoch}.bin`), named(bestWeights));
  await saveTensors(join(dir, `optimizer-${progress.epoch}.bin`), await optimizer.getWeights());
  const state: CheckpointState = { format: CHECKPOINT_FORMAT, ...progress, adamPowers: adamPowers(optimizer), trainedOn };
  // Written last, so a crash never points at half a checkpoint.
  await writeJsonAtomic(join(dir, 'state.json'), state);
  const previous = progress.epoch - 1;
  await Promise.all(['model', 'best', 'optimizer'].map((kind) => rm(join(dir, `${kind}-${previous}.bin`), { force: true })));
}

/**
 * Restores the model, optimizer and progress of the checkpoint in `dir`, when there is one, after checking
 * that it was written by this run (same data, model and settings). Returns null when there is none.
 */
export async function resumeCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  trainedOn: RunIdentity,
): Promise<{ progress: TrainingProgress; bestWeights: tf.Tensor[] } | null> {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return null;
  const { format: _format, adamPowers: powers, trainedOn: saved, ...progress } = await readJsonFile(
    file,
    checkpointStateSchema,
    `the checkpoint is damaged or from an older version; ${REDO}`,
  );
  assertSameRun(file, saved, trainedOn);
  const weights = await loadTensors(join(dir, `model-${progress.epoch}.bin`));
  const best = await loadTensors(join(dir, `best-${progress.epoch}.bin`));
  const shapes = model.getWeights().map((weight) => weight.shape.join('x'));
  for (const [kind, tensors] of [['model', weights], ['best', best]] as const) {
    if (tensors.map(({ tensor }) => tensor.shape.join('x')).join() !== shapes.join()) {
      throw new InvalidFileError(join(dir, `${kind}-${progress.epoch}.bin`), '', 'its tensors do not fit the model', REDO);
    }
  }
  model.setWeights(weights.map(({ tensor }) => tensor));
  tf.dispose(weights.map(({ tensor }) => tensor));
  const optimizerState = await loadTensors(join(dir, `optimizer-${progress.epoch}.bin`));
  if (optimizerState.length > 0) await optimizer.setWeights(optimizerState);
  restoreAdamPowers(optimizer, powers);
  return { progress, bestWeights: best.map(({ tensor }) => tensor) };
}
