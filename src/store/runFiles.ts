import { closeSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryName } from '../util/fs.js';
import { LineWriter, readLines } from '../util/lines.js';
import { frameFileFor, type StoreRecord } from './format.js';
import type { ExtractionJob } from './job.js';

/**
 * A store run's bookkeeping on disk, in temporary files of the store folder (`<name>.tmp-<pid>-<random>`, swept
 * away by the next run when this one is killed), so that the run's memory does not grow with the corpus.
 */

/** What the run knows of each utterance (ItemTable). */
export const ItemState = {
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
export type ItemState = (typeof ItemState)[keyof typeof ItemState];

export type ItemNumbers = Pick<StoreRecord, 'frames' | 'dims' | 'size' | 'mtimeMs'>;
export interface Slot extends ItemNumbers {
  state: ItemState;
}

/** state u8, frames u32, dims u32, size f64, mtimeMs f64, little-endian. */
const SLOT_BYTES = 25;
/** Slots a cursor reads and writes at a time (100 kB). */
const BLOCK_SLOTS = 4096;

function decodeSlot(bytes: Buffer, offset: number): Slot {
  return {
    state: bytes[offset] as ItemState,
    frames: bytes.readUInt32LE(offset + 1),
    dims: bytes.readUInt32LE(offset + 5),
    size: bytes.readDoubleLE(offset + 9),
    mtimeMs: bytes.readDoubleLE(offset + 17),
  };
}

function encodeSlot(bytes: Buffer, offset: number, state: ItemState, numbers: ItemNumbers): void {
  bytes[offset] = state;
  bytes.writeUInt32LE(numbers.frames, offset + 1);
  bytes.writeUInt32LE(numbers.dims, offset + 5);
  bytes.writeDoubleLE(numbers.size, offset + 9);
  bytes.writeDoubleLE(numbers.mtimeMs, offset + 17);
}

/** Frame counts and sizes read back from a record must fit a slot exactly. */
export function fitsSlot(record: ItemNumbers): boolean {
  return record.frames <= 0xffffffff && record.dims <= 0xffffffff;
}

function readFully(fd: number, bytes: Buffer, length: number, position: number): void {
  for (let read = 0; read < length; ) {
    const got = readSync(fd, bytes, read, length - read, position + read);
    if (got === 0) break;
    read += got;
  }
}

function writeFully(fd: number, bytes: Buffer, length: number, position: number): void {
  for (let written = 0; written < length; ) written += writeSync(fd, bytes, written, length - written, position + written);
}

/** Sequential access to the table a block at a time; `flush` writes back what was set. */
export interface TableCursor {
  get(index: number): Slot;
  set(index: number, state: ItemState, numbers: ItemNumbers): void;
  flush(): void;
}

/**
 * The run's per-utterance state by corpus position, a fixed-width slot each in a temporary file (the
 * position-indexed table that was 25 bytes an item of memory): walked block by block in corpus order by
 * the plan and the compaction, read and written one slot at a time as outcomes come in any order.
 */
export class ItemTable {
  private readonly file: string;
  private readonly fd: number;
  /** One slot's bytes, reused: a Buffer per outcome would be a small allocation outside V8's heap each. */
  private readonly scratch = Buffer.alloc(SLOT_BYTES);

  constructor(dir: string, readonly count: number) {
    this.file = temporaryName(join(dir, 'run-items'));
    this.fd = openSync(this.file, 'w+');
    this.clear();
  }

  /** Every slot Absent (a file of zeros). */
  clear(): void {
    ftruncateSync(this.fd, 0);
    ftruncateSync(this.fd, this.count * SLOT_BYTES);
  }

  read(index: number): Slot {
    readFully(this.fd, this.scratch, SLOT_BYTES, index * SLOT_BYTES);
    return decodeSlot(this.scratch, 0);
  }

  write(index: number, state: ItemState, numbers: ItemNumbers): void {
    encodeSlot(this.scratch, 0, state, numbers);
    writeFully(this.fd, this.scratch, SLOT_BYTES, index * SLOT_BYTES);
  }

  cursor(): TableCursor {
    const block = Buffer.alloc(BLOCK_SLOTS * SLOT_BYTES);
    let first = -1;
    let dirty = false;
    const blockBytes = (): number => Math.min(BLOCK_SLOTS, this.count - first) * SLOT_BYTES;
    const flush = (): void => {
      if (dirty) writeFully(this.fd, block, blockBytes(), first * SLOT_BYTES);
      dirty = false;
    };
    const load = (index: number): number => {
      if (index < 0 || index >= this.count) throw new RangeError(`slot ${index} of ${this.count}`);
      const wanted = index - (index % BLOCK_SLOTS);
      if (wanted !== first) {
        flush();
        first = wanted;
        readFully(this.fd, block, blockBytes(), first * SLOT_BYTES);
      }
      return (index - first) * SLOT_BYTES;
    };
    return {
      get: (index) => decodeSlot(block, load(index)),
      set: (index, state, numbers) => {
        encodeSlot(block, load(index), state, numbers);
        dirty = true;
      },
      flush,
    };
  }

  remove(): void {
    closeSync(this.fd);
    rmSync(this.file, { force: true });
  }
}

/** A job with what its record needs besides the extracted numbers. */
export interface JobEntry {
  position: number;
  id: string;
  path: string;
  speaker: string;
  emotion: string;
  label: string | null;
}

/**
 * The run's jobs in corpus order: one JSON line each, and the byte offset of each line as a float64 in a
 * second file, so that the job of any index is two small reads away (a million job objects would not be small).
 */
export class JobFile {
  private readonly lines: LineWriter;
  private readonly offsetsFile: string;
  private readonly offsets: number;
  private pendingOffsets: number[] = [];
  private readonly written: Buffer = Buffer.alloc(8 * 2);
  /** A job's line as read back, reused (grown for a longer line). */
  private line = Buffer.alloc(1024);
  private lineFd = -1;
  private nextOffset = 0;
  length = 0;

  constructor(dir: string) {
    this.lines = new LineWriter(temporaryName(join(dir, 'run-jobs')));
    this.offsetsFile = temporaryName(join(dir, 'run-job-offsets'));
    this.offsets = openSync(this.offsetsFile, 'w+');
  }

  private flushOffsets(): void {
    const bytes = Buffer.alloc(this.pendingOffsets.length * 8);
    this.pendingOffsets.forEach((offset, index) => bytes.writeDoubleLE(offset, index * 8));
    writeFully(this.offsets, bytes, bytes.length, (this.length + 1 - this.pendingOffsets.length) * 8);
    this.pendingOffsets = [];
  }

  append(entry: JobEntry): void {
    if (this.length === 0 && this.pendingOffsets.length === 0) this.pendingOffsets.push(0);
    const line = JSON.stringify([entry.position, entry.id, entry.path, entry.speaker, entry.emotion, entry.label]);
    this.lines.write(line);
    this.length++;
    this.nextOffset += Buffer.byteLength(line) + 1;
    this.pendingOffsets.push(this.nextOffset);
    if (this.pendingOffsets.length >= BLOCK_SLOTS) this.flushOffsets();
  }

  /** Ends the writing; the jobs can be read from now on. */
  finish(): void {
    if (this.length === 0) this.pendingOffsets.push(0);
    this.flushOffsets();
    this.lines.close();
    this.lineFd = openSync(this.lines.file, 'r');
  }

  entry(index: number): JobEntry {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`job ${index} of ${this.length}`);
    readFully(this.offsets, this.written, 16, index * 8);
    const start = this.written.readDoubleLE(0);
    const end = this.written.readDoubleLE(8);
    const length = end - start - 1;
    if (length > this.line.length) this.line = Buffer.alloc(length);
    readFully(this.lineFd, this.line, length, start);
    return parseEntry(this.line.toString('utf8', 0, length));
  }

  *entries(): Generator<JobEntry> {
    for (const line of readLines(this.lines.file)) yield parseEntry(line);
  }

  remove(): void {
    if (this.lineFd >= 0) closeSync(this.lineFd);
    else this.lines.close();
    closeSync(this.offsets);
    rmSync(this.lines.file, { force: true });
    rmSync(this.offsetsFile, { force: true });
  }
}

function parseEntry(line: string): JobEntry {
  const [position, id, path, speaker, emotion, label] = JSON.parse(line) as [number, string, string, string, string, string | null];
  return { position, id, path, speaker, emotion, label };
}

export function extractionJob(entry: JobEntry): ExtractionJob {
  return { id: entry.id, path: entry.path, file: frameFileFor(entry.id) };
}
