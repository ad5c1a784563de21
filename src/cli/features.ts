import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { decodeAudio } from '../audio/index.js';
import { extractFeatures, type FeatureMatrix } from '../features/index.js';
import { featureConfigFromArgs, withFeatureOptions } from './featureOptions.js';
import { commandLine } from './commands.js';

function rows(matrix: FeatureMatrix): number[][] {
  return Array.from({ length: matrix.frames }, (_, t) => Array.from(matrix.data.subarray(t * matrix.dims, (t + 1) * matrix.dims)));
}

function summary(file: string, seconds: number, matrix: FeatureMatrix): string {
  const means = Array.from({ length: matrix.dims }, (_, d) => {
    let sum = 0;
    for (let t = 0; t < matrix.frames; t++) sum += matrix.data[t * matrix.dims + d];
    return (sum / matrix.frames).toFixed(2);
  });
  return `${file}: ${seconds.toFixed(3)} s of audio → ${matrix.frames} frames × ${matrix.dims} dims\nmean per dim: ${means.join(' ')}`;
}

function builder(yargs: Argv) {
  return withFeatureOptions(yargs)
    .positional('file', { type: 'string', demandOption: true, describe: 'audio file (WAV, or anything ffmpeg reads)' })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print {"sampleRate","frames","dims","data":[[...frame 0],...]}, the layout of the test fixtures, to compare with other toolkits',
    })
    .example('$0 features clip.wav --no-deltas --json', '13 MFCCs per frame, as Kaldi compute-mfcc-feats / torchaudio.compliance.kaldi.mfcc')
    .example('$0 features clip.wav --type fbank --num-mel-bins 40 --no-deltas --json', '40 log mel energies per frame (Kaldi compute-fbank-feats)')
    .example('$0 features clip.wav --pitch --no-deltas --json', '13 MFCCs, then log F0, voicing strength and log energy per frame');
}

type FeaturesArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

export const featuresCommand: CommandModule<object, FeaturesArgs> = {
  ...commandLine('features'),
  builder,
  handler: async (args) => {
    const config = featureConfigFromArgs(args);
    const audio = await decodeAudio(resolve(args.file), { sampleRate: config.sampleRate });
    let matrix: FeatureMatrix;
    try {
      matrix = extractFeatures(audio.samples, audio.sampleRate, config);
    } catch (error) {
      throw new Error(`${args.file}: ${(error as Error).message}`);
    }
    process.stdout.write(
      args.json
        ? `${JSON.stringify({ sampleRate: audio.sampleRate, frames: matrix.frames, dims: matrix.dims, data: rows(matrix) })}\n`
        : `${summary(args.file, audio.samples.length / audio.sampleRate, matrix)}\n`,
    );
  },
};
