import { getKernel, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Runs another wasm kernel synchronously from inside a kernel, bypassing the engine (no tape, no tensor tracking). */
export function runWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (kernel === undefined) {
    throw new Error(`The wasm backend has no ${kernelName} kernel.`);
  }
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** The same data seen with another shape of equal size, as the wasm Reshape kernel does without copying. */
export function withShape(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, dtype: info.dtype, shape };
}

/**
 * A view of a tensor's float32 data on the wasm heap. Take it after the last allocation of the kernel:
 * growing the heap detaches earlier views.
 */
export function heapFloats(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/**
 * The whole wasm heap as float32, so that copies between tensors can use copyWithin (a memmove, with no
 * view allocated per copy); index it with floatOffset. Same caveat as heapFloats about heap growth.
 */
export function heapAsFloats(backend: BackendWasm): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

export function floatOffset(backend: BackendWasm, info: TensorInfo): number {
  return backend.getMemoryOffset(info.dataId) / Float32Array.BYTES_PER_ELEMENT;
}

/**
 * A tensor registered on part of another tensor's data, from `floatsIn` floats past its start, so that a
 * wasm kernel can read a shifted window without a copy. Release it with releaseView, never with
 * disposeData, which would free memory the view does not own.
 */
export function viewInto(backend: BackendWasm, info: TensorInfo, floatsIn: number, shape: number[]): TensorInfo {
  const byteOffset = backend.getMemoryOffset(info.dataId) + floatsIn * Float32Array.BYTES_PER_ELEMENT;
  return backend.makeOutput(shape, 'float32', byteOffset);
}

export function releaseView(backend: BackendWasm, view: TensorInfo): void {
  backend.wasm.tfjs.disposeData(backend.dataIdMap.get(view.dataId)!.id);
  backend.dataIdMap.delete(view.dataId);
}
