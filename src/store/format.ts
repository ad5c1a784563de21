import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { featureConfigKey, type FeatureConfig } from '../features/index.js';
import { writeJsonAtomic } from '../util/fs.js';
import { parseWith, InvalidFileError } from '../util/validate.js';

export const STORE_FORMAT = 'ser-feature-store/2';
/** The format before the item log: every item, with per-dimension sums, inside index.json. Migrated on first write. */
export const LEGACY_STORE_FORMAT = 'ser-feature-store/1';
export const INDEX_FILE = 'index.json';
export const ITEMS_FILE = 'items.jsonl';
export const ERRORS_FILE = 'errors.json';
export const FRAMES_FOLDER = 'frames';

/** One utterance of the store: its labels, where its frames are, and what its audio was when extracted. */
export interface StoreItem {
  id: string;
  /** The audio file the frames came from, as the corpus loader resolved it. */
  path: string;
  speaker: string;
  emotion: string;
  label: string | null;
  frames: number;
  dims: number;
  /** Size in bytes and modification time of the audio file when its frames were extracted: a change means re-extract. */
  size: number;
  mtimeMs: number;
  /** Relative to the store folder: `frames/<id>.f32`, derived from the id (never read from a file). */
  file: string;
}

/** What items.jsonl holds per line: the item without `file`, which follows from the id. */
export type StoreRecord = Omit<StoreItem, 'file'>;

/** index.json: the store's header. The items are in items.jsonl, one record a line, in corpus order once a run finishes. */
export interface StoreHeader {
  format: typeof STORE_FORMAT;
  config: FeatureConfig;
  configKey: string;
  corpus: string;
  language: string;
  /** Items in items.jsonl after the last run's compaction (a run going on appends more). */
  count: number;
}

/** A file that could not be turned into features, and why. */
export interface StoreError {
  path: string;
  reason: string;
}

/** Ids come from file names and may hold separators; the frame file name must stay inside `frames/`. */
export function frameFileFor(id: string): string {
  return `${FRAMES_FOLDER}/${encodeURIComponent(id)}.f32`;
}

const FIX = 'delete the store folder and run ser preprocess again';

const featureConfigSchema = z
  .object({
    kind: z.enum(['mfcc', 'fbank']),
    sampleRate: z.number().int().positive(),
    frameLengthMs: z.number().positive(),
    frameShiftMs: z.number().positive(),
    deltas: z.boolean(),
    descriptors: z.array(z.string()),
  })
  .passthrough();

const headerSchema = z.object({
  format: z.literal(STORE_FORMAT),
  config: featureConfigSchema,
  configKey: z.string(),
  corpus: z.string(),
  language: z.string(),
  count: z.number().int().nonnegative(),
});

const count = z.number().int().nonnegative();
export const recordSchema = z.object({
  id: z.string().min(1),
  path: z.string().min(1),
  speaker: z.string(),
  emotion: z.string(),
  label: z.string().nullable(),
  frames: count,
  dims: count,
  size: count,
  mtimeMs: z.number().nonnegative(),
});

/** The items of a ser-feature-store/1 index.json: `file` was stored (and must stay inside the store), sums were too. */
const legacySchema = z.object({
  format: z.literal(LEGACY_STORE_FORMAT),
  config: featureConfigSchema,
  configKey: z.string(),
  corpus: z.string(),
  language: z.string(),
  items: z.array(
    recordSchema.omit({ size: true, mtimeMs: true }).extend({ file: z.string() }),
  ),
});
export type LegacyIndex = z.infer<typeof legacySchema>;

export function itemOf(record: StoreRecord): StoreItem {
  return { ...record, file: frameFileFor(record.id) };
}

export function recordOf(item: StoreItem): StoreRecord {
  const { id, path, speaker, emotion, label, frames, dims, size, mtimeMs } = item;
  return { id, path, speaker, emotion, label, frames, dims, size, mtimeMs };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/** Raw little-endian float32, whatever the host's byte order. */
export function encodeFrames(data: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return bytes;
}

export function decodeFrames(bytes: Uint8Array): Float32Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
  return data;
}

/** index.json as read: a current header, a legacy index to migrate, or nothing yet. */
export type ReadIndex = { kind: 'current'; header: StoreHeader } | { kind: 'legacy'; index: LegacyIndex } | undefined;

/** The store's index.json, validated, or undefined when the folder holds none yet. */
export function readStoreIndex(dir: string): ReadIndex {
  const path = join(dir, INDEX_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Cannot read the feature store index ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidFileError(path, '', `not valid JSON (${(error as Error).message})`, FIX);
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (format === LEGACY_STORE_FORMAT) return { kind: 'legacy', index: checkConfigKey(parseWith(legacySchema, value, path, FIX), path) };
  if (format !== STORE_FORMAT) {
    throw new InvalidFileError(path, 'format', `${JSON.stringify(format)} is not ${STORE_FORMAT}`, 'point at a folder written by ser preprocess');
  }
  return { kind: 'current', header: checkConfigKey(parseWith(headerSchema, value, path, FIX) as unknown as StoreHeader, path) };
}

/** The key must be the configuration's own: a hand-edited config under an old key would mix features. */
function checkConfigKey<T extends { config: object; configKey: string }>(index: T, path: string): T {
  if (featureConfigKey(index.config as FeatureConfig) !== index.configKey) {
    throw new InvalidFileError(path, 'configKey', 'does not match the config beside it', FIX);
  }
  return index;
}

export async function writeStoreHeader(dir: string, header: StoreHeader): Promise<void> {
  await writeJsonAtomic(join(dir, INDEX_FILE), header);
}

export async function writeStoreErrors(dir: string, errors: StoreError[]): Promise<void> {
  await writeJsonAtomic(join(dir, ERRORS_FILE), errors);
}
