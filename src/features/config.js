export const DEFAULT_FEATURE_CONFIG = {
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
export function resolveFeatureConfig(overrides = {}) {
    const { pitch, ...config } = { ...DEFAULT_FEATURE_CONFIG, ...overrides, descriptors: [...(overrides.descriptors ?? DEFAULT_FEATURE_CONFIG.descriptors)] };
    return pitch ? { ...config, pitch } : config;
}
/** A stable identifier of a configuration: two stores or a store and a model match when their keys do. */
export function featureConfigKey(config) {
    const ordered = Object.keys(config)
        .filter((k) => k !== 'pitch' || config.pitch)
        .sort()
        .map((k) => [k, config[k]]);
    return JSON.stringify(Object.fromEntries(ordered));
}
