import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { decodeAudio } from '../audio/index.js';
import { openCorpusListing, type CorpusListing } from '../corpora/index.js';
import { narrowBandNotice, occupiedBandwidth, type FeatureConfig } from '../features/index.js';
import { preprocessCorpus } from '../store/index.js';
import { describeFeatureConfig, featureConfigFromArgs, withFeatureOptions } from './featureOptions.js';
import { extractionProgress } from './progress.js';
import { folderOption, numberOption, prepareOutputFolder, reportPreprocessing } from './shared.js';
import { commandLine } from './commands.js';

function builder(yargs: Argv) {
  return withFeatureOptions(yargs)
    .positional('corpus', { type: 'string', demandOption: true, describe: 'corpus folder: manifest.csv, or the file layout of a known corpus' })
    .option('out', folderOption('out', { demandOption: true, describe: 'feature store folder; a rerun into it skips what is already there' }))
    .option('workers', numberOption('workers', { default: availableParallelism(), describe: 'worker threads (default: one per core)' }))
    .option('taxonomy', { choices: ['4class', '7class'] as const, default: '4class' as const, describe: 'emotion classes the labels map to' })
    .option('language', { type: 'string', describe: 'ISO 639-1 code of the corpus, where neither a manifest language column nor a known layout gives it' })
    .option('all-labels', { type: 'boolean', default: false, describe: 'also extract utterances whose emotion has no class in the taxonomy (label null)' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'discard a store of another configuration or corpus in --out instead of refusing it' })
    .example('$0 preprocess corpora/ravdess --out feats/ravdess', '13 MFCCs + deltas (39 dims), 4-class labels')
    .example('$0 preprocess corpora/emodb --out feats/emodb40 --type fbank --num-mel-bins 40 --no-deltas', '40 log mel energies')
    .example('$0 preprocess corpora/urdu --out feats/urdu --descriptors rms,zcr --workers 2', '+ 2 meyda descriptors, 2 threads')
    .example('$0 preprocess corpora/callcenter --out feats/callcenter --high-freq 3800', 'telephone speech: the mel bank stops at 3.8 kHz')
    .example('$0 preprocess corpora/emodb --out feats/emodb-pitch --pitch', '(13 MFCCs + log F0, voicing, log energy) + deltas = 48 dims')
    .epilog(
      'Progress goes to stderr, the summary to stdout. Exit status: 0 every file processed; 3 some files could not ' +
        'be read (listed with their reasons, and in <out>/errors.json) but all others were written; 1 nothing could be done.',
    );
}

/** Files of a corpus whose spectrum narrowBandNotice looks at, spread evenly over it. */
const BAND_CHECK_FILES = 8;

async function bandNotice(corpus: CorpusListing, config: FeatureConfig): Promise<string | undefined> {
  const step = Math.max(1, Math.floor(corpus.count / BAND_CHECK_FILES));
  const paths: string[] = [];
  let index = 0;
  for (const utterance of corpus.utterances()) {
    if (index++ % step === 0) paths.push(utterance.path);
  }
  const bandwidths: number[] = [];
  for (const path of paths) {
    if (bandwidths.length >= BAND_CHECK_FILES) break;
    // A file that cannot be read is reported by the run itself.
    const audio = await decodeAudio(path, { sampleRate: config.sampleRate }).catch(() => undefined);
    if (audio) bandwidths.push(occupiedBandwidth(audio.samples, audio.sampleRate));
  }
  return narrowBandNotice(config, bandwidths);
}

type PreprocessArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

export const preprocessCommand: CommandModule<object, PreprocessArgs> = {
  ...commandLine('preprocess'),
  builder,
  handler: async (args) => {
    const config = featureConfigFromArgs(args);
    // Streamed: the run's memory does not grow with the corpus (see openCorpusListing).
    const corpus = openCorpusListing(resolve(args.corpus), { taxonomy: args.taxonomy, language: args.language });
    try {
      const outDir = await prepareOutputFolder('out', args.out);
      process.stderr.write(`${corpus.root} → ${outDir}\n  ${describeFeatureConfig(config)}, ${args.workers} worker thread(s)\n`);
      const notice = await bandNotice(corpus, config);
      if (notice) process.stderr.write(`${notice}\n`);
      const started = Date.now();
      const progress = extractionProgress(started);
      const summary = await preprocessCorpus(corpus, outDir, {
        config,
        workers: args.workers,
        allLabels: args.allLabels,
        overwrite: args.overwrite,
        onNotice: (message) => process.stderr.write(`${message}\n`),
        onProgress: progress.onProgress,
      });
      progress.finish();
      reportPreprocessing(corpus, summary, args.allLabels, started);
    } finally {
      corpus.close();
    }
  },
};
