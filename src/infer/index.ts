export { infer, predictProbabilities, argMax, type Inference } from './infer.js';
export { activeFrames, modelInputs, type InputCard } from './inputs.js';
export { applyNormalisation, fitNormalisation, MIN_SPEAKER_FRAMES, NORMALISATION_MODES, normaliseSet, speakersOf, type NormalisationMode } from './normalise.js';
export * from './metrics.js';
