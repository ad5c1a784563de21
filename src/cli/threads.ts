import type { Options } from 'yargs';
import type { ModelSpec } from '../model/emotionModel.js';
import { defaultTrainingThreads } from '../train/dataParallel.js';

/** `--threads` of the commands that train. */
export const threadsOption: Options = {
  type: 'number',
  describe: 'threads computing each batch\'s gradients, a share of the batch each (default: one per core for models with conv blocks; 1 for the functionals recipe, whose batches take milliseconds, and with tfjs-node, which uses every core itself)',
};

/** The thread count to train with: the one asked for, checked, or the default for the model and the backend in use. */
export function trainingThreads(requested: number | undefined, spec: Pick<ModelSpec, 'channels'>): number {
  if (requested === undefined) return defaultTrainingThreads(spec);
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`--threads must be a whole number >= 1, got ${requested}`);
  return requested;
}
