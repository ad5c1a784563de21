import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureConfig, FeatureMatrix } from '../features/index.js';
import { resolveInside } from '../util/paths.js';
import { INDEX_FILE, ITEMS_FILE, decodeFrames, frameFileFor, itemOf, readStoreIndex, type StoreItem } from './format.js';
import { readItemLogSync } from './itemLog.js';

export interface StoredUtterance {
  item: StoreItem;
  matrix: FeatureMatrix;
}

/** A feature store folder opened for reading; everything is synchronous and reads only what is asked for. */
export interface FeatureStore {
  dir: string;
  corpus: string;
  language: string;
  config: FeatureConfig;
  configKey: string;
  items: StoreItem[];
  readMatrix(item: StoreItem): FeatureMatrix;
  loadAll(): StoredUtterance[];
}

/** The items of the store: its log (the last record of an id wins), or the item list of a format-1 index, read as it is. */
function storeItems(dir: string, index: NonNullable<ReturnType<typeof readStoreIndex>>): StoreItem[] {
  if (index.kind === 'legacy') {
    return index.index.items.map((item) => {
      resolveInside(dir, item.file, join(dir, INDEX_FILE));
      return { ...item, file: item.file, size: -1, mtimeMs: -1 };
    });
  }
  const byId = new Map<string, StoreItem>();
  for (const record of readItemLogSync(dir)) {
    byId.delete(record.id);
    byId.set(record.id, itemOf(record));
  }
  return [...byId.values()];
}

export function openFeatureStore(dir: string): FeatureStore {
  const index = readStoreIndex(dir);
  if (!index) throw new Error(`${dir} holds no feature store (no index.json); create one with: ser preprocess <corpus folder> --out ${dir}`);
  const header = index.kind === 'current' ? index.header : index.index;
  const items = storeItems(dir, index);

  const readMatrix = (item: StoreItem): FeatureMatrix => {
    const path = resolveInside(dir, item.file ?? frameFileFor(item.id), join(dir, index.kind === 'current' ? ITEMS_FILE : INDEX_FILE));
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new Error(`Cannot read the frames of ${item.id} (${path}): ${(error as Error).message}; rerun ser preprocess to restore them`);
    }
    const expected = item.frames * item.dims * 4;
    if (bytes.byteLength !== expected) {
      throw new Error(`${path} holds ${bytes.byteLength} bytes but its index entry says ${item.frames} × ${item.dims} float32 (${expected} bytes); rerun ser preprocess to restore it`);
    }
    return { frames: item.frames, dims: item.dims, data: decodeFrames(bytes) };
  };

  return {
    dir,
    corpus: header.corpus,
    language: header.language,
    config: header.config as FeatureConfig,
    configKey: header.configKey,
    items,
    readMatrix,
    loadAll: () => items.map((item) => ({ item, matrix: readMatrix(item) })),
  };
}
