import { parentPort, workerData } from 'node:worker_threads';
import type { FeatureConfig } from '../features/index.js';
import { runJob, type ExtractionJob, type JobOutcome } from './job.js';

/** What preprocessCorpus hands every worker once, at start. */
export interface WorkerSetup {
  outDir: string;
  config: FeatureConfig;
}

/** Runs every job it is sent (preprocessCorpus keeps a few with it) and posts back each outcome. */
const { outDir, config } = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('src/store/worker.js is a worker_threads entry; preprocessCorpus starts it');

port.on('message', (job: ExtractionJob) => {
  void runJob(job, outDir, config).then((outcome: JobOutcome) => port.postMessage(outcome));
});
