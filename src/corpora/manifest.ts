import { readRegularFile, UnreadableFileError } from '../util/fs.js';
import { posix } from 'node:path';
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
  const records: CsvRecord[] = [];
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
    records.push(record);
  }
  return records;
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
  const [header, ...records] = parseCsv(bytes.toString('utf8'), file).filter((record) => !isBlank(record));
  const expected = `required columns ${REQUIRED_COLUMNS.join(',')}; optional ${OPTIONAL_COLUMNS.join(',')}`;
  if (header === undefined) throw new CorpusError(file, `is empty; its first line must name the columns (${expected})`);
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new CorpusError(file, `the header lacks ${missing.join(', ')} (${expected})`, header.line);
  }
  const repeated = columns.filter((column, index) => column !== '' && columns.indexOf(column) !== index);
  if (repeated.length > 0) throw new CorpusError(file, `the header names ${repeated.join(', ')} more than once`, header.line);

  const firstLineOfPath = new Map<string, number>();
  return records.map(({ line, fields }) => {
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
    const relativePath = relativeAudioPath(fields[columns.indexOf('path')], file, line);
    const earlier = firstLineOfPath.get(relativePath);
    if (earlier !== undefined) throw new CorpusError(file, `${relativePath} is listed again (first on line ${earlier})`, line);
    firstLineOfPath.set(relativePath, line);

    const row: ManifestRow = { line, relativePath, speaker: required('speaker'), emotion: required('emotion') };
    const language = cell('language').toLowerCase();
    if (language !== '') {
      if (!ISO_639_1.test(language)) throw new CorpusError(file, `language ${JSON.stringify(language)} is not a two-letter ISO 639-1 code`, line);
      row.language = language;
    }
    const duration = cell('duration_s');
    if (duration !== '') {
      row.durationSeconds = Number(duration);
      if (!Number.isFinite(row.durationSeconds) || row.durationSeconds < 0) {
        throw new CorpusError(file, `duration_s ${JSON.stringify(duration)} is not a number of seconds`, line);
      }
    }
    return row;
  });
}
