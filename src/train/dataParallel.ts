import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { activeBackendChoice, type BackendChoice } from '../model/backend.js';
import type { ModelSpec } from '../model/emotionModel.js';
import type { FeatureMatrix } from '../features/config.js';
import type { Windows } from './batches.js';
import { batchStatistics } from './batchNorm.js';
import { trainableVariables, type ObjectiveSettings, type Shard } from './objective.js';
import { predictProbabilities } from '../infer/infer.js';
import { evenRanges } from '../util/ranges.js';

/**
 * Data-parallel training: each step's batch is cut into shards, worker threads compute the gradients of
 * all shards but the first while this thread computes the first, and their sum is the batch's gradient.
 * Batch-norm re-estimation and validation are shared out the same way. The wasm backend runs on one core
 * per thread in Node, so this is how a training run uses the others.
 */

/** Below this many utterances a shard's batch-norm statistics get too noisy to be worth a thread. */
export const SMALLEST_SHARD = 8;

export interface TrainingWorkerSetup {
  backend: BackendChoice;
  /** The model's topology (`model.toJSON()`): each worker builds its own copy and gets the weights with every request. */
  topology: string;
  settings: ObjectiveSettings;
}

/**
 * What a worker is asked. `trainable` are the trainable variables' values (all that training-mode
 * computations read); `all` are every weight of the model, moving statistics included, for inference.
 */
export type WorkerRequest =
  | { kind: 'gradients'; trainable: Float32Array[]; shard: Shard; batchWeightTotal: number }
  | { kind: 'statistics'; trainable: Float32Array[]; batches: Windows[] }
  | { kind: 'probabilities'; all: Float32Array[]; matrices: FeatureMatrix[] };

export interface ShardGradients {
  /** One per trainable variable, in the model's order. */
  gradients: Float32Array[];
  loss: number;
}

export type WorkerReply =
  | { kind: 'ready' }
  | ({ kind: 'gradients' } & ShardGradients)
  | { kind: 'statistics'; perBatch: Float32Array[][] }
  | { kind: 'probabilities'; probabilities: number[][] }
  | { kind: 'error'; message: string };

type ReplyTo<K extends WorkerRequest['kind']> = Extract<WorkerReply, { kind: K }>;

/**
 * One thread per core for a model with conv blocks. One thread for a model of utterance statistics alone,
 * whose batches take milliseconds (threads would only add messages), and on tfjs-node, whose native
 * kernels already use every core.
 */
export function defaultTrainingThreads(spec: Pick<ModelSpec, 'channels'>): number {
  return activeBackendChoice() === 'node' || spec.channels.length === 0 ? 1 : availableParallelism();
}

/** How many shards a batch of `count` utterances is cut into with `threads` threads. */
export function shardCount(count: number, threads: number): number {
  return Math.max(1, Math.min(threads, Math.floor(count / SMALLEST_SHARD)));
}

/** Cuts a batch into `shards` contiguous shards of near-equal size; shard k's dropout seed is the batch's + k. */
export function cutBatch(batch: Shard, shards: number): Shard[] {
  const { frames, labels, count, windowFrames, dims, dropoutSeed } = batch;
  const perUtterance = windowFrames * dims;
  return evenRanges(count, shards).map(([start, end], k) => ({
    frames: frames.slice(start * perUtterance, end * perUtterance),
    labels: labels.slice(start, end),
    count: end - start,
    windowFrames,
    dims,
    dropoutSeed: dropoutSeed + k,
  }));
}

/** A worker thread that holds a copy of the model and answers one request at a time. */
class TrainingWorker {
  private pending: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'error') this.settle(new Error(`A training worker failed: ${reply.message}`));
      else this.settle(null, reply);
    });
    worker.on('error', (error) => this.settle(new Error(`A training worker crashed: ${error.message}`)));
    worker.on('exit', (code) => this.settle(new Error(`A training worker stopped (exit code ${code})`)));
  }

  static start(setup: TrainingWorkerSetup): Promise<TrainingWorker> {
    const worker = new Worker(new URL('./trainingWorker.js', import.meta.url), { workerData: setup });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`A training worker stopped while starting (exit code ${code})`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (reply: WorkerReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (reply.kind === 'ready') resolve(new TrainingWorker(worker));
        else reject(new Error(`A training worker could not start: ${reply.kind === 'error' ? reply.message : reply.kind}`));
      });
    });
  }

  /** Sends a request (handing over the buffers in `transfer`) and resolves with the worker's reply. */
  ask<K extends WorkerRequest['kind']>(request: Extract<WorkerRequest, { kind: K }>, transfer: ArrayBuffer[] = []): Promise<ReplyTo<K>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve: (reply) => resolve(reply as ReplyTo<K>), reject };
      this.worker.postMessage(request, transfer);
    });
  }

  private settle(error: Error | null, reply?: WorkerReply): void {
    if (error) this.failure ??= error;
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    if (error) pending.reject(error);
    else pending.resolve(reply!);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

const values = (tensors: tf.Tensor[]) => tensors.map((tensor) => tensor.dataSync() as Float32Array);

/** `items` cut into `parts` contiguous runs of near-equal length. */
function split<T>(items: T[], parts: number): T[][] {
  return evenRanges(items.length, parts).map(([start, end]) => items.slice(start, end));
}

/**
 * The threads that share a training run's work: each batch's gradients, the batch-norm statistics
 * re-estimated before validation, and the validation predictions. This thread always does a share
 * itself; with no workers it does all of it.
 */
export class TrainingWorkers {
  private constructor(private readonly workers: TrainingWorker[]) {}

  /** Starts `count` workers with copies of `model`; they need the compiled build. */
  static async start(model: tf.LayersModel, settings: ObjectiveSettings, count: number): Promise<TrainingWorkers> {
    if (count === 0) return new TrainingWorkers([]);
    if (import.meta.url.endsWith('.ts')) {
      throw new Error(`Training threads need the compiled build (dist/src/train/trainingWorker.js); ${import.meta.url} is TypeScript source, so train with threads: 1`);
    }
    const setup: TrainingWorkerSetup = { backend: activeBackendChoice(), topology: model.toJSON() as string, settings };
    const started = await Promise.allSettled(Array.from({ length: count }, () => TrainingWorker.start(setup)));
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map((w) => w.close()));
      throw failed.reason;
    }
    return new TrainingWorkers(workers);
  }

  /** Threads sharing the work, this one included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Gradients of `shards[k]` from worker k, computed with the model's trainable weights as they are now. */
  gradients(model: tf.LayersModel, shards: Shard[], batchWeightTotal: number): Promise<ShardGradients>[] {
    if (shards.length === 0) return [];
    const trainable = values(trainableVariables(model));
    return shards.map((shard, k) =>
      this.workers[k].ask({ kind: 'gradients', trainable, shard, batchWeightTotal }, [shard.frames.buffer as ArrayBuffer, shard.labels.buffer as ArrayBuffer]),
    );
  }

  /**
   * `batchStatistics` of each batch (in batch order), the batches shared among the threads (their frames are
   * handed over to them): the same statistics, whichever thread computes a batch. Re-estimation applies them.
   */
  async batchStatistics(model: tf.LayersModel, batches: Windows[]): Promise<Float32Array[][]> {
    const [own, ...others] = split(batches, this.threads);
    const trainable = values(trainableVariables(model));
    const remote = others.map((part, k) => this.workers[k].ask({ kind: 'statistics', trainable, batches: part }, part.map((batch) => batch.frames.buffer as ArrayBuffer)));
    const ownStatistics = own.map((batch) => batchStatistics(model, batch));
    const replies = await Promise.all(remote);
    return [ownStatistics, ...replies.map((reply) => reply.perBatch)].flat();
  }

  /** `predictProbabilities` with the utterances shared among the threads. */
  async predictProbabilities(model: tf.LayersModel, matrices: FeatureMatrix[]): Promise<number[][]> {
    const [own, ...others] = split(matrices, this.threads);
    const all = values(model.getWeights());
    const remote = others.map((part, k) => this.workers[k].ask({ kind: 'probabilities', all, matrices: part }));
    const ownProbabilities = predictProbabilities(model, own);
    const replies = await Promise.all(remote);
    return [ownProbabilities, ...replies.map((reply) => reply.probabilities)].flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
