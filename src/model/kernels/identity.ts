import {
  Identity,
  type CastAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

// Sharing is safe because tensor data is never written in place (even Variable.assign swaps in new data).
function share(backend: BackendWasm, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Identity sharing the data, as the cpu backend does, instead of copying it as the wasm backend does. The
 * engine clones every tensor it keeps for the backward pass through this kernel, so the copy cost a full
 * pass over each saved activation per training step.
 */
export const wasmSharedIdentityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend }: { inputs: { x: TensorInfo }; backend: BackendWasm }) =>
    share(backend, inputs.x)) as unknown as KernelFunc,
};

/** The wasm Cast, sharing the data of a cast to the same type (relu's gradient casts every activation so). */
export function sharingCastConfig(stock: KernelConfig): KernelConfig {
  function cast(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: CastAttrs }): TensorInfo {
    const { inputs, backend, attrs } = args;
    return inputs.x.dtype === attrs.dtype ? share(backend, inputs.x) : (stock.kernelFunc(args as never) as TensorInfo);
  }
  return { ...stock, kernelFunc: cast as unknown as KernelFunc };
}
