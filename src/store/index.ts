export { STORE_FORMAT, type StoreError, type StoreIndex, type StoreItem } from './format.js';
export { openFeatureStore, type FeatureStore, type StoredUtterance } from './open.js';
export { preprocessCorpus, type PreprocessOptions, type PreprocessSummary, type ProgressItem } from './preprocess.js';
export { labelledItems, readMatrices, classesOf, labelIndices } from './items.js';
