import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../model/backend.js';
import type { GradientRequest, GradientWorkerMessage, GradientWorkerSetup } from './dataParallel.js';
import { shardLoss, trainableVariables } from './objective.js';

const { backend, topology, settings } = workerData as GradientWorkerSetup;
const post = (message: GradientWorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);

function shardGradients({ weights, shard, batchWeightTotal }: GradientRequest, variables: tf.Variable[], model: tf.LayersModel): GradientWorkerMessage {
  variables.forEach((variable, i) => {
    const value = tf.tensor(weights[i], variable.shape);
    variable.assign(value);
    value.dispose();
  });
  const { value, grads } = tf.variableGrads(() => shardLoss(model, shard, batchWeightTotal, settings).loss, variables);
  // Copies: a backend may hand out its own storage, which a transfer would detach.
  const gradients = variables.map((variable) => (grads[variable.name].dataSync() as Float32Array).slice());
  const loss = value.dataSync()[0];
  tf.dispose([value, grads]);
  return { kind: 'gradients', gradients, loss };
}

try {
  await selectBackend(backend);
  const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(topology) });
  const variables = trainableVariables(model);
  parentPort!.on('message', (request: GradientRequest) => {
    try {
      const reply = shardGradients(request, variables, model);
      post(reply, reply.kind === 'gradients' ? reply.gradients.map((g) => g.buffer as ArrayBuffer) : []);
    } catch (error) {
      post({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  });
  post({ kind: 'ready' });
} catch (error) {
  post({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
}
