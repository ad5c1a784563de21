import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../model/io.js';
import { modelDirOrShipped, SHIPPED_MODEL_NAME } from '../model/shipped.js';
import { DEFAULT_PAGE_DIR } from '../web/paths.js';
import { startWebServer } from '../web/server.js';
import { numberOption } from './shared.js';
import { commandLine } from './commands.js';

const DEFAULT_PORT = 8765;

function builder(yargs: Argv) {
  return yargs
    .option('model', { type: 'string', describe: `model folder written by \`ser train\` or \`ser adapt\` (default: the shipped models/${SHIPPED_MODEL_NAME})` })
    .option('port', numberOption('port', { default: DEFAULT_PORT, describe: 'TCP port; 0 picks any free one' }))
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'interface to listen on; anything but 127.0.0.1 lets other machines open the page' })
    .example('$0 web', 'serve the page at http://127.0.0.1:8765/ with the shipped model; open it in a browser')
    .example('$0 web --model models/emodb', 'the same with a model of your own')
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
    const modelDir = resolve(modelDirOrShipped(args.model));
    await loadModel(modelDir);
    if (!existsSync(join(DEFAULT_PAGE_DIR, 'app.js'))) throw new Error(`the page is not built (${DEFAULT_PAGE_DIR}); run \`npm run build\``);
    const server = await startWebServer({ pageDir: DEFAULT_PAGE_DIR, modelDir, host: args.host, port: args.port }).catch((error: NodeJS.ErrnoException) => {
      throw new Error(error.code === 'EADDRINUSE' ? `port ${args.port} is in use; choose another with --port` : error.message);
    });
    process.stdout.write(`Serving ${modelDir} at ${server.url} (Ctrl-C stops)\n`);
  },
};
