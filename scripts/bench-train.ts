/**
 * Training throughput of a reference network on each tfjs backend that loads; what it measures, and its options,
 * are the usage text below (--help).
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { FeatureMatrix } from '../src/features/config.js';
import { selectBackend, type BackendChoice } from '../src/model/backend.js';
import { trainClassifier, type LabelledSet } from '../src/train/trainer.js';
import { NUMBER_RANGES } from '../src/cli/shared.js';
import { createRng, type Rng } from '../src/util/random.js';
import { flag, listOf, numberIn, oneOf, option, parseScriptOptions } from './lib/options.js';

const BATCH_SIZE = 32;
const FRAMES = 300;
const FEATURES = 40;
const CLASSES = 7;
const DISTINCT_BATCHES = 4;
const PROFILED_BATCHES = 8;

interface Schedule {
  warmUpBatches: number;
  timedBatches: number;
}

const SCHEDULES: Record<BackendChoice, Schedule> = {
  node: { warmUpBatches: 4, timedBatches: 32 },
  wasm: { warmUpBatches: 4, timedBatches: 32 },
  // About one sample a second or less: a batch takes a minute.
  cpu: { warmUpBatches: 1, timedBatches: 1 },
};
const BACKEND_CHOICES = Object.keys(SCHEDULES) as BackendChoice[];

function randomData(batches: number, rng: Rng): LabelledSet {
  const count = batches * BATCH_SIZE;
  const matrices: FeatureMatrix[] = Array.from({ length: count }, () => ({
    frames: FRAMES,
    dims: FEATURES,
    data: Float32Array.from({ length: FRAMES * FEATURES }, () => rng() * 2 - 1),
  }));
  return { matrices, labels: Array.from({ length: count }, () => Math.floor(rng() * CLASSES)) };
}

/** The network, with the layer names the training loop looks for: `embedding` feeds `classifier`. */
function referenceNetwork(): tf.LayersModel {
  const frames = tf.input({ shape: [FRAMES, FEATURES] });
  const conv1 = tf.layers.conv1d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }).apply(frames);
  const pooled = tf.layers.maxPooling1d({ poolSize: 2 }).apply(conv1);
  const conv2 = tf.layers.conv1d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }).apply(pooled);
  const embedding = tf.layers.globalAveragePooling1d({ name: 'embedding' }).apply(conv2) as tf.SymbolicTensor;
  const probabilities = tf.layers.dense({ units: CLASSES, activation: 'softmax', name: 'classifier' }).apply(embedding) as tf.SymbolicTensor;
  return tf.model({ inputs: frames, outputs: [probabilities, embedding] });
}

interface Measurement {
  samplesPerSecond: number;
  /** Process CPU (every thread) per timed step. */
  cpuMs: number[];
}

/** Trains the reference network for `steps` batches of `data`, calling `onStep` with the global step number. */
async function train(data: LabelledSet, steps: number, threads: number, onStep: (step: number) => void): Promise<void> {
  const model = referenceNetwork();
  const stepsPerEpoch = data.matrices.length / BATCH_SIZE;
  let done = 0;
  await trainClassifier(model, data, {
    classes: Array.from({ length: CLASSES }, (_, i) => String(i)),
    epochs: Math.ceil(steps / stepsPerEpoch),
    batchSize: BATCH_SIZE,
    learningRate: 1e-3,
    windowFrames: FRAMES,
    seed: 1,
    dropout: 0,
    classBalanced: false,
    augment: null,
    threads,
    onStep: () => onStep(++done),
  });
  model.dispose();
}

async function measure(schedule: Schedule, threads: number, rng: Rng): Promise<Measurement> {
  const total = schedule.warmUpBatches + schedule.timedBatches;
  const data = randomData(Math.min(DISTINCT_BATCHES, total), rng);
  const cpuMs: number[] = [];
  let timing: { wall: number; cpu: NodeJS.CpuUsage } | null = null;
  let seconds = 0;
  let lastCpu = process.cpuUsage();
  await train(data, total, threads, (step) => {
    const cpu = process.cpuUsage();
    if (step > schedule.warmUpBatches && step <= total) {
      const { user, system } = process.cpuUsage(lastCpu);
      cpuMs.push((user + system) / 1000);
    }
    if (step === schedule.warmUpBatches) timing = { wall: performance.now(), cpu };
    if (step === total) seconds = (performance.now() - timing!.wall) / 1000;
    lastCpu = cpu;
  });
  return { samplesPerSecond: (schedule.timedBatches * BATCH_SIZE) / seconds, cpuMs };
}

/** Milliseconds per batch of each kernel this thread runs, over `count` single-thread batches, slowest first. */
async function kernelTimes(rng: Rng, count: number) {
  const data = randomData(count, rng);
  const { kernels } = await tf.profile(() => train(data, count, 1, () => {}).then(() => []));
  const totals = new Map<string, number>();
  for (const { name, kernelTimeMs } of kernels) {
    totals.set(name, (totals.get(name) ?? 0) + (typeof kernelTimeMs === 'number' ? kernelTimeMs : NaN));
  }
  return [...totals].map(([name, ms]) => ({ name, ms: ms / count })).sort((a, b) => b.ms - a.ms);
}

function quantile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.round(fraction * (sorted.length - 1))];
}

async function main(): Promise<void> {
  const { options } = parseScriptOptions({
    name: 'bench:train',
    summary: [
      "Training throughput of a reference network on each tfjs backend that loads, through the toolkit's own training",
      'loop (`trainClassifier`, as `ser train` runs it). Reference network: Conv1D(40->64, kernel 5, same) + ReLU +',
      'MaxPool(2) + Conv1D(64->64, kernel 5, same) + ReLU + global average pooling + Dense(7) softmax, batches of 32',
      'windows of 300 frames x 40 features of random data, cross-entropy, Adam. Warm-up batches (worker start, kernel',
      'setup, JIT) are not timed. Each backend is measured with each thread count of --threads (training threads compute',
      'a shard of each batch each).',
    ].join('\n'),
    usage: 'npm run build && npm run bench:train [-- options]',
    options: {
      json: flag(
        'stdout holds exactly one line {"backend":…,"samplesPerSecond":…} per measured backend, at the largest thread count; everything else goes to stderr, including the CPU milliseconds per timed step over all threads (minimum and median).',
      ),
      backends: option('The backends to measure.', listOf(oneOf(BACKEND_CHOICES)), BACKEND_CHOICES),
      threads: option('The thread counts to measure each backend with.', listOf(numberIn(NUMBER_RANGES.threads)), [...new Set([1, availableParallelism()])]),
      profile: flag('A few more single-thread batches run under tf.profile; stderr gets the milliseconds per batch of each kernel the engine runs (with the kernels it calls itself).'),
    },
  });
  const { backends: choices, threads: threadCounts } = options;
  const rng = createRng(1);
  for (const choice of choices) {
    let backend: string;
    try {
      backend = await selectBackend(choice);
    } catch (error) {
      console.error(`${choice}: skipped (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    let last: Measurement | null = null;
    for (const threads of threadCounts) {
      const { samplesPerSecond: rate, cpuMs } = (last = await measure(SCHEDULES[choice], threads, rng));
      const timed = `${SCHEDULES[choice].timedBatches} batches of ${BATCH_SIZE} timed`;
      const line = `${backend.padEnd(10)} ${String(threads).padStart(2)} thread(s) ${rate.toFixed(1).padStart(8)} samples/s  (${timed})`;
      // CPU time per step resists load from other processes better than wall time: its minimum, over the
      // threads, is what a step costs on a quiet machine.
      const [fastest, median] = [quantile(cpuMs, 0), quantile(cpuMs, 0.5)];
      const cpu = `CPU ms per step (all threads): min ${fastest.toFixed(1)}, median ${median.toFixed(1)}`;
      if (options.json) console.error(`${line}; ${cpu}`);
      else console.log(`${line}\n${' '.repeat(11)}${cpu}`);
    }
    if (options.json && last) console.log(JSON.stringify({ backend, samplesPerSecond: Math.round(last.samplesPerSecond * 10) / 10 }));
    if (options.profile) {
      for (const { name, ms } of await kernelTimes(rng, PROFILED_BATCHES)) console.error(`${ms.toFixed(2).padStart(9)} ms/batch  ${name}`);
    }
  }
}

await main();
