import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, SOURCE_FREE_METHODS, adaptModel, needsSourceData, RECOMMENDED_METHODS, recommendedMethod, type AdaptationMethod } from '../adapt/adapt.js';
import { loadModel, saveModel } from '../model/io.js';
import { modelDirOrShipped, SHIPPED_MODEL_NAME } from '../model/shipped.js';
import type { FeatureStore } from '../store/index.js';
import { openStoreOrFolder } from './storeInput.js';
import { trainingProgress } from './progress.js';
import { commandLine } from './commands.js';
import { folderOption, numberOption, parseSpeakerList, prepareOutputFolder, sameFolder, threadsOption, trainingThreads } from './shared.js';

interface AdaptArgs {
  model?: string;
  source?: string[];
  target: string;
  workers: number;
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

/** The recommended method, or without source data the recommended one of the methods that need none. */
function defaultMethod(shots: number, haveSource: boolean): AdaptationMethod {
  const recommended = recommendedMethod(shots);
  if (haveSource || !needsSourceData(recommended, shots)) return recommended;
  return RECOMMENDED_METHODS.sourceFree;
}

export const adaptCommand: CommandModule<object, AdaptArgs> = {
  ...commandLine('adapt'),
  builder: (yargs) =>
    yargs
      .option('model', { type: 'string', describe: `model folder written by \`ser train\` (default: the shipped models/${SHIPPED_MODEL_NAME}, trained on four corpora of four languages)` })
      .option('source', { type: 'string', array: true, describe: 'the corpora the model was trained on, each a feature store or a corpus folder; give it once per corpus. Needed by the methods that train (selftrain, dann, mmd, coral) and by --shots; none and adabn need the target alone' })
      .option('target', { type: 'string', demandOption: true, describe: 'the target language: a feature store, a corpus folder (manifest.csv or a known layout), or any folder of audio clips (any format, no labels; sub-folders are speakers)' })
      .option('workers', numberOption('workers', { default: availableParallelism(), describe: 'feature extraction threads, for folders given as --source or --target' }))
      .option('method', { choices: ADAPTATION_METHODS, describe: `none: per-domain normalisation only; adabn: + target batch-norm statistics; adabn-balanced: adabn, then the mean predicted class distribution on the target divided out of the decisions (a bias on the logits, kept in the model; it assumes the target clips cover the classes evenly); selftrain: + training on the pool clips where the source model and its AdaBN copy agree, the most confident half per class; dann | mmd | coral: train with that alignment loss. Default: the recommended method (${recommendedMethod(0)} without --shots, ${recommendedMethod(1)} with them, chosen leave-one-corpus-out on four languages); without --source, the best of ${SOURCE_FREE_METHODS.join(' and ')}` })
      .option('shots', numberOption('shots', { default: 0, describe: 'labelled target clips per class used for fine-tuning (0 = unsupervised: target audio only)' }))
      .option('target-speakers', { type: 'string', describe: 'target speakers whose audio may be used (comma list or a file, one per line); default: the benchmark adaptation pool (even positions of sorted ids) of a labelled target, every clip of an unlabelled one' })
      .option('out', folderOption('out', { demandOption: true, describe: 'adapted model folder (not --model itself, unless --force)' }))
      .option('force', { type: 'boolean', default: false, describe: 'allow --out to be the --model folder, replacing the source model' })
      .option('epochs', numberOption('epochs', { default: DEFAULT_ADAPT_OPTIONS.epochs, describe: 'fixed number of epochs (nothing is chosen on target labels)' }))
      .option('learning-rate', numberOption('learning-rate', { default: DEFAULT_ADAPT_OPTIONS.learningRate, describe: 'Adam learning rate' }))
      .option('alignment-weight', numberOption('alignment-weight', { default: DEFAULT_ADAPT_OPTIONS.alignmentWeight, describe: 'weight of the alignment loss beside the source classification loss' }))
      .option('adabn', { type: 'boolean', default: DEFAULT_ADAPT_OPTIONS.finalAdaBN, describe: 'dann | mmd | coral: re-estimate batch-norm statistics on the target after training (selftrain keeps the statistics it trained with)' })
      .option('pseudo-label-fraction', numberOption('pseudo-label-fraction', { default: DEFAULT_ADAPT_OPTIONS.pseudoLabelFraction, describe: 'selftrain: share of each class of agreed clips, most confident first, taken as pseudo-labelled' }))
      .option('seed', numberOption('seed', { default: 0, describe: 'seeds the shots drawn, batches and dropout' }))
      .option('threads', threadsOption)
      .example('$0 adapt --target my-recordings/ --out models/mine', 'the shipped model adapted to a folder of unlabelled clips (AdaBN: no source data needed)')
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --out models/emodb', 'unsupervised, the recommended method')
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --shots 5 --out models/emodb-5shot', '5 labelled clips per class (AdaBN)')
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --method dann --out models/emodb-dann', 'unsupervised DANN') as never,
  handler: async (args) => {
    const modelDir = resolve(modelDirOrShipped(args.model));
    if (!args.force && (await sameFolder(args.out, modelDir))) {
      throw new Error(`--out ${resolve(args.out)} is the --model folder: the source model would be replaced; write the adapted model elsewhere, or add --force`);
    }
    const { model, card } = await loadModel(modelDir);
    if (args.model === undefined) process.stderr.write(`No --model: adapting the shipped model ${modelDir}\n`);
    const method = args.method ?? defaultMethod(args.shots, (args.source ?? []).length > 0);
    if (args.method === undefined && method !== recommendedMethod(args.shots)) {
      process.stderr.write(`No --source: using ${method}, which needs the target audio alone (the recommended ${recommendedMethod(args.shots)} trains on the source corpora: give them with --source)\n`);
    }
    if ((args.source ?? []).length === 0 && needsSourceData(method, args.shots)) {
      throw new Error(`--method ${method}${args.shots > 0 ? ` with --shots ${args.shots}` : ''} trains on labelled source clips beside the target: give the corpora the model was trained on with --source (once per corpus), or use --method ${SOURCE_FREE_METHODS.join(' or ')} without --shots`);
    }
    const out = await prepareOutputFolder('out', args.out);
    const taxonomy = card.labels.length > 4 ? '7class' : '4class';
    const inputs = { config: card.featureConfig, taxonomy, workers: args.workers } as const;
    const sources: FeatureStore[] = [];
    for (const dir of args.source ?? []) sources.push(await openStoreOrFolder(resolve(dir), join(out, 'features'), { ...inputs, unlabelled: false }));
    const target = await openStoreOrFolder(resolve(args.target), join(out, 'features'), { ...inputs, unlabelled: true });
    const labelled = target.items.some((item) => item.label !== null);
    const progress = trainingProgress('adapt');
    const adapted = await adaptModel(model, card, sources, target, {
      ...DEFAULT_ADAPT_OPTIONS,
      method,
      shots: args.shots,
      adaptationSpeakers: args.targetSpeakers ? await parseSpeakerList(args.targetSpeakers) : labelled ? undefined : [...new Set(target.items.map((item) => item.speaker))],
      epochs: args.epochs,
      learningRate: args.learningRate,
      alignmentWeight: args.alignmentWeight,
      finalAdaBN: args.adabn,
      pseudoLabelFraction: args.pseudoLabelFraction,
      seed: args.seed,
      threads: await trainingThreads(args.threads, card.modelSpec),
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
