import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, adaptModel, recommendedMethod, type AdaptationMethod } from '../adapt/adapt.js';
import { loadModel, saveModel } from '../model/io.js';
import { openFeatureStore } from '../store/index.js';
import { commandLine } from './commands.js';
import { trainingProgress } from './progress.js';
import { folderOption, numberOption, parseSpeakerList, prepareOutputFolder, sameFolder, threadsOption, trainingThreads } from './shared.js';

interface AdaptArgs {
  model: string;
  source: string;
  target: string;
  method?: AdaptationMethod;
  shots: number;
  targetSpeakers?: string;
  out: string;
  epochs: number;
  learningRate: number;
  alignmentWeight: number;
  adabn: boolean;
  pseudoLabelFraction: number;
  seed: number;
  threads?: number;
  force: boolean;
}

export const adaptCommand: CommandModule<object, AdaptArgs> = {
  ...commandLine('adapt'),
  builder: (yargs) =>
    yargs
      .option('model', folderOption('model', { demandOption: true, describe: 'model folder written by `ser train`' }))
      .option('source', folderOption('source', { demandOption: true, describe: 'source feature store (the one the model was trained on)' }))
      .option('target', folderOption('target', { demandOption: true, describe: 'target-language feature store' }))
      .option('method', { choices: ADAPTATION_METHODS, describe: 'none: per-domain normalisation only; adabn: + target batch-norm statistics; selftrain: + training on the pool clips where the source model and its AdaBN copy agree, the most confident half per class; dann | mmd | coral: train with that alignment loss. Default: what did best on the benchmark, selftrain without --shots and adabn with them' })
      .option('shots', numberOption('shots', { default: 0, describe: 'labelled target clips per class used for fine-tuning (0 = unsupervised: target audio only)' }))
      .option('target-speakers', { type: 'string', describe: 'target speakers whose audio may be used (comma list or a file, one per line); default: the benchmark adaptation pool (even positions of sorted ids)' })
      .option('out', folderOption('out', { demandOption: true, describe: 'adapted model folder (not --model itself, unless --force)' }))
      .option('force', { type: 'boolean', default: false, describe: 'allow --out to be the --model folder, replacing the source model' })
      .option('epochs', numberOption('epochs', { default: DEFAULT_ADAPT_OPTIONS.epochs, describe: 'fixed number of epochs (nothing is chosen on target labels)' }))
      .option('learning-rate', numberOption('learning-rate', { default: DEFAULT_ADAPT_OPTIONS.learningRate, describe: 'Adam learning rate' }))
      .option('alignment-weight', numberOption('alignment-weight', { default: DEFAULT_ADAPT_OPTIONS.alignmentWeight, describe: 'weight of the alignment loss beside the source classification loss' }))
      .option('adabn', { type: 'boolean', default: DEFAULT_ADAPT_OPTIONS.finalAdaBN, describe: 'dann | mmd | coral: re-estimate batch-norm statistics on the target after training (selftrain keeps the statistics it trained with)' })
      .option('pseudo-label-fraction', numberOption('pseudo-label-fraction', { default: DEFAULT_ADAPT_OPTIONS.pseudoLabelFraction, describe: 'selftrain: share of each class of agreed clips, most confident first, taken as pseudo-labelled' }))
      .option('seed', numberOption('seed', { default: 0, describe: 'seeds the shots drawn, batches and dropout' }))
      .option('threads', threadsOption)
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --out models/emodb', 'unsupervised (self-training)')
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --shots 5 --out models/emodb-5shot', '5 labelled clips per class (AdaBN)')
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --method dann --out models/emodb-dann', 'unsupervised DANN') as never,
  handler: async (args) => {
    if (!args.force && (await sameFolder(args.out, args.model))) {
      throw new Error(`--out ${resolve(args.out)} is the --model folder: the source model would be replaced; write the adapted model elsewhere, or add --force`);
    }
    const { model, card } = await loadModel(resolve(args.model));
    const source = openFeatureStore(resolve(args.source));
    const target = openFeatureStore(resolve(args.target));
    const out = await prepareOutputFolder('out', args.out);
    const progress = trainingProgress('adapt');
    const adapted = await adaptModel(model, card, source, target, {
      ...DEFAULT_ADAPT_OPTIONS,
      method: args.method ?? recommendedMethod(args.shots),
      shots: args.shots,
      adaptationSpeakers: args.targetSpeakers ? await parseSpeakerList(args.targetSpeakers) : undefined,
      epochs: args.epochs,
      learningRate: args.learningRate,
      alignmentWeight: args.alignmentWeight,
      finalAdaBN: args.adabn,
      pseudoLabelFraction: args.pseudoLabelFraction,
      seed: args.seed,
      threads: trainingThreads(args.threads, card.modelSpec),
      onEpoch: progress.onEpoch,
      onStep: progress.onStep,
    });
    await saveModel(out, adapted.model, adapted.card);
    const a = adapted.card.adaptation!;
    process.stdout.write(
      `Adapted model written to ${out}\n  ${a.method} to ${a.targetCorpus} (${a.targetLanguage}), ${a.shots} shots, ` +
        `${a.unlabelledClips} clips of speakers ${a.adaptationSpeakers.join(', ')}\n  schedule: ${a.schedule}\n`,
    );
  },
};
