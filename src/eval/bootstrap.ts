import { createRng, randomInteger } from '../util/random.js';
import { computeMetrics } from '../infer/metrics.js';

/** A closed interval of a score, as fractions in [0, 1]. */
export interface Interval {
  low: number;
  high: number;
}

/** Resamples drawn unless asked otherwise. */
export const DEFAULT_BOOTSTRAP_ITERATIONS = 1000;

export interface BootstrapOptions {
  /** Number of resamples; DEFAULT_BOOTSTRAP_ITERATIONS by default. */
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
  return bootstrapMeanUar(yTrue, [yPred], classes, options);
}

/**
 * The same for the mean UAR of several prediction sets of the same utterances (e.g. one per seed): every
 * set is scored on the same resample, so the interval shows how much the mean depends on which utterances
 * the test set happens to hold, which averaging over seeds does not reduce.
 */
export function bootstrapMeanUar(yTrue: number[], predictionSets: number[][], classes: string[], options: BootstrapOptions): Interval {
  const iterations = options.iterations ?? DEFAULT_BOOTSTRAP_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a positive integer, not ${iterations}`);
  if (predictionSets.length === 0) throw new RangeError('bootstrapping UAR needs at least one set of predictions');
  for (const yPred of predictionSets) computeMetrics(yTrue, yPred, classes); // rejects invalid input before any resampling
  const rng = createRng(options.seed);
  const n = yTrue.length;
  const picks = new Array<number>(n);
  const resample = (values: number[]) => picks.map((pick) => values[pick]);
  const estimates = new Float64Array(iterations);
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let i = 0; i < n; i++) picks[i] = randomInteger(rng, n);
    const resampledTrue = resample(yTrue);
    estimates[iteration] = predictionSets.reduce((sum, yPred) => sum + computeMetrics(resampledTrue, resample(yPred), classes).uar, 0) / predictionSets.length;
  }
  estimates.sort();
  const tail = (1 - CONFIDENCE) / 2;
  return { low: quantile(estimates, tail), high: quantile(estimates, 1 - tail) };
}
