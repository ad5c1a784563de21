import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../model/io.js';
import { modelDirOrShipped, SHIPPED_MODEL_NAME } from '../model/shipped.js';
import { OUTPUT_FORMATS, PredictionWriter, SINGLE_RECORDING_FORMATS } from '../predict/formats.js';
import { predictStream } from '../predict/live.js';
import {
  assertMinConfidence,
  assertWindowOptions,
  DEFAULT_WINDOW_OPTIONS,
  isClipFailure,
  listAudioInputs,
  predictFiles,
  type ClipFailure,
  type SegmentPlan,
} from '../predict/predict.js';
import { readRttm, turnsForFile } from '../predict/rttm.js';
import { commandLine } from './commands.js';
import { ProgressBar } from './progress.js';
import { EXIT, exitStatusFor, folderOption, numberOption } from './shared.js';

const STDIN = '-';

/** yargs drops a lone `-` from a command's positionals, so standard input is recognised on the raw command line. */
function readsStdin(): boolean {
  return process.argv.slice(2).includes(STDIN);
}

function builder(yargs: Argv) {
  return yargs
    .positional('inputs', {
      type: 'string',
      array: true,
      demandOption: true,
      describe: `audio files (any format ffmpeg reads) or folders, searched recursively; ${STDIN} reads live audio from standard input`,
    })
    .option('model', folderOption('model', { describe: `model folder written by \`ser train\` or \`ser adapt\` (default: the shipped models/${SHIPPED_MODEL_NAME}, four languages, 4 classes; see its README.md)` }))
    .option('format', {
      choices: OUTPUT_FORMATS,
      describe: 'output on stdout: json (default for files), jsonl (default for -), csv, vtt or srt (subtitle cues), audacity (label track)',
    })
    .option('window', numberOption('window', { describe: `fixed windows of this many seconds instead of speech segments (e.g. ${DEFAULT_WINDOW_OPTIONS.windowSeconds})` }))
    .option('hop', numberOption('hop', { describe: 'seconds between window starts: from one frame shift (0.01) to --window; default half the window' }))
    .option('segments', { type: 'string', describe: "an RTTM file (from a diariser such as pyannote): score its speaker turns, the speaker in every row; a model trained with --normalisation speaker standardises each speaker's turns on that speaker's own statistics (under 10 s of audio: the model's)" })
    .option('min-confidence', numberOption('min-confidence', { default: 0, describe: 'report `uncertain` where the top probability is below this' }))
    .example('$0 predict clip.mp3', 'the same by the shipped model')
    .example('$0 predict --model models/ravdess clip.mp3', 'one emotion for the speech of a clip and one per speech segment, as JSON')
    .example('$0 predict --model models/emodb interview.wav --format vtt > interview.vtt', 'subtitle cues to watch beside the video')
    .example('$0 predict --model models/emodb call.wav --segments call.rttm --format csv', 'an emotion per speaker turn of a diarised call')
    .example('$0 predict --model models/emodb recordings/ --window 3 --hop 1.5 --format csv', 'every audio file under a folder, in fixed 3 s windows')
    .example(
      `ffmpeg -loglevel error -f pulse -i default -ac 1 -ar 16000 -f s16le - | $0 predict --model models/emodb ${STDIN}`,
      'live microphone: a JSON line per speech segment within a second of its end (or arecord -f S16_LE -r 16000 -c 1 -t raw)',
    )
    .epilog(
      'Speech is found by an energy voice activity detector (see README, "Speech segments"): pauses under 0.5 s stay inside a segment, ' +
        'breaths and rustles 30 dB below the segment\'s loudest part are trimmed off its ends, and so is speech over 0.25 s from a voiced frame; ' +
        'a sound under 0.2 s standing apart is a segment only when it holds a vowel (YIN voiced), so a one-syllable word is kept and a click is not; ' +
        'segments longer than 10 s are cut into 10 s pieces overlapping by 1 s. Each clip gets an estimate from its speech alone, and each ' +
        'speech segment (or window, or RTTM turn) one of its own; silence, a window or turn without speech, gets no emotion (null in JSON, ' +
        'empty cells in CSV, no cue). Standard input (-) takes raw s16le 16 kHz mono or a WAV stream (16-bit or float, 16 kHz) and writes ' +
        'each segment as it finishes; Ctrl-C or the end of the stream scores what is open. Progress and errors go to stderr. ' +
        'Exit status: 0 everything predicted; 3 some inputs could not be (a file that fails, an RTTM line that cannot be read, a stream ' +
        'that breaks: each named, with its line or byte, on stderr) but everything else was, and written; 1 nothing could be done ' +
        '(bad options, the model cannot be read, every file failing).',
    );
}

type PredictArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

function reportFailures(failed: ClipFailure[], total: number): void {
  if (failed.length === 0) return;
  process.stderr.write(`${failed.length} of ${total} inputs could not be predicted:\n${failed.map(({ file, error }) => `  ${file}: ${error}\n`).join('')}`);
}

async function predictStdin(args: PredictArgs): Promise<void> {
  if (args.inputs.length > 0) throw new Error(`${STDIN} (standard input) cannot be mixed with files: give one or the other`);
  if (args.window !== undefined || args.hop !== undefined || args.segments !== undefined) {
    throw new Error('--window, --hop and --segments apply to files; standard input is scored by speech segments');
  }
  const saved = await loadModel(resolve(modelDirOrShipped(args.model)));
  const format = !args.format || args.format === 'json' ? 'jsonl' : args.format;
  const writer = new PredictionWriter(format, saved.card.labels, (text) => process.stdout.write(text));
  // Ctrl-C (or a kill) ends the input as its end would: the open segment is scored and written first.
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const input = (async function* () {
    const stream = process.stdin;
    const ended = new Promise<void>((resolveEnd) => controller.signal.addEventListener('abort', () => resolveEnd(), { once: true }));
    const iterator = stream[Symbol.asyncIterator]();
    while (true) {
      const next = await Promise.race([iterator.next(), ended.then(() => ({ done: true as const, value: undefined }))]);
      if (next.done) return;
      yield next.value as Buffer;
    }
  })();
  const summary = await predictStream(saved, input, 'standard input', (segment) => writer.segment(segment), { minConfidence: args['min-confidence'] });
  writer.end();
  process.stderr.write(`standard input: ${summary.seconds.toFixed(1)} s of audio, ${summary.segments} speech segments\n`);
  if (summary.error) process.stderr.write(`${summary.error}\n`);
  process.exitCode = summary.error ? EXIT.someFilesSkipped : EXIT.ok;
  // After Ctrl-C standard input may still be open; closing it lets the process end once stdout is flushed.
  if (controller.signal.aborted) process.stdin.destroy();
}

export const predictCommand: CommandModule<object, PredictArgs> = {
  ...commandLine('predict'),
  builder,
  handler: async (args) => {
    assertMinConfidence(args['min-confidence']);
    if (readsStdin()) return predictStdin(args);
    const saved = await loadModel(resolve(modelDirOrShipped(args.model)));
    const format = args.format ?? 'json';
    const { files, failures } = await listAudioInputs(args.inputs);
    if (SINGLE_RECORDING_FORMATS.includes(format) && files.length !== 1) {
      throw new Error(`--format ${format} describes one recording, got ${files.length} files: give one file, or use json, jsonl or csv`);
    }
    let plan: SegmentPlan = { kind: 'speech' };
    const rttmErrors: ClipFailure[] = [];
    if (args.segments !== undefined) {
      if (args.window !== undefined || args.hop !== undefined) throw new Error('--segments scores the RTTM turns: leave out --window and --hop');
      const rttm = await readRttm(args.segments);
      rttmErrors.push(...rttm.errors.map((error) => ({ file: args.segments!, error })));
      if (rttm.byFile.size === 0) throw new Error(`${args.segments} holds no readable SPEAKER turns${rttm.errors.length ? `:\n  ${rttm.errors.slice(0, 10).join('\n  ')}` : ''}`);
      plan = { kind: 'turns', turns: turnsForFile(rttm, args.segments, files) };
    } else if (args.window !== undefined || args.hop !== undefined) {
      const windowSeconds = args.window ?? DEFAULT_WINDOW_OPTIONS.windowSeconds;
      plan = { kind: 'windows', windowSeconds, hopSeconds: args.hop ?? windowSeconds / 2 };
      assertWindowOptions(saved, plan);
    }
    const writer = new PredictionWriter(format, saved.card.labels, (text) => process.stdout.write(text));
    const bar = files.length > 1 ? new ProgressBar({ total: files.length, unit: 'files' }) : undefined;
    const predicted = await predictFiles(saved, files, { plan, minConfidence: args['min-confidence'] }, (done, _total, audioSeconds, outcome) => {
      bar?.update(done, audioSeconds);
      writer.clip(outcome);
    });
    bar?.finish();
    for (const failure of failures) writer.clip(failure);
    writer.end();
    const failed = [...rttmErrors, ...predicted.filter(isClipFailure), ...failures];
    reportFailures(failed, predicted.length + failures.length + rttmErrors.length);
    process.exitCode = exitStatusFor(predicted.filter((outcome) => !isClipFailure(outcome)).length, failed.length);
  },
};
