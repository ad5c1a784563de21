import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from './card.js';
import { StatsPooling } from './layers.js';

export type { ModelSpec };

export const DEFAULT_MODEL_SPEC: Omit<ModelSpec, 'inputDims' | 'numClasses' | 'seed'> = {
  channels: [64, 128, 128],
  kernelSize: 5,
  embeddingDim: 128,
  inputStatistics: true,
  utteranceNorm: false,
};

export const EMBEDDING_LAYER = 'embedding';
export const CLASSIFIER_LAYER = 'classifier';

/**
 * The emotion model: frames [batch, time, dims] -> [class probabilities, embedding].
 * The classifier is a separate named layer so training can put seeded dropout between the embedding and it,
 * and adaptation can align the embedding.
 */
export function buildEmotionModel(spec: ModelSpec): tf.LayersModel {
  let seed = spec.seed * 1000;
  const initializer = () => tf.initializers.glorotUniform({ seed: seed++ });
  const frames = tf.input({ shape: [null, spec.inputDims], name: 'frames' });

  let hidden: tf.SymbolicTensor = frames;
  spec.channels.forEach((filters, block) => {
    if (block > 0) hidden = tf.layers.maxPooling1d({ poolSize: 2, name: `pool${block}` }).apply(hidden) as tf.SymbolicTensor;
    hidden = tf.layers
      .conv1d({ filters, kernelSize: spec.kernelSize, padding: 'same', useBias: false, kernelInitializer: initializer(), name: `conv${block + 1}` })
      .apply(hidden) as tf.SymbolicTensor;
    hidden = tf.layers.batchNormalization({ name: `bn${block + 1}` }).apply(hidden) as tf.SymbolicTensor;
    hidden = tf.layers.reLU({ name: `relu${block + 1}` }).apply(hidden) as tf.SymbolicTensor;
  });
  const percentiles = spec.inputPercentiles ?? [];
  const inputPooled = spec.channels.length === 0 || spec.inputStatistics;
  if (percentiles.length > 0 && !inputPooled) throw new Error('ModelSpec: inputPercentiles need the input pooled (inputStatistics, or no conv blocks)');
  // Without conv blocks the frame statistics already are the input's, and take its percentiles (learnt channels never do: no gradient through a sort).
  const pooled: tf.SymbolicTensor[] = [
    new StatsPooling({ name: 'frame_statistics', ...(spec.channels.length === 0 ? { percentiles } : {}) }).apply(hidden) as tf.SymbolicTensor,
  ];
  if (spec.inputStatistics && spec.channels.length > 0) pooled.push(new StatsPooling({ name: 'input_statistics', percentiles }).apply(frames) as tf.SymbolicTensor);
  const concatenated = pooled.length > 1 ? (tf.layers.concatenate({ name: 'utterance' }).apply(pooled) as tf.SymbolicTensor) : pooled[0];
  const utterance = spec.utteranceNorm ? (tf.layers.batchNormalization({ name: 'utterance_bn' }).apply(concatenated) as tf.SymbolicTensor) : concatenated;

  const dense = tf.layers.dense({ units: spec.embeddingDim, kernelInitializer: initializer(), name: 'embedding_dense' }).apply(utterance) as tf.SymbolicTensor;
  const normalised = tf.layers.batchNormalization({ name: 'embedding_bn' }).apply(dense) as tf.SymbolicTensor;
  const embedding = tf.layers.reLU({ name: EMBEDDING_LAYER }).apply(normalised) as tf.SymbolicTensor;
  const probabilities = tf.layers
    .dense({ units: spec.numClasses, activation: 'softmax', kernelInitializer: initializer(), name: CLASSIFIER_LAYER })
    .apply(embedding) as tf.SymbolicTensor;
  return tf.model({ inputs: frames, outputs: [probabilities, embedding], name: 'ser_emotion_model' });
}

/**
 * Fewest input frames that leave at least one after the model's max-pooling layers ('valid' padding).
 * Fewer leave an empty sequence to pool: meaningless output on the cpu backend, corrupted memory on wasm.
 */
export function fewestInputFrames(model: tf.LayersModel): number {
  return model.layers
    .filter((layer) => layer.getClassName() === 'MaxPooling1D')
    .reduceRight((needed, layer) => {
      const { poolSize, strides } = layer.getConfig() as { poolSize: number[]; strides: number[] };
      return (needed - 1) * strides[0] + poolSize[0];
    }, 1);
}
