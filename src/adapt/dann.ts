import * as tf from '@tensorflow/tfjs';
import type { AlignmentLoss } from '../train/trainer.js';
import { reverseGradient, warmStartCoefficient } from './grl.js';

/**
 * The domain discriminator D of DANN: embeddings → one logit, positive for "source". A two-layer
 * perceptron, d → `hiddenUnits` (ReLU) → 1, weights He-normal from the seed, biases 0 (TLlib's
 * `DomainDiscriminator` is the same shape with batch norm and 1024 hidden units; ours sees embeddings of
 * 32–128 values). Its `variables` train with the model, through the gradient reversal.
 */
export interface DomainDiscriminator {
  variables: tf.Variable[];
  /** [n, d] embeddings → [n, 1] logits. */
  logits(embeddings: tf.Tensor2D): tf.Tensor2D;
}

export function domainDiscriminator(embeddingDim: number, seed: number, hiddenUnits = 64): DomainDiscriminator {
  const init = (shape: number[], offset: number) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]), 'float32', seed * 97 + offset));
  const w1 = init([embeddingDim, hiddenUnits], 1);
  const b1 = tf.variable(tf.zeros([hiddenUnits]));
  const w2 = init([hiddenUnits, 1], 2);
  const b2 = tf.variable(tf.zeros([1]));
  return {
    variables: [w1, b1, w2, b2],
    logits: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2) as tf.Tensor2D,
  };
}

/**
 * Domain-adversarial loss of DANN (Ganin & Lempitsky, "Unsupervised Domain Adaptation by
 * Backpropagation", ICML 2015; Ganin et al., JMLR 2016), as TLlib's `DomainAdversarialLoss`.
 *
 * With f_s: [n_s, d] source and f_t: [n_t, d] target embeddings, R the gradient reversal layer (`grl.ts`,
 * coefficient λ(p) rising from 0 to 1 over training progress p) and σ the logistic function:
 *
 *   L = −1/(n_s + n_t) · ( Σ_i log σ(D(R(f_s,i))) + Σ_j log(1 − σ(D(R(f_t,j)))) )
 *
 * (binary cross-entropy of "is source", averaged over both batches; the trainer draws n_t = n_s, so this is
 * TLlib's ½(BCE_s + BCE_t)). Minimising L trains D to tell the domains apart, while the reversed gradient
 * (−λ ∂L/∂f) trains the encoder to make them indistinguishable. After each call the share of the n_s + n_t
 * embeddings D puts on the right side (logit > 0 for source) is kept as `discriminatorAccuracy`: near 1,
 * the domains are apart; near 0.5, aligned.
 *
 * Example: with D untrained (every logit 0) L = ln 2 ≈ 0.693 and the accuracy is n_s / (n_s + n_t) = 0.5.
 */
export function dannLoss(discriminator: DomainDiscriminator): AlignmentLoss {
  let accuracy: tf.Scalar | null = null;
  return {
    name: 'dann',
    variables: discriminator.variables,
    loss(source, target, progress) {
      const coefficient = warmStartCoefficient(progress);
      const both = tf.concat([source, target], 0);
      const logits = discriminator.logits(reverseGradient(both, coefficient));
      const isSource = tf.concat([tf.ones([source.shape[0], 1]), tf.zeros([target.shape[0], 1])], 0);
      accuracy?.dispose();
      accuracy = tf.keep(tf.mean(tf.cast(tf.equal(tf.greater(logits, 0), tf.greater(isSource, 0.5)), 'float32')) as tf.Scalar);
      return tf.losses.sigmoidCrossEntropy(isSource, logits) as tf.Scalar;
    },
    takeMetrics(): Record<string, tf.Scalar> {
      const taken = accuracy;
      accuracy = null;
      return taken ? { discriminatorAccuracy: taken } : {};
    },
  };
}
