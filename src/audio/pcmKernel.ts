/**
 * 16-bit PCM to mono float samples in −1 … 1, as a WebAssembly SIMD function assembled from its opcodes
 * (util/wasm.ts), for the two forms nearly every corpus comes in:
 *   stereo: mono[f] = (left[f] + right[f]) / 65536   (i32x4.extadd_pairwise_i16x8_s adds the two channels
 *           of four frames in one instruction: 8 samples in, 4 out)
 *   mono:   mono[f] = pcm[f] / 32768                  (8 samples widened to two i32x4, converted, scaled)
 * The plain loop in wav.ts computes the same, one frame a step, where wasm SIMD is missing; both are exact
 * (an int16 sum over 65536 is a float32 without rounding).
 */
import { ensureMemory, instantiate, op, whileLoop, type WasmFunction } from '../util/wasm.js';

export interface PcmKernel {
  memory: WebAssembly.Memory;
  /** Converts the frames in [input, …) to floats at [output, outputEnd), four (stereo) or eight (mono) a step; channels 1 or 2. */
  run(input: number, output: number, outputEnd: number, channels: number): void;
}

const [INPUT, OUTPUT, OUTPUT_END, CHANNELS] = [0, 1, 2, 3];
const VECTOR = 16;

function pcmFunction(): WasmFunction {
  const advance = (local: number, bytes: number) => [...op.localGet(local), ...op.i32Const(bytes), ...op.i32Add, ...op.localSet(local)];
  const more = [...op.localGet(OUTPUT), ...op.localGet(OUTPUT_END), ...op.i32LtU];
  const scaled = (widen: number[], scale: number) => [...op.localGet(INPUT), ...op.v128Load(0), ...widen, ...op.f32x4ConvertI32x4S, ...op.f32x4Const(scale), ...op.f32x4Mul];
  const stereo = whileLoop(more, [
    ...op.localGet(OUTPUT), ...scaled(op.i32x4ExtaddPairwiseI16x8S, 1 / 65536), ...op.v128Store(0),
    ...advance(INPUT, VECTOR), ...advance(OUTPUT, VECTOR),
  ]);
  const mono = whileLoop(more, [
    ...op.localGet(OUTPUT), ...scaled(op.i32x4ExtendLowI16x8S, 1 / 32768), ...op.v128Store(0),
    ...op.localGet(OUTPUT), ...scaled(op.i32x4ExtendHighI16x8S, 1 / 32768), ...op.v128Store(VECTOR),
    ...advance(INPUT, VECTOR), ...advance(OUTPUT, 2 * VECTOR),
  ]);
  const body = [...op.localGet(CHANNELS), ...op.i32Const(2), ...op.i32Eq, ...op.if, ...stereo, ...op.else, ...mono, ...op.end];
  return { name: 'pcm', params: 4, locals: { i32: 0, v128: 0 }, body };
}

let defaultKernel: PcmKernel | null | undefined;

/** The SIMD kernel, shared; null where the engine lacks wasm SIMD. */
export function pcmKernel(): PcmKernel | null {
  if (defaultKernel === undefined) {
    const module = instantiate<{ pcm: PcmKernel['run'] }>([pcmFunction()]);
    defaultKernel = module ? { memory: module.memory, run: module.pcm } : null;
  }
  return defaultKernel;
}

/** Frames converted per call: bounds the memory. */
const CHUNK_FRAMES = 1 << 16;

/** mono[f] for every frame of `pcm` (interleaved, `channels` 1 or 2), into `mono` (its length: the frame count). */
export function pcm16ToMono(kernel: PcmKernel, pcm: Int16Array, channels: 1 | 2, mono: Float32Array): Float32Array {
  const inputBytes = 2 * channels * CHUNK_FRAMES;
  const output = inputBytes;
  // A last step past `count` reads and writes up to two vectors beyond it.
  ensureMemory(kernel.memory, output + 4 * CHUNK_FRAMES + 2 * VECTOR);
  const bytes = new Uint8Array(kernel.memory.buffer);
  const floats = new Float32Array(kernel.memory.buffer);
  for (let first = 0; first < mono.length; first += CHUNK_FRAMES) {
    const count = Math.min(CHUNK_FRAMES, mono.length - first);
    const chunk = pcm.subarray(channels * first, channels * (first + count));
    bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), 0);
    // Whole steps: the last may convert a few stale frames past `count`, which are not copied out.
    kernel.run(0, output, output + 4 * count, channels);
    mono.set(floats.subarray(output >> 2, (output >> 2) + count), first);
  }
  return mono;
}
