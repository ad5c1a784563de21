import { readRegularFile, UnreadableFileError } from '../util/fs.js';
import { posix } from 'node:path';
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

/** parseCsv one record at a time, so a manifest of a million rows is never a million field arrays at once. */
export function* csvRecords(text: string, file: string): Generator<CsvRecord> {
  let position = text.startsWith('\uFEFF') ? 1 : 0;
  let line = 1;
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

/** The rows of a manifest.csv; malformed structure is an error naming the file and line. */
export async function readManifest(file: string): Promise<ManifestRow[]> {
  const bytes = await readRegularFile(file, MAX_MANIFEST_BYTES).catch((error: unknown) => {
    throw error instanceof UnreadableFileError ? new CorpusError(file, error.reason) : error;
  });
  const records = csvRecords(bytes.toString('utf8'), file);
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
  const rows: ManifestRow[] = [];
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
    rows.push(row);
  }
  refuseRepeatedPaths(rows, file);
  return rows;
}

/** A path listed twice is an error at its second line; found by sorting (no map of every path). */
function refuseRepeatedPaths(rows: readonly ManifestRow[], file: string): void {
  const byPath = [...rows].sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : a.line - b.line));
  let repeat: { first: ManifestRow; again: ManifestRow } | undefined;
  for (let i = 1; i < byPath.length; i++) {
    const [previous, row] = [byPath[i - 1], byPath[i]];
    if (row.relativePath !== previous.relativePath) continue;
    const first = repeat?.first.relativePath === row.relativePath ? repeat.first : previous;
    if (repeat === undefined || row.line < repeat.again.line) repeat = { first, again: row };
  }
  if (repeat) throw new CorpusError(file, `${repeat.again.relativePath} is listed again (first on line ${repeat.first.line})`, repeat.again.line);
}
