import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { readRegularFile, writeFileAtomic } from '../util/fs.js';
import { InvalidFileError, parseJsonBytes, parseWith } from '../util/validate.js';

const headerSchema = z.array(z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()) }));
const MAX_TENSOR_FILE_BYTES = 2 * 1024 ** 3;
const DAMAGED = 'the file is damaged: delete it (for a checkpoint, the checkpoints folder) and train again';

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

/** Reads a file of saveTensors, checking its header and that the values it declares are all there. */
export async function loadTensors(path: string): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const bytes = await readRegularFile(path, MAX_TENSOR_FILE_BYTES);
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) throw new InvalidFileError(path, '', 'has no header line', DAMAGED);
  const header = parseWith(headerSchema, parseJsonBytes(bytes.subarray(0, newline), path, DAMAGED), path, DAMAGED);
  let offset = newline + 1;
  while (offset % 4 !== 0) offset++;
  const declared = header.reduce((total, { shape }) => total + shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.length - offset !== 4 * declared) {
    throw new InvalidFileError(path, '', `holds ${bytes.length - offset} bytes of values where its header declares ${4 * declared}`, DAMAGED);
  }
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.length));
  let position = 0;
  return header.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(floats.subarray(position, position + size), shape, 'float32');
    position += size;
    return { name, tensor };
  });
}
