import { parentPort, workerData } from 'node:worker_threads';
import type { FeatureConfig } from '../features/index.js';
import { runJob, type ExtractionJob } from './job.js';

/** What preprocessCorpus hands every worker once, at start. */
export interface WorkerSetup {
  outDir: string;
  config: FeatureConfig;
  jobs: ExtractionJob[];
  /**
   * One Int32 over a SharedArrayBuffer: the index of the next job nobody has claimed. Workers claim jobs
   * themselves, so none waits on the main thread for work and none idles while another has a backlog.
   */
  nextJob: Int32Array;
}

/** Jobs a worker has going at once, so it computes one file while another is being read or written. */
const JOBS_IN_FLIGHT = 2;

const { outDir, config, jobs, nextJob } = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('src/store/worker.js is a worker_threads entry; preprocessCorpus starts it');

async function claimUntilDone(): Promise<void> {
  for (let index = Atomics.add(nextJob, 0, 1); index < jobs.length; index = Atomics.add(nextJob, 0, 1)) {
    port!.postMessage(await runJob(jobs[index], outDir, config));
  }
}

// Once every job is claimed and reported, nothing keeps the thread alive and it exits.
await Promise.all(Array.from({ length: JOBS_IN_FLIGHT }, claimUntilDone));
