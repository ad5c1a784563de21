import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Identity sharing the data, as the cpu backend does, instead of copying it as the wasm backend does. The
 * engine clones every tensor it keeps for the backward pass through this kernel, so the copy cost a
 * full pass over each saved activation per training step. Sharing is safe because tensor data is never
 * written in place (even Variable.assign swaps in new data).
 */
function sharedIdentity({ inputs, backend }: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { x } = inputs;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const wasmSharedIdentityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: sharedIdentity as unknown as KernelFunc,
};
