import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../model/backend.js';
import { openFeatureStore } from '../store/index.js';
import type { EpochReport } from '../train/trainer.js';
import { contextOf, runSeed, type SeedWorkerData, type SeedWorkerMessage } from './run.js';

const { options, seed, keys, backend, sourceStores, targetStore } = workerData as SeedWorkerData;
const post = (message: SeedWorkerMessage) => parentPort!.postMessage(message);
await selectBackend(backend);
await runSeed(
  {
    ...options,
    log: (text: string) => post({ kind: 'log', text }),
    onEpoch: (run: string, report: EpochReport) => post({ kind: 'epoch', run, report }),
  },
  contextOf(sourceStores.map(openFeatureStore), openFeatureStore(targetStore), options.split),
  seed,
  keys,
);
