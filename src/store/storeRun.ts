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

/** The file just recorded, as progress reports show it. */
export interface ProgressItem {
  id: string;
  path: string;
  ok: boolean;
  /** Why the file failed, when it did. */
  reason?: string;
  /** Length of the decoded audio; 0 for a failed file. */
  audioSeconds: number;
}

/** A run's jobs, in corpus order, made one at a time as they are asked for (a million job objects would not be small). */
export interface JobList extends Iterable<ExtractionJob> {
  readonly length: number;
  at(index: number): ExtractionJob;
}

/**
 * One run writing a store: holds its lock, knows which utterances need extracting, appends each outcome to
 * the item log as it comes, and on `close` compacts the log and writes errors.json. `preprocessCorpus` feeds
 * it from worker threads, `ser queue preprocess` from queue workers on other machines.
 */
export interface StoreRun {
  outDir: string;
  /** The files to extract, in corpus order. */
  jobs: JobList;
  /** Selected utterances already in the store, unchanged since they were extracted. */
  skipped: number;
  /** Takes one job's outcome (a job of `jobs`; another id throws) and says what it was; undefined for a job recorded before. */
  record(outcome: JobOutcome): ProgressItem | undefined;
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

/** Runs `task` over `values` with at most `limit` at once (tens of thousands of removals would exhaust file handles). */
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

/** What the run knows of each utterance (ItemTable.state). */
const ItemState = {
  /** Not in the store. */
  Absent: 0,
  /** A record of the previous runs, not yet checked against its frame file and audio. */
  Previous: 1,
  /** In the store: kept from before or extracted by this run; its numbers are in the table. */
  Stored: 2,
  /** A job of this run, not yet recorded. */
  Pending: 3,
  /** A job of this run that failed. */
  Failed: 4,
} as const;
type ItemState = (typeof ItemState)[keyof typeof ItemState];

/**
 * The run's per-utterance state, by position in the corpus: 25 bytes an item in typed arrays rather than a
 * record object or serialised line per item (the record is written out again from the utterance and these
 * numbers, so the compacted log is the same bytes). A store of a million items costs 25 MB here.
 */
class ItemTable {
  readonly state: Uint8Array;
  readonly frames: Uint32Array;
  readonly dims: Uint32Array;
  readonly size: Float64Array;
  readonly mtimeMs: Float64Array;

  constructor(count: number) {
    this.state = new Uint8Array(count);
    this.frames = new Uint32Array(count);
    this.dims = new Uint32Array(count);
    this.size = new Float64Array(count);
    this.mtimeMs = new Float64Array(count);
  }

  set(index: number, state: ItemState, numbers: Pick<StoreRecord, 'frames' | 'dims' | 'size' | 'mtimeMs'>): void {
    this.state[index] = state;
    this.frames[index] = numbers.frames;
    this.dims[index] = numbers.dims;
    this.size[index] = numbers.size;
    this.mtimeMs[index] = numbers.mtimeMs;
  }

  numbers(index: number): Pick<StoreRecord, 'frames' | 'dims' | 'size' | 'mtimeMs'> {
    return { frames: this.frames[index], dims: this.dims[index], size: this.size[index], mtimeMs: this.mtimeMs[index] };
  }
}

/** The corpus position of an utterance id, or undefined for an id not in the corpus. */
type IdIndex = (id: string) => number | undefined;

/** Code-unit order, the same on every machine and locale. */
const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Positions sorted by id, searched by halving: 4 bytes an utterance, where a Map of ids costs about 40. */
function idIndex(utterances: readonly Utterance[]): IdIndex {
  const order = new Uint32Array(utterances.length);
  for (let position = 0; position < order.length; position++) order[position] = position;
  order.sort((a, b) => compareIds(utterances[a].id, utterances[b].id));
  return (id) => {
    let low = 0;
    let high = order.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const position = order[middle];
      const comparison = compareIds(utterances[position].id, id);
      if (comparison === 0) return position;
      if (comparison < 0) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  };
}

/** Frame counts and sizes read back from a record must fit the table's arrays exactly. */
function fitsTable(record: StoreRecord): boolean {
  return record.frames <= 0xffffffff && record.dims <= 0xffffffff;
}

/**
 * Reads the previous records of outDir into the table (migrating a format-1 index), checked against this
 * run's configuration and corpus; returns the frame files of records whose utterance left the corpus.
 * The log is streamed: only the table and the names of frames to remove stay in memory.
 */
async function readPreviousRecords(
  outDir: string,
  corpus: Corpus,
  config: FeatureConfig,
  overwrite: boolean,
  notice: (message: string) => void,
  positionOf: IdIndex,
  table: ItemTable,
): Promise<string[]> {
  const gone = new Set<string>();
  const take = (record: StoreRecord): void => {
    const position = positionOf(record.id);
    if (position === undefined || !fitsTable(record)) {
      gone.add(record.id);
      return;
    }
    table.set(position, ItemState.Previous, record);
  };
  const index = readStoreIndex(outDir);
  if (!index) return [];
  const stored = index.kind === 'current' ? index.header : index.index;
  const configKey = featureConfigKey(config);
  if (stored.configKey !== configKey || stored.corpus !== corpus.name) {
    if (!overwrite) {
      throw stored.configKey !== configKey
        ? mismatch(outDir, `another feature configuration: ${configDifferences(stored.config as FeatureConfig, config)}`)
        : mismatch(outDir, `features of corpus "${stored.corpus}", not "${corpus.name}"`);
    }
    await Promise.all([INDEX_FILE, ITEMS_FILE, ERRORS_FILE, FRAMES_FOLDER].map((name) => rm(join(outDir, name), { recursive: true, force: true })));
    return [];
  }
  if (index.kind === 'current') {
    await readItemLogForWriting(outDir, take);
  } else {
    // Format 1 kept no size or modification time: the audio as it is now is taken as what was extracted.
    const indexPath = join(outDir, INDEX_FILE);
    notice(`${indexPath}: migrating the store from ${LEGACY_STORE_FORMAT} to ${STORE_FORMAT} (items move to ${ITEMS_FILE}; audio changed before today is not detected)`);
    for (const item of index.index.items) {
      resolveInside(outDir, item.file, indexPath);
      if (item.file !== frameFileFor(item.id)) continue;
      const audio = sizeOf(item.path);
      const { id, path, speaker, emotion, label, frames, dims } = item;
      take({ id, path, speaker, emotion, label, frames, dims, size: audio?.size ?? -1, mtimeMs: audio?.mtimeMs ?? -1 });
    }
  }
  // An id can be both: an earlier record of an utterance whose later one is in the table.
  return [...gone].filter((id) => positionOf(id) === undefined).map((id) => join(outDir, frameFileFor(id)));
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
  const { utterances } = corpus;
  const positionOf = idIndex(utterances);
  const table = new ItemTable(utterances.length);
  const stale = await readPreviousRecords(outDir, corpus, config, overwrite, notice, positionOf, table);
  await removeLeftoverTemporaries(outDir);

  // Positions of the utterances to extract, in corpus order (4 bytes a job; ExtractionJob objects are made as they are handed out).
  const jobPositions = new Uint32Array(utterances.length);
  let jobCount = 0;
  let skipped = 0;
  for (let position = 0; position < utterances.length; position++) {
    const utterance = utterances[position];
    if (table.state[position] === ItemState.Previous) {
      // frameFileFor percent-encodes the id, so the name is always one entry of frames/ (no resolveInside needed per item).
      const file = join(outDir, frameFileFor(utterance.id));
      const frames = sizeOf(file);
      const audio = sizeOf(utterance.path);
      const record = table.numbers(position);
      const whole = frames?.size === record.frames * record.dims * 4;
      const unchanged = audio !== undefined && (record.size === -1 || (audio.size === record.size && audio.mtimeMs === record.mtimeMs));
      if (whole && unchanged) {
        table.set(position, ItemState.Stored, record.size === -1 ? { ...record, ...audio } : record);
        if (selected(utterance)) skipped++;
        continue;
      }
      table.state[position] = ItemState.Absent;
      if (!selected(utterance)) stale.push(file);
    }
    if (selected(utterance)) {
      table.state[position] = ItemState.Pending;
      jobPositions[jobCount++] = position;
    }
  }
  await forEachLimited(stale, 64, (file) => rm(file, { force: true }));

  /** The store's records of this run, in corpus order, serialised as the log holds them. */
  const storedLines = function* (): Generator<string> {
    for (let position = 0; position < utterances.length; position++) {
      if (table.state[position] === ItemState.Stored) yield JSON.stringify(recordFor(utterances[position], table.numbers(position)));
    }
  };
  const header = { format: STORE_FORMAT as typeof STORE_FORMAT, config, configKey: featureConfigKey(config), corpus: corpus.name, language: corpus.language };
  // The log is rewritten first with only what stays, so a crash from here on never brings a removed item back.
  const kept = await compactItemLog(outDir, storedLines());
  await writeStoreHeader(outDir, { ...header, count: kept });
  const log = new ItemLogWriter(outDir);
  const failures = new Map<number, string>();
  let processed = 0;
  let audioSeconds = 0;

  const jobAt = (index: number): ExtractionJob => {
    if (!Number.isInteger(index) || index < 0 || index >= jobCount) throw new RangeError(`job ${index} of ${jobCount}`);
    const { id, path } = utterances[jobPositions[index]];
    return { id, path, file: frameFileFor(id) };
  };

  return {
    outDir,
    jobs: {
      length: jobCount,
      at: jobAt,
      *[Symbol.iterator]() {
        for (let index = 0; index < jobCount; index++) yield jobAt(index);
      },
    },
    skipped,
    record(outcome) {
      const position = positionOf(outcome.id);
      const state = position === undefined ? ItemState.Absent : table.state[position];
      if (position === undefined || state !== ItemState.Pending) {
        if (state === ItemState.Stored) return undefined; // a job the queue ran twice: the first result stands
        throw new Error(`${outDir}: an outcome for ${JSON.stringify(outcome.id)}, which this run did not ask for`);
      }
      const utterance = utterances[position];
      if (outcome.ok) {
        processed++;
        audioSeconds += outcome.extracted.audioSeconds;
        table.set(position, ItemState.Stored, outcome.extracted);
        log.append(JSON.stringify(recordFor(utterance, outcome.extracted)));
        return { id: utterance.id, path: utterance.path, ok: true, audioSeconds: outcome.extracted.audioSeconds };
      }
      table.state[position] = ItemState.Failed;
      failures.set(position, outcome.reason);
      return { id: utterance.id, path: utterance.path, ok: false, reason: outcome.reason, audioSeconds: 0 };
    },
    async close() {
      try {
        await log.close();
        const count = await compactItemLog(outDir, storedLines());
        await writeStoreHeader(outDir, { ...header, count });
        const failed = [...failures.keys()].sort((a, b) => a - b).map((position) => ({ path: utterances[position].path, reason: failures.get(position)! }));
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
