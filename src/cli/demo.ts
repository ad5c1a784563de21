import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { ADAPTATION_METHODS, type AdaptationMethod } from '../adapt/adapt.js';
import { listAudioFiles } from '../corpora/load.js';
import { runDemo, shippedModelOnDemo } from '../experiment/demo.js';
import { loadModel } from '../model/io.js';
import { SHIPPED_MODEL_NAME, shippedModelDir } from '../model/shipped.js';
import { isClipFailure, predictFiles } from '../predict/predict.js';
import { PRETRAIN_RECIPE_NAMES, type PretrainRecipe } from '../train/recipes.js';
import { commandLine } from './commands.js';
import { folderOption, numberOption, prepareOutputFolder } from './shared.js';

interface DemoArgs {
  data: string;
  out: string;
  epochs: number;
  adaptEpochs: number;
  recipe: PretrainRecipe;
  method: AdaptationMethod;
  seed: number;
  workers: number;
}

/** data/demo of the package, wherever it is run from (sources in src/cli, compiled code in dist/src/cli). */
function bundledDemo(): string {
  for (const relative of ['../../data/demo', '../../../data/demo']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return 'data/demo';
}

/**
 * What `ser predict` and `ser adapt` do with no --model: the shipped model on the target's test speakers as it
 * is and after AdaBN on the adaptation speakers' audio, then its predictions for one clip per emotion of the
 * last test speaker (synthetic speech: this shows the commands, not the model's accuracy; see its README.md).
 */
async function shippedModelLines(targetDir: string, targetStore: string, seed: number): Promise<string> {
  const dir = shippedModelDir();
  if (!dir) return `No models/${SHIPPED_MODEL_NAME} in this copy of ser (\`npm run release:model\` makes it)\n`;
  const shipped = await loadModel(dir);
  const { asIsUar, adaptedUar, adapted } = await shippedModelOnDemo(shipped, targetStore, seed);
  const files = await listAudioFiles(targetDir);
  const speaker = files.at(-1)!.split('/')[0];
  const picked = shipped.card.labels.flatMap((label) => files.filter((f) => f.startsWith(`${speaker}/`) && f.includes(`_${label}_`)).slice(0, 1));
  const outcomes = await predictFiles(adapted, picked.map((f) => join(targetDir, f)), { plan: { kind: 'speech' } });
  const lines = outcomes.map((o) =>
    isClipFailure(o) ? `  ${basename(o.file)}: ${o.error}` : o.emotion === null ? `  ${basename(o.file)}: no speech` : `  ${basename(o.file)}: ${o.emotion} (${(100 * o.confidence).toFixed(0)}%)`,
  );
  return (
    `The shipped model (${dir}; four languages, none of them synthetic) on the same test speakers: UAR ${(100 * asIsUar).toFixed(1)}% as it is, ` +
    `${(100 * adaptedUar).toFixed(1)}% after AdaBN on the other speakers' audio (\`npx ser adapt --target <folder>\`, no labels, no corpus). Its predictions then:\n${lines.join('\n')}\n`
  );
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  ...commandLine('demo'),
  builder: (yargs) =>
    yargs
      .option('data', folderOption('data', { default: bundledDemo(), describe: 'folder with the source corpus in en/ and the target corpus in de/' }))
      .option('out', folderOption('out', { default: 'out/demo', describe: 'folder for features, models and the report' }))
      .option('epochs', numberOption('epochs', { default: 20, describe: 'most pretraining epochs' }))
      .option('adapt-epochs', numberOption('adapt-epochs', { default: 8, describe: 'adaptation epochs' }))
      .option('recipe', { choices: PRETRAIN_RECIPE_NAMES, default: 'functionals' as PretrainRecipe, describe: 'training recipe of the source model (functionals: the one that carries to another language)' })
      .option('method', { choices: ADAPTATION_METHODS, default: 'adabn' as AdaptationMethod, describe: 'adaptation method' })
      .option('seed', numberOption('seed', { default: 0, describe: 'seeds training and adaptation' }))
      .option('workers', numberOption('workers', { default: 2, describe: 'preprocessing threads' })) as never,
  handler: async (args) => {
    const data = resolve(args.data);
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
    const result = await runDemo({
      sourceDir: resolve(data, 'en'),
      targetDir: resolve(data, 'de'),
      out: await prepareOutputFolder('out', args.out),
      seed: args.seed,
      epochs: args.epochs,
      adaptEpochs: args.adaptEpochs,
      recipe: args.recipe,
      method: args.method,
      workers: args.workers,
      log: (message) => process.stderr.write(`[${elapsed()}] ${message}\n`),
      onEpoch: (run, r) =>
        process.stderr.write(`[${elapsed()}]   ${run} epoch ${r.epoch}/${r.epochs} loss ${r.loss.toFixed(3)}${r.validationUar !== null ? ` validation UAR ${(100 * r.validationUar).toFixed(1)}%` : ''}\n`),
    });
    const lines = result.report.byLanguage.map((l) => `  ${l.language}: UAR ${(100 * l.metrics.uar).toFixed(1)}% [${(100 * l.uarInterval.low).toFixed(1)}, ${(100 * l.uarInterval.high).toFixed(1)}]`);
    process.stdout.write(
      `Target test speakers: UAR ${(100 * result.sourceOnlyUar).toFixed(1)}% before adaptation, ${(100 * result.adaptedUar).toFixed(1)}% after (${args.method})\n` +
        `${lines.join('\n')}\nReport: ${result.reportDir}/report.html (also report.md, report.json) in ${elapsed()}\n`,
    );
    process.stdout.write(await shippedModelLines(resolve(data, 'de'), join(resolve(args.out), 'features', 'de'), args.seed));
  },
};
