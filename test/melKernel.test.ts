import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeWavBuffer } from '../src/audio/wav.js';
import { resample } from '../src/audio/resample.js';
import { extractFeatures, resolveFeatureConfig, type FeatureConfig } from '../src/features/index.js';
import { simdMelKernel } from '../src/features/melKernel.js';

// The wasm SIMD kernel (float32, one frame a lane: window, FFT, mel, log, DCT; then the deltas) against the frame-by-frame float64 path on real speech.
const espeakPath = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures/mfcc/espeak-en.wav');
const espeak = decodeWavBuffer(readFileSync(espeakPath), espeakPath).samples;

function difference(samples: Float32Array, config: FeatureConfig): { frames: number; maxAbs: number } {
  const kernel = simdMelKernel();
  if (!kernel) throw new Error('this Node has no wasm SIMD');
  const simd = extractFeatures(samples, config.sampleRate, config, kernel);
  const reference = extractFeatures(samples, config.sampleRate, config, null);
  expect([simd.frames, simd.dims]).toEqual([reference.frames, reference.dims]);
  let maxAbs = 0;
  for (let i = 0; i < simd.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(simd.data[i] - reference.data[i]));
  return { frames: simd.frames, maxAbs };
}

describe('SIMD mel kernel', () => {
  it('Node has wasm SIMD, so preprocessing takes the kernel', () => {
    expect(simdMelKernel()).toBeDefined();
  });

  const configs: [string, Partial<FeatureConfig>][] = [
    ['MFCC 13 + deltas (the default)', {}],
    ['MFCC 20 of 40 bins', { numMelBins: 40, numCeps: 20, deltas: false }],
    ['fbank 40', { kind: 'fbank', numMelBins: 40, deltas: false }],
    ['hamming, no DC removal, no pre-emphasis, 64 ms frames', { windowType: 'hamming', removeDcOffset: false, preemphasisCoefficient: 0, frameLengthMs: 64 }],
  ];
  for (const [title, overrides] of configs) {
    it(`${title}: within 2e-3 of the float64 path on speech`, () => {
      const { frames, maxAbs } = difference(espeak, resolveFeatureConfig(overrides));
      expect(frames).toBeGreaterThan(100);
      expect(maxAbs).toBeLessThan(2e-3);
    });
  }

  it('odd frame length and FFT of 1024 (22.05 kHz), a frame count that is not a multiple of 4', () => {
    // Upsampled 16 kHz speech leaves the top mel bin (8–11 kHz) empty, about 100 dB under the frame's peak,
    // where float32 rounding shows: 0.0075 in that log energy, 0.021 in the MFCCs made from it.
    const samples = resample(espeak, 16000, 22050).subarray(0, 22050 + 551 + 5 * 220);
    const { frames, maxAbs } = difference(samples, resolveFeatureConfig({ sampleRate: 22050 }));
    expect(frames % 4).not.toBe(0);
    expect(maxAbs).toBeLessThan(0.05);
  });

  it('a clip longer than one kernel call (1024 frames) matches across the chunk boundary', () => {
    const repeats = Math.ceil((1100 * 160) / espeak.length);
    const long = new Float32Array(repeats * espeak.length);
    for (let r = 0; r < repeats; r++) long.set(espeak, r * espeak.length);
    const { frames, maxAbs } = difference(long, resolveFeatureConfig());
    expect(frames).toBeGreaterThan(1024);
    expect(maxAbs).toBeLessThan(2e-3);
  });

  it('deltas of clips shorter than their reach (1, 3 and 6 frames): every neighbour is an edge frame', () => {
    for (const frames of [1, 3, 6]) {
      const { maxAbs } = difference(espeak.subarray(8000, 8000 + 400 + (frames - 1) * 160), resolveFeatureConfig());
      expect(maxAbs).toBeLessThan(2e-3);
    }
  });

  it('digital silence gives the log floor in both paths (within float32 rounding of c0 = √23 · ln 2^−23)', () => {
    const { maxAbs } = difference(new Float32Array(16000), resolveFeatureConfig());
    expect(maxAbs).toBeLessThan(1e-4);
  });
});
