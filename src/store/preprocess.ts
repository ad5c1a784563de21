import { statSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Corpus, Utterance } from '../corpora/index.js';
import { featureConfigKey, type FeatureConfig } from '../features/index.js';
import {
  ERRORS_FILE,
  FRAMES_FOLDER,
  INDEX_FILE,
  STORE_FORMAT,
  frameFileFor,
  readStoreIndex,
  writeStoreErrors,
  writeStoreIndex,
  type StoreError,
  type StoreIndex,
  type StoreItem,
} from './format.js';
import { runJob, type ExtractionJob, type JobOutcome } from './job.js';
import type { WorkerSetup } from './worker.js';

/** How often the index is saved while work goes on: what a killed run can lose at most. */
const INDEX_SAVE_INTERVAL_MS = 2000;

/** The file just finished, as onProgress reports it. */
export interface ProgressItem {
  id: string;
  path: string;
  ok: boolean;
  /** Why the file failed, when it did. */
  reason?: string;
  /** Length of the decoded audio; 0 for a failed file. */
  audioSeconds: number;
}

export interface PreprocessOptions {
  config: FeatureConfig;
  /** Worker threads; 0 extracts in this thread (what tests running the TypeScript sources need). Default: one per core. */
  workers?: number;
  /** Keep utterances whose emotion has no class in the taxonomy, with label null. */
  allLabels?: boolean;
  /** Discard a store of another configuration or corpus in outDir instead of refusing it. */
  overwrite?: boolean;
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

function mismatch(outDir: string, what: string): Error {
  return new Error(
    `The feature store ${outDir} was built with ${what}; it is never mixed. ` +
      'Choose another --out folder, or pass --overwrite to discard it and rebuild.',
  );
}

/** e.g. `deltas (store: true, requested: false)`, one per setting that differs. */
function configDifferences(stored: FeatureConfig, requested: FeatureConfig): string {
  const settings = [...new Set([...Object.keys(stored), ...Object.keys(requested)])] as (keyof FeatureConfig)[];
  return settings
    .filter((setting) => JSON.stringify(stored[setting]) !== JSON.stringify(requested[setting]))
    .map((setting) => `${setting} (store: ${JSON.stringify(stored[setting])}, requested: ${JSON.stringify(requested[setting])})`)
    .join(', ');
}

/** The existing index of outDir, checked against this run; undefined when there is none to keep. */
async function existingIndex(outDir: string, corpus: Corpus, config: FeatureConfig, overwrite: boolean): Promise<StoreIndex | undefined> {
  const index = readStoreIndex(outDir);
  if (!index) return undefined;
  const configKey = featureConfigKey(config);
  if (index.configKey === configKey && index.corpus === corpus.name) return index;
  if (!overwrite) {
    throw index.configKey !== configKey
      ? mismatch(outDir, `another feature configuration: ${configDifferences(index.config, config)}`)
      : mismatch(outDir, `features of corpus "${index.corpus}", not "${corpus.name}"`);
  }
  await Promise.all([INDEX_FILE, ERRORS_FILE, FRAMES_FOLDER].map((name) => rm(join(outDir, name), { recursive: true, force: true })));
  return undefined;
}

/** The temporary names of writeFileAtomic (util/fs.ts): `<file>.tmp-<pid>-<random>`. */
const LEFTOVER_TEMPORARY = /\.tmp-\d+-[a-z0-9]+$/;

/** A killed run leaves the temporary file of each write it was in the middle of. */
async function removeLeftoverTemporaries(outDir: string): Promise<void> {
  for (const folder of [outDir, join(outDir, FRAMES_FOLDER)]) {
    const names = await readdir(folder).catch(() => []);
    await Promise.all(names.filter((name) => LEFTOVER_TEMPORARY.test(name)).map((name) => rm(join(folder, name), { force: true })));
  }
}

function isOnDisk(outDir: string, item: StoreItem): boolean {
  try {
    return statSync(join(outDir, item.file)).size === item.frames * item.dims * 4;
  } catch {
    return false;
  }
}

/** The store entry of an utterance, with the labels of this run's corpus and the frames already on disk. */
function storeItem(utterance: Utterance, frames: Pick<StoreItem, 'frames' | 'dims' | 'file' | 'sum' | 'sumSq'>): StoreItem {
  const { id, path, speaker, emotion, label } = utterance;
  return { id, path, speaker, emotion, label, frames: frames.frames, dims: frames.dims, file: frames.file, sum: frames.sum, sumSq: frames.sumSq };
}

/**
 * Extracts every outstanding job, `workers` at a time in worker threads (or in this thread when 0),
 * handing each outcome to `onOutcome` in completion order.
 */
async function runJobs(jobs: ExtractionJob[], outDir: string, config: FeatureConfig, workers: number, onOutcome: (outcome: JobOutcome) => Promise<void>): Promise<void> {
  if (workers === 0) {
    for (const job of jobs) await onOutcome(await runJob(job, outDir, config));
    return;
  }
  if (jobs.length === 0) return;
  const script = new URL('./worker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) {
    throw new Error(`Worker threads need the compiled build (dist/src/store/worker.js); ${import.meta.url} is TypeScript source, so pass workers: 0`);
  }
  const setup: WorkerSetup = { outDir, config, jobs, nextJob: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) };
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(script, { workerData: setup }));
  try {
    await new Promise<void>((resolve, reject) => {
      let received = 0;
      let handled = 0;
      let exited = 0;
      for (const worker of pool) {
        worker.on('message', (outcome: JobOutcome) => {
          received++;
          onOutcome(outcome).then(() => {
            if (++handled === jobs.length) resolve();
          }, reject);
        });
        worker.on('error', (error) => reject(new Error(`A feature extraction worker crashed: ${error.message}`)));
        // A worker exits by itself once no job is left to claim; every message it sent has arrived by then.
        worker.on('exit', (code) => {
          if (code !== 0 || (++exited === pool.length && received < jobs.length)) {
            reject(new Error(`A feature extraction worker stopped (exit code ${code}) with ${jobs.length - received} files left`));
          }
        });
      }
    });
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}

/**
 * Turns the corpus's utterances into a feature store in outDir (see ARCHITECTURE.md, "Feature store format").
 * Utterances already in the store are skipped, so an interrupted run resumes where it stopped; a file that
 * cannot be decoded or is too short lands in errors.json and never stops the others.
 */
export async function preprocessCorpus(corpus: Corpus, outDir: string, options: PreprocessOptions): Promise<PreprocessSummary> {
  const { config, workers = availableParallelism(), allLabels = false, overwrite = false, onProgress } = options;
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a whole number >= 0, got ${workers}`);
  const configKey = featureConfigKey(config);
  const utterances = allLabels ? corpus.utterances : corpus.utterances.filter((utterance) => utterance.label !== null);
  if (utterances.length === 0) {
    const unknown = corpus.unknownLabels.map(({ emotion, count }) => `${emotion} (${count})`).join(', ') || 'none';
    throw new Error(
      `${corpus.root}: none of its ${corpus.utterances.length} utterances has a label in the ${corpus.taxonomy} taxonomy ` +
        `(emotions without a class: ${unknown}); try another --taxonomy, or --all-labels`,
    );
  }

  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : (error as Error).message;
    throw new Error(`Cannot create the feature store folder ${outDir}: ${why}; choose another --out`);
  }
  const previous = await existingIndex(outDir, corpus, config, overwrite);
  await removeLeftoverTemporaries(outDir);
  const done = new Map<string, StoreItem>();
  for (const item of previous?.items ?? []) if (isOnDisk(outDir, item)) done.set(item.id, item);

  const byId = new Map(utterances.map((utterance) => [utterance.id, utterance]));
  const items = new Map<string, StoreItem>();
  const jobs: ExtractionJob[] = [];
  for (const utterance of utterances) {
    const stored = done.get(utterance.id);
    if (stored) items.set(utterance.id, storeItem(utterance, stored));
    else jobs.push({ id: utterance.id, path: utterance.path, file: frameFileFor(utterance.id) });
  }
  const skipped = items.size;
  // Entries of utterances this run no longer selects leave the index, and their frames the folder.
  await Promise.all([...done.values()].filter((item) => !byId.has(item.id)).map((item) => rm(join(outDir, item.file), { force: true })));

  const failures = new Map<string, StoreError>();
  // Workers finish in any order; the index and errors.json list files in corpus order all the same.
  const inCorpusOrder = <T>(byUtterance: Map<string, T>): T[] => utterances.flatMap((utterance) => byUtterance.get(utterance.id) ?? []);
  let saving = Promise.resolve();
  let lastSave = 0;
  const save = (): Promise<void> => {
    lastSave = Date.now();
    const index: StoreIndex = {
      format: STORE_FORMAT,
      config,
      configKey,
      corpus: corpus.name,
      language: corpus.language,
      items: inCorpusOrder(items),
    };
    const errors = inCorpusOrder(failures);
    // Saves run one after another so an older snapshot can never land after a newer one.
    saving = saving.then(() => Promise.all([writeStoreIndex(outDir, index), writeStoreErrors(outDir, errors)])).then(() => undefined);
    return saving;
  };

  let processed = 0;
  let audioSeconds = 0;
  const onOutcome = async (outcome: JobOutcome): Promise<void> => {
    const utterance = byId.get(outcome.id)!;
    if (outcome.ok) {
      processed++;
      audioSeconds += outcome.extracted.audioSeconds;
      items.set(utterance.id, storeItem(utterance, { ...outcome.extracted, file: frameFileFor(utterance.id) }));
    } else {
      failures.set(utterance.id, { path: utterance.path, reason: outcome.reason });
    }
    onProgress?.(processed + failures.size, jobs.length, {
      id: utterance.id,
      path: utterance.path,
      ok: outcome.ok,
      reason: outcome.ok ? undefined : outcome.reason,
      audioSeconds: outcome.ok ? outcome.extracted.audioSeconds : 0,
    });
    if (Date.now() - lastSave >= INDEX_SAVE_INTERVAL_MS) await save();
  };

  await save();
  try {
    await runJobs(jobs, outDir, config, workers, onOutcome);
  } finally {
    await save();
  }
  return { processed, skipped, failed: inCorpusOrder(failures), audioSeconds, outDir };
}
