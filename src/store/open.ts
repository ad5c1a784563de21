import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureConfig, FeatureMatrix } from '../features/index.js';
import { decodeFrames, readStoreIndex, type StoreItem } from './format.js';

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

export function openFeatureStore(dir: string): FeatureStore {
  const index = readStoreIndex(dir);
  if (!index) throw new Error(`${dir} holds no feature store (no index.json); create one with: ser preprocess <corpus folder> --out ${dir}`);

  const readMatrix = (item: StoreItem): FeatureMatrix => {
    const path = join(dir, item.file);
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
    corpus: index.corpus,
    language: index.language,
    config: index.config,
    configKey: index.configKey,
    items: index.items,
    readMatrix,
    loadAll: () => index.items.map((item) => ({ item, matrix: readMatrix(item) })),
  };
}
