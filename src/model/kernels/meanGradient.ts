import {
  Mean,
  backend_util,
  div,
  fill,
  mul,
  reshape,
  util,
  type GradConfig,
  type MeanAttrs,
  type NamedAttrMap,
  type Tensor,
} from '@tensorflow/tfjs';

/**
 * Mean's gradient, as tfjs-core's, but with the ones that broadcast dy / n to x's shape made by the
 * backend's Fill kernel: tfjs-core fills them in JavaScript and uploads them on every step, and global
 * average pooling takes the mean of one of the largest activations in the network. (Broadcasting with
 * tf.broadcastTo instead would run wasm's Tile kernel, slower still.)
 */
export const meanGradientConfig: GradConfig = {
  kernelName: Mean,
  inputsToSave: ['x'],
  gradFunc: (outputGradient: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = outputGradient as Tensor;
    const [x] = saved;
    const axes = util.parseAxisParam((attrs as unknown as MeanAttrs).axis, x.shape);
    const [, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const keptShape = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
    return {
      x: () => mul(div(reshape(dy, keptShape), util.sizeFromShape(reduceShape)), fill(x.shape, 1, 'float32')),
    };
  },
};
