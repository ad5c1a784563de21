import {
  backend_util,
  util,
  type KernelConfig,
  type KernelFunc,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { averageByPooling, mergeRuns } from './averageByPooling.js';
import { heapFloats, withShape } from './wasmKernel.js';

/**
 * The wasm Sum, as an average pooling times the count where averageByPooling applies (the bias
 * gradients); otherwise run on the input with merged axes. It moves the summed axes last with a
 * transpose that is several times faster in 2-D than in higher ranks.
 */
export function fastSumConfig(stock: KernelConfig): KernelConfig {
  function sum({ inputs, backend, attrs }: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: SumAttrs }) {
    const { x } = inputs;
    const summedAxes = util.parseAxisParam(attrs.axis, x.shape);
    const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, summedAxes);
    const shape = attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, summedAxes) : outShape;
    const average = averageByPooling(backend, x, summedAxes);
    if (average !== null) {
      const count = util.sizeFromShape(reduceShape);
      const values = heapFloats(backend, average);
      for (let i = 0; i < values.length; i++) {
        values[i] *= count;
      }
      return withShape(average, shape);
    }
    const merged = mergeRuns(x.shape, summedAxes);
    const result = stock.kernelFunc({
      inputs: { x: withShape(x, merged.shape) },
      backend,
      attrs: { axis: merged.reducedAxes, keepDims: false },
    }) as TensorInfo;
    return withShape(result, shape);
  }
  return { ...stock, kernelFunc: sum as unknown as KernelFunc };
}
