import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryName } from './fs.js';
import { LineWriter, readLines } from './lines.js';

/**
 * External merge sort of text lines (Knuth, TAOCP vol. 3, 5.4.1): lines are sorted `chunkLines` at a time in
 * memory and each sorted run is spilled to a temporary file; the runs are then merged, k at once, into one
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
  /** Lines sorted in memory at a time (1 to 10,000,000); default 50,000 (about 15 MB of log records). */
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

export const DEFAULT_CHUNK_LINES = 50_000;

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

export function sortLines(lines: Iterable<string>, options: SortLinesOptions): SortedLines {
  const { dir, key, chunkLines = DEFAULT_CHUNK_LINES, keepLastOfKey = false } = options;
  if (!Number.isInteger(chunkLines) || chunkLines < 1 || chunkLines > 10_000_000) {
    throw new RangeError(`chunkLines must be a whole number from 1 to 10,000,000, got ${chunkLines}`);
  }
  const runs: string[] = [];
  const result = temporaryName(join(dir, 'sorted'));
  let chunk: { key: string; line: string }[] = [];
  const writeSorted = (file: string, keep: boolean): number => {
    chunk.sort((a, b) => compare(a.key, b.key));
    const writer = keyedWriter(file, keep);
    for (const { key: lineKey, line } of chunk) writer.write(lineKey, line);
    chunk = [];
    return writer.close();
  };
  try {
    for (const line of lines) {
      chunk.push({ key: key(line), line });
      if (chunk.length >= chunkLines) {
        const run = temporaryName(join(dir, `run${runs.length}`));
        runs.push(run);
        // A run keeps every line: the last of a key may be in a later run.
        writeSorted(run, false);
      }
    }
    let count: number;
    if (runs.length === 0) {
      count = writeSorted(result, keepLastOfKey);
    } else {
      if (chunk.length > 0) {
        const run = temporaryName(join(dir, `run${runs.length}`));
        runs.push(run);
        writeSorted(run, false);
      }
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
