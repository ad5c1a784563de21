import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { openCorpusListing } from '../corpora/index.js';
import { PredictionWriter } from '../predict/formats.js';
import { DEFAULT_WINDOW_OPTIONS, listAudioInputs, type ClipOutcome } from '../predict/predict.js';
import { DEFAULT_BATCH_LIMITS, parseRedisUrl, queuePredictFiles, queuePreprocessCorpus, type BatchLimits } from '../queue/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { describeFeatureConfig, featureConfigFromArgs, withFeatureOptions } from './featureOptions.js';
import { extractionProgress, ProgressBar } from './progress.js';
import { exitStatusFor, folderOption, numberOption, reportPreprocessing, withRedisOptions } from './shared.js';
import { commandLine } from './commands.js';

function withQueueOptions<T>(yargs: Argv<T>) {
  return withRedisOptions(yargs)
    .option('batch-files', numberOption('batch-files', { default: DEFAULT_BATCH_LIMITS.files, describe: 'files per job at most (small files travel together)' }))
    .option('batch-mb', numberOption('batch-mb', { default: DEFAULT_BATCH_LIMITS.bytes / 2 ** 20, describe: 'megabytes of audio per job at most (a bigger file is a job of its own)' }))
    .option('attempts', numberOption('attempts', { default: 3, describe: 'tries of a job before its files are reported failed' }));
}

function batchLimits(args: { batchFiles: number; batchMb: number }): BatchLimits {
  return { files: args.batchFiles, bytes: args.batchMb * 2 ** 20 };
}

const notice = (message: string): void => void process.stderr.write(`${message}\n`);

function preprocessBuilder(yargs: Argv) {
  return withQueueOptions(withFeatureOptions(yargs))
    .positional('corpus', { type: 'string', demandOption: true, describe: 'corpus folder, at the same path on every worker machine' })
    .option('out', folderOption('out', { demandOption: true, describe: 'feature store folder, shared with every worker machine at the same path' }))
    .option('taxonomy', { choices: ['4class', '7class'] as const, default: '4class' as const, describe: 'emotion classes the labels map to' })
    .option('language', { type: 'string', describe: 'ISO 639-1 code of the corpus, where neither a manifest nor a known layout gives it' })
    .option('all-labels', { type: 'boolean', default: false, describe: 'also extract utterances whose emotion has no class in the taxonomy (label null)' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'discard a store of another configuration or corpus in --out instead of refusing it' })
    .example('$0 queue preprocess /mnt/archive/calls --out /mnt/feats/calls --redis redis://queue-host:6379', 'then `ser worker --redis redis://queue-host:6379` on each machine');
}
type PreprocessArgs = ReturnType<typeof preprocessBuilder> extends Argv<infer Args> ? Args : never;

function predictBuilder(yargs: Argv) {
  return withQueueOptions(yargs)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'audio files or folders (searched recursively), at the same paths on every worker machine' })
    .option('model', { type: 'string', demandOption: true, describe: 'model folder, at the same path on every worker machine' })
    .option('out', { type: 'string', demandOption: true, describe: 'results file: JSON lines, what ser predict --format jsonl prints for the same inputs' })
    .option('window', numberOption('window', { describe: `score fixed windows of this many seconds instead of speech segments, as ser predict (e.g. ${DEFAULT_WINDOW_OPTIONS.windowSeconds})` }))
    .option('hop', numberOption('hop', { describe: 'seconds between window starts: at most --window; default half the window' }))
    .option('min-confidence', numberOption('min-confidence', { default: 0, describe: 'report `uncertain` where the top probability is below this' }))
    .example('$0 queue predict /mnt/archive --model /mnt/models/en --out emotions.jsonl --redis rediss://ser:pw@queue-host:6380', 'every file under /mnt/archive');
}
type PredictArgs = ReturnType<typeof predictBuilder> extends Argv<infer Args> ? Args : never;

const queuePreprocess: CommandModule<object, PreprocessArgs> = {
  command: 'preprocess <corpus>',
  describe: 'ser preprocess with the extraction done by ser worker processes',
  builder: preprocessBuilder,
  handler: async (args) => {
    const redis = parseRedisUrl(args.redis, { caFile: args.redisCa });
    const config = featureConfigFromArgs(args);
    const corpus = openCorpusListing(resolve(args.corpus), { taxonomy: args.taxonomy, language: args.language });
    try {
      const outDir = resolve(args.out);
      process.stderr.write(`${corpus.root} → ${outDir} through ${redis.display}\n  ${describeFeatureConfig(config)}\n`);
      const started = Date.now();
      const progress = extractionProgress(started);
      const summary = await queuePreprocessCorpus(corpus, outDir, {
        config,
        redis,
        batch: batchLimits(args),
        attempts: args.attempts,
        allLabels: args.allLabels,
        overwrite: args.overwrite,
        onNotice: notice,
        onProgress: progress.onProgress,
      });
      progress.finish();
      reportPreprocessing(corpus, summary, args.allLabels, started);
    } finally {
      corpus.close();
    }
  },
};

const queuePredict: CommandModule<object, PredictArgs> = {
  command: 'predict <inputs..>',
  describe: 'ser predict with the predictions made by ser worker processes',
  builder: predictBuilder,
  handler: async (args) => {
    const redis = parseRedisUrl(args.redis, { caFile: args.redisCa });
    const out = resolve(args.out);
    // Fail now, not after the work, when --out cannot be written.
    writeFileSync(`${out}.check`, '');
    rmSync(`${out}.check`);
    const { files, failures } = await listAudioInputs(args.inputs);
    const windowSeconds = args.window ?? DEFAULT_WINDOW_OPTIONS.windowSeconds;
    const plan = args.window === undefined && args.hop === undefined ? { kind: 'speech' as const } : { kind: 'windows' as const, windowSeconds, hopSeconds: args.hop ?? windowSeconds / 2 };
    if (plan.kind === 'windows' && plan.hopSeconds > plan.windowSeconds) throw new Error(`--hop (${plan.hopSeconds}) must be at most --window (${plan.windowSeconds})`);
    const bar = new ProgressBar({ total: files.length, unit: 'files' });
    const rows = await queuePredictFiles(files, {
      redis,
      model: args.model,
      plan,
      minConfidence: args['min-confidence'],
      batch: batchLimits(args),
      attempts: args.attempts,
      onNotice: notice,
      onProgress: (done) => bar.update(done, 0),
    });
    bar.finish();
    const outcomes = [...rows, ...failures] as ClipOutcome[];
    // The writer of ser predict --format jsonl (labels only matter to csv), so the file is byte for byte its output.
    const chunks: string[] = [];
    const writer = new PredictionWriter('jsonl', [], (text) => chunks.push(text));
    for (const outcome of outcomes) writer.clip(outcome);
    writer.end();
    await writeFileAtomic(out, chunks.join(''));
    const failed = outcomes.filter((row) => 'error' in row);
    process.stderr.write(`${outcomes.length - failed.length} of ${outcomes.length} inputs predicted → ${out}\n`);
    for (const row of failed) process.stderr.write(`  ${row.file}: ${String(row.error)}\n`);
    process.exitCode = exitStatusFor(outcomes.length - failed.length, failed.length);
  },
};

export const queueCommand: CommandModule = {
  ...commandLine('queue'),
  builder: (yargs) =>
    yargs
      .command(queuePreprocess as CommandModule)
      .command(queuePredict as CommandModule)
      .demandCommand(1, 'Name what to queue: preprocess or predict')
      .epilog(
        'The queue spreads work over `ser worker` processes on any number of machines, through a Redis server they all reach. ' +
          'Corpus, store, model and audio folders must be shared (e.g. NFS) at the same paths on every machine. ' +
          'Rerunning the same command resumes: finished work is kept, outstanding jobs are enqueued again.',
      ),
  handler: () => {},
};
