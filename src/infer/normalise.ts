import { accumulateStats, mergeStats, normalisationFromStats, normaliseInPlace, type CmvnStats } from '../features/cmvn.js';
import type { FeatureMatrix } from '../features/config.js';
import type { NormalisationCard } from '../model/io.js';

export type NormalisationMode = NormalisationCard['mode'];

/** The statistics of an utterance's frames after its own mean is removed: Σ(x − x̄)² = Σx² − (Σx)²/n. */
function centred(stats: CmvnStats): CmvnStats {
  return {
    frames: stats.frames,
    sum: new Float64Array(stats.sum.length),
    sumSq: Float64Array.from(stats.sumSq, (sumSq, d) => sumSq - (stats.sum[d] * stats.sum[d]) / Math.max(1, stats.frames)),
  };
}

/**
 * Per-dimension mean and std over every frame of a domain. In 'utterance' mode each utterance's own mean
 * is removed first (so the std is that of the centred frames), which needs no data of the domain at all
 * at test time beyond the clip itself.
 */
export function fitNormalisation(matrices: FeatureMatrix[], mode: NormalisationMode, fittedOn: string, activeFrameThresholdDb: number): NormalisationCard {
  const stats = matrices.map(accumulateStats).map((s) => (mode === 'utterance' ? centred(s) : s));
  const { mean, std } = normalisationFromStats(mergeStats(stats));
  return { mode, mean: Array.from(mean), std: Array.from(std), fittedOn, activeFrameThresholdDb };
}

export function applyNormalisation(matrix: FeatureMatrix, normalisation: NormalisationCard): FeatureMatrix {
  const normalised = { ...matrix, data: Float32Array.from(matrix.data) };
  const mean = normalisation.mode === 'utterance' ? normalisationFromStats(accumulateStats(matrix)).mean : Float64Array.from(normalisation.mean);
  normaliseInPlace(normalised, { mean, std: Float64Array.from(normalisation.std) });
  return normalised;
}
