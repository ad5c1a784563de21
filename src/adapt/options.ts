import type { EpochReport } from '../train/trainer.js';

/**
 * `none`: per-domain normalisation only; `adabn`: plus target batch-norm statistics; `adabn-balanced`: AdaBN,
 * then the model's mean predicted class distribution on the pool divided out of its decisions; `selftrain`: training on
 * the pool clips where the source model (source statistics) and its AdaBN copy (pool statistics) predict the
 * same class, the most confident of each; `dann`, `mmd`, `coral` train with that alignment loss. Each is a
 * strategy in `methods/`.
 */
export const ADAPTATION_METHODS = ['none', 'adabn', 'adabn-balanced', 'selftrain', 'dann', 'mmd', 'coral'] as const;
export type AdaptationMethod = (typeof ADAPTATION_METHODS)[number];

export interface AdaptOptions {
  method: AdaptationMethod;
  /** Labelled target clips per class (few-shot); 0 = unsupervised. */
  shots: number;
  /** Target speakers whose audio may be used; by default the adaptation pool of the benchmark protocol (even positions). */
  adaptationSpeakers?: string[];
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  alignmentWeight: number;
  /** `selftrain`: the share of each predicted class's agreed pool clips, most confident first, taken as pseudo-labelled. */
  pseudoLabelFraction: number;
  /**
   * Alignment methods: re-estimate batch-norm statistics on the target after training, so inference normalises
   * with target statistics. `selftrain` keeps the statistics it trained with: they already cover the pool clips,
   * and the pool's own statistics carry its label mix (measured: with them, unsupervised URDU 65.5 against 69.3).
   */
  finalAdaBN: boolean;
  /** Threads computing each batch's gradients (see `TrainOptions.threads`; alignment losses train in one). */
  threads?: number;
  onEpoch?: (report: EpochReport) => void;
  onStep?: (step: number, stepsPerEpoch: number, epoch: number) => void;
}

export const DEFAULT_ADAPT_OPTIONS: Omit<AdaptOptions, 'method' | 'shots'> = {
  seed: 0,
  epochs: 6,
  batchSize: 32,
  learningRate: 3e-4,
  alignmentWeight: 1,
  pseudoLabelFraction: 0.5,
  finalAdaBN: true,
};
