import { opendirSync, rmSync, statSync, type Dir } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isListing, listingOf, type Corpus, type CorpusListing, type Utterance } from '../corpora/index.js';
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
  type LegacyIndex,
  type StoreError,
  type StoreRecord,
} from './format.js';
import { sortLines } from '../util/externalSort.js';
import { ItemLogWriter, compactItemLog, cutTornRecord, itemLogRecords } from './itemLog.js';
import type { ExtractionJob, JobOutcome } from './job.js';
import { lockStore } from './lock.js';
import { ItemState, ItemTable, JobFile, extractionJob, fitsSlot, type ItemNumbers } from './runFiles.js';

export interface StoreRunOptions {
  config: FeatureConfig;
  /** Also extract utterances whose emotion has no class in the taxonomy, with label null. */
  allLabels?: boolean;
  /** Discard a store of another configuration or corpus in outDir instead of refusing it. */
  overwrite?: boolean;
  /** Things the user should know that are not errors: a stale lock taken over, a store migrated. */
  onNotice?: (message: string) => void;
  /** Lines sorted in memory at a time when the previous log is out of corpus order (see sortLines); tests make it small. */
  sortChunkLines?: number;
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
  /**
   * Takes the outcome of job `jobIndex` of `jobs` (an index out of range, or an outcome of another id, throws)
   * and says what it was; undefined for a job recorded before.
   */
  record(jobIndex: number, outcome: JobOutcome): ProgressItem | undefined;
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

/**
 * A killed run leaves the temporary file of each write it was in the middle of. The folders are read an entry
 * at a time (opendir): frames/ holds a file per item, and a list of them all would grow with the store.
 */
function removeLeftoverTemporaries(outDir: string): void {
  for (const folder of [outDir, join(outDir, FRAMES_FOLDER)]) {
    let dir: Dir;
    try {
      dir = opendirSync(folder);
    } catch {
      continue;
    }
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        if (LEFTOVER_TEMPORARY.test(entry.name)) rmSync(join(folder, entry.name), { force: true });
      }
    } finally {
      dir.closeSync();
    }
  }
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

/** Code-unit order, the same on every machine and locale. */
const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Removes the frame file of an item that leaves the store (frameFileFor percent-encodes the id: always one entry of frames/). */
function removeFrames(outDir: string, id: string): void {
  rmSync(join(outDir, frameFileFor(id)), { force: true });
}

/**
 * The previous records matched to the corpus in step: a log compacted by the last run holds its items in
 * corpus order, so walking both together, a record belongs to the utterance of its id or to none. Each
 * record must find its utterance further on (greedy matching of a subsequence: with unique ids in the corpus,
 * a record is only ever matched to the utterance of its own id); returns false, having set slots of the
 * table, as soon as one does not: an edited corpus, a log with appended records, or one out of order.
 */
function matchInStep(listing: CorpusListing, records: Iterator<StoreRecord>, table: ItemTable): boolean {
  const cursor = table.cursor();
  let next = records.next();
  let position = 0;
  for (const utterance of listing.utterances()) {
    if (next.done) break;
    if (next.value.id === utterance.id && fitsSlot(next.value)) {
      cursor.set(position, ItemState.Previous, next.value);
      next = records.next();
    }
    position++;
  }
  cursor.flush();
  const matched = next.done === true;
  records.return?.(undefined);
  return matched;
}

/**
 * The previous records matched to the corpus by id whatever their order: both sides sorted by id on disk
 * (sortLines; of several records of an id the last wins), then merged. A record whose id left the corpus has
 * its frame file removed.
 */
function matchBySorting(listing: CorpusListing, records: Iterable<StoreRecord>, table: ItemTable, outDir: string, chunkLines: number | undefined): void {
  const idOf = (line: string): string => (JSON.parse(line) as [string])[0];
  const corpusIds = sortLines(
    (function* () {
      let position = 0;
      for (const { id } of listing.utterances()) yield JSON.stringify([id, position++]);
    })(),
    { dir: outDir, key: idOf, chunkLines },
  );
  try {
    const storedIds = sortLines(
      (function* () {
        for (const record of records) yield JSON.stringify([record.id, record]);
      })(),
      { dir: outDir, key: idOf, chunkLines, keepLastOfKey: true },
    );
    try {
      const corpus = corpusIds.lines();
      let utterance = corpus.next();
      for (const line of storedIds.lines()) {
        const [id, record] = JSON.parse(line) as [string, StoreRecord];
        while (!utterance.done && compareIds(idOf(utterance.value), id) < 0) utterance = corpus.next();
        if (utterance.done || idOf(utterance.value) !== id) removeFrames(outDir, id);
        else if (fitsSlot(record)) table.write((JSON.parse(utterance.value) as [string, number])[1], ItemState.Previous, record);
      }
    } finally {
      storedIds.remove();
    }
  } finally {
    corpusIds.remove();
  }
}

/** The records of a format-1 index, as format 2 holds them (it kept no size or modification time: the audio as it is now is taken). */
function* legacyRecords(outDir: string, items: LegacyIndex['items']): Generator<StoreRecord> {
  const indexPath = join(outDir, INDEX_FILE);
  for (const item of items) {
    resolveInside(outDir, item.file, indexPath);
    if (item.file !== frameFileFor(item.id)) continue;
    const audio = sizeOf(item.path);
    const { id, path, speaker, emotion, label, frames, dims } = item;
    yield { id, path, speaker, emotion, label, frames, dims, size: audio?.size ?? -1, mtimeMs: audio?.mtimeMs ?? -1 };
  }
}

/**
 * Reads the previous records of outDir into the table as Previous (migrating a format-1 index), checked
 * against this run's configuration and corpus: in step when the log is in corpus order (what the last run
 * left), by sorting otherwise. Nothing of the log is held in memory.
 */
async function readPreviousRecords(
  outDir: string,
  listing: CorpusListing,
  config: FeatureConfig,
  overwrite: boolean,
  notice: (message: string) => void,
  table: ItemTable,
  chunkLines: number | undefined,
): Promise<void> {
  const index = readStoreIndex(outDir);
  if (!index) return;
  const stored = index.kind === 'current' ? index.header : index.index;
  const configKey = featureConfigKey(config);
  if (stored.configKey !== configKey || stored.corpus !== listing.name) {
    if (!overwrite) {
      throw stored.configKey !== configKey
        ? mismatch(outDir, `another feature configuration: ${configDifferences(stored.config as FeatureConfig, config)}`)
        : mismatch(outDir, `features of corpus "${stored.corpus}", not "${listing.name}"`);
    }
    await Promise.all([INDEX_FILE, ITEMS_FILE, ERRORS_FILE, FRAMES_FOLDER].map((name) => rm(join(outDir, name), { recursive: true, force: true })));
    return;
  }
  if (index.kind === 'current') {
    cutTornRecord(outDir);
    if (matchInStep(listing, itemLogRecords(outDir), table)) return;
    table.clear();
    matchBySorting(listing, itemLogRecords(outDir), table, outDir, chunkLines);
  } else {
    notice(`${join(outDir, INDEX_FILE)}: migrating the store from ${LEGACY_STORE_FORMAT} to ${STORE_FORMAT} (items move to ${ITEMS_FILE}; audio changed before today is not detected)`);
    matchBySorting(listing, legacyRecords(outDir, index.index.items), table, outDir, chunkLines);
  }
}

function recordFor(utterance: Pick<Utterance, 'id' | 'path' | 'speaker' | 'emotion' | 'label'>, numbers: ItemNumbers): StoreRecord {
  const { id, path, speaker, emotion, label } = utterance;
  return { id, path, speaker, emotion, label, frames: numbers.frames, dims: numbers.dims, size: numbers.size, mtimeMs: numbers.mtimeMs };
}

/**
 * Starts writing the corpus's store in outDir (see ARCHITECTURE.md, "Feature store format"). What a rerun
 * keeps: an item whose frame file is whole and whose audio has the size and modification time it had when
 * extracted. Items of utterances this run does not select (label null without allLabels) are kept as they
 * are, never deleted, so a run without --all-labels leaves a store made with it intact; items whose audio
 * left the corpus or changed (when this run does not re-extract them) are removed with their frames.
 * The corpus may be a streamed listing (openCorpusListing): the run then holds no per-item state in memory.
 */
export async function beginStoreRun(corpus: Corpus | CorpusListing, outDir: string, options: StoreRunOptions): Promise<StoreRun> {
  const { config, allLabels = false, overwrite = false, onNotice = () => {} } = options;
  const listing = isListing(corpus) ? corpus : listingOf(corpus);
  const selected = (utterance: Pick<Utterance, 'label'>): boolean => allLabels || utterance.label !== null;
  if ((allLabels ? listing.count : listing.labelled) === 0) {
    const unknown = listing.unknownLabels.map(({ emotion, count }) => `${emotion} (${count})`).join(', ') || 'none';
    throw new Error(
      `${listing.root}: none of its ${listing.count} utterances has a label in the ${listing.taxonomy} taxonomy ` +
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
    // Before this run makes temporary files of its own: those there now are a killed run's.
    removeLeftoverTemporaries(outDir);
    return await planRun(listing, outDir, config, selected, overwrite, onNotice, release, options.sortChunkLines);
  } catch (error) {
    await release();
    throw error;
  }
}

async function planRun(
  listing: CorpusListing,
  outDir: string,
  config: FeatureConfig,
  selected: (utterance: Pick<Utterance, 'label'>) => boolean,
  overwrite: boolean,
  notice: (message: string) => void,
  release: () => Promise<void>,
  chunkLines: number | undefined,
): Promise<StoreRun> {
  const table = new ItemTable(outDir, listing.count);
  const jobs = new JobFile(outDir);
  const removeRunFiles = (): void => {
    table.remove();
    jobs.remove();
  };
  let skipped = 0;
  try {
    await readPreviousRecords(outDir, listing, config, overwrite, notice, table, chunkLines);
    const cursor = table.cursor();
    let position = 0;
    for (const utterance of listing.utterances()) {
      const slot = cursor.get(position);
      if (slot.state === ItemState.Previous) {
        const file = join(outDir, frameFileFor(utterance.id));
        const frames = sizeOf(file);
        const audio = sizeOf(utterance.path);
        const whole = frames?.size === slot.frames * slot.dims * 4;
        const unchanged = audio !== undefined && (slot.size === -1 || (audio.size === slot.size && audio.mtimeMs === slot.mtimeMs));
        if (whole && unchanged) {
          cursor.set(position, ItemState.Stored, slot.size === -1 ? { ...slot, ...audio } : slot);
          if (selected(utterance)) skipped++;
          position++;
          continue;
        }
        cursor.set(position, ItemState.Absent, slot);
        if (!selected(utterance)) rmSync(file, { force: true });
      }
      if (selected(utterance)) {
        cursor.set(position, ItemState.Pending, slot);
        const { id, path, speaker, emotion, label } = utterance;
        jobs.append({ position, id, path, speaker, emotion, label });
      }
      position++;
    }
    cursor.flush();
    jobs.finish();
  } catch (error) {
    removeRunFiles();
    throw error;
  }

  /** The store's records of this run, in corpus order, serialised as the log holds them. */
  const storedLines = function* (): Generator<string> {
    const cursor = table.cursor();
    let position = 0;
    for (const utterance of listing.utterances()) {
      const slot = cursor.get(position++);
      if (slot.state === ItemState.Stored) yield JSON.stringify(recordFor(utterance, slot));
    }
  };
  const header = { format: STORE_FORMAT as typeof STORE_FORMAT, config, configKey: featureConfigKey(config), corpus: listing.name, language: listing.language };
  let log: ItemLogWriter;
  try {
    // The log is rewritten first with only what stays, so a crash from here on never brings a removed item back.
    const kept = await compactItemLog(outDir, storedLines());
    await writeStoreHeader(outDir, { ...header, count: kept });
    log = new ItemLogWriter(outDir);
  } catch (error) {
    removeRunFiles();
    throw error;
  }
  /** Failed jobs by corpus position (only failures are held: a few in a healthy corpus). */
  const failures = new Map<number, StoreError>();
  let processed = 0;
  let audioSeconds = 0;

  return {
    outDir,
    jobs: {
      length: jobs.length,
      at: (index) => extractionJob(jobs.entry(index)),
      *[Symbol.iterator]() {
        for (const entry of jobs.entries()) yield extractionJob(entry);
      },
    },
    skipped,
    record(jobIndex, outcome) {
      const entry = Number.isInteger(jobIndex) && jobIndex >= 0 && jobIndex < jobs.length ? jobs.entry(jobIndex) : undefined;
      const state = entry?.id === outcome.id ? table.read(entry.position).state : undefined;
      if (entry === undefined || state !== ItemState.Pending) {
        if (state === ItemState.Stored) return undefined; // a job the queue ran twice: the first result stands
        throw new Error(`${outDir}: an outcome for ${JSON.stringify(outcome.id)} as job ${jobIndex}, which this run did not ask for`);
      }
      if (outcome.ok) {
        processed++;
        audioSeconds += outcome.extracted.audioSeconds;
        table.write(entry.position, ItemState.Stored, outcome.extracted);
        log.append(JSON.stringify(recordFor(entry, outcome.extracted)));
        return { id: entry.id, path: entry.path, ok: true, audioSeconds: outcome.extracted.audioSeconds };
      }
      table.write(entry.position, ItemState.Failed, { frames: 0, dims: 0, size: 0, mtimeMs: 0 });
      failures.set(entry.position, { path: entry.path, reason: outcome.reason });
      return { id: entry.id, path: entry.path, ok: false, reason: outcome.reason, audioSeconds: 0 };
    },
    async close() {
      try {
        let failed: StoreError[];
        try {
          await log.close();
          const count = await compactItemLog(outDir, storedLines());
          await writeStoreHeader(outDir, { ...header, count });
          failed = [...failures.keys()].sort((a, b) => a - b).map((position) => failures.get(position)!);
          await writeStoreErrors(outDir, failed);
        } finally {
          removeRunFiles();
        }
        // A queue worker killed mid-write leaves its temporary frame file; the job was redone elsewhere.
        removeLeftoverTemporaries(outDir);
        return { processed, failed, audioSeconds };
      } finally {
        await release();
      }
    },
  };
}
