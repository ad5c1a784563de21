import * as tf from '@tensorflow/tfjs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { holdOutSpeakers } from '../corpora/split.js';
import { saveModel } from '../model/io.js';
import { openFeatureStore } from '../store/index.js';
import { labelledItems } from '../store/items.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrain } from '../train/pretrain.js';
import { PRETRAIN_RECIPE_NAMES, recipeOptions, type PretrainRecipe } from '../train/recipes.js';
import { commandLine } from './commands.js';
import { trainingProgress } from './progress.js';
import { folderOption, numberOption, prepareOutputFolder, threadsOption, trainingThreads } from './shared.js';

interface TrainArgs {
  source: string;
  out: string;
  recipe: PretrainRecipe;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  validationSpeakers?: string;
  holdOut: number;
  normalisation: 'corpus' | 'utterance';
  patience: number;
  resume: boolean;
  threads?: number;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  ...commandLine('train'),
  builder: (yargs) =>
    yargs
      .option('source', folderOption('source', { demandOption: true, describe: 'feature store written by `ser preprocess`' }))
      .option('out', folderOption('out', { demandOption: true, describe: 'model folder to write (model.json, weights.bin, card.json; checkpoints in <out>/checkpoints)' }))
      .option('recipe', {
        choices: PRETRAIN_RECIPE_NAMES,
        default: 'conv' as PretrainRecipe,
        describe: 'conv: convolutional encoder, best when the model is used in the language it learns; functionals: utterance statistics only, what carries best to another language (adapt it with `ser adapt`)',
      })
      .option('epochs', numberOption('epochs', { default: DEFAULT_PRETRAIN_OPTIONS.epochs, describe: 'most epochs to run' }))
      .option('batch-size', numberOption('batch-size', { default: DEFAULT_PRETRAIN_OPTIONS.batchSize, describe: 'clips per batch' }))
      .option('learning-rate', numberOption('learning-rate', { default: DEFAULT_PRETRAIN_OPTIONS.learningRate, describe: 'Adam learning rate' }))
      .option('seed', numberOption('seed', { default: DEFAULT_PRETRAIN_OPTIONS.seed, describe: 'seeds weights, batches, augmentation and dropout: same seed, same model' }))
      .option('validation-speakers', { type: 'string', describe: 'comma-separated source speakers held out for validation (default: --hold-out of them, chosen with the seed)' })
      .option('hold-out', numberOption('hold-out', { default: 0.2, describe: 'fraction (or count) of source speakers held out for validation when --validation-speakers is not given' }))
      .option('normalisation', { choices: ['corpus', 'utterance'] as const, default: DEFAULT_PRETRAIN_OPTIONS.normalisation, describe: 'standardise frames with the corpus statistics, or remove each utterance\'s own mean first' })
      .option('patience', numberOption('patience', { default: DEFAULT_PRETRAIN_OPTIONS.patience, describe: 'stop after this many epochs without a better validation UAR' }))
      .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted run from its last checkpoint (same result as an uninterrupted run with the same --threads)' })
      .option('threads', threadsOption)
      .example('$0 train --source features/ravdess --out models/ravdess', 'pretrain on RAVDESS, 20% of actors held out for validation')
      .example('$0 train --source features/ravdess --out models/ravdess-xl --recipe functionals', 'a source model meant for another language')
      .example('$0 train --source features/ravdess --out models/ravdess --resume', 'continue after a crash or Ctrl-C')
      .epilog('The checkpoint kept is the epoch with the best UAR on the held-out source speakers; no target data is involved.') as never,
  handler: async (args) => {
    const store = openFeatureStore(resolve(args.source));
    const speakers = labelledItems(store).map((item) => item.speaker);
    const validationSpeakers = args.validationSpeakers
      ? args.validationSpeakers.split(',').map((s) => s.trim()).filter(Boolean)
      : holdOutSpeakers(speakers, args.holdOut, args.seed).validation;
    const unknown = validationSpeakers.filter((s) => !speakers.includes(s));
    if (unknown.length > 0) throw new Error(`--validation-speakers: ${unknown.join(', ')} not in ${store.dir} (speakers: ${[...new Set(speakers)].sort().join(', ')})`);
    const out = await prepareOutputFolder('out', args.out);
    const recipe = recipeOptions(args.recipe);
    const threads = trainingThreads(args.threads, { channels: recipe.model.channels });
    process.stderr.write(`Training on ${store.corpus} (${store.language}), ${labelledItems(store).length} labelled clips; validation speakers: ${validationSpeakers.join(', ')}; ${threads} thread(s)\n`);
    const progress = trainingProgress('train');
    const { model, card } = await pretrain(store, {
      ...recipe,
      seed: args.seed,
      epochs: args.epochs,
      batchSize: args.batchSize,
      learningRate: args.learningRate,
      normalisation: args.normalisation,
      patience: args.patience,
      validationSpeakers,
      checkpointDir: join(out, 'checkpoints'),
      resume: args.resume,
      threads,
      onEpoch: progress.onEpoch,
      onStep: progress.onStep,
    });
    await saveModel(out, model, card);
    const v = card.validation;
    process.stdout.write(
      `Model written to ${out} (backend ${tf.getBackend()})\n` +
        (v ? `  validation (speakers ${validationSpeakers.join(', ')}): UAR ${(100 * v.uar).toFixed(1)}%, accuracy ${(100 * v.accuracy).toFixed(1)}%, macro-F1 ${(100 * v.macroF1).toFixed(1)}% at epoch ${v.epoch}\n` : ''),
    );
  },
};
