import {
  Conv2D,
  Conv2DBackpropInput,
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { spreadOverGrid } from './spread.js';
import { heapFloats, runWasmKernel } from './wasmKernel.js';

type BackpropInputArgs = {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropInputAttrs;
};

/**
 * The filter [kh, kw, ci, co] rotated by 180 degrees with its channel axes swapped: [KH-1-kh, KW-1-kw, co, ci].
 * One pass over a small array, where the wasm Transpose and Reverse kernels take milliseconds together.
 */
function rotatedFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [height, width, inChannels, outChannels] = filter.shape;
  const rotated = backend.makeOutput([height, width, outChannels, inChannels], 'float32');
  const source = heapFloats(backend, filter);
  const target = heapFloats(backend, rotated);
  let from = 0;
  for (let kh = 0; kh < height; kh++) {
    for (let kw = 0; kw < width; kw++) {
      const tap = ((height - 1 - kh) * width + (width - 1 - kw)) * outChannels * inChannels;
      for (let ci = 0; ci < inChannels; ci++) {
        for (let co = 0; co < outChannels; co++, from++) {
          target[tap + co * inChannels + ci] = source[from];
        }
      }
    }
  }
  return rotated;
}

/**
 * dx is the stride-1 convolution of the stride-spread dy with the filter rotated by 180 degrees and its
 * channel axes swapped, padded by (filter - 1 - forward padding) before and whatever keeps dx at the input
 * size after. That runs on the backend's fast forward convolution. Returns null where the forward padding
 * exceeds the filter (explicit paddings only), which that padding cannot express.
 */
function backpropInputByForwardConvolution(
  { inputs, backend }: BackpropInputArgs,
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  const { dy, filter } = inputs;
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } =
    info;
  const spreadHeight = (outHeight - 1) * strideHeight + 1;
  const spreadWidth = (outWidth - 1) * strideWidth + 1;
  const padTop = filterHeight - 1 - padInfo.top;
  const padLeft = filterWidth - 1 - padInfo.left;
  const padBottom = inHeight - spreadHeight - padTop + filterHeight - 1;
  const padRight = inWidth - spreadWidth - padLeft + filterWidth - 1;
  if (Math.min(padTop, padLeft, padBottom, padRight) < 0) {
    return null;
  }
  const rotated = rotatedFilter(backend, filter);
  const isStrided = strideHeight > 1 || strideWidth > 1;
  const spreadDy = isStrided ? spreadOverGrid(backend, dy, info, spreadHeight, spreadWidth) : dy;
  const dx = runWasmKernel(
    backend,
    Conv2D,
    { x: spreadDy, filter: rotated },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [padTop, padBottom],
        [padLeft, padRight],
        [0, 0],
      ],
      dilations: [1, 1],
      dataFormat: 'NHWC',
    },
  );
  backend.disposeData(rotated.dataId);
  if (isStrided) {
    backend.disposeData(spreadDy.dataId);
  }
  return dx;
}

/**
 * Replaces the wasm backend's own Conv2DBackpropInput, a direct loop about ten times slower than its
 * XNNPACK forward convolution, keeping it for the cases the forward convolution cannot express.
 */
export function fastConv2dBackpropInputConfig(original: KernelConfig): KernelConfig {
  function conv2dBackpropInput(args: BackpropInputArgs): TensorInfo {
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
    const info = backend_util.computeConv2DInfo(
      inputShape,
      args.inputs.filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    );
    const dx = info.dataFormat === 'channelsLast' ? backpropInputByForwardConvolution(args, info) : null;
    return dx ?? (original.kernelFunc(args as never) as TensorInfo);
  }
  return {
    kernelName: Conv2DBackpropInput,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: conv2dBackpropInput as unknown as KernelFunc,
  };
}
