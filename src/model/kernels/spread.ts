import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { floatOffset, heapAsFloats } from './wasmKernel.js';

/**
 * dy [batch, outHeight, outWidth, outChannels] placed on a zero grid [batch, gridHeight, gridWidth,
 * outChannels] at the input positions its outputs start from, (oh * strideHeight, ow * strideWidth).
 * This turns a strided convolution's gradients into stride-1 ones.
 */
export function spreadOverGrid(
  backend: BackendWasm,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  gridHeight: number,
  gridWidth: number,
): TensorInfo {
  const { batchSize, outHeight, outWidth, outChannels, strideHeight, strideWidth } = info;
  const grid = backend.makeOutput([batchSize, gridHeight, gridWidth, outChannels], 'float32');
  const heap = heapAsFloats(backend);
  const source = floatOffset(backend, dy);
  const target = floatOffset(backend, grid);
  heap.fill(0, target, target + batchSize * gridHeight * gridWidth * outChannels);
  // With unit width stride a whole output row lands contiguously.
  const runLength = strideWidth === 1 ? outWidth : 1;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow += runLength) {
        const from = source + ((b * outHeight + oh) * outWidth + ow) * outChannels;
        const to = target + ((b * gridHeight + oh * strideHeight) * gridWidth + ow * strideWidth) * outChannels;
        heap.copyWithin(to, from, from + runLength * outChannels);
      }
    }
  }
  return grid;
}
