import type { Argv } from 'yargs';
import { numberOption } from './shared.js';
import { checkDescriptorNames, DEFAULT_FEATURE_CONFIG, DESCRIPTOR_NAMES, featureDims, resolveFeatureConfig, type FeatureConfig } from '../features/index.js';

/** The parsed feature options, as a command handler sees them. */
export interface FeatureOptionArgs {
  type: 'mfcc' | 'fbank';
  numCeps: number;
  numMelBins: number;
  deltas: boolean;
  descriptors?: string;
  pitch?: boolean;
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
  return resolveFeatureConfig({ kind: args.type, numCeps: args.numCeps, numMelBins: args.numMelBins, deltas: args.deltas, descriptors, pitch: args.pitch });
}

/** e.g. "mfcc: 13 ceps of 23 mel bins + deltas = 39 dims per frame". */
export function describeFeatureConfig(config: FeatureConfig): string {
  const base = config.kind === 'mfcc' ? `mfcc: ${config.numCeps} ceps of ${config.numMelBins} mel bins` : `fbank: ${config.numMelBins} mel bins`;
  const extras = [config.pitch ? 'pitch' : '', config.deltas ? 'deltas' : '', ...config.descriptors].filter((extra) => extra !== '');
  return `${[base, ...extras].join(' + ')} = ${featureDims(config)} dims per frame`;
}
