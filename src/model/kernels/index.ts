// The wasm package registers its kernels when first imported; ours must come after to replace some of them.
import '@tensorflow/tfjs-backend-wasm';
import {
  Cast,
  Mean,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  Sum,
  Tile,
  getKernel,
  registerGradient,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs';
import { wasmConv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { fastConv2dBackpropInputConfig } from './conv2dBackpropInput.js';
import { conv2dGradientConfig } from './conv2dGradient.js';
import { sharingCastConfig, wasmSharedIdentityConfig } from './identity.js';
import { wasmMaxPoolGradConfig } from './maxPoolGrad.js';
import { meanGradientConfig } from './meanGradient.js';
import { fastMeanConfig } from './mean.js';
import { fastSumConfig } from './sum.js';
import { blockCopyTileConfig } from './tile.js';

function stockWasmKernel(kernelName: string): KernelConfig {
  const kernel = getKernel(kernelName, 'wasm');
  if (kernel === undefined) {
    throw new Error(`The wasm backend has no ${kernelName} kernel to build on.`);
  }
  return kernel;
}

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) !== undefined) {
    unregisterKernel(config.kernelName, config.backendName);
  }
  registerKernel(config);
}

/**
 * Makes training on the wasm backend possible and fast: adds the Conv2DBackpropFilter kernel it lacks
 * (without which no convolution layer trains), and replaces kernels that training leans on and that it
 * runs slowly: Conv2DBackpropInput and MaxPoolGrad, Identity and same-type Cast (which copy), Sum and
 * Mean (slow for bias gradients and average pooling), and Tile (slow for any broadcast). Safe to call
 * more than once.
 */
export function registerWasmGradientKernels(): void {
  if (getKernel(Conv2DBackpropFilter, 'wasm') === wasmConv2dBackpropFilterConfig) {
    return;
  }
  replaceKernel(fastConv2dBackpropInputConfig(stockWasmKernel(Conv2DBackpropInput)));
  replaceKernel(fastSumConfig(stockWasmKernel(Sum)));
  replaceKernel(fastMeanConfig(stockWasmKernel(Mean)));
  replaceKernel(blockCopyTileConfig(stockWasmKernel(Tile)));
  replaceKernel(sharingCastConfig(stockWasmKernel(Cast)));
  replaceKernel(wasmMaxPoolGradConfig);
  replaceKernel(wasmSharedIdentityConfig);
  // Last: its presence marks the registration as done.
  replaceKernel(wasmConv2dBackpropFilterConfig);
}

/**
 * Replaces two of tfjs-core's gradients, for every backend: Conv2D's, which refuses dilations, and Mean's,
 * which builds a tensor of ones in JavaScript on every step.
 */
export function registerGradientOverrides(): void {
  registerGradient(conv2dGradientConfig);
  registerGradient(meanGradientConfig);
}
