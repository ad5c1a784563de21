import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Corpus, CorpusListing } from '../corpora/index.js';
import type { FeatureConfig } from '../features/index.js';
import type { StoreError } from './format.js';
import { runJob, type JobOutcome } from './job.js';
import { beginStoreRun, type JobList, type ProgressItem, type StoreRunOptions } from './storeRun.js';
import type { WorkerSetup } from './worker.js';

/**
 * Jobs kept with each worker thread: up to `files`, and beyond the first no more than `bytes` of audio files
 * together. A worker computes one file while others are being read or written (with 4 clips in flight rather
 * than 2, 44.1 kHz preprocessing ran ~10% faster: 1,800x against 1,610x on 2 cores), while long recordings
 * go one at a time, so a worker never holds several hours of audio. The next job is sent with each outcome,
 * and no thread holds the whole job list (memory flat in the corpus size).
 */
const IN_FLIGHT = { files: 4, bytes: 64 * 1024 * 1024 };

/** The file's size when it can be read now; 0 otherwise (the worker reports why it cannot). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export interface PreprocessOptions extends StoreRunOptions {
  /** Worker threads; 0 extracts in this thread (what tests running the TypeScript sources need). Default: one per core. */
  workers?: number;
  /** Called after each file of this run; `total` counts the files this run extracts, not those already done. */
  onProgress?: (done: number, total: number, item: ProgressItem) => void;
}

export interface PreprocessSummary {
  /** Files extracted by this run. */
  processed: number;
  /** Files already in the store, left as they were. */
  skipped: number;
  failed: StoreError[];
  /** Seconds of audio extracted by this run. */
  audioSeconds: number;
  outDir: string;
}

/**
 * Extracts every outstanding job, `workers` at a time in worker threads (or in this thread when 0),
 * handing each outcome to `onOutcome` in completion order.
 */
async function runJobs(jobs: JobList, outDir: string, config: FeatureConfig, workers: number, onOutcome: (jobIndex: number, outcome: JobOutcome) => void): Promise<void> {
  if (workers === 0) {
    for (let index = 0; index < jobs.length; index++) onOutcome(index, await runJob(jobs.at(index), outDir, config));
    return;
  }
  if (jobs.length === 0) return;
  const script = new URL('./worker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) {
    throw new Error(`Worker threads need the compiled build (dist/src/store/worker.js); ${import.meta.url} is TypeScript source, so pass workers: 0`);
  }
  const setup: WorkerSetup = { outDir, config };
  // V8 grows a thread's young generation the longer it allocates, so a run's peak memory rose with the corpus
  // (168 MB at 15k items, 218 MB at 61k) although nothing is kept per item; capped, it is 166 / 170 MB, at the
  // same extraction speed (bench-store and bench:features, README).
  const limits = { maxYoungGenerationSizeMb: 8 };
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(script, { workerData: setup, resourceLimits: limits }));
  try {
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let received = 0;
      let nextBytes = -1;
      // Per worker, its jobs by id: index in the run and bytes of audio.
      const held = new Map<Worker, Map<string, { index: number; bytes: number }>>(pool.map((worker) => [worker, new Map()]));
      const feed = (worker: Worker): void => {
        const jobsHeld = held.get(worker)!;
        let bytesHeld = 0;
        for (const { bytes } of jobsHeld.values()) bytesHeld += bytes;
        while (sent < jobs.length && jobsHeld.size < IN_FLIGHT.files) {
          const job = jobs.at(sent);
          if (nextBytes < 0) nextBytes = fileBytes(job.path);
          if (jobsHeld.size > 0 && bytesHeld + nextBytes > IN_FLIGHT.bytes) return;
          jobsHeld.set(job.id, { index: sent, bytes: nextBytes });
          bytesHeld += nextBytes;
          worker.postMessage(job);
          sent++;
          nextBytes = -1;
        }
      };
      for (const worker of pool) {
        feed(worker);
        worker.on('message', (outcome: JobOutcome) => {
          received++;
          const jobsHeld = held.get(worker)!;
          const index = jobsHeld.get(outcome.id)?.index ?? -1;
          jobsHeld.delete(outcome.id);
          try {
            onOutcome(index, outcome);
          } catch (error) {
            reject(error);
            return;
          }
          if (received === jobs.length) resolve();
          else feed(worker);
        });
        worker.on('error', (error) => reject(new Error(`A feature extraction worker crashed: ${error.message}`)));
        worker.on('exit', (code) => {
          if (received < jobs.length) reject(new Error(`A feature extraction worker stopped (exit code ${code}) with ${jobs.length - received} files left`));
        });
      }
    });
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}

/**
 * Turns the corpus's utterances into a feature store in outDir (see ARCHITECTURE.md, "Feature store format"),
 * `workers` worker threads at a time. Utterances already in the store and unchanged are skipped, so an
 * interrupted run resumes where it stopped; a file that cannot be decoded or is too short lands in
 * errors.json and never stops the others. See beginStoreRun for what a rerun keeps.
 */
export async function preprocessCorpus(corpus: Corpus | CorpusListing, outDir: string, options: PreprocessOptions): Promise<PreprocessSummary> {
  const { workers = availableParallelism(), onProgress } = options;
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a whole number >= 0, got ${workers}`);
  const run = await beginStoreRun(corpus, outDir, options);
  let done = 0;
  const onOutcome = (jobIndex: number, outcome: JobOutcome): void => {
    const item = run.record(jobIndex, outcome);
    if (item) onProgress?.(++done, run.jobs.length, item);
  };
  let result: Awaited<ReturnType<typeof run.close>>;
  try {
    await runJobs(run.jobs, outDir, options.config, workers, onOutcome);
  } finally {
    result = await run.close();
  }
  return { ...result, skipped: run.skipped, outDir };
}
