import { closeSync } from 'node:fs';
import { posix } from 'node:path';
import { openRegularFileSync, UnreadableFileError } from '../util/fs.js';
import { readTextChunks } from '../util/lines.js';
import { compactString, stringInterner } from './strings.js';
import { CorpusError, ISO_639_1 } from './types.js';

export const MANIFEST_FILE = 'manifest.csv';
export const REQUIRED_COLUMNS = ['path', 'speaker', 'emotion'] as const;
export const OPTIONAL_COLUMNS = ['language', 'duration_s'] as const;
/** A manifest of a million rows is tens of MB; more is not a manifest. */
const MAX_MANIFEST_BYTES = 256 * 1024 ** 2;

export interface CsvRecord {
  /** The 1-based line the record starts on (a quoted field may span lines). */
  line: number;
  fields: string[];
}

export interface ManifestRow {
  line: number;
  /** Relative to the corpus folder, normalised to `/` separators. */
  relativePath: string;
  speaker: string;
  emotion: string;
  language?: string;
  durationSeconds?: number;
}

/** Lines end in LF, CRLF, or a lone CR (classic Mac OS, and what some spreadsheets still export). */
const FIELD_END = /,|\r\n|\r|\n/g;
const LINE_BREAK = /\r\n|\r|\n/;

/** The value of the quoted field whose opening quote is at `start`, and the position after its closing quote. */
function readQuotedField(text: string, start: number, file: string, line: number): { value: string; end: number } {
  let value = '';
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) throw new CorpusError(file, 'a quoted field is never closed', line);
    value += text.slice(from, quote);
    if (text[quote + 1] !== '"') return { value, end: quote + 1 };
    value += '"';
    from = quote + 2;
  }
}

/** RFC 4180: comma-separated, `"`-quoted fields may hold commas, line breaks and doubled quotes; LF, CRLF or CR. */
export function parseCsv(text: string, file: string): CsvRecord[] {
  return [...csvRecords(text, file)];
}

/**
 * parseCsv one record at a time, so a manifest of a million rows is never a million field arrays at once;
 * `start` places a piece of a file: the line it starts on, and whether it is the file's beginning (for the BOM).
 */
export function* csvRecords(text: string, file: string, start: { line: number; atFileStart: boolean } = { line: 1, atFileStart: true }): Generator<CsvRecord> {
  let position = start.atFileStart && text.startsWith('\uFEFF') ? 1 : 0;
  let line = start.line;
  while (position < text.length) {
    const record: CsvRecord = { line, fields: [] };
    for (;;) {
      if (text[position] === '"') {
        const { value, end } = readQuotedField(text, position, file, line);
        record.fields.push(value);
        line += value.split(LINE_BREAK).length - 1;
        position = end;
      } else {
        FIELD_END.lastIndex = position;
        const end = FIELD_END.exec(text)?.index ?? text.length;
        const value = text.slice(position, end);
        if (value.includes('"')) {
          throw new CorpusError(file, `field ${JSON.stringify(value)} holds a quote; quote the whole field and double the quotes inside it`, line);
        }
        record.fields.push(value);
        position = end;
      }
      if (text[position] !== ',') break;
      position += 1;
    }
    const lineBreak = text.startsWith('\r\n', position) ? 2 : text[position] === '\n' || text[position] === '\r' ? 1 : 0;
    if (lineBreak === 0 && position < text.length) {
      throw new CorpusError(file, 'a closing quote must be followed by a comma or the end of the line', line);
    }
    position += lineBreak;
    line += 1;
    yield record;
  }
}

/**
 * Where the text's last complete record ends: just after its last line break outside quotes (an even number
 * of quotes before it, RFC 4180), but not after a CR that ends the text, whose LF may be in the next piece.
 */
function lastRecordEnd(text: string): number {
  let quoted = false;
  let end = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) quoted = !quoted;
    else if (!quoted && (code === 0x0a || (code === 0x0d && i + 1 < text.length && text.charCodeAt(i + 1) !== 0x0a))) end = i + 1;
  }
  return end;
}

function lineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a || (code === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) count++;
  }
  return count;
}

/**
 * csvRecords over a text that comes in pieces (a file read 1 MB at a time): each piece is cut after its last
 * complete record and the rest carried into the next, so records, line numbers and errors are those of the
 * whole text parsed at once.
 */
export function* csvRecordsInPieces(pieces: Iterable<string>, file: string): Generator<CsvRecord> {
  let pending = '';
  let line = 1;
  let atFileStart = true;
  for (const piece of pieces) {
    pending += piece;
    const end = lastRecordEnd(pending);
    if (end === 0) continue;
    const complete = pending.slice(0, end);
    pending = pending.slice(end);
    yield* csvRecords(complete, file, { line, atFileStart });
    line += lineBreaks(complete);
    atFileStart = false;
  }
  if (pending !== '') yield* csvRecords(pending, file, { line, atFileStart });
}

function isBlank(record: CsvRecord): boolean {
  return record.fields.length === 1 && record.fields[0].trim() === '';
}

function relativeAudioPath(written: string, file: string, line: number): string {
  const path = posix.normalize(written.replaceAll('\\', '/'));
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path === '..' || path.startsWith('../')) {
    throw new CorpusError(file, `path ${JSON.stringify(written)} must be relative to the corpus folder and stay inside it`, line);
  }
  return path;
}

/** The manifest as pieces of text, read 1 MB at a time from a checked regular file. */
function* manifestText(file: string): Generator<string> {
  let fd: number;
  try {
    fd = openRegularFileSync(file, MAX_MANIFEST_BYTES).fd;
  } catch (error) {
    throw error instanceof UnreadableFileError ? new CorpusError(file, error.reason) : error;
  }
  try {
    yield* readTextChunks(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The rows of a manifest.csv in file order, one at a time (the file is read piece by piece: memory does not
 * grow with it); malformed structure is an error naming the file and line. Repeated paths are not checked
 * here (that needs the rows sorted: firstRepeatedPath).
 */
export function* manifestRows(file: string): Generator<ManifestRow> {
  const records = csvRecordsInPieces(manifestText(file), file);
  // The first record that is not blank; next() by hand, as breaking out of a for-of would close the generator.
  let header: CsvRecord | undefined;
  while (header === undefined) {
    const next = records.next();
    if (next.done) break;
    if (!isBlank(next.value)) header = next.value;
  }
  const expected = `required columns ${REQUIRED_COLUMNS.join(',')}; optional ${OPTIONAL_COLUMNS.join(',')}`;
  if (header === undefined) throw new CorpusError(file, `is empty; its first line must name the columns (${expected})`);
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new CorpusError(file, `the header lacks ${missing.join(', ')} (${expected})`, header.line);
  }
  const repeated = columns.filter((column, index) => column !== '' && columns.indexOf(column) !== index);
  if (repeated.length > 0) throw new CorpusError(file, `the header names ${repeated.join(', ')} more than once`, header.line);

  const intern = stringInterner();
  for (const record of records) {
    if (isBlank(record)) continue;
    const { line, fields } = record;
    if (fields.length !== columns.length) {
      throw new CorpusError(file, `has ${fields.length} fields where the header has ${columns.length}`, line);
    }
    const cell = (column: string): string => fields[columns.indexOf(column)]?.trim() ?? '';
    const required = (column: string): string => {
      const value = cell(column);
      if (value === '') throw new CorpusError(file, `the ${column} field is empty`, line);
      return value;
    };

    // The path is taken as written: spaces may be part of a file name, so trimming them would name another file.
    required('path');
    const relativePath = compactString(relativeAudioPath(fields[columns.indexOf('path')], file, line));
    const row: ManifestRow = { line, relativePath, speaker: intern(required('speaker')), emotion: intern(required('emotion')) };
    const language = cell('language').toLowerCase();
    if (language !== '') {
      if (!ISO_639_1.test(language)) throw new CorpusError(file, `language ${JSON.stringify(language)} is not a two-letter ISO 639-1 code`, line);
      row.language = intern(language);
    }
    const duration = cell('duration_s');
    if (duration !== '') {
      row.durationSeconds = Number(duration);
      if (!Number.isFinite(row.durationSeconds) || row.durationSeconds < 0) {
        throw new CorpusError(file, `duration_s ${JSON.stringify(duration)} is not a number of seconds`, line);
      }
    }
    yield row;
  }
}

/** Every row of a manifest.csv, repeated paths refused; malformed structure is an error naming the file and line. */
export async function readManifest(file: string): Promise<ManifestRow[]> {
  const rows = [...manifestRows(file)];
  const repeat = firstRepeatedPath([...rows].sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : a.line - b.line)));
  if (repeat) throw repeatedPathError(file, repeat);
  return rows;
}

/** A path listed again: the row where it first appears and its earliest repetition. */
export interface RepeatedPath {
  relativePath: string;
  firstLine: number;
  againLine: number;
}

/**
 * Of rows sorted by path (equal paths in line order), the repetition on the earliest line: the error a reader
 * of the file meets first. Rows may stream by: only the previous row and the answer are kept.
 */
export function firstRepeatedPath(sortedRows: Iterable<{ relativePath: string; line: number }>): RepeatedPath | undefined {
  let repeat: RepeatedPath | undefined;
  let first: { relativePath: string; line: number } | undefined;
  let previousPath: string | undefined;
  for (const { relativePath, line } of sortedRows) {
    if (relativePath !== previousPath) {
      first = { relativePath, line };
      previousPath = relativePath;
      continue;
    }
    if (repeat === undefined || line < repeat.againLine) repeat = { relativePath, firstLine: first!.line, againLine: line };
  }
  return repeat;
}

export function repeatedPathError(file: string, repeat: RepeatedPath): CorpusError {
  return new CorpusError(file, `${repeat.relativePath} is listed again (first on line ${repeat.firstLine})`, repeat.againLine);
}
