import { parentPort, workerData } from 'node:worker_threads';
import type { FeatureConfig } from '../features/index.js';
import { runJob, type ExtractionJob } from './job.js';

/** What preprocessCorpus hands every worker once, at start. */
export interface WorkerSetup {
  outDir: string;
  config: FeatureConfig;
}

const { outDir, config } = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('src/store/worker.js is a worker_threads entry; preprocessCorpus starts it');

port.on('message', (job: ExtractionJob) => {
  void runJob(job, outDir, config).then((outcome) => port.postMessage(outcome));
});
