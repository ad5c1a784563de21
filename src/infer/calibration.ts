/**
 * Confidence calibration by temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural
 * Networks"): one scalar T divides the logits, p_T = softmax(z / T). T > 1 softens over-confident
 * probabilities, T < 1 sharpens them; the top class never changes, so accuracy and UAR stay as they were.
 * From probabilities alone: log p = z − logsumexp(z), so p_T ∝ p^(1/T) (renormalised).
 *
 * T is fitted by minimising the negative log-likelihood of held-out labelled clips,
 *   NLL(β) = −(1/n) Σ_i [β·log p_i,y_i − log Σ_k p_i,k^β],  β = 1/T,
 * which is convex in β (a log-sum-exp of functions linear in β minus a linear term), so a golden-section
 * search over β in [1/20, 20] finds its minimum.
 *
 * Expected calibration error (Naeini et al. 2015, as in Guo et al.): clips binned by their top probability
 * into M equal-width bins, ECE = Σ_b (|B_b| / n)·|accuracy(B_b) − mean confidence(B_b)|.
 * Example: confidences 0.9, 0.9 (one right, one wrong) and 0.6 (right) in 10 bins: bin (0.8, 0.9] holds
 * accuracy 0.5 against confidence 0.9, bin (0.5, 0.6] accuracy 1 against 0.6: ECE = 2/3·0.4 + 1/3·0.4 = 0.4.
 */
import type { CalibrationCard } from '../model/io.js';

export type { CalibrationCard };

export const TEMPERATURE_RANGE: [number, number] = [1 / 20, 20];

/** Probabilities of one clip, softened (T > 1) or sharpened (T < 1). */
export function scaleProbabilities(probabilities: readonly number[], temperature: number): number[] {
  if (temperature === 1) return [...probabilities];
  const logs = probabilities.map((p) => (p > 0 ? Math.log(p) / temperature : -Infinity));
  const top = Math.max(...logs);
  const exps = logs.map((value) => Math.exp(value - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

/** Mean negative log-likelihood of the labels under p^β (renormalised). */
export function negativeLogLikelihood(probabilities: readonly number[][], labels: readonly number[], beta: number): number {
  let total = 0;
  probabilities.forEach((row, i) => {
    const logs = row.map((p) => beta * Math.log(Math.max(p, 1e-300)));
    const top = Math.max(...logs);
    const logSum = top + Math.log(logs.reduce((sum, value) => sum + Math.exp(value - top), 0));
    total += logSum - logs[labels[i]];
  });
  return total / probabilities.length;
}

/** The temperature minimising the NLL of the labelled clips (1 when there are none). */
export function fitTemperature(probabilities: readonly number[][], labels: readonly number[]): number {
  if (probabilities.length === 0) return 1;
  let low = 1 / TEMPERATURE_RANGE[1];
  let high = 1 / TEMPERATURE_RANGE[0];
  const ratio = (Math.sqrt(5) - 1) / 2;
  const nll = (beta: number) => negativeLogLikelihood(probabilities, labels, beta);
  // Search in log β, where the range is symmetric around β = 1.
  let a = Math.log(low);
  let b = Math.log(high);
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = nll(Math.exp(c));
  let fd = nll(Math.exp(d));
  for (let step = 0; step < 60; step++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = nll(Math.exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = nll(Math.exp(d));
    }
  }
  low = Math.exp(a);
  high = Math.exp(b);
  return 1 / ((low + high) / 2);
}

export interface ReliabilityBin {
  /** Confidences in (lower, upper]; the first bin also holds 0. */
  lower: number;
  upper: number;
  clips: number;
  /** Mean top probability and share of right answers of the clips in the bin (0 when empty). */
  confidence: number;
  accuracy: number;
}

export interface Reliability {
  ece: number;
  bins: ReliabilityBin[];
}

/** ECE and the bins of a reliability diagram, over `binCount` equal-width confidence bins. */
export function reliability(probabilities: readonly number[][], labels: readonly number[], binCount = 10): Reliability {
  const bins: ReliabilityBin[] = Array.from({ length: binCount }, (_, b) => ({ lower: b / binCount, upper: (b + 1) / binCount, clips: 0, confidence: 0, accuracy: 0 }));
  probabilities.forEach((row, i) => {
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
    const confidence = row[best];
    const bin = bins[Math.min(binCount - 1, Math.max(0, Math.ceil(confidence * binCount) - 1))];
    bin.clips++;
    bin.confidence += confidence;
    bin.accuracy += best === labels[i] ? 1 : 0;
  });
  let ece = 0;
  for (const bin of bins) {
    if (bin.clips === 0) continue;
    bin.confidence /= bin.clips;
    bin.accuracy /= bin.clips;
    ece += (bin.clips / probabilities.length) * Math.abs(bin.accuracy - bin.confidence);
  }
  return { ece, bins };
}

/** Fits T on labelled clips and says what it did to their ECE. */
export function calibrate(probabilities: readonly number[][], labels: readonly number[], fittedOn: string): CalibrationCard {
  const temperature = fitTemperature(probabilities, labels);
  return {
    temperature,
    fittedOn,
    clips: probabilities.length,
    eceBefore: reliability(probabilities, labels).ece,
    eceAfter: reliability(
      probabilities.map((row) => scaleProbabilities(row, temperature)),
      labels,
    ).ece,
  };
}
