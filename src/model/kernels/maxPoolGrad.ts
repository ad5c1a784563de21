import {
  MaxPoolGrad,
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapFloats } from './wasmKernel.js';

/**
 * Routes each output gradient to the input position that won its window (the first maximum, as the cpu
 * backend picks). One pass over the windows, where the wasm backend's own kernel loops over every input
 * position and every window that could contain it.
 */
function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo };
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const dx = backend.makeOutput(input.shape, 'float32');
  const inputValues = heapFloats(backend, input);
  const dyValues = heapFloats(backend, dy);
  const dxValues = heapFloats(backend, dx);
  dxValues.fill(0);
  // Per channel of the current window: the largest value so far and where it is. Channels are innermost,
  // so these run along contiguous memory.
  const bestValues = new Float32Array(channels);
  const bestIndices = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const top = oh * info.strideHeight - info.padInfo.top;
      const firstRow = Math.max(0, top);
      const endRow = Math.min(inHeight, top + info.filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const left = ow * info.strideWidth - info.padInfo.left;
        const firstColumn = Math.max(0, left);
        const endColumn = Math.min(inWidth, left + info.filterWidth);
        if (firstRow >= endRow || firstColumn >= endColumn) {
          continue;
        }
        const firstPixel = ((b * inHeight + firstRow) * inWidth + firstColumn) * channels;
        for (let c = 0; c < channels; c++) {
          bestValues[c] = inputValues[firstPixel + c];
          bestIndices[c] = firstPixel + c;
        }
        for (let ih = firstRow; ih < endRow; ih++) {
          for (let iw = ih === firstRow ? firstColumn + 1 : firstColumn; iw < endColumn; iw++) {
            const pixel = ((b * inHeight + ih) * inWidth + iw) * channels;
            for (let c = 0; c < channels; c++) {
              if (inputValues[pixel + c] > bestValues[c]) {
                bestValues[c] = inputValues[pixel + c];
                bestIndices[c] = pixel + c;
              }
            }
          }
        }
        const outputPixel = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) {
          dxValues[bestIndices[c]] += dyValues[outputPixel + c];
        }
      }
    }
  }
  return dx;
}

export const wasmMaxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
