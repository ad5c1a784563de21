import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, type AdaptationMethod } from '../adapt/adapt.js';
import { formatSettingUar } from '../eval/experimentReport.js';
import { CLASSICAL_BASELINE_FROM_RAVDESS } from '../experiment/baselines.js';
import { DEFAULT_EXPERIMENT_METHODS, DEFAULT_EXPERIMENT_RECIPES, runExperiment } from '../experiment/run.js';
import { PRETRAIN_RECIPE_NAMES, type PretrainRecipe } from '../train/recipes.js';
import { DEFAULT_PRETRAIN_OPTIONS } from '../train/pretrain.js';
import { featureConfigFromArgs, withFeatureOptions, type FeatureOptionArgs } from './featureOptions.js';
import { commandLine } from './commands.js';
import { folderOption, numberListOption, numberOption, prepareOutputFolder } from './shared.js';

interface ExperimentArgs extends FeatureOptionArgs {
  source: string;
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
      .option('source', folderOption('source', { demandOption: true, describe: 'source corpus folder (e.g. RAVDESS)' }))
      .option('target', folderOption('target', { demandOption: true, describe: 'target corpus folder; its speakers are split into adaptation pool (even positions) and test set (odd)' }))
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
      .epilog('An interrupted experiment resumes where it stopped: features, pretrained models and finished runs are reused from --out.') as never,
  handler: async (args) => {
    const out = await prepareOutputFolder('out', args.out);
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
    const results = await runExperiment({
      source: resolve(args.source),
      target: resolve(args.target),
      out,
      seeds: args.seeds,
      shots: args.shots,
      methods: parseMethods(args.methods),
      featureConfig: featureConfigFromArgs(args),
      workers: args.workers,
      parallel: args.parallel,
      recipes: { crossLingual: args.recipe, inLanguage: args.targetRecipe },
      pretrain: { epochs: args.epochs },
      adaptEpochs: args.adaptEpochs,
      targetSupervisedEpochs: args.epochs,
      baseline: basename(resolve(args.source)).toLowerCase() === 'ravdess' ? CLASSICAL_BASELINE_FROM_RAVDESS[basename(resolve(args.target)).toLowerCase()] : undefined,
      log: (message) => process.stderr.write(`[${elapsed()}] ${message}\n`),
      onEpoch: (run, r) =>
        process.stderr.write(`[${elapsed()}]   ${run} epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)}${r.validationUar !== null ? ` val UAR ${(100 * r.validationUar).toFixed(1)}%` : ''}\n`),
    });
    const lines = Object.entries(results.settings).map(([key, s]) => `  ${key.padEnd(28)} UAR ${formatSettingUar(s)}`);
    process.stdout.write(`${results.source} -> ${results.target} (UAR %, mean ± std over seeds, 95% CI over test clips)\n${lines.join('\n')}\nResults: ${out}/results.json, results.md, results.html (${elapsed()})\n`);
  },
};
