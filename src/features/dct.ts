import { dot } from '../util/dot.js';

/**
 * Orthonormal DCT-II as Kaldi's ComputeDctMatrix and torchaudio's create_dct(norm='ortho') build it,
 * row-major numCeps × numBins: c_k(n) = sqrt(2/N)·cos(π/N·(n+½)·k), row 0 = sqrt(1/N).
 */
export function dctMatrix(numCeps: number, numBins: number): Float64Array {
  if (!Number.isInteger(numCeps) || numCeps < 1 || numCeps > numBins) {
    throw new Error(`numCeps must be an integer in [1, numMelBins = ${numBins}], got ${numCeps}`);
  }
  const matrix = new Float64Array(numCeps * numBins);
  for (let k = 0; k < numCeps; k++) {
    const scale = Math.sqrt((k === 0 ? 1 : 2) / numBins);
    for (let n = 0; n < numBins; n++) matrix[k * numBins + n] = scale * Math.cos((Math.PI / numBins) * (n + 0.5) * k);
  }
  return matrix;
}

/** Kaldi's cepstral lifter 1 + L/2·sin(πn/L); L = 0 leaves the cepstra unscaled. */
export function lifterCoefficients(numCeps: number, lifter: number): Float64Array {
  return Float64Array.from({ length: numCeps }, (_, n) => (lifter === 0 ? 1 : 1 + (lifter / 2) * Math.sin((Math.PI * n) / lifter)));
}

/** diag(scales) · matrix: folding the lifter into the DCT saves a pass per frame. */
export function scaleRows(matrix: Float64Array, cols: number, scales: Float64Array): Float64Array {
  return matrix.map((value, i) => value * scales[Math.floor(i / cols)]);
}

/** out[outOffset + r] = Σ_c matrix[r][c] · input[c]. */
export function multiplyMatrixVector(
  matrix: Float64Array,
  rows: number,
  cols: number,
  input: Float64Array,
  out: Float32Array,
  outOffset: number,
): void {
  for (let r = 0; r < rows; r++) out[outOffset + r] = dot(matrix, r * cols, input, 0, cols);
}
