import type { FeatureMatrix } from './config.js';

/**
 * Kaldi's DeltaFeatures filters: scales[0] = [1], and scales[i] is scales[i-1] convolved with
 * j / Σj² for j = -window … window. scales[i] has 2·i·window + 1 taps centred on the current frame.
 */
export function deltaScales(order: number, window: number): Float64Array[] {
  if (!Number.isInteger(order) || order < 0) throw new Error(`delta order must be a non-negative integer, got ${order}`);
  if (!Number.isInteger(window) || window < 1) throw new Error(`delta window must be a positive integer, got ${window}`);
  let normaliser = 0;
  for (let j = -window; j <= window; j++) normaliser += j * j;
  const scales = [Float64Array.of(1)];
  for (let i = 1; i <= order; i++) {
    const previous = scales[i - 1];
    const current = new Float64Array(previous.length + 2 * window);
    for (let j = -window; j <= window; j++) {
      for (let k = 0; k < previous.length; k++) current[j + window + k] += (j * previous[k]) / normaliser;
    }
    scales.push(current);
  }
  return scales;
}

/**
 * For each order i ≥ 1, fills columns [i·baseDims, (i+1)·baseDims) of every row from columns
 * [0, baseDims), applying scales[i] over neighbouring frames; frames beyond either edge repeat the edge
 * frame, as Kaldi's add-deltas does.
 */
export function writeDeltas(data: Float32Array, frames: number, stride: number, baseDims: number, scales: Float64Array[]): void {
  const sourceRows = new Int32Array(scales[scales.length - 1].length);
  for (let t = 0; t < frames; t++) {
    for (let i = 1; i < scales.length; i++) {
      const taps = scales[i];
      const centre = (taps.length - 1) / 2;
      for (let j = 0; j < taps.length; j++) sourceRows[j] = Math.min(frames - 1, Math.max(0, t + j - centre)) * stride;
      const target = t * stride + i * baseDims;
      for (let d = 0; d < baseDims; d++) {
        let sum = 0;
        for (let j = 0; j < taps.length; j++) sum += taps[j] * data[sourceRows[j] + d];
        data[target + d] = sum;
      }
    }
  }
}

/** Kaldi add-deltas: each frame becomes [x, Δx, Δ²x, …] (defaults: order 2, window 2). */
export function addDeltas(matrix: FeatureMatrix, order = 2, window = 2): FeatureMatrix {
  const scales = deltaScales(order, window);
  const dims = matrix.dims * scales.length;
  const data = new Float32Array(matrix.frames * dims);
  for (let t = 0; t < matrix.frames; t++) data.set(matrix.data.subarray(t * matrix.dims, (t + 1) * matrix.dims), t * dims);
  writeDeltas(data, matrix.frames, dims, matrix.dims, scales);
  return { frames: matrix.frames, dims, data };
}
