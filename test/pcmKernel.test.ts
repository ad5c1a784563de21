import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pcm16ToMono, pcmKernel } from '../src/audio/pcmKernel.js';
import { decodeWavBuffer } from '../src/audio/wav.js';

// The wasm SIMD 16-bit PCM kernel against the plain formula on real speech: both exact, so equal to the bit.
const espeakPath = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures/mfcc/espeak-en.wav');
const speech = Int16Array.from(decodeWavBuffer(readFileSync(espeakPath), espeakPath).samples, (sample) => Math.round(sample * 32768));

/** Speech long enough to cross the kernel's chunk of 65536 frames, cut to a length that is no multiple of 8. */
function longSpeech(frames: number): Int16Array {
  const out = new Int16Array(frames);
  for (let f = 0; f < frames; f++) out[f] = speech[f % speech.length];
  return out;
}

/** A 16-bit PCM WAV of `channels` interleaved channels at `rate`. */
function wav(pcm: Int16Array, channels: number, rate: number): Uint8Array {
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset: number, value: string) => [...value].forEach((c, i) => header.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  header.setUint32(4, 36 + pcm.byteLength, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  header.setUint32(16, 16, true);
  header.setUint16(20, 1, true);
  header.setUint16(22, channels, true);
  header.setUint32(24, rate, true);
  header.setUint32(28, rate * 2 * channels, true);
  header.setUint16(32, 2 * channels, true);
  header.setUint16(34, 16, true);
  text(36, 'data');
  header.setUint32(40, pcm.byteLength, true);
  const bytes = new Uint8Array(44 + pcm.byteLength);
  bytes.set(new Uint8Array(header.buffer), 0);
  bytes.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), 44);
  return bytes;
}

describe('16-bit PCM kernel', () => {
  const kernel = pcmKernel();
  const frames = 70001;

  it('Node has wasm SIMD, so WAVs take the kernel', () => {
    expect(kernel).not.toBeNull();
  });

  it('stereo: (left + right) / 65536 for every frame, across the chunk boundary', () => {
    const left = longSpeech(frames);
    const right = left.map((_, f) => left[frames - 1 - f]);
    const interleaved = new Int16Array(2 * frames);
    for (let f = 0; f < frames; f++) [interleaved[2 * f], interleaved[2 * f + 1]] = [left[f], right[f]];
    const mono = pcm16ToMono(kernel!, interleaved, 2, new Float32Array(frames));
    const expected = Float32Array.from(left, (value, f) => (value + right[f]) / 65536);
    expect(mono).toEqual(expected);
    expect(decodeWavBuffer(wav(interleaved, 2, 16000), 'stereo.wav').samples).toEqual(expected);
  });

  it('mono: pcm / 32768 for every frame, extremes included', () => {
    const pcm = longSpeech(frames);
    pcm.set([-32768, 32767, 0, -1], 1000);
    const mono = pcm16ToMono(kernel!, pcm, 1, new Float32Array(frames));
    const expected = Float32Array.from(pcm, (value) => value / 32768);
    expect(mono).toEqual(expected);
    expect(mono[1000]).toBe(-1);
    expect(decodeWavBuffer(wav(pcm, 1, 16000), 'mono.wav').samples).toEqual(expected);
  });

  it('a 48 kHz stereo file decodes to 16 kHz the same whether its samples came through the kernel or not', () => {
    const left = longSpeech(3 * 16000 + 5);
    const interleaved = new Int16Array(2 * left.length);
    left.forEach((value, f) => interleaved.set([value, value >> 1], 2 * f));
    const viaKernel = decodeWavBuffer(wav(interleaved, 2, 48000), 'a.wav').samples;
    const mono = Float32Array.from(left, (value) => (value + (value >> 1)) / 65536);
    const monoWav = wav(Int16Array.from(mono, (value) => value * 32768), 1, 48000);
    expect(viaKernel.length).toBe(16000 + 2);
    // The mono file holds the average rounded to int16, so the two agree to within half a step of 16 bits.
    const reference = decodeWavBuffer(monoWav, 'b.wav').samples;
    let worst = 0;
    viaKernel.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - reference[i]))));
    expect(worst).toBeLessThan(2 ** -15);
  });
});
