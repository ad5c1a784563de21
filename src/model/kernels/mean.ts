import {
  backend_util,
  util,
  type KernelConfig,
  type KernelFunc,
  type MeanAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { averageByPooling } from './averageByPooling.js';
import { withShape } from './wasmKernel.js';

/** The wasm Mean, as an average pooling where averageByPooling applies (global average pooling); stock otherwise. */
export function fastMeanConfig(stock: KernelConfig): KernelConfig {
  function mean(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: MeanAttrs }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const axes = util.parseAxisParam(attrs.axis, x.shape);
    const average = averageByPooling(backend, x, axes);
    if (average === null) {
      return stock.kernelFunc(args as never) as TensorInfo;
    }
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    return withShape(average, attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape);
  }
  return { ...stock, kernelFunc: mean as unknown as KernelFunc };
}
