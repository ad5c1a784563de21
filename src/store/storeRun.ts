import { statSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Corpus, Utterance } from '../corpora/index.js';
import { featureConfigKey, type FeatureConfig } from '../features/index.js';
import { resolveInside } from '../util/paths.js';
import {
  ERRORS_FILE,
  FRAMES_FOLDER,
  INDEX_FILE,
  ITEMS_FILE,
  LEGACY_STORE_FORMAT,
  STORE_FORMAT,
  frameFileFor,
  readStoreIndex,
  writeStoreErrors,
  writeStoreHeader,
  type StoreError,
  type StoreRecord,
} from './format.js';
import { ItemLogWriter, compactItemLog, readItemLogForWriting } from './itemLog.js';
import type { ExtractionJob, JobOutcome } from './job.js';
import { lockStore } from './lock.js';

export interface StoreRunOptions {
  config: FeatureConfig;
  /** Also extract utterances whose emotion has no class in the taxonomy, with label null. */
  allLabels?: boolean;
  /** Discard a store of another configuration or corpus in outDir instead of refusing it. */
  overwrite?: boolean;
  /** Things the user should know that are not errors: a stale lock taken over, a store migrated. */
  onNotice?: (message: string) => void;
}

/**
 * One run writing a store: holds its lock, knows which utterances need extracting, appends each outcome to
 * the item log as it comes, and on `close` compacts the log and writes errors.json. `preprocessCorpus` feeds
 * it from worker threads, `ser queue preprocess` from queue workers on other machines.
 */
export interface StoreRun {
  outDir: string;
  /** The files to extract, in corpus order. */
  jobs: ExtractionJob[];
  /** Selected utterances already in the store, unchanged since they were extracted. */
  skipped: number;
  /** Takes one job's outcome (a job of `jobs`; another id throws). */
  record(outcome: JobOutcome): void;
  /** Compacts the log, writes errors.json and releases the lock; call it whether the run finished or not. */
  close(): Promise<{ processed: number; failed: StoreError[]; audioSeconds: number }>;
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

/** The temporary names of writeFileAtomic (util/fs.ts) and the log's compaction: `<file>.tmp-<pid>-<random>`. */
const LEFTOVER_TEMPORARY = /\.tmp-\d+-[a-z0-9]+$/;

/** A killed run leaves the temporary file of each write it was in the middle of. */
async function removeLeftoverTemporaries(outDir: string): Promise<void> {
  for (const folder of [outDir, join(outDir, FRAMES_FOLDER)]) {
    const names = await readdir(folder).catch(() => []);
    await Promise.all(names.filter((name) => LEFTOVER_TEMPORARY.test(name)).map((name) => rm(join(folder, name), { force: true })));
  }
}

/** Runs `task` over `values` with at most `limit` at once (tens of thousands of stats would exhaust file handles). */
async function forEachLimited<T>(values: T[], limit: number, task: (value: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < values.length) await task(values[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, values.length) }, lane));
}

/**
 * Size and modification time, or undefined for a missing file. Synchronous on purpose: a rerun stats two
 * files per item, and for metadata in the page cache a plain stat(2) costs microseconds, while each
 * promise-based one costs tens of them in allocation and scheduling (61k items: seconds).
 */
function sizeOf(path: string): { size: number; mtimeMs: number } | undefined {
  const info = statSync(path, { throwIfNoEntry: false });
  return info && { size: info.size, mtimeMs: info.mtimeMs };
}

/** The previous records of outDir (migrating a format-1 index), checked against this run's configuration and corpus. */
async function previousRecords(outDir: string, corpus: Corpus, config: FeatureConfig, overwrite: boolean, notice: (message: string) => void): Promise<Map<string, StoreRecord>> {
  const records = new Map<string, StoreRecord>();
  const index = readStoreIndex(outDir);
  if (!index) return records;
  const stored = index.kind === 'current' ? index.header : index.index;
  const configKey = featureConfigKey(config);
  if (stored.configKey !== configKey || stored.corpus !== corpus.name) {
    if (!overwrite) {
      throw stored.configKey !== configKey
        ? mismatch(outDir, `another feature configuration: ${configDifferences(stored.config as FeatureConfig, config)}`)
        : mismatch(outDir, `features of corpus "${stored.corpus}", not "${corpus.name}"`);
    }
    await Promise.all([INDEX_FILE, ITEMS_FILE, ERRORS_FILE, FRAMES_FOLDER].map((name) => rm(join(outDir, name), { recursive: true, force: true })));
    return records;
  }
  if (index.kind === 'current') {
    await readItemLogForWriting(outDir, (record) => records.set(record.id, record));
    return records;
  }
  // Format 1 kept no size or modification time: the audio as it is now is taken as what was extracted.
  const indexPath = join(outDir, INDEX_FILE);
  notice(`${indexPath}: migrating the store from ${LEGACY_STORE_FORMAT} to ${STORE_FORMAT} (items move to ${ITEMS_FILE}; audio changed before today is not detected)`);
  for (const item of index.index.items) {
    resolveInside(outDir, item.file, indexPath);
    if (item.file !== frameFileFor(item.id)) continue;
    const audio = sizeOf(item.path);
    const { id, path, speaker, emotion, label, frames, dims } = item;
    records.set(id, { id, path, speaker, emotion, label, frames, dims, size: audio?.size ?? -1, mtimeMs: audio?.mtimeMs ?? -1 });
  }
  return records;
}

function recordFor(utterance: Utterance, frames: Pick<StoreRecord, 'frames' | 'dims' | 'size' | 'mtimeMs'>): StoreRecord {
  const { id, path, speaker, emotion, label } = utterance;
  return { id, path, speaker, emotion, label, frames: frames.frames, dims: frames.dims, size: frames.size, mtimeMs: frames.mtimeMs };
}

/**
 * Starts writing the corpus's store in outDir (see ARCHITECTURE.md, "Feature store format"). What a rerun
 * keeps: an item whose frame file is whole and whose audio has the size and modification time it had when
 * extracted. Items of utterances this run does not select (label null without allLabels) are kept as they
 * are, never deleted, so a run without --all-labels leaves a store made with it intact; items whose audio
 * left the corpus or changed (when this run does not re-extract them) are removed with their frames.
 */
export async function beginStoreRun(corpus: Corpus, outDir: string, options: StoreRunOptions): Promise<StoreRun> {
  const { config, allLabels = false, overwrite = false, onNotice = () => {} } = options;
  const selected = (utterance: Utterance): boolean => allLabels || utterance.label !== null;
  if (!corpus.utterances.some(selected)) {
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
  const release = await lockStore(outDir, onNotice);
  try {
    return await planRun(corpus, outDir, config, selected, overwrite, onNotice, release);
  } catch (error) {
    await release();
    throw error;
  }
}

async function planRun(
  corpus: Corpus,
  outDir: string,
  config: FeatureConfig,
  selected: (utterance: Utterance) => boolean,
  overwrite: boolean,
  notice: (message: string) => void,
  release: () => Promise<void>,
): Promise<StoreRun> {
  const previous = await previousRecords(outDir, corpus, config, overwrite, notice);
  await removeLeftoverTemporaries(outDir);

  // Serialised records of the items the compacted log will hold, by id; ~300 bytes an item.
  const lines = new Map<string, string>();
  const jobs: ExtractionJob[] = [];
  let skipped = 0;
  const byId = new Map<string, Utterance>();
  const stale: string[] = [];
  for (const utterance of corpus.utterances) {
    byId.set(utterance.id, utterance);
    const record = previous.get(utterance.id);
    previous.delete(utterance.id);
    if (record) {
      // frameFileFor percent-encodes the id, so the name is always one entry of frames/ (no resolveInside needed per item).
      const file = join(outDir, frameFileFor(record.id));
      const frames = sizeOf(file);
      const audio = sizeOf(utterance.path);
      const whole = frames?.size === record.frames * record.dims * 4;
      const unchanged = audio !== undefined && (record.size === -1 || (audio.size === record.size && audio.mtimeMs === record.mtimeMs));
      if (whole && unchanged) {
        lines.set(utterance.id, JSON.stringify(recordFor(utterance, record.size === -1 ? { ...record, ...audio } : record)));
        if (selected(utterance)) skipped++;
        continue;
      }
      if (!selected(utterance)) stale.push(file);
    }
    if (selected(utterance)) jobs.push({ id: utterance.id, path: utterance.path, file: frameFileFor(utterance.id) });
  }
  // What is left of `previous` is no longer in the corpus: its frames go with it.
  for (const record of previous.values()) stale.push(join(outDir, frameFileFor(record.id)));
  previous.clear();
  await forEachLimited(stale, 64, (file) => rm(file, { force: true }));

  const header = { format: STORE_FORMAT as typeof STORE_FORMAT, config, configKey: featureConfigKey(config), corpus: corpus.name, language: corpus.language };
  // The log is rewritten first with only what stays, so a crash from here on never brings a removed item back.
  await compactItemLog(outDir, lines.values());
  await writeStoreHeader(outDir, { ...header, count: lines.size });
  const log = new ItemLogWriter(outDir);
  const pending = new Set(jobs.map((job) => job.id));
  const failures = new Map<string, StoreError>();
  let processed = 0;
  let audioSeconds = 0;

  return {
    outDir,
    jobs,
    skipped,
    record(outcome) {
      const utterance = byId.get(outcome.id);
      if (!utterance || !pending.has(outcome.id)) {
        if (utterance && lines.has(outcome.id)) return; // a job the queue ran twice: the first result stands
        throw new Error(`${outDir}: an outcome for ${JSON.stringify(outcome.id)}, which this run did not ask for`);
      }
      pending.delete(outcome.id);
      if (outcome.ok) {
        processed++;
        audioSeconds += outcome.extracted.audioSeconds;
        const line = JSON.stringify(recordFor(utterance, outcome.extracted));
        lines.set(utterance.id, line);
        log.append(line);
      } else {
        failures.set(utterance.id, { path: utterance.path, reason: outcome.reason });
      }
    },
    async close() {
      try {
        await log.close();
        const inCorpusOrder = function* () {
          for (const utterance of corpus.utterances) {
            const line = lines.get(utterance.id);
            if (line !== undefined) yield line;
          }
        };
        const count = await compactItemLog(outDir, inCorpusOrder());
        await writeStoreHeader(outDir, { ...header, count });
        const failed = corpus.utterances.flatMap((utterance) => failures.get(utterance.id) ?? []);
        await writeStoreErrors(outDir, failed);
        // A queue worker killed mid-write leaves its temporary frame file; the job was redone elsewhere.
        await removeLeftoverTemporaries(outDir);
        return { processed, failed, audioSeconds };
      } finally {
        await release();
      }
    },
  };
}
