import type { Argv } from 'yargs';
import { numberOption } from './shared.js';
import {
  checkDescriptorNames,
  DEFAULT_FEATURE_CONFIG,
  DESCRIPTOR_NAMES,
  featureDims,
  resolveFeatureConfig,
  resolveHighFreq,
  type FeatureConfig,
} from '../features/index.js';

/** The parsed feature options, as a command handler sees them. */
export interface FeatureOptionArgs {
  type: 'mfcc' | 'fbank';
  numCeps: number;
  numMelBins: number;
  deltas: boolean;
  descriptors?: string;
  pitch?: boolean;
  lowFreq?: number;
  highFreq?: number;
}

/** The feature options shared by every command that extracts features; names follow Kaldi's compute-mfcc-feats. */
export function withFeatureOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('type', {
      choices: ['mfcc', 'fbank'] as const,
      default: DEFAULT_FEATURE_CONFIG.kind,
      describe: 'mfcc: cepstra of the mel bank; fbank: the log mel filterbank energies themselves',
    })
    .option('num-ceps', numberOption('num-ceps', { default: DEFAULT_FEATURE_CONFIG.numCeps, describe: 'cepstral coefficients kept (mfcc only)' }))
    .option('num-mel-bins', numberOption('num-mel-bins', { default: DEFAULT_FEATURE_CONFIG.numMelBins, describe: 'triangular mel filters' }))
    .option('deltas', {
      type: 'boolean',
      default: DEFAULT_FEATURE_CONFIG.deltas,
      describe: 'append first and second order deltas, tripling the dimensions; --no-deltas leaves them out',
    })
    .option('descriptors', {
      type: 'string',
      describe: `comma-separated meyda descriptors appended to every frame, e.g. rms,zcr (from: ${DESCRIPTOR_NAMES.join(', ')})`,
    })
    .option('low-freq', numberOption('low-freq', {
      default: DEFAULT_FEATURE_CONFIG.lowFreq,
      describe: 'Hz where the mel bank starts, in [0, 8000) for 16 kHz features',
    }))
    .option('high-freq', numberOption('high-freq', {
      default: DEFAULT_FEATURE_CONFIG.highFreq,
      describe:
        'Hz where the mel bank ends, up to 8000 for 16 kHz features; 0 or negative counts down from 8000 (Kaldi). ' +
        'Telephone audio: --high-freq 3800 keeps the bank out of the empty band above the channel',
    }))
    .option('pitch', {
      type: 'boolean',
      default: false,
      describe: 'append log F0 (YIN, 60-500 Hz, interpolated over unvoiced frames), voicing strength and log energy after the base features; the deltas cover them too',
    });
}

export function featureConfigFromArgs(args: FeatureOptionArgs): FeatureConfig {
  if (args.type === 'mfcc' && args.numCeps > args.numMelBins) {
    throw new Error(`--num-ceps ${args.numCeps} exceeds --num-mel-bins ${args.numMelBins}: an MFCC cannot have more coefficients than mel bins`);
  }
  const descriptors = (args.descriptors ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  try {
    checkDescriptorNames(descriptors);
  } catch (error) {
    throw new Error(`--descriptors: ${(error as Error).message}`);
  }
  const { lowFreq, highFreq } = melBandFromArgs(args);
  return resolveFeatureConfig({ kind: args.type, numCeps: args.numCeps, numMelBins: args.numMelBins, deltas: args.deltas, descriptors, pitch: args.pitch, lowFreq, highFreq });
}

function melBandFromArgs({ lowFreq = DEFAULT_FEATURE_CONFIG.lowFreq, highFreq = DEFAULT_FEATURE_CONFIG.highFreq }: FeatureOptionArgs): Pick<FeatureConfig, 'lowFreq' | 'highFreq'> {
  const nyquist = DEFAULT_FEATURE_CONFIG.sampleRate / 2;
  if (!(lowFreq >= 0 && lowFreq < nyquist)) throw new Error(`--low-freq must lie in [0, ${nyquist}) Hz, got ${lowFreq}`);
  const top = resolveHighFreq(highFreq, DEFAULT_FEATURE_CONFIG.sampleRate);
  if (!(top > lowFreq && top <= nyquist)) {
    throw new Error(
      `--high-freq ${highFreq} puts the top of the mel bank at ${top} Hz; it must lie above --low-freq ${lowFreq} and at most ${nyquist} Hz ` +
        `(0 or a negative value counts down from ${nyquist})`,
    );
  }
  return { lowFreq, highFreq };
}

/** e.g. "mfcc: 13 ceps of 23 mel bins (20-8000 Hz) + deltas = 39 dims per frame". */
export function describeFeatureConfig(config: FeatureConfig): string {
  const band = `${config.lowFreq}-${resolveHighFreq(config.highFreq, config.sampleRate)} Hz`;
  const base = config.kind === 'mfcc' ? `mfcc: ${config.numCeps} ceps of ${config.numMelBins} mel bins (${band})` : `fbank: ${config.numMelBins} mel bins (${band})`;
  const extras = [config.pitch ? 'pitch' : '', config.deltas ? 'deltas' : '', ...config.descriptors].filter((extra) => extra !== '');
  return `${[base, ...extras].join(' + ')} = ${featureDims(config)} dims per frame`;
}
