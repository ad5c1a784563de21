import * as tf from '@tensorflow/tfjs';
import type { AlignmentLoss } from '../train/trainer.js';
import { reverseGradient, warmStartCoefficient } from './grl.js';

/**
 * Domain-adversarial training: a discriminator learns to tell source from target embeddings while the
 * reversed gradient teaches the encoder to make them indistinguishable.
 */
export function dannLoss(embeddingDim: number, seed: number, hiddenUnits = 64): AlignmentLoss {
  const init = (shape: number[], offset: number) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]), 'float32', seed * 97 + offset));
  const w1 = init([embeddingDim, hiddenUnits], 1);
  const b1 = tf.variable(tf.zeros([hiddenUnits]));
  const w2 = init([hiddenUnits, 1], 2);
  const b2 = tf.variable(tf.zeros([1]));
  const discriminate = (x: tf.Tensor2D) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  return {
    name: 'dann',
    variables: [w1, b1, w2, b2],
    loss(source, target, progress) {
      const coefficient = warmStartCoefficient(progress);
      const both = tf.concat([source, target], 0);
      const logits = discriminate(reverseGradient(both, coefficient));
      const isSource = tf.concat([tf.ones([source.shape[0], 1]), tf.zeros([target.shape[0], 1])], 0);
      return tf.losses.sigmoidCrossEntropy(isSource, logits) as tf.Scalar;
    },
  };
}
