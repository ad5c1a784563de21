import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accumulateStats, type FeatureConfig, type FeatureMatrix } from '../features/index.js';
import { writeJsonAtomic } from '../util/fs.js';

export const STORE_FORMAT = 'ser-feature-store/1';
export const INDEX_FILE = 'index.json';
export const ERRORS_FILE = 'errors.json';
export const FRAMES_FOLDER = 'frames';

/** One utterance of the store: its labels, where its frames are, and the statistics CMVN needs. */
export interface StoreItem {
  id: string;
  /** The audio file the frames came from, as the corpus loader resolved it. */
  path: string;
  speaker: string;
  emotion: string;
  label: string | null;
  frames: number;
  dims: number;
  /** Relative to the store folder: `frames/<id>.f32`. */
  file: string;
  /** Per-dimension sum of the frames. */
  sum: number[];
  /** Per-dimension sum of squares of the frames. */
  sumSq: number[];
}

export interface StoreIndex {
  format: typeof STORE_FORMAT;
  config: FeatureConfig;
  configKey: string;
  corpus: string;
  language: string;
  items: StoreItem[];
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

/** Per-dimension sum and sum of squares (double precision), as plain arrays for the JSON index. */
export function frameStatistics(matrix: FeatureMatrix): { sum: number[]; sumSq: number[] } {
  const { sum, sumSq } = accumulateStats(matrix);
  return { sum: Array.from(sum), sumSq: Array.from(sumSq) };
}

/** The store's index, or undefined when the folder holds none yet. */
export function readStoreIndex(dir: string): StoreIndex | undefined {
  const path = join(dir, INDEX_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Cannot read the feature store index ${path}: ${(error as Error).message}`);
  }
  let index: Partial<StoreIndex>;
  try {
    index = JSON.parse(text) as Partial<StoreIndex>;
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); delete the store folder and run ser preprocess again`);
  }
  if (index.format !== STORE_FORMAT || !Array.isArray(index.items) || typeof index.configKey !== 'string' || !index.config) {
    throw new Error(`${path} is not a ${STORE_FORMAT} index (format: ${JSON.stringify(index.format)}); point at a folder written by ser preprocess`);
  }
  return index as StoreIndex;
}

export async function writeStoreIndex(dir: string, index: StoreIndex): Promise<void> {
  await writeJsonAtomic(join(dir, INDEX_FILE), index);
}

export async function writeStoreErrors(dir: string, errors: StoreError[]): Promise<void> {
  await writeJsonAtomic(join(dir, ERRORS_FILE), errors);
}
