#!/usr/bin/env node
import { createRequire } from 'node:module';
import type yargsModule from 'yargs';
import { selectBackend, type BackendChoice } from '../model/backend.js';
import { adaptCommand } from './adapt.js';
import { demoCommand } from './demo.js';
import { evaluateCommand } from './evaluate.js';
import { experimentCommand } from './experiment.js';
import { featuresCommand } from './features.js';
import { predictCommand } from './predict.js';
import { preprocessCommand } from './preprocess.js';
import { trainCommand } from './train.js';

// yargs' ESM build lays out help with cliui's ESM wrapper, which breaks lines mid-word; its CommonJS build wraps at word boundaries.
const require = createRequire(import.meta.url);
const yargs = require('yargs') as typeof yargsModule;
const { hideBin } = require('yargs/helpers') as { hideBin: (argv: string[]) => string[] };

/** Commands that run a model need a tfjs backend; feature extraction does not. */
const MODEL_COMMANDS = new Set(['train', 'adapt', 'evaluate', 'predict', 'experiment', 'demo']);

await yargs(hideBin(process.argv))
  .scriptName('ser')
  .usage('$0 <command> [options]\n\nCross-lingual speech emotion recognition: features, pretraining, adaptation, reports.')
  .option('backend', {
    choices: ['node', 'wasm', 'cpu'] as const,
    describe: 'tfjs backend (default: tfjs-node when installed, else wasm, else cpu)',
    global: true,
  })
  .middleware(async (argv) => {
    if (!MODEL_COMMANDS.has(String(argv._[0]))) return;
    const backend = await selectBackend(argv.backend as BackendChoice | undefined);
    process.stderr.write(`tfjs backend: ${backend}\n`);
  })
  .command(preprocessCommand)
  .command(featuresCommand)
  .command(trainCommand)
  .command(adaptCommand)
  .command(experimentCommand)
  .command(demoCommand)
  .command(predictCommand)
  .command(evaluateCommand)
  .demandCommand(1, 'Name a command; `ser --help` lists them.')
  .strict()
  .recommendCommands()
  .fail((message, error, parser) => {
    if (error) {
      process.stderr.write(`ser: ${error.message}\n`);
    } else {
      parser.showHelp();
      process.stderr.write(`\n${message}\n`);
    }
    process.exit(1);
  })
  .help()
  .alias('help', 'h')
  .version()
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .parseAsync();
