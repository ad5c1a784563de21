import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { Worker, type Job } from 'bullmq';
import type { FeatureConfig } from '../features/index.js';
import { frameFileFor, runJob, type JobOutcome } from '../store/index.js';
import { readStoreIndex, INDEX_FILE } from '../store/format.js';
import { LOCK_FILE } from '../store/lock.js';
import { resolveInside } from '../util/paths.js';
import { parseWith } from '../util/validate.js';
import type { RedisTarget } from './connection.js';
import { PREDICT_QUEUE, PREPROCESS_QUEUE, predictPayloadSchema, preprocessPayloadSchema, type PredictPayload, type PreprocessPayload } from './payloads.js';
import { existsSync } from 'node:fs';

export interface QueueWorkerOptions {
  redis: RedisTarget;
  /** Jobs this process runs at once, per queue. */
  concurrency: number;
  /** How long a job's lock lasts without renewal: a worker killed mid-job has its job retried after about this long. */
  lockSeconds: number;
  /**
   * At most this many jobs a second per queue, over every worker of the queue (BullMQ's limiter, kept in Redis),
   * e.g. to spare shared storage; omitted, no limit.
   */
  jobsPerSecond?: number;
  /** When given, every folder a payload names must lie inside one of these. */
  allow?: string[];
  /** Runs predict jobs (loads the model of each); omitted, this worker takes only preprocess jobs. */
  predict?: (payload: PredictPayload, paths: string[]) => Promise<unknown[]>;
  onEvent?: (message: string) => void;
}

export interface QueueWorker {
  close(): Promise<void>;
}

function isInside(folder: string, path: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function checkAllowed(allow: string[] | undefined, folders: string[], jobId: string): void {
  if (!allow) return;
  for (const folder of folders) {
    if (!allow.some((allowed) => isInside(allowed, folder))) {
      throw new Error(`job ${jobId}: folder ${folder} is outside the folders this worker may use (--allow ${allow.join(' ')})`);
    }
  }
}

/**
 * Extracts a preprocess job's files into its store. The feature configuration comes from the store's own
 * index.json (written by the coordinator, which holds the store's lock), not from the payload, and must have
 * the payload's key; a folder without a store being written is refused, so a payload cannot make a worker
 * write into an arbitrary folder.
 */
export async function runPreprocessPayload(payload: PreprocessPayload, jobId: string): Promise<JobOutcome[]> {
  const index = readStoreIndex(payload.store);
  if (index?.kind !== 'current' || !existsSync(join(payload.store, LOCK_FILE))) {
    throw new Error(`job ${jobId}: ${payload.store} is not a feature store being written (no ${INDEX_FILE} of the current format, or no lock); is the folder shared with the machine that ran ser queue preprocess?`);
  }
  if (index.header.configKey !== payload.configKey) throw new Error(`job ${jobId}: ${payload.store} now holds another feature configuration than this job was made for`);
  const config = index.header.config as FeatureConfig;
  const origin = `job ${jobId}`;
  const outcomes: JobOutcome[] = [];
  for (const { id, relativePath } of payload.files) {
    const path = resolveInside(payload.corpus, relativePath, origin);
    const file = frameFileFor(id);
    resolveInside(payload.store, file, origin);
    outcomes.push(await runJob({ id, path, file }, payload.store, config));
  }
  return outcomes;
}

/**
 * BullMQ's limiter allows `max` jobs per `duration` ms: whole jobs a second at or above one a second, else one
 * job per 1/rate seconds. Example: 4 → {max: 4, duration: 1000}; 0.5 → {max: 1, duration: 2000}.
 */
export function rateLimiter(jobsPerSecond: number): { max: number; duration: number } {
  if (!(jobsPerSecond > 0) || !Number.isFinite(jobsPerSecond)) throw new Error(`jobs per second must be a positive number, got ${jobsPerSecond}`);
  return jobsPerSecond >= 1 ? { max: Math.round(jobsPerSecond), duration: 1000 } : { max: 1, duration: Math.round(1000 / jobsPerSecond) };
}

/**
 * Takes jobs of `ser queue preprocess` (and of `ser queue predict` when `predict` is given) from Redis until
 * closed. A job's result goes back through Redis to the coordinator, which alone writes the store's index.
 */
export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const { redis, concurrency, lockSeconds, jobsPerSecond, allow, predict, onEvent = () => {} } = options;
  const settings = {
    ...(jobsPerSecond === undefined ? {} : { limiter: rateLimiter(jobsPerSecond) }),
    connection: redis.connection,
    concurrency,
    lockDuration: lockSeconds * 1000,
    stalledInterval: lockSeconds * 1000,
    // A job is retried however many times its workers die under it; its attempts count only real failures.
    maxStalledCount: 100,
  };
  const workers: Worker[] = [
    new Worker(
      PREPROCESS_QUEUE,
      async (job: Job) => {
        const payload = parseWith(preprocessPayloadSchema, job.data, `job ${job.id}`, 'enqueue it with ser queue preprocess');
        checkAllowed(allow, [payload.store, payload.corpus], String(job.id));
        return runPreprocessPayload(payload, String(job.id));
      },
      settings,
    ),
  ];
  if (predict) {
    workers.push(
      new Worker(
        PREDICT_QUEUE,
        async (job: Job) => {
          const payload = parseWith(predictPayloadSchema, job.data, `job ${job.id}`, 'enqueue it with ser queue predict');
          checkAllowed(allow, [payload.model, ...payload.files.map((file) => file.root)], String(job.id));
          const paths = payload.files.map(({ root, relativePath }) => resolveInside(root, relativePath, `job ${job.id}`));
          return predict(payload, paths);
        },
        settings,
      ),
    );
  }
  for (const worker of workers) {
    worker.on('failed', (job, error) => onEvent(`job ${job?.id} of ${worker.name} failed (attempt ${job?.attemptsMade}): ${error.message}`));
    worker.on('error', (error) => onEvent(`${worker.name}: ${error.message}`));
  }
  return {
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
