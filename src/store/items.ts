import type { FeatureMatrix } from '../features/config.js';
import type { StoreItem } from './format.js';
import type { FeatureStore } from './open.js';

/** The items that carry a taxonomy class (a store made with `--all-labels` also holds unlabelled ones). */
export function labelledItems(store: FeatureStore): StoreItem[] {
  return store.items.filter((item) => item.label !== null);
}

/** The stored frames of each item, in order. */
export function readMatrices(store: FeatureStore, items: StoreItem[]): FeatureMatrix[] {
  return items.map((item) => store.readMatrix(item));
}

/** Class list in taxonomy order, restricted to the labels present. */
export function classesOf(items: StoreItem[], taxonomyOrder: readonly string[]): string[] {
  const present = new Set(items.map((item) => item.label).filter((label): label is string => label !== null));
  const unknown = [...present].filter((label) => !taxonomyOrder.includes(label));
  if (unknown.length > 0) throw new Error(`labels ${unknown.join(', ')} are in no known taxonomy`);
  return taxonomyOrder.filter((label) => present.has(label));
}

/** Each item's class as an index into `classes`; an item of another class is an error naming its file. */
export function labelIndices(items: StoreItem[], classes: string[]): number[] {
  return items.map((item) => {
    const index = classes.indexOf(item.label ?? '');
    if (index < 0) throw new Error(`${item.path}: label ${String(item.label)} is not one of the model's classes (${classes.join(', ')})`);
    return index;
  });
}
