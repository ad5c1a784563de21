import {
  backend_util,
  util,
  type KernelConfig,
  type KernelFunc,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { withShape } from './wasmKernel.js';

/** The shape with each run of neighbouring axes that are all summed, or all kept, merged into one axis. */
function mergeRuns(shape: number[], summedAxes: number[]): { shape: number[]; summedAxes: number[] } {
  const merged: number[] = [];
  const mergedSummed: number[] = [];
  shape.forEach((size, axis) => {
    const isSummed = summedAxes.includes(axis);
    if (axis > 0 && isSummed === summedAxes.includes(axis - 1)) {
      merged[merged.length - 1] *= size;
    } else {
      merged.push(size);
      if (isSummed) {
        mergedSummed.push(merged.length - 1);
      }
    }
  });
  return { shape: merged, summedAxes: mergedSummed };
}

/**
 * The wasm Sum, run on the input with merged axes. It moves the summed axes last with a transpose that is
 * several times faster in 2-D than in higher ranks, and merging makes the commonest training reduction,
 * the bias gradient (a sum over every axis but the last), 2-D.
 */
export function mergedAxesSumConfig(stock: KernelConfig): KernelConfig {
  function sum({ inputs, backend, attrs }: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: SumAttrs }) {
    const { x } = inputs;
    const summedAxes = util.parseAxisParam(attrs.axis, x.shape);
    const merged = mergeRuns(x.shape, summedAxes);
    const result = stock.kernelFunc({
      inputs: { x: withShape(x, merged.shape) },
      backend,
      attrs: { axis: merged.summedAxes, keepDims: false },
    }) as TensorInfo;
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, summedAxes);
    return withShape(result, attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, summedAxes) : outShape);
  }
  return { ...stock, kernelFunc: sum as unknown as KernelFunc };
}
