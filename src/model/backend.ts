import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerGradientOverrides, registerWasmGradientKernels } from './kernels/index.js';

export type BackendChoice = 'node' | 'wasm' | 'cpu';

/** Fastest first. */
const BACKEND_CHOICES: readonly BackendChoice[] = ['node', 'wasm', 'cpu'];

async function activate(backendName: string): Promise<string> {
  if (!(await tf.setBackend(backendName))) {
    throw new Error(`tf.setBackend('${backendName}') failed to initialise it`);
  }
  return tf.getBackend();
}

async function useNode(): Promise<string> {
  // A variable specifier keeps TypeScript from requiring the optional package at compile time.
  const nodeBindings = '@tensorflow/tfjs-node';
  await import(nodeBindings);
  return activate('tensorflow');
}

async function useWasm(): Promise<string> {
  // Resolved from the package itself so that the binaries are found whatever the working directory.
  const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(`${wasmDist}${sep}`);
  return activate('wasm');
}

const BACKENDS: Record<BackendChoice, () => Promise<string>> = {
  node: useNode,
  wasm: useWasm,
  cpu: () => activate('cpu'),
};

/** The choice that selects the backend now in use (tfjs-node registers itself as 'tensorflow'), for worker threads to select the same. */
export function activeBackendChoice(): BackendChoice {
  const name = tf.getBackend();
  return name === 'tensorflow' ? 'node' : (name as BackendChoice);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Makes the preferred backend the active one, or without a preference the fastest that loads: tfjs-node,
 * then wasm, then cpu. A preference that cannot be met is an error rather than a silent fallback.
 * Registers the project's gradient overrides and wasm kernels first. Returns the name of the backend in
 * use ('tensorflow' for tfjs-node).
 */
export async function selectBackend(preferred?: BackendChoice): Promise<string> {
  registerGradientOverrides();
  registerWasmGradientKernels();
  if (preferred !== undefined) {
    if (!BACKEND_CHOICES.includes(preferred)) {
      throw new Error(`Unknown backend '${preferred}'; expected one of ${BACKEND_CHOICES.join(', ')}.`);
    }
    try {
      return await BACKENDS[preferred]();
    } catch (error) {
      throw new Error(`The ${preferred} backend is unavailable: ${reason(error)}`, { cause: error });
    }
  }
  const failures: string[] = [];
  for (const choice of BACKEND_CHOICES) {
    try {
      return await BACKENDS[choice]();
    } catch (error) {
      failures.push(`${choice}: ${reason(error)}`);
    }
  }
  throw new Error(`No tfjs backend could be started (${failures.join('; ')}).`);
}
