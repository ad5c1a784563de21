export { isTaxonomyName, mapLabel, TAXONOMIES } from './labels.js';
export { AUDIO_EXTENSIONS, LAYOUTS, NEARLY_ALL, parseFileName, recogniseLayout, type Layout, type LayoutMatch } from './layouts.js';
export { audioFolderCorpus, openAudioFolderListing, UNDETERMINED_LANGUAGE } from './audioFolder.js';
export {
  collectCorpus,
  isListing,
  listAudioFiles,
  listingOf,
  loadCorpus,
  openCorpusListing,
  walkAudioFiles,
  type CorpusListing,
  type ListingOptions,
  type OpenCorpusListing,
} from './load.js';
export { MANIFEST_FILE, OPTIONAL_COLUMNS, manifestRows, parseCsv, readManifest, REQUIRED_COLUMNS, type CsvRecord, type ManifestRow } from './manifest.js';
export { holdOutSpeakers, protocolSplit } from './split.js';
export {
  CorpusError,
  ISO_639_1,
  type Corpus,
  type CorpusInfo,
  type LoadCorpusOptions,
  type SkippedFile,
  type TaxonomyName,
  type Utterance,
} from './types.js';
