import * as tf from '@tensorflow/tfjs';
import { CLASSIFIER_LAYER } from '../model/emotionModel.js';

/**
 * Class-marginal balancing on the unlabelled target, a decision rule that needs no labels.
 *
 * UAR weighs every class equally, so its optimal decision is the one that ignores class priors:
 * argmax_y p(y|x) / p(y) (Saerens, Latinne & Decaestecker, 2002, "Adjusting the Outputs of a Classifier to New
 * a Priori Probabilities", whose prior adjustment this is with the target's uniform class mix as the new prior).
 * Under domain shift a model's effective prior on the target is unknown and often skewed (one class taken
 * for another across the whole language). It is estimated from the unlabelled adaptation pool as the mean
 * predicted distribution q̄_k = (1/n) Σ_i p(k | x_i), and divided out of every later prediction:
 *
 *   p'(k | x) ∝ p(k | x) / (K·q̄_k),   i.e. logits z'_k = z_k − b_k,   b_k = log(K·q̄_k)   (K classes)
 *
 * b is 0 for a model whose pool predictions are balanced on average; a class the model over-predicts
 * (q̄_k > 1/K) gets a positive bias, one it under-predicts a negative one. One step, not iterated until the
 * pool's decisions are exactly balanced: the pool's true class mix is unknown (URDU's holds 2 angry clips of
 * 208), and the iterated rule scored lower over the four leave-one-out targets (unsupervised UAR mean 46.2
 * against 46.8 for one step, 46.4 without balancing, with an earlier build). The classifier layer is a dense softmax layer, so b is subtracted from its bias
 * vector: the adapted model makes the balanced decisions itself, wherever it is loaded (`ser predict`,
 * `ser evaluate`, the web page), and temperature scaling of its probabilities still applies on top.
 *
 * Example: q̄ = (0.5, 0.25, 0.125, 0.125) → b = (log 2, 0, −log 2, −log 2) = (0.693, 0, −0.693, −0.693).
 */
export function classMarginalBias(probabilities: readonly (readonly number[])[]): number[] {
  if (probabilities.length === 0) throw new Error('class-marginal balancing needs at least one unlabelled clip');
  const classes = probabilities[0].length;
  const mean = new Array<number>(classes).fill(0);
  for (const row of probabilities) row.forEach((p, k) => (mean[k] += p / probabilities.length));
  // A class the model never predicts on the pool would get an infinite bias; 1e-6 of the mass caps it at log(K·1e-6).
  return mean.map((q) => Math.log(classes * Math.max(q, 1e-6)));
}

/** Subtracts `bias` (one value per class) from the classifier layer's logits, by lowering its bias vector. */
export function shiftClassifierBias(model: tf.LayersModel, bias: readonly number[]): void {
  const classifier = model.getLayer(CLASSIFIER_LAYER);
  const [kernel, current] = classifier.getWeights();
  if (current === undefined || current.size !== bias.length) throw new Error(`the classifier has ${current?.size ?? 0} bias values, not one per class (${bias.length})`);
  const shifted = tf.tidy(() => tf.sub(current, tf.tensor1d([...bias])));
  classifier.setWeights([kernel, shifted]);
  shifted.dispose();
}
