/**
 * Training throughput of a reference network on each tfjs backend that loads.
 *
 *   npm run build && npm run bench:train [-- --json] [-- --backends wasm,cpu] [-- --profile]
 *
 * Reference network: Conv1D(40->64, kernel 5, same) + ReLU + MaxPool(2) + Conv1D(64->64, kernel 5, same) + ReLU
 * + global average pooling + Dense(7) softmax, batches of 32 windows of 300 frames x 40 features of random
 * data, cross-entropy, Adam. Warm-up batches (kernel setup, JIT) are not timed. With --json, stdout holds
 * exactly one line {"backend":…,"samplesPerSecond":…} per measured backend; everything else goes to stderr.
 * stderr also gets each backend's CPU milliseconds per timed step (minimum and median), which load from
 * other processes skews less than the wall-clock rate.
 * With --profile, a few more batches follow the timed ones, run under tf.profile, and stderr gets the
 * milliseconds per batch that each kernel the engine runs takes (with the kernels it calls itself).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../src/model/backend.js';
import { createRng, type Rng } from '../src/util/random.js';

const BATCH_SIZE = 32;
const FRAMES = 300;
const FEATURES = 40;
const CLASSES = 7;
const DISTINCT_BATCHES = 4;
const PROFILED_BATCHES = 10;

interface Schedule {
  warmUpBatches: number;
  timedBatches: number;
}

const SCHEDULES: Record<BackendChoice, Schedule> = {
  node: { warmUpBatches: 3, timedBatches: 30 },
  wasm: { warmUpBatches: 3, timedBatches: 30 },
  // About one sample a second or less: a batch takes a minute.
  cpu: { warmUpBatches: 1, timedBatches: 1 },
};

interface Batch {
  frames: Float32Array;
  labels: Int32Array;
}

function randomBatch(rng: Rng): Batch {
  return {
    frames: Float32Array.from({ length: BATCH_SIZE * FRAMES * FEATURES }, () => rng() * 2 - 1),
    labels: Int32Array.from({ length: BATCH_SIZE }, () => Math.floor(rng() * CLASSES)),
  };
}

function referenceNetwork(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv1d({
        inputShape: [FRAMES, FEATURES],
        filters: 64,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.conv1d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
}

/**
 * Trains on `batches` in turn, as the trainer does: tensors built from arrays, one optimiser step each.
 * Pushes the process CPU milliseconds of each step onto `cpuMs` when given.
 */
async function train(
  model: tf.Sequential,
  optimizer: tf.Optimizer,
  batches: Batch[],
  count: number,
  cpuMs?: number[],
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const started = process.cpuUsage();
    const { frames, labels } = batches[i % batches.length];
    const cost = optimizer.minimize(() => {
      const inputs = tf.tensor3d(frames, [BATCH_SIZE, FRAMES, FEATURES]);
      const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
      const probabilities = model.apply(inputs, { training: true }) as tf.Tensor;
      return tf.mean(tf.metrics.categoricalCrossentropy(targets, probabilities)) as tf.Scalar;
    }, true)!;
    await cost.data();
    cost.dispose();
    const { user, system } = process.cpuUsage(started);
    cpuMs?.push((user + system) / 1000);
  }
}

function quantile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.round(fraction * (sorted.length - 1))];
}

/** Milliseconds per batch of each kernel over `count` batches, slowest first. */
async function kernelTimes(model: tf.Sequential, optimizer: tf.Optimizer, batches: Batch[], count: number) {
  const { kernels } = await tf.profile(() => train(model, optimizer, batches, count).then(() => []));
  const totals = new Map<string, number>();
  for (const { name, kernelTimeMs } of kernels) {
    totals.set(name, (totals.get(name) ?? 0) + (typeof kernelTimeMs === 'number' ? kernelTimeMs : NaN));
  }
  return [...totals].map(([name, ms]) => ({ name, ms: ms / count })).sort((a, b) => b.ms - a.ms);
}

async function measure(
  schedule: Schedule,
  batches: Batch[],
  profile: boolean,
): Promise<{ samplesPerSecond: number; cpuMs: number[]; kernels: { name: string; ms: number }[] }> {
  const model = referenceNetwork();
  const optimizer = tf.train.adam(1e-3);
  await train(model, optimizer, batches, schedule.warmUpBatches);
  const cpuMs: number[] = [];
  const start = performance.now();
  await train(model, optimizer, batches, schedule.timedBatches, cpuMs);
  const seconds = (performance.now() - start) / 1000;
  const kernels = profile ? await kernelTimes(model, optimizer, batches, PROFILED_BATCHES) : [];
  model.dispose();
  optimizer.dispose();
  return { samplesPerSecond: (schedule.timedBatches * BATCH_SIZE) / seconds, cpuMs, kernels };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      backends: { type: 'string', default: Object.keys(SCHEDULES).join(',') },
      profile: { type: 'boolean', default: false },
    },
  });
  const choices = values.backends.split(',') as BackendChoice[];
  const unknown = choices.filter((choice) => !(choice in SCHEDULES));
  if (unknown.length > 0) {
    throw new Error(`Unknown backend(s) ${unknown.join(', ')}; expected some of ${Object.keys(SCHEDULES).join(', ')}.`);
  }
  const rng = createRng(1);
  const batches = Array.from({ length: DISTINCT_BATCHES }, () => randomBatch(rng));
  for (const choice of choices) {
    let backend: string;
    try {
      backend = await selectBackend(choice);
    } catch (error) {
      console.error(`${choice}: skipped (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    const schedule = SCHEDULES[choice];
    const { samplesPerSecond: rate, cpuMs, kernels } = await measure(schedule, batches, values.profile);
    if (values.json) {
      console.log(JSON.stringify({ backend, samplesPerSecond: Math.round(rate * 10) / 10 }));
    } else {
      const timed = `${schedule.timedBatches} batches of ${BATCH_SIZE} timed`;
      console.log(`${backend.padEnd(10)} ${rate.toFixed(1).padStart(8)} samples/s  (${timed})`);
    }
    // CPU time per step resists load from other processes better than wall time (though a busy sibling
    // core still slows each step): its minimum is the step as it runs on a quiet machine.
    const [fastest, median] = [quantile(cpuMs, 0), quantile(cpuMs, 0.5)];
    console.error(
      `${backend}: CPU ms per step: min ${fastest.toFixed(1)}, median ${median.toFixed(1)}` +
        ` (${((BATCH_SIZE * 1000) / fastest).toFixed(0)} samples/s at the minimum)`,
    );
    for (const { name, ms } of kernels) {
      console.error(`${ms.toFixed(2).padStart(9)} ms/batch  ${name}`);
    }
  }
}

await main();
