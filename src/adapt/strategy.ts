import type * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import type { ModelCard } from '../model/io.js';
import type { StoreItem } from '../store/index.js';
import type { AlignmentLoss, LabelledSet } from '../train/trainer.js';
import type { AdaptOptions } from './options.js';

/** The target audio an adaptation may use: the adaptation speakers' clips, and the labelled shots among them. */
export interface AdaptationPool {
  items: StoreItem[];
  /** The stored frames of each pool clip. */
  matrices: FeatureMatrix[];
  /** `modelInputs` of each pool clip under `targetCard` (the target's own normalisation). */
  inputs: FeatureMatrix[];
  /** The source card with the normalisation refitted on the pool. */
  targetCard: ModelCard;
  shotItems: StoreItem[];
  /** The shots' model inputs and class indices. */
  shots: LabelledSet;
}

export interface AdaptationContext {
  source: { model: tf.LayersModel; card: ModelCard };
  /** The copy of the source model being adapted; a strategy may change it (selftrain re-estimates its batch norm). */
  adapted: tf.LayersModel;
  pool: AdaptationPool;
  options: AdaptOptions;
  /** Frames per training window, as in pretraining. */
  windowFrames: number;
}

/** The labelled target clips an adaptation trains on. */
export interface TargetLabels {
  labelled: LabelledSet;
  /** Pool clips labelled by the model, with the label each got (recorded in the card). */
  pseudoLabelledClips?: { id: string; label: string }[];
}

/** How a training run went, for the schedule's description. */
export interface TrainingRun {
  threads: number;
  finalAdaBN: boolean;
}

/** One adaptation method: the driver (`adaptModel`) asks it these things. */
export interface AdaptationStrategy {
  /** The labelled target clips to train on beside the source; without this, the labelled shots alone. */
  targetLabels?(context: AdaptationContext): TargetLabels;
  /** The loss aligning source and target embeddings while training, if any; a fresh one per run. */
  alignment?(embeddingDim: number, seed: number): AlignmentLoss;
  /** Whether batch-norm statistics are re-estimated on the pool once training is done (AdaBN). */
  finalAdaBN(options: AdaptOptions): boolean;
  /** Whether the classes are balanced on the pool last (`classBalance.ts`: a bias on the classifier's logits). */
  balanceClasses?: boolean;
  /** The card's `adaptation.schedule`; `run` is null when there was nothing to train on. */
  describeSchedule(options: AdaptOptions, run: TrainingRun | null): string;
}

/** The description of a fixed training schedule, shared by the methods; `what` says what the method adds to it. */
export function fixedSchedule(options: AdaptOptions, run: TrainingRun, what = ''): string {
  const threads = run.threads > 1 ? `, batches split over ${run.threads} threads` : '';
  return `fixed: ${what}${options.epochs} epochs, lr ${options.learningRate}, alignment weight ${options.alignmentWeight}${threads}${run.finalAdaBN ? ', then AdaBN' : ''}; no checkpoint chosen on target data`;
}

export const NORMALISATION_ONLY = 'per-domain normalisation fitted on the adaptation pool';
