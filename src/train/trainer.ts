import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { forward } from '../model/forward.js';
import { createRng, shuffle, type Rng } from '../util/random.js';
import { balancedOrder, cellClassWeights } from './balance.js';
import { windowBatch, type SpecAugmentOptions } from './batches.js';
import { argMax } from '../infer/infer.js';
import { computeMetrics } from '../infer/metrics.js';
import { cutBatch, TrainingWorkers, shardCount } from './dataParallel.js';
import { applyBatchStatistics, hasBatchNorm, statisticsBatches } from './batchNorm.js';
import { domainBatchOrder, rowsByDomain } from './domainBatchNorm.js';
import { hashLabelledData, modelShapes, resumeCheckpoint, writeCheckpoint, type RunIdentity, type TrainingProgress } from './checkpoint.js';
import { batchWeight, shardLoss, trainableVariables, type ObjectiveSettings, type Shard } from './objective.js';

export interface LabelledSet {
  matrices: FeatureMatrix[];
  labels: number[];
}

/** An extra loss on the embeddings of a source and a target batch (MMD, CORAL, a domain discriminator...). */
export interface AlignmentLoss {
  name: string;
  /** Parameters of the loss itself (a discriminator's), trained with the model. */
  variables: tf.Variable[];
  loss(source: tf.Tensor2D, target: tf.Tensor2D, progress: number): tf.Scalar;
  /**
   * Figures the loss computed at its last call and kept (DANN: `discriminatorAccuracy`); the trainer reads
   * them after each step, disposes them and reports their epoch means in `EpochReport.alignmentMetrics`.
   */
  takeMetrics?(): Record<string, tf.Scalar>;
}

export interface TrainOptions {
  classes: string[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Frames per training window (cropped or repeated to fit). */
  windowFrames: number;
  seed: number;
  dropout: number;
  /** Weight each class by the inverse of its frequency, so rare classes count as much as common ones. */
  classBalanced: boolean;
  /**
   * The corpus (or any group) of each labelled clip: batches are then balanced over (group, class) cells
   * (`balancedOrder`) instead of shuffled, and class weights only make up for classes missing from a group.
   */
  groups?: number[];
  /**
   * Domain-specific batch norm (domainBatchNorm.ts), with `groups` as the domains: every batch holds one
   * group's clips (batches dealt to the groups in rounds, each balanced over its classes), so batch norm
   * uses that group's statistics; re-estimation averages the groups' own batches, and each group's
   * validation clips are judged under that group's statistics.
   */
  domainBatchNorm?: boolean;
  augment: SpecAugmentOptions | null;
  /**
   * Held-out source speakers: the checkpoint with the best UAR on them is kept, and training stops after
   * `patience` epochs without gain. `groups`: each clip's group, as the training clips' (for domain batch norm).
   */
  validation?: LabelledSet & { groups?: number[] };
  patience?: number;
  alignment?: { loss: AlignmentLoss; target: FeatureMatrix[]; weight: number };
  /** Checkpoint every epoch into this folder; with `resume`, continue from the last one. */
  checkpointDir?: string;
  resume?: boolean;
  /**
   * Threads computing each batch's gradients (data parallel: a shard of the batch each, batch norm on
   * each shard's statistics). Default 1; more need the compiled build. Training with an alignment loss
   * uses one.
   */
  threads?: number;
  onEpoch?: (report: EpochReport) => void;
  onStep?: (step: number, stepsPerEpoch: number, epoch: number) => void;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  alignmentLoss: number | null;
  /** Epoch means of the figures the alignment loss reports (see `AlignmentLoss.takeMetrics`). */
  alignmentMetrics?: Record<string, number>;
  validationUar: number | null;
  best: boolean;
  seconds: number;
}

export interface TrainResult {
  history: EpochReport[];
  bestEpoch: number;
  bestValidationUar: number | null;
  resumedFrom: number | null;
  /** Threads that shared the work (1 where an alignment loss was trained or batches were too small to cut). */
  threads: number;
}

function classWeights(labels: number[], numClasses: number, balanced: boolean): number[] {
  if (!balanced) return new Array(numClasses).fill(1);
  const counts = new Array(numClasses).fill(0);
  for (const label of labels) counts[label]++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 0));
}

/** Each epoch draws from its own generator, so a resumed run makes the same draws as an uninterrupted one. */
function epochRng(seed: number, epoch: number): Rng {
  return createRng(seed * 1_000_003 + epoch * 7_919 + 17);
}

interface StepContext {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  settings: ObjectiveSettings;
  workers: TrainingWorkers;
  alignment?: TrainOptions['alignment'];
}

/**
 * One optimiser step on a batch: the workers' shards and this thread's own are computed at the same time,
 * and their gradients summed. The alignment loss, on the batch's embeddings and the target batch's, is
 * added to this thread's shard, which then is the whole batch.
 */
async function trainStep(
  { model, optimizer, settings, workers, alignment }: StepContext,
  batch: Shard,
  target: { frames: Float32Array; count: number; progress: number } | null,
): Promise<{ loss: number; alignment: number | null; alignmentMetrics: Record<string, number> }> {
  const modelVariables = trainableVariables(model);
  const trainable = [...modelVariables, ...(alignment?.loss.variables ?? [])];
  const total = batchWeight(batch.labels, settings);
  const [own, ...others] = cutBatch(batch, shardCount(batch.count, workers.threads));
  const remote = workers.gradients(model, others, total);
  let alignmentValue: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const { loss, embedding } = shardLoss(model, own, total, settings);
    if (!alignment || !target) return loss;
    const targetFrames = tf.tensor3d(target.frames, [target.count, batch.windowFrames, batch.dims]);
    const targetEmbedding = forward(model, targetFrames, { training: true }).embedding;
    const alignmentLoss = alignment.loss.loss(embedding, targetEmbedding, target.progress);
    alignmentValue = tf.keep(tf.clone(alignmentLoss));
    return tf.add(loss, tf.mul(alignmentLoss, alignment.weight));
  }, trainable);
  let loss = (await value.data())[0];
  for (const shard of await Promise.all(remote)) {
    loss += shard.loss;
    modelVariables.forEach((variable, i) => {
      const summed = tf.add(grads[variable.name], tf.tensor(shard.gradients[i], variable.shape));
      grads[variable.name].dispose();
      grads[variable.name] = summed;
    });
  }
  optimizer.applyGradients(trainable.map((variable) => ({ name: variable.name, tensor: grads[variable.name] })));
  tf.dispose([value, grads]);
  const aligned = alignmentValue as tf.Scalar | null;
  const alignmentNumber = aligned ? (await aligned.data())[0] : null;
  aligned?.dispose();
  const alignmentMetrics: Record<string, number> = {};
  for (const [name, scalar] of Object.entries(alignment?.loss.takeMetrics?.() ?? {})) {
    alignmentMetrics[name] = (await scalar.data())[0];
    scalar.dispose();
  }
  return { loss, alignment: alignmentNumber, alignmentMetrics };
}

/**
 * One loop for every kind of training: pretraining on the source, few-shot fine-tuning, and alignment
 * (the alignment loss sees a target batch beside each labelled batch).
 */
export async function trainClassifier(model: tf.LayersModel, data: LabelledSet, options: TrainOptions): Promise<TrainResult> {
  const optimizer = tf.train.adam(options.learningRate);
  const cells = options.groups?.map((group, i) => group * options.classes.length + data.labels[i]);
  const settings: ObjectiveSettings = {
    numClasses: options.classes.length,
    classWeights: cells ? cellClassWeights(cells, data.labels, options.classes.length) : classWeights(data.labels, options.classes.length, options.classBalanced),
    dropout: options.dropout,
  };
  const stepsPerEpoch = Math.max(1, Math.ceil(data.matrices.length / options.batchSize));
  if (options.domainBatchNorm && (!options.groups || (options.validation && !options.validation.groups))) {
    throw new Error('domain batch norm needs the group (corpus) of every training and validation clip');
  }
  const domains = options.domainBatchNorm ? options.groups : undefined;
  let state: TrainingProgress = { epoch: 0, history: [], bestEpoch: 0, bestValidationUar: null, staleEpochs: 0 };
  let bestWeights: tf.Tensor[] | null = null;
  let resumedFrom: number | null = null;

  const checkpoint = options.checkpointDir;
  const trainedOn = checkpoint ? runIdentity(model, data, options) : null;
  if (checkpoint && trainedOn && options.resume) {
    const resumed = await resumeCheckpoint(checkpoint, model, optimizer, trainedOn);
    if (resumed) {
      ({ progress: state, bestWeights } = resumed);
      resumedFrom = state.epoch;
    }
  }

  const stopEarly = () => options.patience !== undefined && state.staleEpochs >= options.patience;
  // The alignment losses see whole batches (and a discriminator trains with them), so they train in this thread.
  const threads = options.alignment ? 1 : Math.max(1, Math.floor(options.threads ?? 1));
  const workers = await TrainingWorkers.start(model, settings, shardCount(Math.min(options.batchSize, data.matrices.length), threads) - 1);
  const context: StepContext = { model, optimizer, settings, workers, alignment: options.alignment };
  try {
    while (state.epoch < options.epochs && !stopEarly()) {
      const epoch = state.epoch + 1;
      const started = Date.now();
      const rng = epochRng(options.seed, epoch);
      const order = domains
        ? domainBatchOrder(cells!, domains, stepsPerEpoch, options.batchSize, rng)
        : cells
            ? balancedOrder(cells, data.matrices.length, rng)
            : shuffle(data.matrices.map((_, i) => i), rng);
      const targetOrder = options.alignment ? shuffle(options.alignment.target.map((_, i) => i), rng) : [];
      let lossSum = 0;
      let alignmentSum = 0;
      const alignmentMetricSums: Record<string, number> = {};
      for (let step = 0; step < stepsPerEpoch; step++) {
        const indices = order.slice(step * options.batchSize, (step + 1) * options.batchSize);
        const frames = windowBatch(indices.map((i) => data.matrices[i]), options.windowFrames, rng, options.augment);
        const labels = Int32Array.from(indices, (i) => data.labels[i]);
        const batch: Shard = {
          frames,
          labels,
          count: indices.length,
          windowFrames: options.windowFrames,
          dims: data.matrices[0].dims,
          dropoutSeed: Math.floor(rng() * 2 ** 31),
        };
        let target: { frames: Float32Array; count: number; progress: number } | null = null;
        if (options.alignment) {
          const pool = options.alignment.target;
          const picked = indices.map((_, k) => pool[targetOrder[(step * options.batchSize + k) % targetOrder.length]]);
          const progress = (state.epoch * stepsPerEpoch + step) / (options.epochs * stepsPerEpoch);
          target = { frames: windowBatch(picked, options.windowFrames, rng, options.augment), count: picked.length, progress };
        }
        const result = await trainStep(context, batch, target);
        if (!Number.isFinite(result.loss) || (result.alignment !== null && !Number.isFinite(result.alignment))) {
          throw new Error(
            `training diverged at epoch ${epoch}, batch ${step + 1}: the ${Number.isFinite(result.loss) ? 'alignment loss' : 'loss'} is ` +
              `${Number.isFinite(result.loss) ? result.alignment : result.loss} (learning rate ${options.learningRate}` +
              `${options.alignment ? `, alignment weight ${options.alignment.weight}` : ''}); lower the learning rate` +
              `${options.alignment ? ' or the alignment weight' : ''}, and check that the features are finite`,
          );
        }
        lossSum += result.loss;
        alignmentSum += result.alignment ?? 0;
        for (const [name, value] of Object.entries(result.alignmentMetrics)) alignmentMetricSums[name] = (alignmentMetricSums[name] ?? 0) + value;
        options.onStep?.(step + 1, stepsPerEpoch, epoch);
      }

      // Exact statistics matter only where the model is judged: each validation, and the final epoch.
      let validationUar: number | null = null;
      if (options.validation || epoch === options.epochs) validationUar = await reestimateAndValidate(model, workers, data, domains, options, epoch);
      const best = validationUar === null || state.bestValidationUar === null || validationUar > state.bestValidationUar;
      if (best) {
        bestWeights?.forEach((t) => t.dispose());
        bestWeights = model.getWeights().map((w) => w.clone());
        state.bestEpoch = epoch;
        state.bestValidationUar = validationUar;
        state.staleEpochs = 0;
      } else {
        state.staleEpochs++;
      }
      const report: EpochReport = {
        epoch,
        epochs: options.epochs,
        loss: lossSum / stepsPerEpoch,
        alignmentLoss: options.alignment ? alignmentSum / stepsPerEpoch : null,
        ...(Object.keys(alignmentMetricSums).length > 0
          ? { alignmentMetrics: Object.fromEntries(Object.entries(alignmentMetricSums).map(([name, sum]) => [name, sum / stepsPerEpoch])) }
          : {}),
        validationUar,
        best,
        seconds: (Date.now() - started) / 1000,
      };
      state.history.push(report);
      state.epoch = epoch;
      if (checkpoint && trainedOn) await writeCheckpoint(checkpoint, model, bestWeights!, optimizer, state, trainedOn);
      options.onEpoch?.(report);
    }
  } finally {
    await workers.close();
  }

  if (bestWeights) {
    model.setWeights(bestWeights);
    bestWeights.forEach((t) => t.dispose());
  }
  optimizer.dispose();
  return { history: state.history, bestEpoch: state.bestEpoch, bestValidationUar: state.bestValidationUar, resumedFrom, threads: workers.threads };
}

/**
 * Re-estimates the batch norms on the training data and returns the validation UAR (null without a
 * validation set). With `domains` (domain batch norm), each domain's validation clips are predicted under
 * the statistics of that domain's own training batches, as a new domain will be under AdaBN; the model then
 * keeps the average over every domain's batches.
 */
async function reestimateAndValidate(
  model: tf.LayersModel,
  workers: TrainingWorkers,
  data: LabelledSet,
  domains: number[] | undefined,
  options: TrainOptions,
  epoch: number,
): Promise<number | null> {
  const batches = hasBatchNorm(model) ? statisticsBatches(data.matrices, options.windowFrames, options.seed + epoch, undefined, domains) : [];
  const batchDomains = batches.map((batch) => batch.domain);
  const perBatch = await workers.batchStatistics(model, batches);
  const validation = options.validation;
  const byOwnDomain = validation && domains && perBatch.length > 0 ? await predictUnderOwnDomains(model, workers, validation, perBatch, batchDomains) : null;
  if (perBatch.length > 0) applyBatchStatistics(model, perBatch);
  if (!validation) return null;
  const predictions = byOwnDomain ?? (await workers.predictProbabilities(model, validation.matrices)).map(argMax);
  return computeMetrics(validation.labels, predictions, options.classes).uar;
}

/** Each domain's validation clips predicted (class indices, in validation order) under the statistics of that domain's own batches. */
async function predictUnderOwnDomains(
  model: tf.LayersModel,
  workers: TrainingWorkers,
  validation: NonNullable<TrainOptions['validation']>,
  perBatch: Float32Array[][],
  batchDomains: number[],
): Promise<number[]> {
  const predictions = new Array<number>(validation.matrices.length);
  for (const [domain, rows] of rowsByDomain(validation.groups!)) {
    applyBatchStatistics(model, perBatch.filter((_, b) => batchDomains[b] === domain));
    const probabilities = await workers.predictProbabilities(model, rows.map((row) => validation.matrices[row]));
    rows.forEach((row, k) => (predictions[row] = argMax(probabilities[k])));
  }
  return predictions;
}

/** What the checkpoint records this run as trained on (see RunIdentity). */
function runIdentity(model: tf.LayersModel, data: LabelledSet, options: TrainOptions): RunIdentity {
  return {
    data: hashLabelledData(data.matrices, data.labels),
    validation: options.validation ? hashLabelledData(options.validation.matrices, options.validation.labels) : null,
    model: modelShapes(model),
    settings: {
      classes: options.classes.join(','),
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      windowFrames: options.windowFrames,
      seed: options.seed,
      dropout: options.dropout,
      classBalanced: options.classBalanced,
      augment: JSON.stringify(options.augment),
      patience: options.patience ?? null,
      alignment: options.alignment ? `${options.alignment.loss.name} weight ${options.alignment.weight}` : null,
      ...(options.domainBatchNorm ? { domainBatchNorm: true } : {}),
      alignmentTarget: options.alignment ? hashLabelledData(options.alignment.target, null) : null,
    },
  };
}
