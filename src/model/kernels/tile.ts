import {
  util,
  type KernelConfig,
  type KernelFunc,
  type TileAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface Tiling {
  heap: Uint8Array;
  inputShape: number[];
  reps: number[];
  /** Bytes between neighbours along each axis, in the input and in the output. */
  inputStrides: number[];
  outputStrides: number[];
}

/** Repeats the bytes [start, start + length) `times` times in a row, doubling what is done at each copy. */
function repeat(heap: Uint8Array, start: number, length: number, times: number): void {
  const total = length * times;
  for (let done = length; done < total; done += Math.min(done, total - done)) {
    heap.copyWithin(start + done, start, start + Math.min(done, total - done));
  }
}

/** Writes the tiled block of axes `axis`.. of the input block at `from` to the output block at `to`. */
function tileBlock(tiling: Tiling, axis: number, from: number, to: number): void {
  const { heap, inputShape, reps, inputStrides, outputStrides } = tiling;
  const size = inputShape[axis];
  if (axis === inputShape.length - 1) {
    heap.copyWithin(to, from, from + size * inputStrides[axis]);
  } else {
    for (let i = 0; i < size; i++) {
      tileBlock(tiling, axis + 1, from + i * inputStrides[axis], to + i * outputStrides[axis]);
    }
  }
  repeat(heap, to, size * outputStrides[axis], reps[axis]);
}

/**
 * Tile by whole-block copies: each block of the input is written once, then doubled in place until it
 * repeats as often as asked. The wasm backend's own Tile computes the source of every element and takes
 * tens of milliseconds to broadcast a [32, 1, 64] gradient over 150 frames. Stock for strings.
 */
export function blockCopyTileConfig(stock: KernelConfig): KernelConfig {
  function tile(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: TileAttrs }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype === 'string') {
      return stock.kernelFunc(args as never) as TensorInfo;
    }
    const rank = x.shape.length;
    const outShape = x.shape.map((size, axis) => size * attrs.reps[axis]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (util.sizeFromShape(outShape) === 0) {
      return out;
    }
    const bytes = util.bytesPerElement(x.dtype);
    if (rank === 0) {
      const from = backend.getMemoryOffset(x.dataId);
      backend.wasm.HEAPU8.copyWithin(backend.getMemoryOffset(out.dataId), from, from + bytes);
      return out;
    }
    const inputStrides = new Array<number>(rank);
    const outputStrides = new Array<number>(rank);
    for (let axis = rank - 1, inputStride = bytes, outputStride = bytes; axis >= 0; axis--) {
      inputStrides[axis] = inputStride;
      outputStrides[axis] = outputStride;
      inputStride *= x.shape[axis];
      outputStride *= outShape[axis];
    }
    const tiling = { heap: backend.wasm.HEAPU8, inputShape: x.shape, reps: attrs.reps, inputStrides, outputStrides };
    tileBlock(tiling, 0, backend.getMemoryOffset(x.dataId), backend.getMemoryOffset(out.dataId));
    return out;
  }
  return { ...stock, kernelFunc: tile as unknown as KernelFunc };
}
