import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchWeight, shardLoss } from '../src/train/objective.js';
import { softmax } from './helpers/softmax.js';

/** frames [batch, time, 2] -> mean over time -> a fixed dense softmax over 3 classes; the mean frame is the embedding. */
function fixedNet(): tf.LayersModel {
  const frames = tf.input({ shape: [null, 2] });
  const embedding = tf.layers.globalAveragePooling1d({ name: 'embedding' }).apply(frames) as tf.SymbolicTensor;
  const classifier = tf.layers.dense({ units: 3, activation: 'softmax', name: 'classifier' });
  const probabilities = classifier.apply(embedding) as tf.SymbolicTensor;
  const model = tf.model({ inputs: frames, outputs: [probabilities, embedding] });
  classifier.setWeights([tf.tensor2d([[1, 0, -1], [0, 2, 1]]), tf.tensor1d([0, 0.5, 0])]);
  return model;
}

describe('the classification objective', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("is the class-weighted cross-entropy of the shard's clips over the whole batch's weight", () => {
    const model = fixedNet();
    // Two clips of one frame each: x = (1, 0), label 0, and x = (0, 1), label 2; class weights 2, 1, 0.5.
    const shard = { frames: Float32Array.from([1, 0, 0, 1]), count: 2, windowFrames: 1, dims: 2, labels: Int32Array.from([0, 2]), dropoutSeed: 0 };
    const settings = { numClasses: 3, classWeights: [2, 1, 0.5], dropout: 0 };
    const p = [softmax([1, 0.5, -1]), softmax([0, 2.5, 1])];
    // The shard is two clips of a batch of three, the third of class 1: the batch's weight is 2 + 0.5 + 1.
    const total = batchWeight([0, 2, 1], settings);
    expect(total).toBe(3.5);
    const loss = shardLoss(model, shard, total, settings).loss.dataSync()[0];
    expect(loss).toBeCloseTo((2 * -Math.log(p[0][0] + 1e-7) + 0.5 * -Math.log(p[1][2] + 1e-7)) / 3.5, 5);
  });
});
