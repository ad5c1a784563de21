import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, dropQuietFrames, framesReaching, quietFloor, type FeatureConfig, type FeatureMatrix } from '../src/features/index.js';
import { activeFrames, modelInputs } from '../src/infer/inputs.js';
import { argMax } from '../src/infer/infer.js';

// An MFCC matrix whose column 0 is sqrt(bins) × the frame's mean log mel energy, so frameLogEnergy reads back `energies`.
function mfccFrames(config: FeatureConfig, energies: number[], dims = 3): FeatureMatrix {
  const data = new Float32Array(energies.length * dims);
  energies.forEach((energy, t) => {
    data[t * dims] = energy * Math.sqrt(config.numMelBins);
    for (let d = 1; d < dims; d++) data[t * dims + d] = t * 10 + d;
  });
  return { frames: energies.length, dims, data };
}

describe('model inputs (src/infer)', () => {
  const config: FeatureConfig = { ...DEFAULT_FEATURE_CONFIG, kind: 'mfcc' };
  // 10 dB is ln(10) in natural-log power: the floor of a 10 dB threshold under a loudest frame of 5 is 5 − ln 10 ≈ 2.697.
  const energies = [5, 1, 3, 2.5, 4];

  it('puts the quiet floor thresholdDb under the loudest frame', () => {
    expect(quietFloor(Float32Array.from(energies), 10)).toBeCloseTo(5 - Math.LN10, 12);
  });

  it('keeps the frames reaching the floor, within a span when one is given', () => {
    const matrix = mfccFrames(config, energies);
    const energy = Float32Array.from(energies);
    expect(Array.from(framesReaching(matrix, energy, 2.7).data.filter((_, i) => i % 3 === 1))).toEqual([1, 21, 41]);
    expect(Array.from(framesReaching(matrix, energy, 2.7, 1, 4).data.filter((_, i) => i % 3 === 1))).toEqual([21]);
    expect(framesReaching(matrix, energy, 0)).toBe(matrix);
    expect(dropQuietFrames(matrix, config, 10).frames).toBe(3);
  });

  it('drops quiet frames by the card threshold, then applies the card normalisation', () => {
    const matrix = mfccFrames(config, energies);
    const normalisation = { mode: 'corpus' as const, mean: [1, 2, 3], std: [2, 4, 8], fittedOn: 'test', activeFrameThresholdDb: 10 };
    const [input] = modelInputs([matrix], { featureConfig: config, normalisation });
    const [active] = activeFrames([matrix], config, 10);
    expect(input.frames).toBe(3);
    active.data.forEach((value, i) => expect(input.data[i]).toBeCloseTo((value - normalisation.mean[i % 3]) / normalisation.std[i % 3], 5));
  });

  it('argMax takes the first of equal largest values', () => {
    expect(argMax([0.1, 0.4, 0.4, 0.1])).toBe(1);
  });
});
