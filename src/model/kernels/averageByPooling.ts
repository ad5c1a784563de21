import { AvgPool, util, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runWasmKernel, withShape } from './wasmKernel.js';

/** The shape with each run of neighbouring axes that are all reduced, or all kept, merged into one axis. */
export function mergeRuns(shape: number[], reducedAxes: number[]): { shape: number[]; reducedAxes: number[] } {
  const merged: number[] = [];
  const mergedReduced: number[] = [];
  shape.forEach((size, axis) => {
    const isReduced = reducedAxes.includes(axis);
    if (axis > 0 && isReduced === reducedAxes.includes(axis - 1)) {
      merged[merged.length - 1] *= size;
    } else {
      merged.push(size);
      if (isReduced) {
        mergedReduced.push(merged.length - 1);
      }
    }
  });
  return { shape: merged, reducedAxes: mergedReduced };
}

/**
 * The float32 tensor `x` averaged over `axes`, flat, where those axes are one run that the last axis
 * follows: [outer, reduced, inner] is then an image [outer, reduced, 1, inner] and its average one
 * window of the wasm AvgPool, which XNNPACK runs along contiguous memory, several times faster than the
 * wasm Mean and Sum, which transpose the reduced axes last first. That covers the reductions training
 * runs most: bias gradients (every axis but the channels) and global average pooling (time). Null for
 * any other reduction. (The wasm AvgPool keeps one operator per window size for good; there are as
 * many as distinct reduced sizes, so a few per training run.)
 */
export function averageByPooling(backend: BackendWasm, x: TensorInfo, axes: number[]): TensorInfo | null {
  const merged = mergeRuns(x.shape, axes);
  const [reducedAxis] = merged.reducedAxes;
  if (
    x.dtype !== 'float32' ||
    util.sizeFromShape(x.shape) === 0 ||
    merged.reducedAxes.length !== 1 ||
    reducedAxis === merged.shape.length - 1 ||
    // XNNPACK refuses a window of one pixel.
    merged.shape[reducedAxis] < 2
  ) {
    return null;
  }
  const outer = reducedAxis === 0 ? 1 : merged.shape[0];
  const reduced = merged.shape[reducedAxis];
  const inner = merged.shape[reducedAxis + 1];
  const average = runWasmKernel(
    backend,
    AvgPool,
    { x: withShape(x, [outer, reduced, 1, inner]) },
    { filterSize: [reduced, 1], strides: [reduced, 1], pad: 'valid' },
  );
  return withShape(average, [outer * inner]);
}
