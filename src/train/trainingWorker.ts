import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../model/backend.js';
import { batchStatistics } from './batchNorm.js';
import type { TrainingWorkerSetup, WorkerReply, WorkerRequest } from './dataParallel.js';
import { shardLoss, trainableVariables } from './objective.js';
import { predictProbabilities } from '../infer/infer.js';

const { backend, topology, settings } = workerData as TrainingWorkerSetup;
const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(reply, transfer);

function assign(variables: tf.Variable[], values: Float32Array[]): void {
  variables.forEach((variable, i) => {
    const value = tf.tensor(values[i], variable.shape);
    variable.assign(value);
    value.dispose();
  });
}

function answer(request: WorkerRequest, model: tf.LayersModel, variables: tf.Variable[]): WorkerReply {
  switch (request.kind) {
    case 'gradients': {
      assign(variables, request.trainable);
      const { value, grads } = tf.variableGrads(() => shardLoss(model, request.shard, request.batchWeightTotal, settings).loss, variables);
      // Copies: a backend may hand out its own storage, which a transfer would detach.
      const gradients = variables.map((variable) => (grads[variable.name].dataSync() as Float32Array).slice());
      const loss = value.dataSync()[0];
      tf.dispose([value, grads]);
      return { kind: 'gradients', gradients, loss };
    }
    case 'statistics':
      assign(variables, request.trainable);
      return { kind: 'statistics', perBatch: request.batches.map((batch) => batchStatistics(model, batch).map((values) => values.slice())) };
    case 'probabilities': {
      const weights = model.getWeights().map((current, i) => tf.tensor(request.all[i], current.shape));
      model.setWeights(weights);
      tf.dispose(weights);
      return { kind: 'probabilities', probabilities: predictProbabilities(model, request.matrices) };
    }
  }
}

try {
  await selectBackend(backend);
  const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(topology) });
  const variables = trainableVariables(model);
  parentPort!.on('message', (request: WorkerRequest) => {
    try {
      const reply = answer(request, model, variables);
      post(reply, reply.kind === 'gradients' ? reply.gradients.map((g) => g.buffer as ArrayBuffer) : []);
    } catch (error) {
      post({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  });
  post({ kind: 'ready' });
} catch (error) {
  post({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
}
