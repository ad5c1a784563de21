import { accumulateStats, mergeStats, normalisationFromStats, normaliseInPlace, type CmvnStats } from '../features/cmvn.js';
import type { FeatureMatrix } from '../features/config.js';
import type { NormalisationCard } from '../model/io.js';

export type NormalisationMode = NormalisationCard['mode'];
export const NORMALISATION_MODES: readonly NormalisationMode[] = ['corpus', 'utterance', 'speaker'];

/**
 * 'speaker' mode: a speaker with fewer active frames than this in the set being normalised (10 s at Kaldi's
 * 10 ms frame shift) is standardised on the corpus statistics instead of its own, which would be too noisy.
 */
export const MIN_SPEAKER_FRAMES = 1000;

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
 * at test time beyond the clip itself. In 'speaker' mode these corpus statistics are the fallback for
 * speakers with too little audio (see `normaliseSet`); given each clip's speaker, the card names them.
 */
export function fitNormalisation(
  matrices: FeatureMatrix[],
  mode: NormalisationMode,
  fittedOn: string,
  activeFrameThresholdDb: number,
  speakers?: readonly string[],
): NormalisationCard {
  const stats = matrices.map(accumulateStats).map((s) => (mode === 'utterance' ? centred(s) : s));
  const { mean, std } = normalisationFromStats(mergeStats(stats));
  const fitted: NormalisationCard = { mode, mean: Array.from(mean), std: Array.from(std), fittedOn, activeFrameThresholdDb };
  // Where speaker statistics fall back to these, the card says for whom.
  return mode === 'speaker' && speakers ? { ...fitted, speakersOnCorpusStatistics: speakersOnCorpusStatistics(matrices, speakers) } : fitted;
}

/** The speaker of each clip. */
export function speakersOf(items: readonly { speaker: string }[]): string[] {
  return items.map((item) => item.speaker);
}

/** One clip standardised on its own ('utterance' mean) or the card's statistics ('corpus'; 'speaker' without a speaker's set: the corpus fallback). */
export function applyNormalisation(matrix: FeatureMatrix, normalisation: NormalisationCard): FeatureMatrix {
  const normalised = { ...matrix, data: Float32Array.from(matrix.data) };
  const mean = normalisation.mode === 'utterance' ? normalisationFromStats(accumulateStats(matrix)).mean : Float64Array.from(normalisation.mean);
  normaliseInPlace(normalised, { mean, std: Float64Array.from(normalisation.std) });
  return normalised;
}

/**
 * Standardises a set of clips. 'speaker' mode: the clips of each speaker on that speaker's own statistics,
 * mean_s = Σ x / n_s and std_s = sqrt(Σ x² / n_s − mean_s²) over all n_s active frames of the speaker's clips
 * in the set (no labels needed), except for speakers with fewer than `MIN_SPEAKER_FRAMES` frames (and clips
 * of no known speaker), which get the normalisation's corpus statistics. Other modes: clip by clip.
 * `speakers[i]` is the speaker of `matrices[i]`.
 */
export function normaliseSet(matrices: FeatureMatrix[], speakers: readonly string[] | undefined, normalisation: NormalisationCard): FeatureMatrix[] {
  if (normalisation.mode !== 'speaker' || !speakers) return matrices.map((m) => applyNormalisation(m, normalisation));
  const own = speakerStatistics(matrices, speakers);
  return matrices.map((matrix, i) => {
    const statistics = own.get(speakers[i]);
    return statistics ? standardise(matrix, statistics) : applyNormalisation(matrix, normalisation);
  });
}

/** The speakers of a set that `normaliseSet` standardises on the corpus statistics: too little audio of theirs. */
export function speakersOnCorpusStatistics(matrices: FeatureMatrix[], speakers: readonly string[]): string[] {
  const own = speakerStatistics(matrices, speakers);
  return [...new Set(speakers)].filter((speaker) => !own.has(speaker)).sort();
}

function speakerStatistics(matrices: FeatureMatrix[], speakers: readonly string[]): Map<string, { mean: Float64Array; std: Float64Array }> {
  const bySpeaker = new Map<string, CmvnStats[]>();
  matrices.forEach((matrix, i) => bySpeaker.set(speakers[i], [...(bySpeaker.get(speakers[i]) ?? []), accumulateStats(matrix)]));
  const result = new Map<string, { mean: Float64Array; std: Float64Array }>();
  for (const [speaker, stats] of bySpeaker) {
    const merged = mergeStats(stats);
    if (merged.frames >= MIN_SPEAKER_FRAMES) result.set(speaker, normalisationFromStats(merged));
  }
  return result;
}

function standardise(matrix: FeatureMatrix, statistics: { mean: Float64Array; std: Float64Array }): FeatureMatrix {
  const normalised = { ...matrix, data: Float32Array.from(matrix.data) };
  normaliseInPlace(normalised, statistics);
  return normalised;
}
