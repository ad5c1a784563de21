import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../model/io.js';
import { DEFAULT_WINDOW_OPTIONS, isClipFailure, listAudioInputs, predictFiles, predictionsCsv, type ClipPrediction } from '../predict/predict.js';
import { commandLine } from './commands.js';
import { ProgressBar } from './progress.js';
import { exitStatusFor, folderOption, numberOption } from './shared.js';

function builder(yargs: Argv) {
  return yargs
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'audio files (any format ffmpeg reads) or folders, searched recursively' })
    .option('model', folderOption('model', { demandOption: true, describe: 'model folder written by `ser train` or `ser adapt`' }))
    .option('format', { choices: ['json', 'csv'] as const, default: 'json' as const, describe: 'output on stdout' })
    .option('window', numberOption('window', { default: DEFAULT_WINDOW_OPTIONS.windowSeconds, describe: 'seconds per window; clips longer than this also get a prediction per window' }))
    .option('hop', numberOption('hop', { default: DEFAULT_WINDOW_OPTIONS.hopSeconds, describe: 'seconds between window starts (at most --window)' }))
    .example('$0 predict --model models/ravdess clip.mp3', 'top emotion and class probabilities of one clip, as JSON')
    .example('$0 predict --model models/emodb-dann recordings/ --format csv > emotions.csv', 'every audio file under a folder, one CSV row per clip and window')
    .epilog(
      'Each clip gets a prediction from all of its audio; a clip longer than --window also gets one per window ' +
        '(windows every --hop seconds, the last one ending at the end of the clip); a window of silence gets no emotion ' +
        '(null in JSON, empty cells in CSV). Progress and errors go to stderr. ' +
        'Exit status: 0 every file predicted; 3 some files could not be (each named with the reason) but all others were; ' +
        '1 nothing could be done.',
    );
}

type PredictArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

export const predictCommand: CommandModule<object, PredictArgs> = {
  ...commandLine('predict'),
  builder,
  handler: async (args) => {
    const saved = await loadModel(resolve(args.model));
    const windowOptions = { windowSeconds: args.window, hopSeconds: args.hop };
    const { files, failures } = await listAudioInputs(args.inputs);
    const bar = files.length > 1 ? new ProgressBar({ total: files.length, unit: 'files' }) : undefined;
    const predicted = await predictFiles(saved, files, windowOptions, (done, _total, audioSeconds) => bar?.update(done, audioSeconds));
    bar?.finish();
    const outcomes = [...predicted, ...failures];
    const failed = outcomes.filter(isClipFailure);
    const predictions = outcomes.filter((outcome): outcome is ClipPrediction => !isClipFailure(outcome));
    process.stdout.write(args.format === 'csv' ? predictionsCsv(predictions, saved.card.labels) : `${JSON.stringify(outcomes, null, 2)}\n`);
    if (failed.length > 0) {
      process.stderr.write(
        `${failed.length} of ${outcomes.length} inputs could not be predicted:\n${failed.map(({ file, error }) => `  ${file}: ${error}\n`).join('')}`,
      );
    }
    process.exitCode = exitStatusFor(predictions.length, failed.length);
  },
};
