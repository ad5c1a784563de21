import { statSync } from 'node:fs';
import { relative, sep } from 'node:path';
import type { Corpus, CorpusListing } from '../corpora/index.js';
import { featureConfigKey } from '../features/index.js';
import { beginStoreRun, type JobList, type PreprocessSummary, type ProgressItem, type StoreRunOptions } from '../store/index.js';
import { parseWith } from '../util/validate.js';
import { DEFAULT_BATCH_LIMITS, batchFiles, jobId, type BatchLimits, type SizedFile } from './batches.js';
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
export async function queuePreprocessCorpus(corpus: Corpus | CorpusListing, outDir: string, options: QueuePreprocessOptions): Promise<PreprocessSummary> {
  const { redis, batch = DEFAULT_BATCH_LIMITS, attempts = 3, onProgress } = options;
  const run = await beginStoreRun(corpus, outDir, options);
  let result: Awaited<ReturnType<typeof run.close>>;
  try {
    const configKey = featureConfigKey(options.config);
    /** The payload of the jobs `first` to `first + count - 1` of the run, made when it is enqueued (a job keeps only its range). */
    const payloadOf = (first: number, count: number): PreprocessPayload => ({
      kind: 'preprocess',
      store: outDir,
      configKey,
      corpus: corpus.root,
      files: Array.from({ length: count }, (_, offset) => {
        const { id, path } = run.jobs.at(first + offset);
        return { id, relativePath: relative(corpus.root, path).split(sep).join('/') };
      }),
    });
    const jobs: (QueuedJob<PreprocessPayload> & { first: number })[] = [];
    for (const group of batchFiles(sizedJobs(run.jobs), batch)) {
      const first = group[0]!.value;
      const count = group.length;
      const id = jobId('pp', [payloadOf(first, count), group.map((file) => [file.size, file.mtimeMs])]);
      jobs.push({ id, first, get payload() { return payloadOf(first, count); } });
    }
    /** The run's index of a file of a queued job (-1 for an id the job does not hold: record refuses it). */
    const jobIndexOf = (job: (typeof jobs)[number], id: string): number => {
      const offset = job.payload.files.findIndex((file) => file.id === id);
      return offset < 0 ? -1 : job.first + offset;
    };
    let done = 0;
    const report = (item: ProgressItem | undefined): void => {
      if (item) onProgress?.(++done, run.jobs.length, item);
    };
    await runQueuedJobs({
      redis,
      queueName: PREPROCESS_QUEUE,
      jobs,
      attempts,
      onNotice: options.onNotice,
      parseResult: (value, job) => parseWith(preprocessResultSchema, value, `result of job ${job.id}`, 'rerun the command'),
      onResult: (job, outcomes) => {
        for (const outcome of outcomes) report(run.record(jobIndexOf(job, outcome.id), outcome));
      },
      onFailure: (job, reason) => {
        job.payload.files.forEach(({ id }, offset) => report(run.record(job.first + offset, { id, ok: false, reason: `its job failed ${attempts} times: ${reason}` })));
      },
    });
  } finally {
    result = await run.close();
  }
  return { ...result, skipped: run.skipped, outDir };
}

/** The run's jobs by position, with the size and modification time their audio has now (0 when missing: the worker reports it). */
function* sizedJobs(jobs: JobList): Generator<SizedFile<number>> {
  for (let index = 0; index < jobs.length; index++) {
    const { path } = jobs.at(index);
    let info: { size: number; mtimeMs: number } | undefined;
    try {
      info = statSync(path, { throwIfNoEntry: false });
    } catch {
      info = undefined;
    }
    yield { value: index, path, size: info?.size ?? 0, mtimeMs: info?.mtimeMs ?? 0 };
  }
}
