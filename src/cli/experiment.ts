import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, type AdaptationMethod } from '../adapt/adapt.js';
import { formatSettingUar, sourceName } from '../eval/experimentReport.js';
import { classicalBaseline } from '../experiment/baselines.js';
import { SPLIT_SCHEMES, type SplitScheme } from '../corpora/split.js';
import { NORMALISATION_MODES, type NormalisationMode } from '../infer/normalise.js';
import { DEFAULT_EXPERIMENT_METHODS, DEFAULT_EXPERIMENT_RECIPES, runExperiment } from '../experiment/run.js';
import { PRETRAIN_RECIPE_NAMES, type PretrainRecipe } from '../train/recipes.js';
import { DEFAULT_PRETRAIN_OPTIONS } from '../train/pretrain.js';
import { featureConfigFromArgs, withFeatureOptions, type FeatureOptionArgs } from './featureOptions.js';
import { commandLine } from './commands.js';
import { folderOption, numberListOption, numberOption, prepareOutputFolder } from './shared.js';

interface ExperimentArgs extends FeatureOptionArgs {
  source: string[];
  split: SplitScheme;
  normalisation: NormalisationMode;
  target: string;
  out: string;
  seeds: number[];
  shots: number;
  methods: string;
  recipe: PretrainRecipe;
  targetRecipe: PretrainRecipe;
  epochs: number;
  adaptEpochs: number;
  workers: number;
  parallel: number;
}

function parseMethods(value: string): AdaptationMethod[] {
  const methods = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = methods.filter((m) => !(ADAPTATION_METHODS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new Error(`--methods: unknown ${unknown.join(', ')}; choose from ${ADAPTATION_METHODS.join(', ')}`);
  return methods as AdaptationMethod[];
}

export const experimentCommand: CommandModule<object, ExperimentArgs> = {
  ...commandLine('experiment'),
  builder: (yargs) =>
    withFeatureOptions(yargs)
      .option('source', { type: 'string', array: true, demandOption: true, describe: 'source corpus folder (e.g. RAVDESS); give it several times to pool corpora of several languages (each standardised on its own statistics, batches balanced over corpora)' })
      .option('normalisation', { choices: NORMALISATION_MODES, default: 'corpus' as NormalisationMode, describe: 'how every model standardises frames: corpus statistics, each utterance\'s own mean, or each speaker\'s own statistics (see `ser train --help`)' })
      .option('target', { type: 'string', demandOption: true, describe: 'target corpus folder; its speakers are split into adaptation pool and test set (see --split)' })
      .option('split', { choices: SPLIT_SCHEMES, default: 'alternate' as SplitScheme, describe: 'the target\'s sorted speakers: alternate = even positions adaptation pool, odd test; pairs = positions 0,1,4,5,... pool, 2,3,6,7,... test (RAVDESS, whose ids alternate gender)' })
      .option('out', folderOption('out', { demandOption: true, describe: 'folder for features (cached), models, per-run results, results.json/md/html' }))
      .option('seeds', numberListOption('seeds', 'seed', { default: '0,1,2', describe: 'seeds' }))
      .option('shots', numberOption('shots', { default: 5, describe: 'labelled target clips per class in the few-shot setting' }))
      .option('methods', { type: 'string', default: DEFAULT_EXPERIMENT_METHODS.join(','), describe: `unsupervised methods (${ADAPTATION_METHODS.join(', ')}); few-shot runs fine-tuning alone and with each` })
      .option('recipe', { choices: PRETRAIN_RECIPE_NAMES, default: DEFAULT_EXPERIMENT_RECIPES.crossLingual, describe: 'training recipe of the source model (see `ser train --help`)' })
      .option('target-recipe', { choices: PRETRAIN_RECIPE_NAMES, default: DEFAULT_EXPERIMENT_RECIPES.inLanguage, describe: 'training recipe of the target-supervised reference' })
      .option('epochs', numberOption('epochs', { default: DEFAULT_PRETRAIN_OPTIONS.epochs, describe: 'most pretraining epochs (early stopping on source validation speakers); also the fixed target-supervised schedule' }))
      .option('adapt-epochs', numberOption('adapt-epochs', { default: DEFAULT_ADAPT_OPTIONS.epochs, describe: 'fixed adaptation epochs' }))
      .option('workers', numberOption('workers', { default: availableParallelism(), describe: 'preprocessing threads' }))
      .option('parallel', numberOption('parallel', { default: availableParallelism(), describe: 'trainings run at the same time, one thread each (seeds, then runs)' }))
      .example('$0 experiment --source ../shared/corpora/ravdess --target ../shared/corpora/emodb --out runs/ravdess-emodb', 'the benchmark protocol, 3 seeds')
      .example('$0 experiment --source ../shared/corpora/emodb --source ../shared/corpora/urdu --source ../shared/corpora/turev-db --target ../shared/corpora/ravdess --split pairs --out runs/loo-ravdess', 'leave-one-corpus-out: three corpora pooled as the source')
      .epilog('An interrupted experiment resumes where it stopped: features, pretrained models and finished runs are reused from --out.') as never,
  handler: async (args) => {
    const out = await prepareOutputFolder('out', args.out);
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
    const results = await runExperiment({
      sources: args.source.map((dir) => resolve(dir)),
      target: resolve(args.target),
      split: args.split,
      out,
      seeds: args.seeds,
      shots: args.shots,
      methods: parseMethods(args.methods),
      featureConfig: featureConfigFromArgs(args),
      workers: args.workers,
      parallel: args.parallel,
      recipes: { crossLingual: args.recipe, inLanguage: args.targetRecipe },
      pretrain: { epochs: args.epochs, normalisation: args.normalisation },
      adaptEpochs: args.adaptEpochs,
      targetSupervisedEpochs: args.epochs,
      baseline: classicalBaseline(args.source.map((dir) => basename(resolve(dir))), basename(resolve(args.target))),
      log: (message) => process.stderr.write(`[${elapsed()}] ${message}\n`),
      onEpoch: (run, r) =>
        process.stderr.write(`[${elapsed()}]   ${run} epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)}${r.validationUar !== null ? ` val UAR ${(100 * r.validationUar).toFixed(1)}%` : ''}\n`),
    });
    const lines = Object.entries(results.settings).map(([key, s]) => `  ${key.padEnd(28)} UAR ${formatSettingUar(s)}`);
    process.stdout.write(`${sourceName(results)} -> ${results.target} (UAR %, mean ± std over seeds, 95% CI over test clips)\n${lines.join('\n')}\nResults: ${out}/results.json, results.md, results.html (${elapsed()})\n`);
  },
};
