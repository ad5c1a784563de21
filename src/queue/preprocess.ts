import { relative, sep } from 'node:path';
import type { Corpus } from '../corpora/index.js';
import { featureConfigKey } from '../features/index.js';
import { beginStoreRun, type PreprocessSummary, type ProgressItem, type StoreRunOptions } from '../store/index.js';
import { parseWith } from '../util/validate.js';
import { DEFAULT_BATCH_LIMITS, batchFiles, jobId, sized, type BatchLimits } from './batches.js';
import type { RedisTarget } from './connection.js';
import { runQueuedJobs, type QueuedJob } from './coordinator.js';
import { PREPROCESS_QUEUE, preprocessResultSchema, type PreprocessPayload } from './payloads.js';

export interface QueuePreprocessOptions extends StoreRunOptions {
  redis: RedisTarget;
  batch?: BatchLimits;
  /** Tries of a job before its files are reported failed. Default 3. */
  attempts?: number;
  onProgress?: (done: number, total: number, item: ProgressItem) => void;
}

/**
 * preprocessCorpus with the extraction spread over `ser worker` processes on any machines: this process
 * holds the store's lock, enqueues the outstanding files in batches, and records each batch's outcomes in
 * the store as they come back, so the store is the one `ser preprocess` writes (same frames, same index).
 * The corpus and store folders must be shared, at the same paths, with every worker machine.
 */
export async function queuePreprocessCorpus(corpus: Corpus, outDir: string, options: QueuePreprocessOptions): Promise<PreprocessSummary> {
  const { redis, batch = DEFAULT_BATCH_LIMITS, attempts = 3, onProgress } = options;
  const run = await beginStoreRun(corpus, outDir, options);
  let result: Awaited<ReturnType<typeof run.close>>;
  try {
    const configKey = featureConfigKey(options.config);
    const files = await sized(run.jobs, (job) => job.path);
    const jobs: QueuedJob<PreprocessPayload>[] = batchFiles(files, batch).map((group) => {
      const payload: PreprocessPayload = {
        kind: 'preprocess',
        store: outDir,
        configKey,
        corpus: corpus.root,
        files: group.map(({ value }) => ({ id: value.id, relativePath: relative(corpus.root, value.path).split(sep).join('/') })),
      };
      return { id: jobId('pp', [payload, group.map((file) => [file.size, file.mtimeMs])]), payload };
    });
    const paths = new Map(run.jobs.map((job) => [job.id, job.path]));
    let done = 0;
    const report = (item: ProgressItem): void => onProgress?.(++done, run.jobs.length, item);
    await runQueuedJobs({
      redis,
      queueName: PREPROCESS_QUEUE,
      jobs,
      attempts,
      onNotice: options.onNotice,
      parseResult: (value, job) => parseWith(preprocessResultSchema, value, `result of job ${job.id}`, 'rerun the command'),
      onResult: (_job, outcomes) => {
        for (const outcome of outcomes) {
          run.record(outcome);
          const path = paths.get(outcome.id)!;
          report(outcome.ok ? { id: outcome.id, path, ok: true, audioSeconds: outcome.extracted.audioSeconds } : { id: outcome.id, path, ok: false, reason: outcome.reason, audioSeconds: 0 });
        }
      },
      onFailure: (job, reason) => {
        for (const { id } of job.payload.files) {
          const failure = `its job failed ${attempts} times: ${reason}`;
          run.record({ id, ok: false, reason: failure });
          report({ id, path: paths.get(id)!, ok: false, reason: failure, audioSeconds: 0 });
        }
      },
    });
  } finally {
    result = await run.close();
  }
  return { ...result, skipped: run.skipped, outDir };
}
