export { infer, predictProbabilities, argMax, type Inference } from './infer.js';
export { activeFrames, modelInputs, type InputCard } from './inputs.js';
export { applyNormalisation, fitNormalisation, type NormalisationMode } from './normalise.js';
export * from './metrics.js';
