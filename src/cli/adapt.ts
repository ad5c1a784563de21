import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, adaptModel, recommendedMethod, type AdaptationMethod } from '../adapt/adapt.js';
import { loadModel, saveModel } from '../model/io.js';
import { openFeatureStore } from '../store/index.js';
import { threadsOption, trainingThreads } from './threads.js';
import { trainingProgress } from './trainingProgress.js';
import { commandLine } from './commands.js';

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
}

/** A comma-separated list, or a file with one speaker per line. */
export function parseSpeakerList(value: string): string[] {
  const text = existsSync(value) ? readFileSync(value, 'utf8') : value;
  return text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

export const adaptCommand: CommandModule<object, AdaptArgs> = {
  ...commandLine('adapt'),
  builder: (yargs) =>
    yargs
      .option('model', { type: 'string', demandOption: true, describe: 'model folder written by `ser train`' })
      .option('source', { type: 'string', demandOption: true, describe: 'source feature store (the one the model was trained on)' })
      .option('target', { type: 'string', demandOption: true, describe: 'target-language feature store' })
      .option('method', { choices: ADAPTATION_METHODS, describe: 'none: per-domain normalisation only; adabn: + target batch-norm statistics; selftrain: + training on the pool clips where the source model and its AdaBN copy agree, the most confident half per class; dann | mmd | coral: train with that alignment loss. Default: what did best on the benchmark, selftrain without --shots and adabn with them' })
      .option('shots', { type: 'number', default: 0, describe: 'labelled target clips per class used for fine-tuning (0 = unsupervised: target audio only)' })
      .option('target-speakers', { type: 'string', describe: 'target speakers whose audio may be used (comma list or a file, one per line); default: the benchmark adaptation pool (even positions of sorted ids)' })
      .option('out', { type: 'string', demandOption: true, describe: 'adapted model folder' })
      .option('epochs', { type: 'number', default: DEFAULT_ADAPT_OPTIONS.epochs, describe: 'fixed number of epochs (nothing is chosen on target labels)' })
      .option('learning-rate', { type: 'number', default: DEFAULT_ADAPT_OPTIONS.learningRate })
      .option('alignment-weight', { type: 'number', default: DEFAULT_ADAPT_OPTIONS.alignmentWeight, describe: 'weight of the alignment loss beside the source classification loss' })
      .option('adabn', { type: 'boolean', default: DEFAULT_ADAPT_OPTIONS.finalAdaBN, describe: 'dann | mmd | coral: re-estimate batch-norm statistics on the target after training (selftrain keeps the statistics it trained with)' })
      .option('pseudo-label-fraction', { type: 'number', default: DEFAULT_ADAPT_OPTIONS.pseudoLabelFraction, describe: 'selftrain: share of each class of agreed clips, most confident first, taken as pseudo-labelled' })
      .option('seed', { type: 'number', default: 0 })
      .option('threads', threadsOption)
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --out models/emodb', 'unsupervised (self-training)')
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --shots 5 --out models/emodb-5shot', '5 labelled clips per class (AdaBN)')
      .example('$0 adapt --model models/ravdess --source features/ravdess --target features/emodb --method dann --out models/emodb-dann', 'unsupervised DANN') as never,
  handler: async (args) => {
    const { model, card } = await loadModel(resolve(args.model));
    const source = openFeatureStore(resolve(args.source));
    const target = openFeatureStore(resolve(args.target));
    const progress = trainingProgress('adapt');
    const adapted = await adaptModel(model, card, [source], target, {
      ...DEFAULT_ADAPT_OPTIONS,
      method: args.method ?? recommendedMethod(args.shots),
      shots: args.shots,
      adaptationSpeakers: args.targetSpeakers ? parseSpeakerList(args.targetSpeakers) : undefined,
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
    const out = resolve(args.out);
    await saveModel(out, adapted.model, adapted.card);
    const a = adapted.card.adaptation!;
    process.stdout.write(
      `Adapted model written to ${out}\n  ${a.method} to ${a.targetCorpus} (${a.targetLanguage}), ${a.shots} shots, ` +
        `${a.unlabelledClips} clips of speakers ${a.adaptationSpeakers.join(', ')}\n  schedule: ${a.schedule}\n`,
    );
  },
};
