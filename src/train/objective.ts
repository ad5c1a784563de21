import * as tf from '@tensorflow/tfjs';
import { forward } from '../model/forward.js';
import type { Windows } from './batches.js';

/** Part of a training batch: the windows of some of its utterances, and their labels. */
export interface Shard extends Windows {
  labels: Int32Array;
  dropoutSeed: number;
}

/** What the classification loss needs besides a shard; the same for every step of a run. */
export interface ObjectiveSettings {
  numClasses: number;
  /** Weight of each class in the loss (all 1 when the loss is not class-balanced). */
  classWeights: number[];
  dropout: number;
}

export interface ShardLoss {
  /** The shard's share of the batch loss: its weighted cross-entropy over the whole batch's total weight. */
  loss: tf.Scalar;
  embedding: tf.Tensor2D;
}

/** Sum of the class weights of a batch's labels: the denominator every shard divides by. */
export function batchWeight(labels: ArrayLike<number>, settings: ObjectiveSettings): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) total += settings.classWeights[labels[i]];
  return total;
}

/**
 * The weighted cross-entropy of a shard, divided by the weight of the whole batch, so that the shards'
 * losses (and their gradients) add up to the batch's. Runs inside a gradient tape.
 */
export function shardLoss(model: tf.LayersModel, shard: Shard, batchWeightTotal: number, settings: ObjectiveSettings): ShardLoss {
  const x = tf.tensor3d(shard.frames, [shard.count, shard.windowFrames, shard.dims]);
  const { embedding, probabilities } = forward(model, x, { training: true, dropout: settings.dropout, dropoutSeed: shard.dropoutSeed });
  const oneHot = tf.oneHot(tf.tensor1d(shard.labels, 'int32'), settings.numClasses);
  const sampleWeights = tf.sum(tf.mul(oneHot, tf.tensor1d(settings.classWeights)), 1);
  const crossEntropy = tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.add(probabilities, 1e-7))), 1));
  return { loss: tf.div(tf.sum(tf.mul(crossEntropy, sampleWeights)), batchWeightTotal), embedding };
}

/** The variables training updates, in the model's own order (the same in a copy built from its topology). */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((weight) => weight.read() as tf.Variable);
}
