/** The library API that the `ser` CLI wires up, stage by stage (see ARCHITECTURE.md). */
export * from './audio/index.js';
export * from './features/index.js';
export * from './corpora/index.js';
export * from './store/index.js';
export { selectBackend, type BackendChoice } from './model/backend.js';
export { buildEmotionModel, DEFAULT_MODEL_SPEC, type ModelSpec } from './model/emotionModel.js';
export { StatsPooling } from './model/layers.js';
export { loadModel, saveModel, assertFeaturesMatch, ModelFolderError, type ModelCard, type NormalisationCard } from './model/io.js';
export { infer, predictProbabilities, argMax, modelInputs, activeFrames, applyNormalisation, fitNormalisation, type Inference, type InputCard, type NormalisationMode } from './infer/index.js';
export { pretrain, DEFAULT_PRETRAIN_OPTIONS, type PretrainOptions, type PretrainedModel } from './train/pretrain.js';
export { trainClassifier, type TrainOptions, type AlignmentLoss, type EpochReport } from './train/trainer.js';
export { defaultTrainingThreads } from './train/dataParallel.js';
export { adaptModel, ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, type AdaptOptions, type AdaptationMethod } from './adapt/adapt.js';
export * from './eval/index.js';
export { scoreStore } from './eval/score.js';
export { runExperiment, type ExperimentOptions } from './experiment/run.js';
export { runDemo, type DemoOptions } from './experiment/demo.js';
export * from './predict/predict.js';
