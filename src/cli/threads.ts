import type { Options } from 'yargs';
import { defaultTrainingThreads } from '../train/dataParallel.js';

/** `--threads` of the commands that train. */
export const threadsOption: Options = {
  type: 'number',
  describe: 'threads computing each batch\'s gradients, a share of the batch each (default: one per core; 1 with tfjs-node, which uses every core itself)',
};

/** The thread count to train with: the one asked for, checked, or the default for the backend in use. */
export function trainingThreads(requested: number | undefined): number {
  if (requested === undefined) return defaultTrainingThreads();
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`--threads must be a whole number >= 1, got ${requested}`);
  return requested;
}
