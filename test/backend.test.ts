import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectBackend, type BackendChoice } from '../src/model/backend.js';

async function nodeBindingsLoad(): Promise<boolean> {
  const nodeBindings = '@tensorflow/tfjs-node';
  return import(nodeBindings).then(
    () => true,
    () => false,
  );
}

describe('selectBackend', () => {
  // First in the file: the wasm binaries are located when the backend first starts.
  it('starts wasm from any working directory and registers the gradient kernels', async () => {
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'ser-backend-')));
    try {
      expect(await selectBackend('wasm')).toBe('wasm');
    } finally {
      process.chdir(cwd);
    }
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('switches to cpu on request', async () => {
    expect(await selectBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('uses tfjs-node where it loads, and otherwise refuses it by name', async () => {
    if (await nodeBindingsLoad()) {
      expect(await selectBackend('node')).toBe('tensorflow');
    } else {
      await expect(selectBackend('node')).rejects.toThrow(/node backend is unavailable/);
    }
  });

  it('without a preference takes the fastest backend that loads', async () => {
    expect(await selectBackend()).toBe((await nodeBindingsLoad()) ? 'tensorflow' : 'wasm');
  });

  it('rejects an unknown backend name', async () => {
    await expect(selectBackend('webgpu' as BackendChoice)).rejects.toThrow(/Unknown backend 'webgpu'/);
  });
});
