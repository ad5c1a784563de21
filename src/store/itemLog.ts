import { createWriteStream, openSync, closeSync, readSync, fstatSync, rmSync, truncateSync, type WriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryName } from '../util/fs.js';
import { LineWriter, readLines } from '../util/lines.js';
import { parseWith, InvalidFileError } from '../util/validate.js';
import { ITEMS_FILE, recordSchema, type StoreRecord } from './format.js';

/**
 * items.jsonl: one compact record per line (about 250 bytes for a RAVDESS clip). A run appends each item as
 * its frame file lands, so saving costs the same whatever the store's size (the JSON index of format 1 was
 * rewritten whole every 2 s); at the end the log is compacted: one record per item, in corpus order.
 * A later record of the same id replaces an earlier one. A run killed mid-append leaves a last line without
 * its newline: readers drop it (that item is extracted again), and the next writer cuts it off first.
 */

const FIX = 'delete the store folder and run ser preprocess again';

const isCount = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;

/**
 * What recordSchema accepts, checked by hand: zod takes ~30 µs a record, a second per 30k items on every
 * rerun. Only a record this rejects goes through zod, for its message naming the field (test/store.test.ts
 * holds both to the same records).
 */
export function looksLikeRecord(value: unknown): value is StoreRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === 'string' && record.id.length > 0 &&
    typeof record.path === 'string' && record.path.length > 0 &&
    typeof record.speaker === 'string' &&
    typeof record.emotion === 'string' &&
    (record.label === null || typeof record.label === 'string') &&
    isCount(record.frames) && isCount(record.dims) && isCount(record.size) &&
    typeof record.mtimeMs === 'number' && Number.isFinite(record.mtimeMs) && record.mtimeMs >= 0
  );
}

function parseLine(line: string, file: string, lineNumber: number): StoreRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new InvalidFileError(`${file}:${lineNumber}`, '', `not valid JSON (${(error as Error).message})`, FIX);
  }
  if (looksLikeRecord(value)) return value;
  return parseWith(recordSchema, value, `${file}:${lineNumber}`, FIX) as StoreRecord;
}

/** Bytes of the file up to and including its last newline: what survives a write cut short. */
function completeLength(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - chunk.length);
      const read = readSync(fd, chunk, 0, end - start, start);
      const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
      if (newline >= 0) return start + newline + 1;
      end = start;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

/** Every complete record of the store's log, in file order, one at a time (memory flat in the log's size). */
export function* itemLogRecords(dir: string): Generator<StoreRecord> {
  const file = join(dir, ITEMS_FILE);
  const length = completeLength(file);
  if (!length) return;
  let lineNumber = 0;
  for (const line of readLines(file, { end: length })) {
    lineNumber++;
    if (line !== '') yield parseLine(line, file, lineNumber);
  }
}

/** Every complete record of the store's log, in file order (for openFeatureStore). */
export function readItemLogSync(dir: string): StoreRecord[] {
  return [...itemLogRecords(dir)];
}

/** Cuts off a torn last line of the log, so that appends that follow start on a line of their own. */
export function cutTornRecord(dir: string): void {
  const file = join(dir, ITEMS_FILE);
  const length = completeLength(file);
  if (length !== undefined) truncateSync(file, length);
}

/** Appends records to items.jsonl; `close` waits until every one is written. */
export class ItemLogWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(dir: string) {
    this.stream = createWriteStream(join(dir, ITEMS_FILE), { flags: 'a' });
    this.stream.on('error', (error) => (this.failure = error));
  }

  append(line: string): void {
    if (this.failure) throw new Error(`Cannot append to the store's item log: ${this.failure.message}`);
    this.stream.write(`${line}\n`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failure) throw new Error(`Cannot append to the store's item log: ${this.failure.message}`);
  }
}

/**
 * Writes `lines` (one record each) as the new items.jsonl, through a temporary file and a rename; written
 * synchronously in 32 kB pieces (LineWriter), not a buffer per line. A file left by a crash is
 * `items.jsonl.tmp-<pid>-<random>`, which the next run sweeps away.
 */
export async function compactItemLog(dir: string, lines: Iterable<string>): Promise<number> {
  const file = join(dir, ITEMS_FILE);
  const writer = new LineWriter(temporaryName(file));
  try {
    try {
      for (const line of lines) writer.write(line);
    } finally {
      writer.close();
    }
    await rename(writer.file, file);
  } catch (error) {
    rmSync(writer.file, { force: true });
    throw error;
  }
  return writer.lines;
}
