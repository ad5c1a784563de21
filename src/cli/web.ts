import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../model/io.js';
import { PACKAGE_ROOT } from '../util/version.js';
import { DEFAULT_PAGE_DIR } from '../web/paths.js';
import { startWebServer } from '../web/server.js';
import { numberOption } from './shared.js';
import { commandLine } from './commands.js';

const DEFAULT_PORT = 8765;
const MODELS_DIR = join(PACKAGE_ROOT, 'models');

/** The model folder under the package's `models/` when there is exactly one; otherwise the user must name one. */
function defaultModelFolder(): string {
  const folders = existsSync(MODELS_DIR)
    ? readdirSync(MODELS_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory() && existsSync(join(MODELS_DIR, entry.name, 'card.json')))
    : [];
  if (folders.length === 1) return join(MODELS_DIR, folders[0].name);
  throw new Error(
    folders.length === 0
      ? `no model in ${MODELS_DIR}; name one with --model <folder> (written by \`ser train\` or \`ser adapt\`)`
      : `${MODELS_DIR} holds several models (${folders.map((entry) => entry.name).join(', ')}); choose one with --model`,
  );
}

function builder(yargs: Argv) {
  return yargs
    .option('model', { type: 'string', describe: 'model folder written by `ser train` or `ser adapt` (default: the one model under models/)' })
    .option('port', numberOption('port', { default: DEFAULT_PORT, describe: 'TCP port, 1-65535 (0: any free port)' }))
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'interface to listen on; anything but 127.0.0.1 lets other machines open the page' })
    .check((args) => {
      if (!(Number.isInteger(args.port) && args.port >= 0 && args.port <= 65535)) throw new Error(`--port must be a whole number from 0 to 65535, got ${args.port}`);
      return true;
    })
    .example('$0 web --model models/emodb', 'serve the page at http://127.0.0.1:8765/ with that model; open it in a browser')
    .example('$0 web --model models/emodb --port 9000', 'the same on another port')
    .epilog(
      'The page decodes, extracts features and runs the model in the browser (WebGL, else WebAssembly): ' +
        'audio dropped, chosen or recorded there never leaves it. The server sends only the page, the model ' +
        'folder\'s model.json, weights.bin, card.json and README.md, and tfjs\'s wasm binaries. Stop it with Ctrl-C.',
    );
}

type WebArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

export const webCommand: CommandModule<object, WebArgs> = {
  ...commandLine('web'),
  builder,
  handler: async (args) => {
    const modelDir = args.model === undefined ? defaultModelFolder() : resolve(args.model);
    await loadModel(modelDir);
    if (!existsSync(join(DEFAULT_PAGE_DIR, 'app.js'))) throw new Error(`the page is not built (${DEFAULT_PAGE_DIR}); run \`npm run build\``);
    const server = await startWebServer({ pageDir: DEFAULT_PAGE_DIR, modelDir, host: args.host, port: args.port }).catch((error: NodeJS.ErrnoException) => {
      throw new Error(error.code === 'EADDRINUSE' ? `port ${args.port} is in use; choose another with --port` : error.message);
    });
    process.stdout.write(`Serving ${modelDir} at ${server.url} (Ctrl-C stops)\n`);
  },
};
