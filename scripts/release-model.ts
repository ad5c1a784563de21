/**
 * The shipped model, rebuilt; what it trains and writes, and its options, are the usage text below (--help).
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
import { NUMBER_RANGES } from '../src/cli/shared.js';
import { flag, numberIn, option, parseScriptOptions, text } from './lib/options.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpora = join(repoRoot, '../shared/corpora');

const { options } = parseScriptOptions({
  name: 'release:model',
  summary: [
    'The shipped model: the `functionals` recipe pretrained on the four shared corpora of ../shared/BENCHMARK.md (RAVDESS,',
    'EMO-DB, URDU, TurEV-DB) pooled, seed 0, written to models/multilingual-4class/ with its README.md model card',
    '(expected accuracy from runs/leave-one-out/, written by `npm run bench:experiment -- --leave-one-out`). Same seed,',
    'same weights. Needs the corpora in ../shared/corpora.',
  ].join('\n'),
  usage: 'npm run release:model [-- options]',
  options: {
    seed: option('The training seed (the range of `ser train --seed`).', numberIn(NUMBER_RANGES.seed), 0),
    out: option('Where the model and its card go.', text('<folder>', 'a folder'), join(repoRoot, 'models', SHIPPED_MODEL_NAME)),
    leaveOneOut: option('The leave-one-out results the card quotes.', text('<folder>', 'a folder'), join(repoRoot, 'runs', 'leave-one-out')),
    cardOnly: flag("Rewrites README.md from the model's card.json and the leave-one-out results, without training."),
  },
});
const out = resolve(options.out);
const leaveOneOutDir = resolve(options.leaveOneOut);
if (options.cardOnly) {
  await rewriteModelCard(out, 'functionals', leaveOneOutDir);
  process.stdout.write(`Model card rewritten: ${join(out, 'README.md')}\n`);
  process.exit(0);
}
if (!existsSync(join(corpora, 'ravdess'))) {
  process.stderr.write(`release:model needs the research corpora in ${corpora} (see ../shared/README.md); nothing to do\n`);
  process.exit(1);
}
const backend = await selectBackend('wasm');
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const { card } = await trainReleaseModel({
  corpora: SHARED_CORPORA.map((corpus) => join(corpora, corpus)),
  out,
  featuresDir: join(repoRoot, 'runs', 'features'),
  featureConfig: resolveFeatureConfig(),
  recipe: 'functionals',
  seed: options.seed,
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
