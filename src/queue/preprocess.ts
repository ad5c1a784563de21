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
    const jobs = new BatchList(run.jobs.length, payloadOf);
    for (const group of batchFiles(sizedJobs(run.jobs), batch)) {
      const first = group[0]!.value;
      jobs.push(jobId(JOB_PREFIX, [payloadOf(first, group.length), group.map((file) => [file.size, file.mtimeMs])]), first);
    }
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
        const { files } = job.payload;
        for (const outcome of outcomes) {
          // The run's index of the file (-1 for an id the job does not hold: record refuses it).
          const offset = files.findIndex((file) => file.id === outcome.id);
          report(run.record(offset < 0 ? -1 : job.first + offset, outcome));
        }
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

const JOB_PREFIX = 'pp';
/** Bytes of a job id's hash (jobId: the prefix, a dash and 40 hex digits). */
const ID_BYTES = 20;

/** A queued batch: its id, the run's first job in it, and the payload made when asked for. */
type QueuedBatch = QueuedJob<PreprocessPayload> & { first: number };

/**
 * The run's batches in order, each consecutive jobs of the run: 24 bytes a batch in typed arrays (the id's
 * hash and the first job), the batch object made when asked for, so that a run of a million files keeps no
 * 60,000 objects with their id strings.
 */
class BatchList {
  private hashes = Buffer.alloc(1024 * ID_BYTES);
  private firsts = new Uint32Array(1024);
  length = 0;

  constructor(
    private readonly jobCount: number,
    private readonly payloadOf: (first: number, count: number) => PreprocessPayload,
  ) {}

  push(id: string, first: number): void {
    const hash = Buffer.from(id.slice(JOB_PREFIX.length + 1), 'hex');
    if (hash.length !== ID_BYTES || `${JOB_PREFIX}-${hash.toString('hex')}` !== id) throw new Error(`job id ${id} is not ${JOB_PREFIX}-<40 hex digits>`);
    if (this.length === this.firsts.length) {
      const hashes = Buffer.alloc(this.hashes.length * 2);
      this.hashes.copy(hashes);
      this.hashes = hashes;
      const firsts = new Uint32Array(this.firsts.length * 2);
      firsts.set(this.firsts);
      this.firsts = firsts;
    }
    hash.copy(this.hashes, this.length * ID_BYTES);
    this.firsts[this.length++] = first;
  }

  at(index: number): QueuedBatch | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const first = this.firsts[index];
    const count = (index + 1 < this.length ? this.firsts[index + 1] : this.jobCount) - first;
    const { payloadOf } = this;
    return {
      id: `${JOB_PREFIX}-${this.hashes.toString('hex', index * ID_BYTES, (index + 1) * ID_BYTES)}`,
      first,
      get payload() {
        return payloadOf(first, count);
      },
    };
  }
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
