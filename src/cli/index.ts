#!/usr/bin/env node
import { createRequire } from 'node:module';
import type yargsModule from 'yargs';
import type { BackendChoice } from '../model/backend.js';
import { COMMANDS, isCommandName } from './commands.js';
import { describeSystemError, EXIT } from './shared.js';

// yargs' ESM build lays out help with cliui's ESM wrapper, which breaks lines mid-word; its CommonJS build wraps at word boundaries.
const require = createRequire(import.meta.url);
const yargs = require('yargs') as typeof yargsModule;
const { hideBin } = require('yargs/helpers') as { hideBin: (argv: string[]) => string[] };

/**
 * `--` ends the options (POSIX), but yargs leaves what follows it out of the positional arguments. Every
 * positional argument of ser is a path, so they are folded back in, and one starting with '-' is given as
 * './-…', the same file, so that it is not read as an option.
 */
function withEndOfOptions(args: string[]): string[] {
  const end = args.indexOf('--');
  if (end < 0) return args;
  return [...args.slice(0, end), ...args.slice(end + 1).map((arg) => (arg.startsWith('-') ? `./${arg}` : arg))];
}

const args = withEndOfOptions(hideBin(process.argv));
// Only the command that runs is loaded; the others are listed by name for --help and suggestions.
const requested = args.find(isCommandName);
const parser = yargs(args)
  .scriptName('ser')
  .usage('$0 <command> [options]\n\nCross-lingual speech emotion recognition: features, pretraining, adaptation, reports.')
  .option('backend', {
    choices: ['node', 'wasm', 'cpu'] as const,
    describe: 'tfjs backend (default: tfjs-node when installed, else wasm, else cpu)',
    global: true,
  })
  .middleware(async (argv) => {
    const name = String(argv._[0]);
    if (!isCommandName(name) || !COMMANDS[name].needsModel) return;
    const { selectBackend } = await import('../model/backend.js');
    const backend = await selectBackend(argv.backend as BackendChoice | undefined);
    process.stderr.write(`tfjs backend: ${backend}\n`);
  });
for (const [name, entry] of Object.entries(COMMANDS)) {
  if (name === requested) parser.command(await entry.load());
  else parser.command(entry.command, entry.describe);
}
await parser
  .demandCommand(1, 'Name a command; `ser --help` lists them.')
  .strict()
  .recommendCommands()
  .fail((message, error, parser) => {
    if (error) {
      process.stderr.write(`ser: ${describeSystemError(error) ?? error.message}\n`);
    } else {
      parser.showHelp();
      process.stderr.write(`\n${message}\n`);
    }
    process.exit(EXIT.failed);
  })
  .help()
  .alias('help', 'h')
  .version()
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .parseAsync();
