import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadCorpus, type Corpus } from '../corpora/index.js';
import { preprocessCorpus, type PreprocessSummary } from '../store/index.js';
import { describeFeatureConfig, featureConfigFromArgs, withFeatureOptions } from './featureOptions.js';
import { FileProgressBar } from './progressBar.js';
import { commandLine } from './commands.js';

/** Exit status when some files could not be read but every other one is in the store. */
export const EXIT_SOME_FILES_SKIPPED = 3;

export function report(corpus: Corpus, summary: PreprocessSummary, allLabels: boolean, wallSeconds: number): string {
  const lines = [
    `Feature store ${summary.outDir} (corpus ${corpus.name}, ${corpus.language})`,
    `  processed ${summary.processed} files, ${summary.audioSeconds.toFixed(1)} s of audio in ${wallSeconds.toFixed(1)} s`,
    `  skipped   ${summary.skipped} already in the store`,
    `  failed    ${summary.failed.length}${summary.failed.length > 0 ? ' (listed in errors.json):' : ''}`,
    ...summary.failed.map(({ path, reason }) => `    ${path}: ${reason}`),
  ];
  if (corpus.unknownLabels.length > 0) {
    const words = corpus.unknownLabels.map(({ emotion, count }) => `${emotion} (${count})`).join(', ');
    const fate = allLabels ? 'kept with label null' : 'left out; --all-labels keeps them';
    lines.push(`Emotions with no class in the ${corpus.taxonomy} taxonomy, ${fate}: ${words}`);
  }
  if (corpus.skippedFiles.length > 0) {
    lines.push(`Files the corpus loader passed over (${corpus.skippedFiles.length}):`);
    lines.push(...corpus.skippedFiles.map(({ relativePath, reason }) => `    ${relativePath}: ${reason}`));
  }
  return lines.join('\n');
}

function builder(yargs: Argv) {
  return withFeatureOptions(yargs)
    .positional('corpus', { type: 'string', demandOption: true, describe: 'corpus folder: manifest.csv, or the file layout of a known corpus' })
    .option('out', { type: 'string', demandOption: true, describe: 'feature store folder; a rerun into it skips what is already there' })
    .option('workers', { type: 'number', default: availableParallelism(), describe: 'worker threads (default: one per core)' })
    .option('taxonomy', { choices: ['4class', '7class'] as const, default: '4class' as const, describe: 'emotion classes the labels map to' })
    .option('language', { type: 'string', describe: 'ISO 639-1 code of the corpus, where neither a manifest language column nor a known layout gives it' })
    .option('all-labels', { type: 'boolean', default: false, describe: 'also extract utterances whose emotion has no class in the taxonomy (label null)' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'discard a store of another configuration or corpus in --out instead of refusing it' })
    .example('$0 preprocess corpora/ravdess --out feats/ravdess', '13 MFCCs + deltas (39 dims), 4-class labels')
    .example('$0 preprocess corpora/emodb --out feats/emodb40 --type fbank --num-mel-bins 40 --no-deltas', '40 log mel energies')
    .example('$0 preprocess corpora/urdu --out feats/urdu --descriptors rms,zcr --workers 2', '+ 2 meyda descriptors, 2 threads')
    .example('$0 preprocess corpora/emodb --out feats/emodb-pitch --pitch', '(13 MFCCs + log F0, voicing, log energy) + deltas = 48 dims')
    .epilog(
      'Progress goes to stderr, the summary to stdout. Exit status: 0 every file processed; 3 some files could not ' +
        'be read (listed with their reasons, and in <out>/errors.json) but all others were written; 1 nothing could be done.',
    );
}

type PreprocessArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

export const preprocessCommand: CommandModule<object, PreprocessArgs> = {
  ...commandLine('preprocess'),
  builder,
  handler: async (args) => {
    const config = featureConfigFromArgs(args);
    if (!Number.isInteger(args.workers) || args.workers < 1) throw new Error(`--workers must be a whole number >= 1, got ${args.workers}`);
    const corpus = await loadCorpus(resolve(args.corpus), { taxonomy: args.taxonomy, language: args.language });
    const outDir = resolve(args.out);
    process.stderr.write(`${corpus.root} → ${outDir}\n  ${describeFeatureConfig(config)}, ${args.workers} worker thread(s)\n`);
    const started = Date.now();
    let bar: FileProgressBar | undefined;
    const summary = await preprocessCorpus(corpus, outDir, {
      config,
      workers: args.workers,
      allLabels: args.allLabels,
      overwrite: args.overwrite,
      onNotice: (message) => process.stderr.write(`${message}\n`),
      onProgress: (done, total, item) => {
        bar ??= new FileProgressBar(total, started);
        bar.update(done, item.audioSeconds);
      },
    });
    bar?.finish();
    process.stdout.write(`${report(corpus, summary, args.allLabels, (Date.now() - started) / 1000)}\n`);
    process.exitCode = summary.failed.length > 0 ? EXIT_SOME_FILES_SKIPPED : 0;
  },
};
