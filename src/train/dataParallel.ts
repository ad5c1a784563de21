import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { activeBackendChoice, type BackendChoice } from '../model/backend.js';
import type { ModelSpec } from '../model/emotionModel.js';
import type { ObjectiveSettings, Shard } from './objective.js';

/**
 * Data-parallel training: each step's batch is cut into shards, worker threads compute the gradients of
 * all shards but the first while this thread computes the first, and their sum is the batch's gradient.
 * The wasm backend runs on one core per thread in Node, so this is how a training run uses the others.
 */

/** Below this many utterances a shard's batch-norm statistics get too noisy to be worth a thread. */
export const SMALLEST_SHARD = 8;

export interface GradientWorkerSetup {
  backend: BackendChoice;
  /** The model's topology (`model.toJSON()`): each worker builds its own copy and gets the weights every step. */
  topology: string;
  settings: ObjectiveSettings;
}

export interface GradientRequest {
  weights: Float32Array[];
  shard: Shard;
  batchWeightTotal: number;
}

export interface ShardGradients {
  /** One per trainable variable, in the model's order. */
  gradients: Float32Array[];
  loss: number;
}

export type GradientWorkerMessage = { kind: 'ready' } | ({ kind: 'gradients' } & ShardGradients) | { kind: 'error'; message: string };

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
  return Array.from({ length: shards }, (_, k) => {
    const start = Math.round((k * count) / shards);
    const end = Math.round(((k + 1) * count) / shards);
    return {
      frames: frames.slice(start * perUtterance, end * perUtterance),
      labels: labels.slice(start, end),
      count: end - start,
      windowFrames,
      dims,
      dropoutSeed: dropoutSeed + k,
    };
  });
}

/** A worker thread that holds a copy of the model and answers one gradient request at a time. */
class GradientWorker {
  private pending: { resolve: (result: ShardGradients) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: GradientWorkerMessage) => {
      if (message.kind === 'gradients') this.settle(null, { gradients: message.gradients, loss: message.loss });
      else if (message.kind === 'error') this.settle(new Error(`A training worker failed: ${message.message}`));
    });
    worker.on('error', (error) => this.settle(new Error(`A training worker crashed: ${error.message}`)));
    worker.on('exit', (code) => this.settle(new Error(`A training worker stopped (exit code ${code})`)));
  }

  static start(setup: GradientWorkerSetup): Promise<GradientWorker> {
    const worker = new Worker(new URL('./gradientWorker.js', import.meta.url), { workerData: setup });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`A training worker stopped while starting (exit code ${code})`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (message: GradientWorkerMessage) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (message.kind === 'ready') resolve(new GradientWorker(worker));
        else reject(new Error(`A training worker could not start: ${message.kind === 'error' ? message.message : message.kind}`));
      });
    });
  }

  gradients(request: GradientRequest): Promise<ShardGradients> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request, [request.shard.frames.buffer as ArrayBuffer, request.shard.labels.buffer as ArrayBuffer]);
    });
  }

  private settle(error: Error | null, result?: ShardGradients): void {
    if (error) this.failure ??= error;
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    if (error) pending.reject(error);
    else pending.resolve(result!);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** The threads beside this one that compute shard gradients for a training run. */
export class GradientWorkers {
  private constructor(private readonly workers: GradientWorker[]) {}

  /** Starts `count` workers with copies of `model`; they need the compiled build. */
  static async start(model: tf.LayersModel, settings: ObjectiveSettings, count: number): Promise<GradientWorkers> {
    if (import.meta.url.endsWith('.ts')) {
      throw new Error(`Training threads need the compiled build (dist/src/train/gradientWorker.js); ${import.meta.url} is TypeScript source, so train with threads: 1`);
    }
    const setup: GradientWorkerSetup = { backend: activeBackendChoice(), topology: model.toJSON() as string, settings };
    const started = await Promise.allSettled(Array.from({ length: count }, () => GradientWorker.start(setup)));
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map((w) => w.close()));
      throw failed.reason;
    }
    return new GradientWorkers(workers);
  }

  get count(): number {
    return this.workers.length;
  }

  /** Gradients of `shards[k]` from worker k, computed with `weights` (the trainable variables' values now). */
  gradients(weights: Float32Array[], shards: Shard[], batchWeightTotal: number): Promise<ShardGradients>[] {
    return shards.map((shard, k) => this.workers[k].gradients({ weights, shard, batchWeightTotal }));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
