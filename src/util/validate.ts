import type { z } from 'zod';
import { readRegularFile } from './fs.js';

/** The largest JSON file the toolkit reads back (a feature store's index of a large corpus is tens of MB). */
export const MAX_JSON_FILE_BYTES = 512 * 1024 ** 2;

/** A file read back does not have the shape the toolkit wrote: names the file, the field and the fix. */
export class InvalidFileError extends Error {
  constructor(readonly file: string, readonly field: string, reason: string, fix: string) {
    super(`${file}: ${field === '' ? '' : `field ${field}: `}${reason}; ${fix}`);
  }
}

function fieldName(path: (string | number)[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

/**
 * Checks `value` (parsed from `file`) against `schema`; the first problem becomes an {@link InvalidFileError}
 * naming the field, e.g. `card.json: field normalisation.mean[3]: Expected number, received string; <fix>`.
 */
export function parseWith<T extends z.ZodTypeAny>(schema: T, value: unknown, file: string, fix: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new InvalidFileError(file, fieldName(issue.path), issue.message, fix);
}

/** The JSON value in `bytes` read from `file`; unreadable JSON is an {@link InvalidFileError} naming the file. */
export function parseJsonBytes(bytes: Uint8Array, file: string, fix: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new InvalidFileError(file, '', `not valid JSON (${(error as Error).message})`, fix);
  }
}

/**
 * Reads a JSON file (a regular file of at most {@link MAX_JSON_FILE_BYTES}) and validates it: unreadable
 * JSON and wrong shapes both name the file.
 */
export async function readJsonFile<T extends z.ZodTypeAny>(file: string, schema: T, fix: string): Promise<z.infer<T>> {
  return parseWith(schema, parseJsonBytes(await readRegularFile(file, MAX_JSON_FILE_BYTES), file, fix), file, fix);
}
