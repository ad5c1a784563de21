import {
  Mean,
  backend_util,
  broadcastTo,
  div,
  reshape,
  util,
  type GradConfig,
  type MeanAttrs,
  type NamedAttrMap,
  type Tensor,
} from '@tensorflow/tfjs';

/**
 * Mean's gradient, as tfjs-core's, but with dy / n broadcast to x's shape by the backend's Tile kernel:
 * tfjs-core multiplies it by ones that it fills in JavaScript and uploads on every step, and global
 * average pooling takes the mean of one of the largest activations in the network.
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
      x: () => broadcastTo(div(reshape(dy, keptShape), util.sizeFromShape(reduceShape)), x.shape),
    };
  },
};
