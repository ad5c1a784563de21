import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Bytes read or written per system call: enough that calls cost little next to parsing, and few enough that
 * each piece of text is an ordinary young object of V8's heap. A piece of 1 MB goes to the large-object space,
 * freed only by full collections: a pass over a 40 MB file then left 40 MB of garbage for as long as V8 let
 * the heap grow, and peak memory grew with the corpus although nothing was kept.
 */
const CHUNK_BYTES = 1 << 15;

/**
 * The UTF-8 text of a file (or of an open descriptor, which stays open) in pieces of 32 kB, read
 * synchronously from `start` up to `end` (default: the end of the file). A character split between two reads
 * comes out whole in the later piece.
 */
export function* readTextChunks(source: string | number, range: { start?: number; end?: number } = {}): Generator<string> {
  const fd = typeof source === 'number' ? source : openSync(source, 'r');
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.alloc(CHUNK_BYTES);
  try {
    let position = range.start ?? 0;
    const end = range.end ?? Infinity;
    while (position < end) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
      if (read === 0) break;
      position += read;
      yield decoder.write(buffer.subarray(0, read));
    }
    const rest = decoder.end();
    if (rest !== '') yield rest;
  } finally {
    if (typeof source !== 'number') closeSync(fd);
  }
}

/**
 * The lines of a text file without their `\n`, one at a time (memory: one piece of the file, whatever its
 * size); a last line without a newline is yielded too, an empty file yields nothing.
 */
export function* readLines(file: string, range: { start?: number; end?: number } = {}): Generator<string> {
  let pending = '';
  for (const chunk of readTextChunks(file, range)) {
    const text = pending + chunk;
    let from = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
      yield text.slice(from, newline);
      from = newline + 1;
    }
    pending = text.slice(from);
  }
  if (pending !== '') yield pending;
}

/** Writes lines to a new file through a buffer of 32 kB; `close` flushes it. Synchronous, like readLines. */
export class LineWriter {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingLength = 0;
  /** Bytes written so far (the file's length once closed). */
  bytes = 0;
  lines = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
  }

  write(line: string): void {
    this.pending.push(line, '\n');
    this.pendingLength += line.length + 1;
    this.lines++;
    if (this.pendingLength >= CHUNK_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    for (let written = 0; written < bytes.length; ) written += writeSync(this.fd, bytes, written, bytes.length - written);
    this.bytes += bytes.length;
    this.pending = [];
    this.pendingLength = 0;
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}
