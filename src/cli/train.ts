import * as tf from '@tensorflow/tfjs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { holdOutSpeakers } from '../corpora/split.js';
import { saveModel } from '../model/io.js';
import { openFeatureStore } from '../store/index.js';
import { labelledItems } from '../store/items.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrainOnSources } from '../train/pretrain.js';
import { PRETRAIN_RECIPE_NAMES, recipeOptions, type PretrainRecipe } from '../train/recipes.js';
import { MIN_SPEAKER_FRAMES, NORMALISATION_MODES, type NormalisationMode } from '../infer/normalise.js';
import { trainingProgress } from './progress.js';
import { commandLine } from './commands.js';
import { folderOption, numberOption, prepareOutputFolder, threadsOption, trainingThreads } from './shared.js';

interface TrainArgs {
  source: string[];
  out: string;
  recipe: PretrainRecipe;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  validationSpeakers?: string;
  holdOut: number;
  normalisation: NormalisationMode;
  patience: number;
  resume: boolean;
  threads?: number;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  ...commandLine('train'),
  builder: (yargs) =>
    yargs
      .option('source', { type: 'string', array: true, demandOption: true, describe: 'feature store written by `ser preprocess`; give it once per corpus to pool several (any languages, one feature configuration): each is standardised on its own statistics and batches are balanced over (corpus, class)' })
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
      .option('validation-speakers', { type: 'string', describe: 'comma-separated source speakers held out for validation, as corpus/speaker with several sources (default: --hold-out of each source\'s speakers, chosen with the seed)' })
      .option('hold-out', numberOption('hold-out', { default: 0.2, describe: 'fraction (or count) of each source\'s speakers held out for validation when --validation-speakers is not given' }))
      .option('normalisation', { choices: NORMALISATION_MODES, default: DEFAULT_PRETRAIN_OPTIONS.normalisation, describe: `standardise frames with the corpus statistics; utterance: remove each utterance's own mean first; speaker: each speaker's clips on that speaker's own statistics (speaker ids of the store; speakers with under ${MIN_SPEAKER_FRAMES / 100} s of audio on the corpus's). Speaker helps where every speaker performs every emotion and hurts where a speaker's clips are mostly one mood (see README)` })
      .option('patience', numberOption('patience', { default: DEFAULT_PRETRAIN_OPTIONS.patience, describe: 'stop after this many epochs without a better validation UAR' }))
      .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted run from its last checkpoint (same result as an uninterrupted run with the same --threads)' })
      .option('threads', threadsOption)
      .example('$0 train --source features/ravdess --out models/ravdess', 'pretrain on RAVDESS, 20% of actors held out for validation')
      .example('$0 train --source features/ravdess --out models/ravdess-xl --recipe functionals', 'a source model meant for another language')
      .example('$0 train --source features/ravdess --out models/ravdess --resume', 'continue after a crash or Ctrl-C')
      .example('$0 train --source features/ravdess --source features/emodb --source features/urdu --recipe functionals --out models/pooled', 'one source model of three languages')
      .epilog('The checkpoint kept is the epoch with the best UAR on the held-out source speakers; no target data is involved.') as never,
  handler: async (args) => {
    const stores = args.source.map((dir) => openFeatureStore(resolve(dir)));
    const several = stores.length > 1;
    const listed = args.validationSpeakers?.split(',').map((s) => s.trim()).filter(Boolean);
    const sources = stores.map((store) => {
      const speakers = labelledItems(store).map((item) => item.speaker);
      const validationSpeakers = listed
        ? listed.flatMap((entry) => (several ? (entry.startsWith(`${store.corpus}/`) ? [entry.slice(store.corpus.length + 1)] : []) : [entry]))
        : holdOutSpeakers(speakers, args.holdOut, args.seed).validation;
      const unknown = validationSpeakers.filter((s) => !speakers.includes(s));
      if (unknown.length > 0) throw new Error(`--validation-speakers: ${unknown.join(', ')} not in ${store.dir} (speakers: ${[...new Set(speakers)].sort().join(', ')})`);
      return { store, validationSpeakers };
    });
    const validationSpeakers = sources.flatMap(({ store, validationSpeakers: held }) => held.map((s) => (several ? `${store.corpus}/${s}` : s)));
    if (listed) {
      const unused = listed.filter((entry) => !validationSpeakers.includes(entry));
      if (unused.length > 0) throw new Error(`--validation-speakers: ${unused.join(', ')} name no source corpus${several ? ' (write corpus/speaker, e.g. ' + `${stores[0].corpus}/${labelledItems(stores[0])[0]?.speaker ?? '01'})` : ''}`);
    }
    const out = await prepareOutputFolder('out', args.out);
    const recipe = recipeOptions(args.recipe);
    const threads = await trainingThreads(args.threads, { channels: recipe.model.channels });
    const described = stores.map((store) => `${store.corpus} (${store.language}, ${labelledItems(store).length} labelled clips)`).join(', ');
    process.stderr.write(`Training on ${described}; validation speakers: ${validationSpeakers.join(', ')}; ${threads} thread(s)\n`);
    const progress = trainingProgress('train');
    const { model, card } = await pretrainOnSources(sources, {
      ...recipe,
      seed: args.seed,
      epochs: args.epochs,
      batchSize: args.batchSize,
      learningRate: args.learningRate,
      normalisation: args.normalisation,
      patience: args.patience,
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
