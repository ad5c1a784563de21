import { createRng } from '../util/random.js';

const MAX_POWER_ITERATIONS = 1000;
const CONVERGENCE_TOLERANCE = 1e-10;
// Variance below this share of the total is rounding error left by deflation, not a direction.
const NEGLIGIBLE_VARIANCE_SHARE = 1e-12;
// Any fixed seed will do: it only makes the starting vector, and therefore the result, reproducible.
const START_VECTOR_SEED = 0x5eed;

function dot(a: number[], b: number[]): number {
  let total = 0;
  for (let j = 0; j < a.length; j++) total += a[j] * b[j];
  return total;
}

/**
 * Unit vector along the largest-variance direction of centred rows, or zeros when their variance is a
 * negligible share of `totalVariance` (the sum of squares of the undeflated rows).
 */
function principalAxis(rows: number[][], dims: number, totalVariance: number): number[] {
  const rng = createRng(START_VECTOR_SEED);
  let axis = Array.from({ length: dims }, () => rng() - 0.5);
  for (let iteration = 0; iteration < MAX_POWER_ITERATIONS; iteration++) {
    // (XᵀX)v computed as Σ (xᵢ·v) xᵢ, which never forms the dims × dims covariance.
    const next = new Array<number>(dims).fill(0);
    for (const row of rows) {
      const weight = dot(row, axis);
      for (let j = 0; j < dims; j++) next[j] += weight * row[j];
    }
    const norm = Math.sqrt(dot(next, next));
    if (norm <= NEGLIGIBLE_VARIANCE_SHARE * totalVariance) return new Array<number>(dims).fill(0);
    const normalised = next.map((value) => value / norm);
    const change = Math.sqrt(normalised.reduce((total, value, j) => total + (value - axis[j]) ** 2, 0));
    axis = normalised;
    if (change < CONVERGENCE_TOLERANCE) break;
  }
  return withDeterministicSign(axis);
}

/** An axis and its negation are the same component; pick the one whose largest-magnitude entry is positive. */
function withDeterministicSign(axis: number[]): number[] {
  let largest = 0;
  for (let j = 1; j < axis.length; j++) if (Math.abs(axis[j]) > Math.abs(axis[largest])) largest = j;
  return axis[largest] < 0 ? axis.map((value) => -value) : axis;
}

/**
 * Projection onto the top two principal components, found by power iteration; the second is found
 * after deflating the data by the first. Points are centred first, so the projections have mean 0.
 */
export function pca2d(vectors: number[][]): [number, number][] {
  if (vectors.length === 0) return [];
  const dims = vectors[0].length;
  for (const vector of vectors) {
    if (vector.length !== dims) throw new RangeError(`vectors differ in length: ${dims} and ${vector.length}`);
  }
  const centre = new Array<number>(dims).fill(0);
  for (const vector of vectors) for (let j = 0; j < dims; j++) centre[j] += vector[j] / vectors.length;
  const centred = vectors.map((vector) => vector.map((value, j) => value - centre[j]));

  const totalVariance = centred.reduce((total, row) => total + dot(row, row), 0);
  const first = principalAxis(centred, dims, totalVariance);
  const deflated = centred.map((row) => {
    const along = dot(row, first);
    return row.map((value, j) => value - along * first[j]);
  });
  const second = principalAxis(deflated, dims, totalVariance);
  return centred.map((row, i) => [dot(row, first), dot(deflated[i], second)]);
}
