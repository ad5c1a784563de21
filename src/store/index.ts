export { STORE_FORMAT, LEGACY_STORE_FORMAT, frameFileFor, type StoreError, type StoreHeader, type StoreItem } from './format.js';
export { openFeatureStore, type FeatureStore, type StoredUtterance } from './open.js';
export { preprocessCorpus, type PreprocessOptions, type PreprocessSummary } from './preprocess.js';
export { beginStoreRun, type JobList, type ProgressItem, type StoreRun, type StoreRunOptions } from './storeRun.js';
export { runJob, type ExtractionJob, type ExtractedFrames, type JobOutcome } from './job.js';
export { labelledItems, readMatrices, classesOf, labelIndices } from './items.js';
