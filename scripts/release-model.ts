/**
 * The shipped model: the `functionals` recipe pretrained on the four shared corpora of ../shared/BENCHMARK.md
 * (RAVDESS, EMO-DB, URDU, TurEV-DB) pooled, seed 0, written to models/multilingual-4class/ with its README.md
 * model card (expected accuracy from runs/leave-one-out/, written by `npm run bench:experiment -- --leave-one-out`).
 * Same seed, same weights. Run: npm run release:model [-- --seed 0 --out models/x --leave-one-out runs/leave-one-out]
 * `--card-only` rewrites README.md from the model's card.json and the leave-one-out results, without training.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED_CORPORA } from '../src/experiment/baselines.js';
import { rewriteModelCard, trainReleaseModel } from '../src/experiment/release.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { selectBackend } from '../src/model/backend.js';
import { SHIPPED_MODEL_NAME } from '../src/model/shipped.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpora = join(repoRoot, '../shared/corpora');

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const out = resolve(argument('out', join(repoRoot, 'models', SHIPPED_MODEL_NAME)));
const leaveOneOutDir = resolve(argument('leave-one-out', join(repoRoot, 'runs', 'leave-one-out')));
if (process.argv.includes('--card-only')) {
  await rewriteModelCard(out, 'functionals', leaveOneOutDir);
  process.stdout.write(`Model card rewritten: ${join(out, 'README.md')}\n`);
  process.exit(0);
}
if (!existsSync(join(corpora, 'ravdess'))) {
  process.stderr.write(`release:model needs the research corpora in ${corpora} (see ../shared/README.md); nothing to do\n`);
  process.exit(1);
}
const backend = await selectBackend('wasm');
const seed = Number(argument('seed', '0'));
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed takes a whole number from 0, got ${argument('seed', '0')}`);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const { card } = await trainReleaseModel({
  corpora: SHARED_CORPORA.map((corpus) => join(corpora, corpus)),
  out,
  featuresDir: join(repoRoot, 'runs', 'features'),
  featureConfig: resolveFeatureConfig(),
  recipe: 'functionals',
  seed,
  workers: availableParallelism(),
  leaveOneOutDir,
  log: (message) => process.stderr.write(`[${elapsed()}] ${message}\n`),
  onEpoch: (r) => process.stderr.write(`[${elapsed()}]   epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)} validation UAR ${r.validationUar === null ? '-' : (100 * r.validationUar).toFixed(1)}%\n`),
});
const bytes = ['model.json', 'weights.bin', 'card.json', 'README.md'].reduce((sum, file) => sum + statSync(join(out, file)).size, 0);
process.stdout.write(
  `Model written to ${out} (${(bytes / 1024).toFixed(0)} KiB, backend ${backend}, ${elapsed()})\n` +
    `  validation UAR ${card.validation ? (100 * card.validation.uar).toFixed(1) : '-'}% at epoch ${card.validation?.epoch ?? '-'} on ${card.source.validationSpeakers.length} held-out speakers\n`,
);
