import { fixedSchedule, type AdaptationStrategy } from '../strategy.js';

/**
 * AdaBN (Li et al., 2016, "Revisiting Batch Normalization For Practical Domain Adaptation"): the batch-norm
 * statistics re-estimated on the target pool, so each layer standardises with the target's own; with shots,
 * after fine-tuning on them.
 */
export const adabn: AdaptationStrategy = {
  finalAdaBN: () => true,
  describeSchedule: (options, run) => (run ? fixedSchedule(options, run) : 'batch-norm statistics re-estimated on the adaptation pool'),
};
