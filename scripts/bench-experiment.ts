/**
 * The benchmark protocol of ../shared/BENCHMARK.md; what it runs, and its options, are the usage text below (--help).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { comparisonTable, formatSettingUar, sourceName, type ExperimentResults } from '../src/eval/experimentReport.js';
import { markdownTable } from '../src/eval/markdown.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { classicalBaseline, SHARED_CORPORA } from '../src/experiment/baselines.js';
import { DEFAULT_EXPERIMENT_METHODS, DEFAULT_EXPERIMENT_RECIPES, runExperiment } from '../src/experiment/run.js';
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS } from '../src/adapt/adapt.js';
import { selectBackend } from '../src/model/backend.js';
import { DEFAULT_PRETRAIN_OPTIONS } from '../src/train/pretrain.js';
import { NORMALISATION_MODES } from '../src/infer/normalise.js';
import { NUMBER_RANGES } from '../src/cli/shared.js';
import { flag, listOf, numberIn, oneOf, option, optional, parseScriptOptions, text } from './lib/options.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpora = join(repoRoot, '../shared/corpora');

const BENCHMARK_TARGETS = ['emodb', 'urdu', 'turev-db'] as const;

const { options } = parseScriptOptions({
  name: 'bench:experiment',
  summary: [
    'The benchmark protocol of ../shared/BENCHMARK.md, seeds 0, 1, 2, every method and setting, printed as one table of',
    'UAR (mean ± std, and the 95% bootstrap interval over test clips) against the classical baseline. By default RAVDESS',
    'is the source, EMO-DB, URDU and TurEV-DB the targets -> runs/benchmark/<target>/. Resumable: rerun to continue.',
    'Feature stores are shared in runs/features/ (--features elsewhere). Needs the corpora in ../shared/corpora.',
  ].join('\n'),
  usage: 'npm run build && npm run bench:experiment [-- options]',
  options: {
    leaveOneOut: flag(
      'Each of the four corpora the target, the other three pooled as the source (RAVDESS as a target with its pair-wise speaker split) -> runs/leave-one-out/<target>/.',
    ),
    normalisation: option(
      "What every model standardises each clip on: speaker standardises each speaker's clips on that speaker's statistics -> runs/<benchmark or leave-one-out>-speaker/<target>/.",
      oneOf(NORMALISATION_MODES),
      'corpus',
    ),
    pitch: flag('MFCC with pitch features (features/pitch.ts) -> runs/<...>-pitch/<target>/, feature stores in runs/features-pitch/.'),
    domainBatchNorm: flag('Source models pretrained with domain-specific batch norm (train/domainBatchNorm.ts) on top of the recipe -> runs/<...>-dsbn/<target>/.'),
    targets: optional('The target corpora, in this order.', listOf(oneOf(SHARED_CORPORA)), `${BENCHMARK_TARGETS.join(',')}; all four with --leave-one-out`),
    seeds: option('The seeds each run is trained with (the range of `ser experiment --seeds`).', listOf(numberIn(NUMBER_RANGES.seed)), [0, 1, 2]),
    methods: option('The adaptation methods.', listOf(oneOf(ADAPTATION_METHODS)), DEFAULT_EXPERIMENT_METHODS),
    runs: optional(
      'Only these runs now (the table shows every complete one), e.g. source-only/none,unsupervised/adabn.',
      listOf(text('<setting>/<method>', 'a run of the protocol')),
      'every run',
    ),
    out: optional('Where the results go, a folder per target.', text('<folder>', 'a folder'), 'runs/<protocol>, as above'),
    features: optional('Where the feature stores are kept.', text('<folder>', 'a folder'), 'runs/features (runs/features-pitch with --pitch)'),
  },
});

if (!existsSync(join(corpora, 'ravdess'))) {
  process.stderr.write(`bench:experiment needs the research corpora in ${corpora} (see ../shared/README.md); nothing to do\n`);
  process.exit(0);
}
const { leaveOneOut, normalisation, pitch, domainBatchNorm, seeds, methods, runs } = options;
const backend = await selectBackend();
const targets = options.targets ?? (leaveOneOut ? SHARED_CORPORA : BENCHMARK_TARGETS);
const protocol = `${leaveOneOut ? 'leave-one-out' : 'benchmark'}${normalisation === 'corpus' ? '' : `-${normalisation}`}${pitch ? '-pitch' : ''}${domainBatchNorm ? '-dsbn' : ''}`;
const out = resolve(options.out ?? join(repoRoot, 'runs', protocol));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const rows: string[] = [];
const experiments: ExperimentResults[] = [];
for (const target of targets) {
  const sources = leaveOneOut ? SHARED_CORPORA.filter((corpus) => corpus !== target) : ['ravdess'];
  const baseline = classicalBaseline(sources, target);
  const targetStarted = Date.now();
  const results = await runExperiment({
    sources: sources.map((corpus) => join(corpora, corpus)),
    target: join(corpora, target),
    split: target === 'ravdess' ? 'pairs' : 'alternate',
    out: join(out, target),
    featuresDir: resolve(options.features ?? join(repoRoot, 'runs', pitch ? 'features-pitch' : 'features')),
    seeds,
    shots: 5,
    methods,
    featureConfig: resolveFeatureConfig({ pitch }),
    workers: availableParallelism(),
    parallel: availableParallelism(),
    recipes: DEFAULT_EXPERIMENT_RECIPES,
    pretrain: { normalisation, ...(domainBatchNorm ? { domainBatchNorm } : {}) },
    adaptEpochs: DEFAULT_ADAPT_OPTIONS.epochs,
    targetSupervisedEpochs: DEFAULT_PRETRAIN_OPTIONS.epochs,
    baseline,
    runs,
    log: (message) => process.stderr.write(`[${elapsed()}] ${target}: ${message}\n`),
    onEpoch: (run, r) => process.stderr.write(`[${elapsed()}] ${target}:   ${run} epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)}\n`),
  });
  experiments.push(results);
  rows.push(`${sourceName(results)} -> ${target}, ${normalisation} normalisation${pitch ? ', MFCC + pitch' : ''}${domainBatchNorm ? ', domain batch norm' : ''} (${((Date.now() - targetStarted) / 60000).toFixed(1)} min, backend ${backend})`);
  for (const [key, scores] of Object.entries(results.settings)) {
    const setting = key.split('/')[0] as keyof NonNullable<typeof baseline>;
    rows.push(`  ${key.padEnd(28)} UAR ${formatSettingUar(scores).padEnd(37)} baseline ${baseline?.[setting] ?? '-'}`);
  }
}
process.stdout.write(`${rows.join('\n')}\nResults in ${out}/<target>/results.md (${elapsed()})\n\n${markdownTable(comparisonTable(experiments))}\n`);
