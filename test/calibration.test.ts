import { describe, expect, it } from 'vitest';
import { calibrate, fitTemperature, negativeLogLikelihood, reliability, scaleProbabilities } from '../src/infer/calibration.js';

describe('temperature scaling', () => {
  it('scales probabilities as softmax(z / T): [0.8, 0.2] at T = 2 becomes [2/3, 1/3], the top class unchanged', () => {
    const [a, b] = scaleProbabilities([0.8, 0.2], 2);
    expect(a).toBeCloseTo(2 / 3, 12);
    expect(b).toBeCloseTo(1 / 3, 12);
    expect(scaleProbabilities([0.8, 0.2], 1)).toEqual([0.8, 0.2]);
    const sharpened = scaleProbabilities([0.5, 0.3, 0.2], 0.5);
    expect(sharpened[0]).toBeCloseTo(0.25 / 0.38, 12);
  });

  it('fits the temperature in closed form: clips at confidence 0.9 right 3 times in 4 need p^β with logit 3, β = ln 3 / ln 9, T = 2', () => {
    const probabilities = [[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]];
    const labels = [0, 0, 0, 1];
    expect(fitTemperature(probabilities, labels)).toBeCloseTo(2, 4);
    // Under-confident clips (0.6, right every time but one in 10) are sharpened: β = logit(0.9) / logit(0.6).
    const under = Array.from({ length: 10 }, () => [0.6, 0.4]);
    const underLabels = [...Array(9).fill(0), 1];
    expect(fitTemperature(under, underLabels)).toBeCloseTo(Math.log(1.5) / Math.log(9), 4);
    // The fitted T is the NLL's minimum.
    const best = 1 / fitTemperature(probabilities, labels);
    for (const beta of [best * 0.9, best * 1.1]) expect(negativeLogLikelihood(probabilities, labels, beta)).toBeGreaterThan(negativeLogLikelihood(probabilities, labels, best));
  });

  it('computes ECE on a hand-worked example: 0.9 right, 0.9 wrong, 0.6 right gives 0.4', () => {
    const { ece, bins } = reliability([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4]], [0, 0, 0]);
    expect(ece).toBeCloseTo(2 / 3 * 0.4 + 1 / 3 * 0.4, 12);
    expect(bins[8]).toMatchObject({ lower: 0.8, clips: 2, accuracy: 0.5 });
    expect(bins[8].confidence).toBeCloseTo(0.9, 12);
    expect(bins[5]).toMatchObject({ clips: 1, accuracy: 1 });
  });

  it('lowers the ECE of over-confident predictions it was fitted on', () => {
    const probabilities = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? [0.95, 0.05] : [0.05, 0.95]));
    const labels = probabilities.map((_, i) => (i % 4 === 3 ? 0 : i % 2));
    const card = calibrate(probabilities, labels, 'test');
    expect(card.temperature).toBeGreaterThan(1);
    expect(card.eceAfter).toBeLessThan(card.eceBefore);
    expect(card.eceAfter).toBeLessThan(0.01);
  });
});
