import type { AlignmentLoss } from '../../train/trainer.js';
import { fixedSchedule, type AdaptationStrategy } from '../strategy.js';

/** A method that trains with an alignment loss on source and target embeddings, then (by default) AdaBN. */
export function alignmentStrategy(loss: (embeddingDim: number, seed: number) => AlignmentLoss): AdaptationStrategy {
  return {
    alignment: loss,
    finalAdaBN: (options) => options.finalAdaBN,
    describeSchedule: (options, run) => fixedSchedule(options, run ?? { threads: 1, finalAdaBN: options.finalAdaBN }),
  };
}
