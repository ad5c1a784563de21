import {
  BatchMatMul,
  Conv2DBackpropFilter,
  Transpose,
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapFloats, runWasmKernel, withShape } from './wasmKernel.js';

/**
 * Writes the input patches seen by each filter tap as rows: row (kh, kw, ci) holds, for every output position
 * (b, oh, ow), the input value that tap multiplies there (0 in the padding). `inputByChannel` is the input
 * laid out [inChannels, batch, height, width], so for stride 1 each row segment is one contiguous copy.
 */
function writePatchRows(inputByChannel: Float32Array, patchRows: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  const rowLength = batchSize * outHeight * outWidth;
  let row = 0;
  for (let kh = 0; kh < info.filterHeight; kh++) {
    for (let kw = 0; kw < info.filterWidth; kw++) {
      // Output columns whose input column kw + ow * strideWidth - padLeft lies inside the image.
      const firstColumn = Math.max(0, Math.ceil((padLeft - kw) / strideWidth));
      const endColumn = Math.min(outWidth, Math.floor((inWidth - 1 + padLeft - kw) / strideWidth) + 1);
      for (let ci = 0; ci < inChannels; ci++, row++) {
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const target = row * rowLength + (b * outHeight + oh) * outWidth;
            const ih = oh * strideHeight + kh - padTop;
            if (ih < 0 || ih >= inHeight || firstColumn >= endColumn) {
              patchRows.fill(0, target, target + outWidth);
              continue;
            }
            patchRows.fill(0, target, target + firstColumn);
            patchRows.fill(0, target + endColumn, target + outWidth);
            const source = ((ci * batchSize + b) * inHeight + ih) * inWidth + kw - padLeft;
            if (strideWidth === 1) {
              patchRows.set(inputByChannel.subarray(source + firstColumn, source + endColumn), target + firstColumn);
            } else {
              for (let ow = firstColumn; ow < endColumn; ow++) {
                patchRows[target + ow] = inputByChannel[source + ow * strideWidth];
              }
            }
          }
        }
      }
    }
  }
}

/**
 * dFilter[(kh, kw, ci), co] = sum over output positions of patch(kh, kw, ci) * dy[., co]: one plain matrix
 * product of the patch rows by dy seen as [positions, outChannels]. Both operands are laid out so that the
 * product needs no transpose flag, which the wasm BatchMatMul only supports through a far slower loop.
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
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const taps = info.filterHeight * info.filterWidth * info.inChannels;

  const inputByChannel = runWasmKernel(backend, Transpose, { x }, { perm: [3, 0, 1, 2] });
  const patchRows = backend.makeOutput([taps, positions], 'float32');
  writePatchRows(heapFloats(backend, inputByChannel), heapFloats(backend, patchRows), info);
  backend.disposeData(inputByChannel.dataId);

  const product = runWasmKernel(
    backend,
    BatchMatMul,
    { a: patchRows, b: withShape(dy, [positions, info.outChannels]) },
    { transposeA: false, transposeB: false },
  );
  backend.disposeData(patchRows.dataId);
  return withShape(product, filterShape);
}

export const wasmConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};
