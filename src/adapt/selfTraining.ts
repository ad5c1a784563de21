import type * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../features/config.js';
import { predictProbabilities } from '../train/predict.js';
import { argMax, type LabelledSet } from '../train/trainer.js';

/**
 * Pseudo-labels for unlabelled target clips (self-training): the model's own predictions, keeping for
 * each predicted class only its most confident `fraction`, so a class the model over-predicts cannot
 * crowd out the others and doubtful clips teach nothing.
 */
export function confidentPseudoLabels(model: tf.LayersModel, matrices: FeatureMatrix[], numClasses: number, fraction: number): LabelledSet {
  const probabilities = predictProbabilities(model, matrices);
  const predicted = probabilities.map(argMax);
  const chosen: number[] = [];
  for (let label = 0; label < numClasses; label++) {
    const members = predicted.flatMap((p, index) => (p === label ? [index] : []));
    members.sort((a, b) => probabilities[b][label] - probabilities[a][label]);
    chosen.push(...members.slice(0, Math.ceil(members.length * fraction)));
  }
  return { matrices: chosen.map((index) => matrices[index]), labels: chosen.map((index) => predicted[index]) };
}
