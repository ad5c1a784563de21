import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { audioFolderCorpus, loadCorpus, type TaxonomyName } from '../corpora/index.js';
import { CorpusError, type Corpus } from '../corpora/types.js';
import type { FeatureConfig } from '../features/config.js';
import { openFeatureStore, preprocessCorpus, type FeatureStore } from '../store/index.js';
import { extractionProgress } from './progress.js';

/**
 * A corpus's features extracted into `storeDir` with a progress bar (a rerun extracts only what is not
 * there yet; features of another configuration there are replaced: the cache belongs to the caller's
 * output folder), unreadable files named on stderr, and the store opened.
 */
export async function extractStore(corpus: Corpus, storeDir: string, config: FeatureConfig, workers: number, allLabels = false): Promise<FeatureStore> {
  process.stderr.write(`Extracting the features of ${corpus.name} (${corpus.utterances.length} clips) into ${storeDir}\n`);
  const progress = extractionProgress();
  const summary = await preprocessCorpus(corpus, storeDir, {
    config,
    workers,
    allLabels,
    overwrite: true,
    onProgress: progress.onProgress,
  });
  progress.finish();
  if (summary.failed.length > 0) {
    process.stderr.write(`  ${summary.failed.length} files of ${corpus.name} could not be read and are left out (listed in ${join(storeDir, 'errors.json')})\n`);
  }
  return openFeatureStore(storeDir);
}

/**
 * A feature store as it is; a corpus folder (manifest.csv or a known layout) extracted into
 * `<cacheDir>/<corpus>`; with `unlabelled`, any other folder of audio as unlabelled clips (`audioFolderCorpus`).
 */
export async function openStoreOrFolder(
  dir: string,
  cacheDir: string,
  options: { config: FeatureConfig; taxonomy: TaxonomyName; workers: number; unlabelled: boolean },
): Promise<FeatureStore> {
  if (existsSync(join(dir, 'index.json'))) return openFeatureStore(dir);
  let corpus: Corpus;
  try {
    corpus = await loadCorpus(dir, { taxonomy: options.taxonomy });
  } catch (error) {
    if (!options.unlabelled || !(error instanceof CorpusError) || existsSync(join(dir, 'manifest.csv'))) throw error;
    corpus = await audioFolderCorpus(dir);
    process.stderr.write(`${dir}: no manifest.csv and no known corpus layout: its ${corpus.utterances.length} clips are taken as unlabelled audio (speakers: its sub-folders)\n`);
  }
  return extractStore(corpus, join(cacheDir, corpus.name), options.config, options.workers, options.unlabelled);
}
