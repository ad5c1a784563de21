import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseWith } from '../util/validate.js';
import { DEFAULT_BATCH_LIMITS, batchFiles, jobId, sized, type BatchLimits } from './batches.js';
import type { RedisTarget } from './connection.js';
import { runQueuedJobs, type QueuedJob } from './coordinator.js';
import { PREDICT_QUEUE, predictResultSchema, type PredictPayload } from './payloads.js';

export interface QueuePredictOptions {
  redis: RedisTarget;
  /** The model folder, at the same path on every worker machine. */
  model: string;
  plan: PredictPayload['plan'];
  minConfidence: number;
  batch?: BatchLimits;
  attempts?: number;
  onProgress?: (done: number, total: number) => void;
  onNotice?: (message: string) => void;
}

/** One row per file, in the order given: what predictFiles returns for it on a worker, its `file` the name as given here. */
export type QueuedPrediction = { file: string } & Record<string, unknown>;

/**
 * predictFiles spread over `ser worker` processes: files (already listed, e.g. by listAudioInputs) are sent
 * in batches of small files; each worker loads the model once and returns predictFiles' outcomes, so the
 * rows are those `ser predict` gives. A batch that fails all its attempts gives each of its files an error row.
 */
export async function queuePredictFiles(files: string[], options: QueuePredictOptions): Promise<QueuedPrediction[]> {
  const { redis, batch = DEFAULT_BATCH_LIMITS, attempts = 3, onProgress } = options;
  const model = resolve(options.model);
  const card = statSync(join(model, 'card.json'), { throwIfNoEntry: false });
  if (!card) throw new Error(`${model} holds no card.json; point --model at a folder written by ser train or ser adapt`);
  const listed = await sized(
    files.map((given, index) => ({ given, index })),
    ({ given }) => resolve(given),
  );
  const groups = [...batchFiles(listed, batch)];
  const jobs: QueuedJob<PredictPayload>[] = groups.map((group) => {
    const payload: PredictPayload = {
      kind: 'predict',
      model,
      plan: options.plan,
      minConfidence: options.minConfidence,
      files: group.map(({ path }) => ({ root: dirname(path), relativePath: basename(path) })),
    };
    return { id: jobId('pr', [payload, card.mtimeMs, group.map((file) => [file.size, file.mtimeMs])]), payload };
  });
  const indexOf = new Map(jobs.map((job, index) => [job.id, index]));
  const rows: QueuedPrediction[] = new Array(files.length);
  let done = 0;
  const place = (job: QueuedJob<PredictPayload>, rowsOfJob: QueuedPrediction[]): void => {
    const group = groups[indexOf.get(job.id)!]!;
    group.forEach(({ value }, position) => {
      rows[value.index] = { ...rowsOfJob[position]!, file: value.given };
    });
    done += group.length;
    onProgress?.(done, files.length);
  };
  await runQueuedJobs({
    redis,
    queueName: PREDICT_QUEUE,
    jobs,
    attempts,
    onNotice: options.onNotice,
    parseResult: (value, job) => {
      const outcomes = parseWith(predictResultSchema, value, `result of job ${job.id}`, 'rerun the command');
      if (outcomes.length !== job.payload.files.length) throw new Error(`result of job ${job.id}: ${outcomes.length} rows for ${job.payload.files.length} files; rerun the command`);
      return outcomes as QueuedPrediction[];
    },
    onResult: place,
    onFailure: (job, reason) => place(job, job.payload.files.map(() => ({ file: '', error: `its job failed ${attempts} times: ${reason}` }))),
  });
  return rows;
}
