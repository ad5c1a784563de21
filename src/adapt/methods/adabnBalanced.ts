import type { AdaptationStrategy } from '../strategy.js';
import { adabn } from './adabn.js';

/**
 * AdaBN, then the classes balanced on the pool (`../classBalance.ts`): the model's mean predicted distribution
 * over the adaptation pool divided out of its decisions, as a bias on the classifier's logits.
 */
export const adabnBalanced: AdaptationStrategy = {
  finalAdaBN: () => true,
  balanceClasses: true,
  describeSchedule: (options, run) => `${adabn.describeSchedule(options, run)}; then the classes balanced on the pool (logits minus log(K x mean predicted distribution))`,
};
