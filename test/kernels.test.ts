import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/model/backend.js';
import { registerWasmGradientKernels } from '../src/model/kernels/index.js';
import { createRng } from '../src/util/random.js';

type Backend = 'wasm' | 'cpu';

/** Uniform in [-0.5, 0.5), the same for a given seed on every backend. */
function randomValues(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng() - 0.5);
}

interface Result {
  shape: number[];
  values: Float32Array;
}

/** Runs `compute` on `backend` and returns its results as plain arrays, leaving no tensors behind. */
async function on(backend: Backend, compute: () => tf.Tensor[]): Promise<Result[]> {
  await tf.setBackend(backend);
  const results = tf.tidy(compute);
  const plain = results.map((tensor) => ({ shape: tensor.shape, values: tensor.dataSync() as Float32Array }));
  tf.dispose(results);
  return plain;
}

/** Same shape, and every element within 1e-4, relative to the expected magnitude where that exceeds 1. */
function expectClose(actual: Result, expected: Result): void {
  expect(actual.shape).toEqual(expected.shape);
  let worst = 0;
  expected.values.forEach((value, i) => {
    worst = Math.max(worst, Math.abs(actual.values[i] - value) / Math.max(1, Math.abs(value)));
  });
  expect(worst).toBeLessThan(1e-4);
}

interface ConvCase {
  name: string;
  input: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: 'same' | 'valid' | number;
}

/** conv1d runs as a conv2d of height 1, as tf.conv1d and the layers do. */
function conv1dCase(
  width: number,
  kernel: number,
  inChannels: number,
  outChannels: number,
  stride: number,
  dilation: number,
  pad: 'same' | 'valid',
): ConvCase {
  return {
    name: `conv1d w${width} k${kernel} ${inChannels}->${outChannels} stride ${stride} dilation ${dilation} ${pad}`,
    input: [3, 1, width, inChannels],
    filter: [1, kernel, inChannels, outChannels],
    strides: [1, stride],
    dilations: [1, dilation],
    pad,
  };
}

const convCases: ConvCase[] = [
  conv1dCase(40, 5, 8, 16, 1, 1, 'same'),
  conv1dCase(40, 5, 8, 16, 1, 1, 'valid'),
  conv1dCase(41, 4, 3, 5, 2, 1, 'same'),
  conv1dCase(41, 3, 3, 5, 2, 1, 'valid'),
  conv1dCase(30, 3, 1, 7, 1, 2, 'same'),
  conv1dCase(30, 3, 6, 2, 1, 2, 'valid'),
  conv1dCase(300, 5, 40, 64, 1, 1, 'same'),
  {
    name: 'conv2d 9x11 k3x2 3->4 stride 1 same',
    input: [2, 9, 11, 3],
    filter: [3, 2, 3, 4],
    strides: [1, 1],
    dilations: [1, 1],
    pad: 'same',
  },
  {
    name: 'conv2d 9x10 k3x3 4->6 stride 2 valid',
    input: [2, 9, 10, 4],
    filter: [3, 3, 4, 6],
    strides: [2, 2],
    dilations: [1, 1],
    pad: 'valid',
  },
  {
    name: 'conv2d 8x8 k2x3 2->3 stride (2, 1) same',
    input: [2, 8, 8, 2],
    filter: [2, 3, 2, 3],
    strides: [2, 1],
    dilations: [1, 1],
    pad: 'same',
  },
  {
    name: 'conv2d 10x9 k3x3 5->4 dilation 2 same',
    input: [2, 10, 9, 5],
    filter: [3, 3, 5, 4],
    strides: [1, 1],
    dilations: [2, 2],
    pad: 'same',
  },
  {
    name: 'conv2d 10x9 k2x3 2->3 dilation (2, 3) valid',
    input: [1, 10, 9, 2],
    filter: [2, 3, 2, 3],
    strides: [1, 1],
    dilations: [2, 3],
    pad: 'valid',
  },
  {
    // Wider than the filter, which the input gradient's forward-convolution path cannot express.
    name: 'conv2d 6x6 k2x2 2->3 explicit padding 3',
    input: [1, 6, 6, 2],
    filter: [2, 2, 2, 3],
    strides: [1, 1],
    dilations: [1, 1],
    pad: 3,
  },
];

/** The input, filter and a random output weighting (so dy is random too) of a case, as fresh tensors. */
function convTensors(c: ConvCase, seed: number): { x: tf.Tensor4D; filter: tf.Tensor4D; weighting: tf.Tensor4D } {
  const x = tf.tensor4d(randomValues(tf.util.sizeFromShape(c.input), seed), c.input);
  const filter = tf.tensor4d(randomValues(tf.util.sizeFromShape(c.filter), seed + 1), c.filter);
  const outShape = tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, c.dilations, c.pad).outShape;
  const weighting = tf.tensor4d(randomValues(tf.util.sizeFromShape(outShape), seed + 2), outShape);
  return { x, filter, weighting };
}

/** Gradients of sum(conv(x, filter) * weighting) with respect to x and the filter. */
function convGradients(
  c: ConvCase,
  seed: number,
  conv: (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D = (x, filter) =>
    tf.conv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations),
): tf.Tensor[] {
  const { x, filter, weighting } = convTensors(c, seed);
  return tf.grads((xs: tf.Tensor, filters: tf.Tensor) =>
    tf.sum(tf.mul(conv(xs as tf.Tensor4D, filters as tf.Tensor4D), weighting)),
  )([x, filter]);
}

/** A convolution spelled out as a sum over taps of gathered input times filter tap, with no conv kernel. */
function convByTaps(c: ConvCase) {
  const info = tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, c.dilations, c.pad);
  const { padInfo, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const [batch, , , inChannels] = c.input;
  const [filterHeight, filterWidth, , outChannels] = c.filter;
  return (x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D => {
    const padded = tf.pad(x, [
      [0, 0],
      [padInfo.top, padInfo.bottom],
      [padInfo.left, padInfo.right],
      [0, 0],
    ]);
    const terms: tf.Tensor[] = [];
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const rows = Array.from({ length: outHeight }, (_, oh) => oh * strideHeight + kh * dilationHeight);
        const columns = Array.from({ length: outWidth }, (_, ow) => ow * strideWidth + kw * dilationWidth);
        const met = tf.gather(tf.gather(padded, rows, 1), columns, 2).reshape([-1, inChannels]);
        const tap = tf.reshape(tf.slice(filter, [kh, kw, 0, 0], [1, 1, inChannels, outChannels]), [-1, outChannels]);
        terms.push(tf.matMul(met, tap));
      }
    }
    return tf.addN(terms).reshape([batch, outHeight, outWidth, outChannels]);
  };
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('convolution gradients on wasm', () => {
  it.each(convCases)('match the cpu backend: $name', async (c) => {
    const [wasmDx, wasmDFilter] = await on('wasm', () => convGradients(c, 11));
    const [cpuDx, cpuDFilter] = await on('cpu', () => convGradients(c, 11));
    expectClose(wasmDx, cpuDx);
    expectClose(wasmDFilter, cpuDFilter);
  });

  it.each(convCases.filter((c) => c.dilations.some((d) => d > 1)))(
    'match a tap-by-tap convolution with no conv kernel, for dilations: $name',
    async (c) => {
      const [dx, dFilter] = await on('wasm', () => convGradients(c, 21));
      const [referenceDx, referenceDFilter] = await on('cpu', () => convGradients(c, 21, convByTaps(c)));
      expectClose(dx, referenceDx);
      expectClose(dFilter, referenceDFilter);
    },
  );

  it('leave no intermediate data behind in the backend', async () => {
    // Strided, so that every intermediate of both kernels is made.
    const c = convCases.find((candidate) => candidate.strides[1] > 1)!;
    await on('wasm', () => convGradients(c, 41));
    const backend = tf.backend();
    const before = backend.numDataIds();
    await on('wasm', () => convGradients(c, 41));
    expect(backend.numDataIds()).toBe(before);
  });
});

describe('max pooling gradient on wasm', () => {
  const poolCases = [
    { name: 'maxPooling1d 2', input: [2, 30, 1, 5], filterSize: [2, 1], strides: [2, 1], pad: 'valid' },
    { name: 'overlapping 3x3 stride 2 same', input: [2, 9, 8, 3], filterSize: [3, 3], strides: [2, 2], pad: 'same' },
    { name: 'odd size valid', input: [1, 7, 7, 4], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    { name: 'maxPooling1d 3 stride 1', input: [2, 12, 1, 3], filterSize: [3, 1], strides: [1, 1], pad: 'valid' },
    { name: 'single-pixel windows', input: [1, 5, 5, 3], filterSize: [1, 1], strides: [2, 2], pad: 'valid' },
  ] as const;

  it.each(poolCases)('matches the cpu backend, ties included: $name', async (c) => {
    const pool = (x: tf.Tensor) =>
      tf.maxPool(x as tf.Tensor4D, [...c.filterSize] as [number, number], [...c.strides] as [number, number], c.pad);
    const gradients = () => {
      // relu leaves many windows of equal zeros, where the first maximum must take the whole gradient.
      const x = tf.relu(tf.tensor4d(randomValues(tf.util.sizeFromShape([...c.input]), 51), [...c.input]));
      const outShape = pool(x).shape;
      const weighting = tf.tensor(randomValues(tf.util.sizeFromShape(outShape), 52), outShape);
      return [tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(pool(xs), weighting)))(x)];
    };
    const [wasmDx] = await on('wasm', gradients);
    const [cpuDx] = await on('cpu', gradients);
    expectClose(wasmDx, cpuDx);
  });
});

describe('replaced wasm kernels', () => {
  it('are registered once however often registration runs', () => {
    const registered = tf.getKernelsForBackend('wasm');
    registerWasmGradientKernels();
    expect(tf.getKernelsForBackend('wasm')).toEqual(registered);
  });

  it.each([
    { axis: [0, 1], keepDims: false },
    { axis: [0, 1], keepDims: true },
    { axis: [1], keepDims: false },
    { axis: [0, 2], keepDims: true },
    { axis: [2, 3], keepDims: false },
    { axis: [3, -3], keepDims: false },
    { axis: [0, 1, 2, 3], keepDims: false },
    { axis: [], keepDims: false },
  ])('Sum and Mean over $axis (keepDims $keepDims) match the cpu backend', async ({ axis, keepDims }) => {
    const compute = () => {
      const x = tf.tensor4d(randomValues(360, 61), [3, 4, 5, 6]);
      return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
    };
    const [wasmSum, wasmMean] = await on('wasm', compute);
    const [cpuSum, cpuMean] = await on('cpu', compute);
    expectClose(wasmSum, cpuSum);
    expectClose(wasmMean, cpuMean);
  });

  it('Sum and Mean over long runs of rows (bias gradients, average pooling) match the cpu backend', async () => {
    const compute = () => {
      const x = tf.tensor3d(randomValues(32 * 300 * 8, 62), [32, 300, 8]);
      return [tf.sum(x, [0, 1]), tf.mean(x, 1), tf.mean(x, [0, 1], true)];
    };
    const wasmResults = await on('wasm', compute);
    const cpuResults = await on('cpu', compute);
    wasmResults.forEach((result, i) => expectClose(result, cpuResults[i]));
  });

  it('Sum of integers stays integer', async () => {
    const [total] = await on('wasm', () => [tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0)]);
    expect(Array.from(total.values)).toEqual([4, 6]);
  });

  it('clone and same-type cast share data, and disposing one leaves the other intact', async () => {
    await tf.setBackend('wasm');
    const original = tf.tensor1d([1, 2, 3]);
    const clone = tf.clone(original);
    const cast = tf.cast(original, 'float32');
    const integers = tf.cast(tf.tensor1d([1.7, -2.2]), 'int32');
    original.dispose();
    expect(Array.from(clone.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(cast.dataSync())).toEqual([1, 2, 3]);
    expect(integers.dtype).toBe('int32');
    expect(Array.from(integers.dataSync())).toEqual([1, -2]);
    tf.dispose([clone, cast, integers]);
  });

  it.each([
    { shape: [5], reps: [3] },
    { shape: [2, 3], reps: [1, 1] },
    { shape: [2, 3], reps: [3, 2] },
    { shape: [2, 1, 4], reps: [1, 5, 1] },
    { shape: [3, 2, 1, 2], reps: [2, 1, 3, 2] },
    { shape: [2, 0, 3], reps: [2, 2, 2] },
  ])('Tile of $shape by $reps matches the cpu backend, for floats, integers and booleans', async ({ shape, reps }) => {
    const compute = () => {
      const x = tf.tensor(randomValues(tf.util.sizeFromShape(shape), 63), shape);
      return [tf.tile(x, reps), tf.tile(tf.cast(tf.mul(x, 10), 'int32'), reps), tf.tile(tf.greater(x, 0), reps)];
    };
    const wasmTiles = await on('wasm', compute);
    const cpuTiles = await on('cpu', compute);
    wasmTiles.forEach((tile, i) => {
      expect(tile.shape).toEqual(cpuTiles[i].shape);
      expect(Array.from(tile.values)).toEqual(Array.from(cpuTiles[i].values));
    });
  });

  it('the mean gradient is dy / n spread over the reduced axes', async () => {
    const [dx] = await on('wasm', () => {
      const x = tf.tensor3d(randomValues(24, 71), [2, 3, 4]);
      const weighting = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
      return [tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(tf.mean(xs, 1), weighting)))(x)];
    });
    const values = Float32Array.from({ length: 24 }, (_, i) => (Math.floor(i / 12) * 4 + (i % 4) + 1) / 3);
    expectClose(dx, { shape: [2, 3, 4], values });
  });
});

describe('a conv1d model on wasm', () => {
  /** Class k puts a bump at a class-specific time in channel k; the rest is noise. */
  function toyBatch(seed: number, size: number, frames: number, channels: number, classes: number) {
    const rng = createRng(seed);
    const x = new Float32Array(size * frames * channels);
    const labels: number[] = [];
    for (let i = 0; i < size; i++) {
      const label = i % classes;
      labels.push(label);
      for (let t = 0; t < frames; t++) {
        for (let c = 0; c < channels; c++) {
          const bump = c === label && Math.abs(t - (label + 1) * 4) < 3 ? 2 : 0;
          x[(i * frames + t) * channels + c] = rng() - 0.5 + bump;
        }
      }
    }
    return { x, labels };
  }

  it('trains (loss falls) without leaking tensors or backend data', async () => {
    await tf.setBackend('wasm');
    const [frames, channels, classes, size] = [24, 4, 3, 24];
    const model = tf.sequential({
      layers: [
        tf.layers.conv1d({ inputShape: [frames, channels], filters: 8, kernelSize: 5, padding: 'same' }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.batchNormalization(),
        tf.layers.maxPooling1d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.1 }),
        tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'valid', dilationRate: 2, activation: 'relu' }),
        tf.layers.conv1d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        tf.layers.globalAveragePooling1d(),
        tf.layers.dense({ units: classes }),
      ],
    });
    const optimizer = tf.train.adam(0.02);
    const { x, labels } = toyBatch(81, size, frames, channels, classes);
    const step = (): number => {
      const cost = optimizer.minimize(
        () => {
          const inputs = tf.tensor3d(x, [size, frames, channels]);
          const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
          const logits = model.apply(inputs, { training: true }) as tf.Tensor;
          return tf.losses.softmaxCrossEntropy(targets, logits);
        },
        true,
      )!;
      const value = cost.dataSync()[0];
      cost.dispose();
      return value;
    };
    const firstLoss = step();
    const tensorsAfterFirstStep = tf.memory().numTensors;
    const dataAfterFirstStep = tf.backend().numDataIds();
    let lastLoss = firstLoss;
    for (let i = 0; i < 30; i++) {
      lastLoss = step();
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    expect(tf.backend().numDataIds()).toBe(dataAfterFirstStep);
    expect(lastLoss).toBeLessThan(firstLoss * 0.2);
    model.dispose();
    optimizer.dispose();
  });
});
