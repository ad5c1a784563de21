import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/fs.js';

/** A list of named float32 tensors in one file: a JSON header line, then the raw values. */
export async function saveTensors(path: string, tensors: { name: string; tensor: tf.Tensor }[]): Promise<void> {
  const header = JSON.stringify(tensors.map(({ name, tensor }) => ({ name, shape: tensor.shape })));
  const values = await Promise.all(tensors.map(({ tensor }) => tensor.data() as Promise<Float32Array>));
  const headerBytes = new TextEncoder().encode(`${header}\n`);
  const padding = (4 - (headerBytes.length % 4)) % 4;
  const total = values.reduce((n, v) => n + v.length, 0);
  const bytes = new Uint8Array(headerBytes.length + padding + total * 4);
  bytes.set(headerBytes);
  bytes.fill(0x20, headerBytes.length, headerBytes.length + padding);
  const floats = new Float32Array(bytes.buffer, headerBytes.length + padding, total);
  let offset = 0;
  for (const v of values) {
    floats.set(v, offset);
    offset += v.length;
  }
  await writeFileAtomic(path, bytes);
}

export async function loadTensors(path: string): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const bytes = new Uint8Array(await readFile(path));
  const newline = bytes.indexOf(0x0a);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, newline))) as { name: string; shape: number[] }[];
  let offset = newline + 1;
  while (offset % 4 !== 0) offset++;
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset));
  let position = 0;
  return header.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(floats.subarray(position, position + size), shape, 'float32');
    position += size;
    return { name, tensor };
  });
}
