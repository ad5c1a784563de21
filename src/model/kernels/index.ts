// The wasm package registers its kernels when first imported; ours must come after to replace some of them.
import '@tensorflow/tfjs-backend-wasm';
import {
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  getKernel,
  registerGradient,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs';
import { wasmConv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { fastConv2dBackpropInputConfig } from './conv2dBackpropInput.js';
import { conv2dGradientConfig } from './conv2dGradient.js';
import { wasmSharedIdentityConfig } from './identity.js';
import { wasmMaxPoolGradConfig } from './maxPoolGrad.js';

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) !== undefined) {
    unregisterKernel(config.kernelName, config.backendName);
  }
  registerKernel(config);
}

/**
 * Makes training on the wasm backend possible and fast: adds the Conv2DBackpropFilter kernel it lacks
 * (without which no convolution layer trains), and replaces its slow Conv2DBackpropInput and MaxPoolGrad
 * and its copying Identity (run on every tensor saved for the backward pass). Safe to call more than once.
 */
export function registerWasmGradientKernels(): void {
  if (getKernel(Conv2DBackpropFilter, 'wasm') !== undefined) {
    return;
  }
  const stockBackpropInput = getKernel(Conv2DBackpropInput, 'wasm');
  if (stockBackpropInput === undefined) {
    throw new Error('The wasm backend has no Conv2DBackpropInput kernel to fall back on.');
  }
  replaceKernel(fastConv2dBackpropInputConfig(stockBackpropInput));
  replaceKernel(wasmMaxPoolGradConfig);
  replaceKernel(wasmSharedIdentityConfig);
  registerKernel(wasmConv2dBackpropFilterConfig);
}

/** Replaces tfjs-core's Conv2D gradient with one that also handles dilations, for every backend. */
export function registerDilatedConv2dGradient(): void {
  registerGradient(conv2dGradientConfig);
}
