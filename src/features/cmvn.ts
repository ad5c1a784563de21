import type { FeatureMatrix } from './config.js';

/**
 * Per-dimension sufficient statistics of some frames. A feature-store item ({frames, sum, sumSq}) is one,
 * so training can normalise per utterance, speaker or corpus without reading frames again.
 */
export interface CmvnStats {
  frames: number;
  sum: ArrayLike<number>;
  sumSq: ArrayLike<number>;
}

export interface Normalisation {
  mean: Float64Array;
  std: Float64Array;
}

export type CmvnScope = 'utterance' | 'speaker' | 'corpus';

/** Keeps a constant dimension (e.g. a single-frame utterance) from dividing by zero. */
const MIN_VARIANCE = 1e-8;

/** Accumulated in double precision: a corpus holds millions of frames. */
export function accumulateStats(matrix: FeatureMatrix): CmvnStats {
  const { frames, dims, data } = matrix;
  const sum = new Float64Array(dims);
  const sumSq = new Float64Array(dims);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dims; d++) {
      const value = data[t * dims + d];
      sum[d] += value;
      sumSq[d] += value * value;
    }
  }
  return { frames, sum, sumSq };
}

export function mergeStats(stats: Iterable<CmvnStats>): CmvnStats {
  let merged: { frames: number; sum: Float64Array; sumSq: Float64Array } | undefined;
  for (const part of stats) {
    merged ??= { frames: 0, sum: new Float64Array(part.sum.length), sumSq: new Float64Array(part.sum.length) };
    if (part.sum.length !== merged.sum.length || part.sumSq.length !== merged.sum.length) {
      throw new Error(`cannot merge CMVN statistics of ${part.sum.length} dimensions into ${merged.sum.length}`);
    }
    merged.frames += part.frames;
    for (let d = 0; d < merged.sum.length; d++) {
      merged.sum[d] += part.sum[d];
      merged.sumSq[d] += part.sumSq[d];
    }
  }
  if (!merged) throw new Error('cannot merge an empty set of CMVN statistics');
  return merged;
}

/** mean = Σx/n, std = sqrt(Σx²/n − mean²). */
export function normalisationFromStats(stats: CmvnStats): Normalisation {
  if (stats.frames < 1) throw new Error('CMVN statistics of zero frames have no mean');
  const mean = Float64Array.from(stats.sum, (sum) => sum / stats.frames);
  const std = Float64Array.from(stats.sumSq, (sumSq, d) => Math.sqrt(Math.max(sumSq / stats.frames - mean[d] * mean[d], MIN_VARIANCE)));
  return { mean, std };
}

/** x ← (x − mean) / std for every frame. */
export function normaliseInPlace(matrix: FeatureMatrix, normalisation: Normalisation): void {
  const { frames, dims, data } = matrix;
  if (normalisation.mean.length !== dims) throw new Error(`normalisation has ${normalisation.mean.length} dimensions, features have ${dims}`);
  const inverseStd = normalisation.std.map((std) => 1 / std);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dims; d++) data[t * dims + d] = (data[t * dims + d] - normalisation.mean[d]) * inverseStd[d];
  }
}

export interface ScopedUtterance {
  id: string;
  speaker: string;
}

/** The group whose statistics normalise an utterance at the given scope. */
export function cmvnGroup(scope: CmvnScope, utterance: ScopedUtterance): string {
  switch (scope) {
    case 'utterance':
      return utterance.id;
    case 'speaker':
      return utterance.speaker;
    case 'corpus':
      return '';
  }
}

/**
 * Fits one normalisation per group of `items` at `scope`; the returned lookup names the missing group
 * when asked about an utterance from none of them.
 */
export function fitScopedCmvn(items: Iterable<CmvnStats & ScopedUtterance>, scope: CmvnScope): (utterance: ScopedUtterance) => Normalisation {
  const groups = new Map<string, CmvnStats[]>();
  for (const item of items) {
    const group = cmvnGroup(scope, item);
    const members = groups.get(group);
    if (members) members.push(item);
    else groups.set(group, [item]);
  }
  const fitted = new Map([...groups].map(([group, members]) => [group, normalisationFromStats(mergeStats(members))]));
  return (utterance) => {
    const normalisation = fitted.get(cmvnGroup(scope, utterance));
    if (!normalisation) throw new Error(`no ${scope} CMVN statistics for utterance '${utterance.id}' (speaker '${utterance.speaker}')`);
    return normalisation;
  };
}
