/**
 * The benchmark protocol of ../shared/BENCHMARK.md, seeds 0, 1, 2, every method and setting, printed as one
 * table of UAR (mean ± std, and the 95% bootstrap interval over test clips) against the classical baseline.
 * - default: RAVDESS as the source, EMO-DB, URDU and TurEV-DB as targets -> runs/benchmark/<target>/
 * - --leave-one-out: each of the four corpora the target, the other three pooled as the source (RAVDESS as a
 *   target with its pair-wise speaker split) -> runs/leave-one-out/<target>/
 * - --normalisation speaker: every model standardises each speaker's clips on that speaker's statistics
 *   (default corpus) -> runs/<benchmark or leave-one-out>-speaker/<target>/
 * - --pitch: MFCC with pitch features (features/pitch.ts) -> runs/<...>-pitch/<target>/, stores in runs/features-pitch/
 * - --domain-batch-norm: source models pretrained with domain-specific batch norm (train/domainBatchNorm.ts)
 *   on top of the recipe -> runs/<...>-dsbn/<target>/
 * Resumable: rerun to continue. Feature stores are shared in runs/features/ (--features elsewhere).
 * Run: npm run build && npm run bench:experiment [-- --leave-one-out] [--normalisation speaker] [--targets emodb,urdu] [--seeds 0]
 *      [--methods none,adabn] [--runs source-only/none,unsupervised/adabn] (only these runs now; the table shows every complete one)
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
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, type AdaptationMethod } from '../src/adapt/adapt.js';
import { selectBackend } from '../src/model/backend.js';
import { DEFAULT_PRETRAIN_OPTIONS } from '../src/train/pretrain.js';
import { NORMALISATION_MODES, type NormalisationMode } from '../src/infer/normalise.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpora = join(repoRoot, '../shared/corpora');

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

if (!existsSync(join(corpora, 'ravdess'))) {
  process.stderr.write(`bench:experiment needs the research corpora in ${corpora} (see ../shared/README.md); nothing to do\n`);
  process.exit(0);
}
const leaveOneOut = process.argv.includes('--leave-one-out');
const backend = await selectBackend();
const targets = argument('targets', leaveOneOut ? SHARED_CORPORA.join(',') : 'emodb,urdu,turev-db').split(',');
const seeds = argument('seeds', '0,1,2').split(',').map(Number);
const methods = argument('methods', DEFAULT_EXPERIMENT_METHODS.join(',')).split(',') as AdaptationMethod[];
const runs = process.argv.includes('--runs') ? argument('runs', '').split(',') : undefined;
const unknown = methods.filter((m) => !(ADAPTATION_METHODS as readonly string[]).includes(m));
if (unknown.length > 0) throw new Error(`--methods: unknown ${unknown.join(', ')}; choose from ${ADAPTATION_METHODS.join(', ')}`);
const normalisation = argument('normalisation', 'corpus') as NormalisationMode;
if (!NORMALISATION_MODES.includes(normalisation)) throw new Error(`--normalisation: choose from ${NORMALISATION_MODES.join(', ')}`);
const pitch = process.argv.includes('--pitch');
const domainBatchNorm = process.argv.includes('--domain-batch-norm');
const protocol = `${leaveOneOut ? 'leave-one-out' : 'benchmark'}${normalisation === 'corpus' ? '' : `-${normalisation}`}${pitch ? '-pitch' : ''}${domainBatchNorm ? '-dsbn' : ''}`;
const out = resolve(argument('out', join(repoRoot, 'runs', protocol)));
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
    featuresDir: resolve(argument('features', join(repoRoot, 'runs', pitch ? 'features-pitch' : 'features'))),
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
