import {
  BatchMatMul,
  Conv2DBackpropFilter,
  PadV2,
  Transpose,
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { spreadOverGrid } from './spread.js';
import { floatOffset, heapAsFloats, releaseView, runWasmKernel, viewInto, withShape } from './wasmKernel.js';

/**
 * dFilter[kh, kw, ci, co] = sum over b, oh, ow of xPadded[b, oh*sh + kh, ow*sw + kw, ci] * dy[b, oh, ow, co].
 *
 * Index both by the position g = (b, h, w) on the padded input grid instead: dy placed on the grid at
 * (oh*sh, ow*sw) and zero elsewhere, and the input laid out [ci][g]. Then what tap (kh, kw) meets is the
 * input read from g + kh*gridWidth + kw: the input buffer itself, seen from that shift on as a [ci, grid]
 * matrix. So each tap's gradient is one plain [ci, grid] x [grid, co] matrix product on a view, with no
 * copy, and all of them share dy, which the wasm BatchMatMul packs only once (it caches that work per
 * right-hand tensor). A transpose flag would send it to a far slower loop. Grid positions that are not
 * outputs meet dy = 0, so whatever a shifted view reads there (the next channel, or a zero tail) adds
 * nothing.
 */
function conv2dBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got '${dataFormat}'.`);
  }
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, padInfo } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  // The padded input, grown where a rounding mode lets the last window run past its padding.
  const gridHeight = Math.max(inHeight + padInfo.top + padInfo.bottom, (outHeight - 1) * strideHeight + filterHeight);
  const gridWidth = Math.max(inWidth + padInfo.left + padInfo.right, (outWidth - 1) * strideWidth + filterWidth);
  const gridSize = batchSize * gridHeight * gridWidth;

  // [batch, height, width, inChannels] -> [inChannels, batch, height, width] is a 2-D transpose, which the
  // wasm Transpose runs several times faster than the same permutation in 4-D.
  const positions = batchSize * inHeight * inWidth;
  const inputByChannel = withShape(
    runWasmKernel(backend, Transpose, { x: withShape(x, [positions, inChannels]) }, { perm: [1, 0] }),
    [inChannels, batchSize, inHeight, inWidth],
  );
  // One extra zero channel: the tail that the views of the last channel shifted by a tap read into.
  const paddedInput = runWasmKernel(
    backend,
    PadV2,
    { x: inputByChannel },
    {
      paddings: [
        [0, 1],
        [0, 0],
        [padInfo.top, gridHeight - inHeight - padInfo.top],
        [padInfo.left, gridWidth - inWidth - padInfo.left],
      ],
      constantValue: 0,
    },
  );
  backend.disposeData(inputByChannel.dataId);
  const dyOnGrid = withShape(spreadOverGrid(backend, dy, info, gridHeight, gridWidth), [gridSize, outChannels]);

  const gradient = backend.makeOutput(filterShape, 'float32');
  const tapSize = inChannels * outChannels;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const shiftedInput = viewInto(backend, paddedInput, kh * gridWidth + kw, [inChannels, gridSize]);
      const tapGradient = runWasmKernel(
        backend,
        BatchMatMul,
        { a: shiftedInput, b: dyOnGrid },
        { transposeA: false, transposeB: false },
      );
      releaseView(backend, shiftedInput);
      const from = floatOffset(backend, tapGradient);
      const to = floatOffset(backend, gradient) + (kh * filterWidth + kw) * tapSize;
      heapAsFloats(backend).copyWithin(to, from, from + tapSize);
      backend.disposeData(tapGradient.dataId);
    }
  }
  backend.disposeData(paddedInput.dataId);
  backend.disposeData(dyOnGrid.dataId);
  return gradient;
}

export const wasmConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
