import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryName } from './fs.js';
import { LineWriter, readLines } from './lines.js';

/**
 * External merge sort of text lines (Knuth, TAOCP vol. 3, 5.4.1): lines are sorted `chunkLines` (or 4 MB) at a
 * time in memory and each sorted run is spilled to a temporary file; the runs are then merged, k at once, into one
 * sorted file. Memory: one chunk of lines, then one line per run; disk: twice the input.
 *   Order: by `key(line)` in code-unit order (the same on every machine and locale); lines of equal keys
 *   keep their input order (each run is sorted stably, and the merge takes from the earliest run on a tie).
 *   Example: keys b, a, b', c with chunkLines 2 → runs [a, b] [b', c] → merged a, b, b', c;
 *   with keepLastOfKey: a, b', c.
 * Files are named `<name>.tmp-<pid>-<random>` in `dir`, so a store's leftover sweep removes those of a
 * killed run; the runs are removed as soon as merged, and on any error.
 */
export interface SortLinesOptions {
  /** Folder for the runs and the result. */
  dir: string;
  key: (line: string) => string;
  /** Lines sorted in memory at a time (1 to 10,000,000; at most 4 MB of them); default 100,000. */
  chunkLines?: number;
  /** Of lines with equal keys keep only the last in input order (a log where a later record replaces an earlier one). */
  keepLastOfKey?: boolean;
}

export interface SortedLines {
  /** The sorted lines, one a line; the caller removes it (remove()). */
  file: string;
  /** Lines in the sorted file. */
  count: number;
  lines(): Generator<string>;
  remove(): void;
}

export const DEFAULT_CHUNK_LINES = 100_000;
/** Bytes of lines and keys in one chunk, at most (a longer line alone is taken whole). */
const CHUNK_BYTES = 4 * 1024 * 1024;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Writes lines, dropping all but the last of each run of equal keys when asked. */
function keyedWriter(file: string, keepLastOfKey: boolean): { write(key: string, line: string): void; close(): number } {
  const writer = new LineWriter(file);
  let held: { key: string; line: string } | undefined;
  return {
    write(key, line) {
      if (!keepLastOfKey) return writer.write(line);
      if (held && held.key !== key) writer.write(held.line);
      held = { key, line };
    },
    close() {
      if (held) writer.write(held.line);
      writer.close();
      return writer.lines;
    },
  };
}

/**
 * One chunk of lines off V8's heap: each line's UTF-8 key and text in one Buffer, found by an offset, and
 * sorted by permuting the offsets. Held as strings, a chunk outlived several young-generation collections and
 * was promoted, so V8 grew its heap with the number of chunks: peak memory grew with the input although the
 * chunk is bounded.
 */
class Chunk {
  private bytes = Buffer.alloc(CHUNK_BYTES);
  private used = 0;
  private readonly starts: Uint32Array;
  /** Lines whose key holds a character from U+E000 up (see compareAt). */
  private readonly high: Uint8Array;
  /** Sorted lines on their way to the run file (64 kB; a chunk's buffers are made once and reused). */
  private readonly pending = Buffer.alloc(64 * 1024);
  private readonly order: Uint32Array;
  length = 0;

  constructor(readonly capacity: number) {
    this.starts = new Uint32Array(capacity);
    this.high = new Uint8Array(capacity);
    this.order = new Uint32Array(capacity);
  }

  /**
   * Adds a line unless the chunk is full (then false: write it out first). Layout of a line at `start`: key
   * bytes (u32), line bytes (u32), the key, the line. A line longer than the buffer grows it.
   */
  add(key: string, line: string): boolean {
    const keyBytes = Buffer.byteLength(key);
    const lineBytes = Buffer.byteLength(line);
    const needed = this.used + 8 + keyBytes + lineBytes;
    if (this.length > 0 && (this.length >= this.capacity || needed > this.bytes.length)) return false;
    if (needed > this.bytes.length) {
      const larger = Buffer.alloc(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(larger, 0, 0, this.used);
      this.bytes = larger;
    }
    const start = this.used;
    this.bytes.writeUInt32LE(keyBytes, start);
    this.bytes.writeUInt32LE(lineBytes, start + 4);
    this.bytes.write(key, start + 8, 'utf8');
    this.bytes.write(line, start + 8 + keyBytes, 'utf8');
    this.starts[this.length] = start;
    this.high[this.length] = /[\uE000-\uFFFF]/.test(key) ? 1 : 0;
    this.used = needed;
    this.length++;
    return true;
  }

  /**
   * Code-unit order of the keys of lines i and j, as `<` on strings. Compared as UTF-8 bytes (code-point order,
   * the same but for surrogates: U+10000 and up come before U+E000-U+FFFF in UTF-16), except where a key holds
   * a character from U+E000 up: those are decoded and compared as strings.
   */
  private compareAt(i: number, j: number): number {
    const a = this.starts[i];
    const b = this.starts[j];
    const aEnd = a + 8 + this.bytes.readUInt32LE(a);
    const bEnd = b + 8 + this.bytes.readUInt32LE(b);
    if (this.high[i] || this.high[j]) return compare(this.bytes.toString('utf8', a + 8, aEnd), this.bytes.toString('utf8', b + 8, bEnd));
    return this.bytes.compare(this.bytes, b + 8, bEnd, a + 8, aEnd);
  }

  /** Writes the lines in key order (stable: equal keys keep their order), emptying the chunk. */
  writeSorted(file: string, keepLastOfKey: boolean): number {
    const order = this.order.subarray(0, this.length);
    for (let index = 0; index < order.length; index++) order[index] = index;
    // Typed-array sort is not stable in every engine: ties go by input position.
    order.sort((i, j) => this.compareAt(i, j) || i - j);
    const fd = openSync(file, 'w');
    const { pending } = this;
    let filled = 0;
    let count = 0;
    const flush = (): void => {
      for (let written = 0; written < filled; ) written += writeSync(fd, pending, written, filled - written);
      filled = 0;
    };
    try {
      for (let k = 0; k < order.length; k++) {
        if (keepLastOfKey && k + 1 < order.length && this.compareAt(order[k], order[k + 1]) === 0) continue;
        const start = this.starts[order[k]];
        const keyBytes = this.bytes.readUInt32LE(start);
        const lineBytes = this.bytes.readUInt32LE(start + 4);
        if (filled + lineBytes + 1 > pending.length) flush();
        if (lineBytes + 1 > pending.length) {
          writeSync(fd, this.bytes, start + 8 + keyBytes, lineBytes);
          writeSync(fd, '\n');
        } else {
          this.bytes.copy(pending, filled, start + 8 + keyBytes, start + 8 + keyBytes + lineBytes);
          pending[filled + lineBytes] = 0x0a;
          filled += lineBytes + 1;
        }
        count++;
      }
      flush();
    } finally {
      closeSync(fd);
    }
    this.used = 0;
    this.length = 0;
    return count;
  }
}

export function sortLines(lines: Iterable<string>, options: SortLinesOptions): SortedLines {
  const { dir, key, chunkLines = DEFAULT_CHUNK_LINES, keepLastOfKey = false } = options;
  if (!Number.isInteger(chunkLines) || chunkLines < 1 || chunkLines > 10_000_000) {
    throw new RangeError(`chunkLines must be a whole number from 1 to 10,000,000, got ${chunkLines}`);
  }
  const runs: string[] = [];
  const result = temporaryName(join(dir, 'sorted'));
  const chunk = new Chunk(chunkLines);
  const spill = (): void => {
    const run = temporaryName(join(dir, `run${runs.length}`));
    runs.push(run);
    // A run keeps every line: the last of a key may be in a later run.
    chunk.writeSorted(run, false);
  };
  try {
    for (const line of lines) {
      const lineKey = key(line);
      if (!chunk.add(lineKey, line)) {
        spill();
        chunk.add(lineKey, line);
      }
    }
    let count: number;
    if (runs.length === 0) {
      count = chunk.writeSorted(result, keepLastOfKey);
    } else {
      if (chunk.length > 0) spill();
      count = mergeRuns(runs, result, key, keepLastOfKey);
    }
    return { file: result, count, lines: () => readLines(result), remove: () => rmSync(result, { force: true }) };
  } catch (error) {
    rmSync(result, { force: true });
    throw error;
  } finally {
    for (const run of runs) rmSync(run, { force: true });
  }
}

/** k-way merge of sorted runs; the head of each run is one line, the smallest found by a scan (k is small: lines / chunkLines). */
function mergeRuns(runs: string[], result: string, key: (line: string) => string, keepLastOfKey: boolean): number {
  const heads = runs.map((run) => {
    const lines = readLines(run);
    return { lines, line: '', key: '', done: false };
  });
  const advance = (head: (typeof heads)[number]): void => {
    const next = head.lines.next();
    if (next.done) head.done = true;
    else {
      head.line = next.value;
      head.key = key(next.value);
    }
  };
  heads.forEach(advance);
  const writer = keyedWriter(result, keepLastOfKey);
  let count = 0;
  try {
    for (;;) {
      let smallest: (typeof heads)[number] | undefined;
      for (const head of heads) if (!head.done && (smallest === undefined || head.key < smallest.key)) smallest = head;
      if (!smallest) break;
      writer.write(smallest.key, smallest.line);
      advance(smallest);
    }
  } finally {
    for (const head of heads) head.lines.return(undefined);
    count = writer.close();
  }
  return count;
}
