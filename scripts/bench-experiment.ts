/**
 * The benchmark protocol of ../shared/BENCHMARK.md on every target: RAVDESS -> EMO-DB, URDU, TurEV-DB,
 * seeds 0, 1, 2, every method and setting. Writes runs/benchmark/<target>/results.{json,md,html} and prints
 * one table of UAR (mean ± std, and the 95% bootstrap interval over test clips) against the classical baseline. Resumable: rerun to continue.
 * Run: npm run build && npm run bench:experiment [-- --targets emodb,urdu --seeds 0]
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSettingUar } from '../src/eval/experimentReport.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { CLASSICAL_BASELINE_FROM_RAVDESS } from '../src/experiment/baselines.js';
import { DEFAULT_EXPERIMENT_METHODS, DEFAULT_EXPERIMENT_RECIPES, runExperiment } from '../src/experiment/run.js';
import { DEFAULT_ADAPT_OPTIONS } from '../src/adapt/adapt.js';
import { selectBackend } from '../src/model/backend.js';
import { DEFAULT_PRETRAIN_OPTIONS } from '../src/train/pretrain.js';

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
const backend = await selectBackend();
const targets = argument('targets', 'emodb,urdu,turev-db').split(',');
const seeds = argument('seeds', '0,1,2').split(',').map(Number);
const out = resolve(argument('out', join(repoRoot, 'runs', 'benchmark')));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const rows: string[] = [];
for (const target of targets) {
  const targetStarted = Date.now();
  const results = await runExperiment({
    source: join(corpora, 'ravdess'),
    target: join(corpora, target),
    out: join(out, target),
    seeds,
    shots: 5,
    methods: DEFAULT_EXPERIMENT_METHODS,
    featureConfig: resolveFeatureConfig(),
    workers: availableParallelism(),
    parallel: availableParallelism(),
    recipes: DEFAULT_EXPERIMENT_RECIPES,
    pretrain: {},
    adaptEpochs: DEFAULT_ADAPT_OPTIONS.epochs,
    targetSupervisedEpochs: DEFAULT_PRETRAIN_OPTIONS.epochs,
    baseline: CLASSICAL_BASELINE_FROM_RAVDESS[target],
    log: (message) => process.stderr.write(`[${elapsed()}] ${target}: ${message}\n`),
    onEpoch: (run, r) => process.stderr.write(`[${elapsed()}] ${target}:   ${run} epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)}\n`),
  });
  rows.push(`ravdess -> ${target} (${((Date.now() - targetStarted) / 60000).toFixed(1)} min, backend ${backend})`);
  for (const [key, scores] of Object.entries(results.settings)) {
    const setting = key.split('/')[0] as keyof (typeof CLASSICAL_BASELINE_FROM_RAVDESS)[string];
    rows.push(`  ${key.padEnd(28)} UAR ${formatSettingUar(scores).padEnd(37)} baseline ${CLASSICAL_BASELINE_FROM_RAVDESS[target]?.[setting] ?? '-'}`);
  }
}
process.stdout.write(`${rows.join('\n')}\nResults in ${out}/<target>/results.md (${elapsed()})\n`);
