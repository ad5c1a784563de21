import * as tf from '@tensorflow/tfjs';
import { CLASSIFIER_LAYER, EMBEDDING_LAYER } from './emotionModel.js';

export interface ForwardOptions {
  /** Batch norm uses (and updates) batch statistics; dropout is active. */
  training: boolean;
  dropout?: number;
  dropoutSeed?: number;
}

export interface ForwardResult {
  embedding: tf.Tensor2D;
  probabilities: tf.Tensor2D;
}

/**
 * Runs the model layer by layer. LayersModel.apply drops the `training` flag on its way through the
 * graph (tfjs only honours it inside fit()), and custom training steps need it for batch norm. The
 * classifier is applied separately so dropout sits exactly between the embedding and it.
 */
export function forward(model: tf.LayersModel, frames: tf.Tensor, options: ForwardOptions): ForwardResult {
  const outputs = new Map<string, tf.Tensor>();
  for (const layer of model.layers) {
    if (layer.name === CLASSIFIER_LAYER) continue;
    const inbound = layer.inboundNodes[0].inboundLayers;
    if (inbound.length === 0) {
      outputs.set(layer.name, frames);
      continue;
    }
    const inputs = inbound.map((source) => outputs.get(source.name)!);
    outputs.set(layer.name, layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: options.training }) as tf.Tensor);
  }
  const embedding = outputs.get(EMBEDDING_LAYER) as tf.Tensor2D;
  const rate = options.training ? options.dropout ?? 0 : 0;
  const classifierInput = rate > 0 ? tf.dropout(embedding, rate, undefined, options.dropoutSeed) : embedding;
  const probabilities = model.getLayer(CLASSIFIER_LAYER).apply(classifierInput) as tf.Tensor2D;
  return { embedding, probabilities };
}
