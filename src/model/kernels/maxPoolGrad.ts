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
  // Without overlap each input position is in one window at most, so its gradient is written, not summed
  // (a read-modify-write that costs twice the time).
  const windowsOverlap = info.strideHeight < info.filterHeight || info.strideWidth < info.filterWidth;
  // Where each pixel of the current window starts, in reading order.
  const windowPixels = new Int32Array(Math.max(2, info.filterHeight * info.filterWidth));
  let outputPixel = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const top = oh * info.strideHeight - info.padInfo.top;
      const firstRow = Math.max(0, top);
      const endRow = Math.min(inHeight, top + info.filterHeight);
      for (let ow = 0; ow < outWidth; ow++, outputPixel += channels) {
        const left = ow * info.strideWidth - info.padInfo.left;
        const firstColumn = Math.max(0, left);
        const endColumn = Math.min(inWidth, left + info.filterWidth);
        let windowSize = 0;
        for (let ih = firstRow; ih < endRow; ih++) {
          for (let iw = firstColumn; iw < endColumn; iw++) {
            windowPixels[windowSize++] = ((b * inHeight + ih) * inWidth + iw) * channels;
          }
        }
        if (windowSize === 0) {
          continue;
        }
        const first = windowPixels[0];
        const second = windowPixels[1];
        for (let c = 0; c < channels; c++) {
          let best = first + c;
          // The second pixel outside the loop: for maxPooling1d's windows of two, a loop of one step per
          // channel costs a third of the kernel's time.
          if (windowSize > 1) {
            best += Number(inputValues[second + c] > inputValues[best]) * (second - first);
          }
          for (let p = 2; p < windowSize; p++) {
            const at = windowPixels[p] + c;
            // Arithmetic, not a branch: which of two activations is larger is a coin toss that the CPU
            // would mispredict half the time, which made this kernel several times slower.
            best += Number(inputValues[at] > inputValues[best]) * (at - best);
          }
          if (windowsOverlap) {
            dxValues[best] += dyValues[outputPixel + c];
          } else {
            dxValues[best] = dyValues[outputPixel + c];
          }
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
