import { createRng, randomInteger } from '../util/random.js';
import { computeMetrics } from './metrics.js';

/** A closed interval of a score, as fractions in [0, 1]. */
export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Number of resamples; 1000 by default. */
  iterations?: number;
  seed: number;
}

const CONFIDENCE = 0.95;

/** Linear interpolation between order statistics (Hyndman & Fan type 7, numpy's default). */
function quantile(sorted: Float64Array, probability: number): number {
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/**
 * 95% percentile-bootstrap interval of UAR: utterances are resampled with replacement and UAR is
 * recomputed on each resample. Deterministic for a given seed.
 */
export function bootstrapUar(yTrue: number[], yPred: number[], classes: string[], options: BootstrapOptions): Interval {
  const iterations = options.iterations ?? 1000;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, not ${iterations}`);
  computeMetrics(yTrue, yPred, classes); // rejects invalid input before any resampling
  const rng = createRng(options.seed);
  const n = yTrue.length;
  const resampledTrue = new Array<number>(n);
  const resampledPred = new Array<number>(n);
  const estimates = new Float64Array(iterations);
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let i = 0; i < n; i++) {
      const pick = randomInteger(rng, n);
      resampledTrue[i] = yTrue[pick];
      resampledPred[i] = yPred[pick];
    }
    estimates[iteration] = computeMetrics(resampledTrue, resampledPred, classes).uar;
  }
  estimates.sort();
  const tail = (1 - CONFIDENCE) / 2;
  return { low: quantile(estimates, tail), high: quantile(estimates, 1 - tail) };
}
