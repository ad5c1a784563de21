import { fixedSchedule, NORMALISATION_ONLY, type AdaptationStrategy } from '../strategy.js';

/** Per-domain normalisation alone (the pool's own feature statistics); with shots, fine-tuning on them. */
export const none: AdaptationStrategy = {
  finalAdaBN: () => false,
  describeSchedule: (options, run) => (run ? fixedSchedule(options, run) : NORMALISATION_ONLY),
};
