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
  const gridRowLength = gridWidth * outChannels;
  const outputRowLength = outWidth * outChannels;
  // Only the positions no output lands on are zeroed: with unit strides that is a thin margin, and filling
  // the whole grid first would double the memory traffic.
  for (let b = 0; b < batchSize; b++) {
    for (let gh = 0; gh < gridHeight; gh++) {
      const rowStart = target + (b * gridHeight + gh) * gridRowLength;
      const oh = gh / strideHeight;
      if (!Number.isInteger(oh) || oh >= outHeight) {
        heap.fill(0, rowStart, rowStart + gridRowLength);
        continue;
      }
      const from = source + (b * outHeight + oh) * outputRowLength;
      if (strideWidth === 1) {
        heap.copyWithin(rowStart, from, from + outputRowLength);
        heap.fill(0, rowStart + outputRowLength, rowStart + gridRowLength);
        continue;
      }
      heap.fill(0, rowStart, rowStart + gridRowLength);
      for (let ow = 0; ow < outWidth; ow++) {
        const pixel = from + ow * outChannels;
        heap.copyWithin(rowStart + ow * strideWidth * outChannels, pixel, pixel + outChannels);
      }
    }
  }
  return grid;
}
