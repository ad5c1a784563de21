/** How a clip becomes a frame matrix. Option names follow Kaldi / torchaudio.compliance.kaldi. */
export interface FeatureConfig {
  kind: 'mfcc' | 'fbank';
  sampleRate: number;
  frameLengthMs: number;
  frameShiftMs: number;
  preemphasisCoefficient: number;
  removeDcOffset: boolean;
  windowType: 'povey' | 'hamming' | 'hanning';
  lowFreq: number;
  /** Kaldi convention: <= 0 means nyquist + highFreq. */
  highFreq: number;
  numMelBins: number;
  /** MFCC only. */
  numCeps: number;
  /** MFCC only; 0 disables liftering. */
  cepstralLifter: number;
  /** Append first and second order deltas (window 2, as Kaldi's add-deltas). */
  deltas: boolean;
  /** meyda spectral descriptors appended per frame, e.g. ['rms', 'zcr', 'spectralCentroid']. */
  descriptors: string[];
  /**
   * Append [log F0, voicing strength, log energy] per frame (pitch.ts) after the base features, before the
   * deltas, which then cover them too (Kaldi's paste-feats of MFCC and pitch, then add-deltas). Absent
   * means false; left out of the key when false, so stores and models made before it still match.
   */
  pitch?: boolean;
}

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = {
  kind: 'mfcc',
  sampleRate: 16000,
  frameLengthMs: 25,
  frameShiftMs: 10,
  preemphasisCoefficient: 0.97,
  removeDcOffset: true,
  windowType: 'povey',
  lowFreq: 20,
  highFreq: 0,
  numMelBins: 23,
  numCeps: 13,
  cepstralLifter: 22,
  deltas: true,
  descriptors: [],
};

export function resolveFeatureConfig(overrides: Partial<FeatureConfig> = {}): FeatureConfig {
  const { pitch, ...config } = { ...DEFAULT_FEATURE_CONFIG, ...overrides, descriptors: [...(overrides.descriptors ?? DEFAULT_FEATURE_CONFIG.descriptors)] };
  return pitch ? { ...config, pitch } : config;
}

/** A stable identifier of a configuration: two stores or a store and a model match when their keys do. */
export function featureConfigKey(config: FeatureConfig): string {
  const ordered = Object.keys(config)
    .filter((k) => k !== 'pitch' || config.pitch)
    .sort()
    .map((k) => [k, (config as unknown as Record<string, unknown>)[k]]);
  return JSON.stringify(Object.fromEntries(ordered));
}

/** A frame-major matrix: row t holds the `dims` values of frame t. */
export interface FeatureMatrix {
  frames: number;
  dims: number;
  data: Float32Array;
}
