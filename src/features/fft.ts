/**
 * In-place complex FFT of a power-of-two size on interleaved data (re, im, re, im, …): decimation in frequency,
 * two radix-2 stages fused into each radix-2² pass so every pass over the data does twice the work. The
 * input is in natural order; the output is in bit-reversed order, X[k] at `bitReversed[k]`.
 */
export interface ComplexFftPlan {
  size: number;
  /** Per radix-2² pass, per offset j in its quarter block: cos and sin of θ, 2θ and 3θ, θ = 2πj / block. */
  twiddles: Float64Array;
  bitReversed: Int32Array;
}

function bitReversalTable(size: number): Int32Array {
  const bits = Math.log2(size);
  const table = new Int32Array(size);
  for (let k = 0; k < size; k++) {
    let reversed = 0;
    for (let bit = 0; bit < bits; bit++) reversed |= ((k >> bit) & 1) << (bits - 1 - bit);
    table[k] = reversed;
  }
  return table;
}

function twiddleTable(size: number): Float64Array {
  const values: number[] = [];
  for (let quarter = size >> 2; quarter >= 2; quarter >>= 2) {
    for (let j = 0; j < quarter; j++) {
      const angle = (2 * Math.PI * j) / (4 * quarter);
      values.push(Math.cos(angle), Math.sin(angle), Math.cos(2 * angle), Math.sin(2 * angle), Math.cos(3 * angle), Math.sin(3 * angle));
    }
  }
  return Float64Array.from(values);
}

export function complexFftPlan(size: number): ComplexFftPlan {
  if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) throw new Error(`complex FFT size must be a power of two >= 2, got ${size}`);
  return { size, twiddles: twiddleTable(size), bitReversed: bitReversalTable(size) };
}

/**
 * One radix-2² pass over blocks of 4·quarter points. With u = e^(−iθ), a…d the points j, j+q, j+2q, j+3q
 * of a block, the two fused radix-2 stages leave (a+b+c+d), (a−b+c−d)·u², (a−c − i(b−d))·u and
 * (a−c + i(b−d))·u³ in their places. Indices below count doubles: point p is at 2p (re) and 2p+1 (im).
 */
function radix4Pass(data: Float64Array, size: number, quarter: number, twiddles: Float64Array, twiddleOffset: number): void {
  const stride = 2 * quarter;
  const blockStride = 4 * stride;
  const end = 2 * size;
  for (let j = 0, t = twiddleOffset; j < quarter; j++, t += 6) {
    const c1 = twiddles[t];
    const s1 = twiddles[t + 1];
    const c2 = twiddles[t + 2];
    const s2 = twiddles[t + 3];
    const c3 = twiddles[t + 4];
    const s3 = twiddles[t + 5];
    for (let a = 2 * j; a < end; a += blockStride) {
      const b = a + stride;
      const c = b + stride;
      const d = c + stride;
      const sumAcRe = data[a] + data[c];
      const sumAcIm = data[a + 1] + data[c + 1];
      const diffAcRe = data[a] - data[c];
      const diffAcIm = data[a + 1] - data[c + 1];
      const sumBdRe = data[b] + data[d];
      const sumBdIm = data[b + 1] + data[d + 1];
      const diffBdRe = data[b] - data[d];
      const diffBdIm = data[b + 1] - data[d + 1];
      data[a] = sumAcRe + sumBdRe;
      data[a + 1] = sumAcIm + sumBdIm;
      // Multiplying by u = cos θ − i sin θ.
      const evenRe = sumAcRe - sumBdRe;
      const evenIm = sumAcIm - sumBdIm;
      data[b] = evenRe * c2 + evenIm * s2;
      data[b + 1] = evenIm * c2 - evenRe * s2;
      const minusRe = diffAcRe + diffBdIm;
      const minusIm = diffAcIm - diffBdRe;
      data[c] = minusRe * c1 + minusIm * s1;
      data[c + 1] = minusIm * c1 - minusRe * s1;
      const plusRe = diffAcRe - diffBdIm;
      const plusIm = diffAcIm + diffBdRe;
      data[d] = plusRe * c3 + plusIm * s3;
      data[d + 1] = plusIm * c3 - plusRe * s3;
    }
  }
}

/** The last pass when it spans 4 points: every twiddle is 1. */
function lastRadix4Pass(data: Float64Array, size: number): void {
  const end = 2 * size;
  for (let a = 0; a < end; a += 8) {
    const sumAcRe = data[a] + data[a + 4];
    const sumAcIm = data[a + 1] + data[a + 5];
    const diffAcRe = data[a] - data[a + 4];
    const diffAcIm = data[a + 1] - data[a + 5];
    const sumBdRe = data[a + 2] + data[a + 6];
    const sumBdIm = data[a + 3] + data[a + 7];
    const diffBdRe = data[a + 2] - data[a + 6];
    const diffBdIm = data[a + 3] - data[a + 7];
    data[a] = sumAcRe + sumBdRe;
    data[a + 1] = sumAcIm + sumBdIm;
    data[a + 2] = sumAcRe - sumBdRe;
    data[a + 3] = sumAcIm - sumBdIm;
    data[a + 4] = diffAcRe + diffBdIm;
    data[a + 5] = diffAcIm - diffBdRe;
    data[a + 6] = diffAcRe - diffBdIm;
    data[a + 7] = diffAcIm + diffBdRe;
  }
}

/** The last pass when the size is an odd power of two: radix-2 over pairs, twiddles 1. */
function lastRadix2Pass(data: Float64Array, size: number): void {
  const end = 2 * size;
  for (let a = 0; a < end; a += 4) {
    const aRe = data[a];
    const aIm = data[a + 1];
    data[a] = aRe + data[a + 2];
    data[a + 1] = aIm + data[a + 3];
    data[a + 2] = aRe - data[a + 2];
    data[a + 3] = aIm - data[a + 3];
  }
}

/**
 * X[k] = Σ_n x[n]·e^(−2πikn/N), in place on `data` (2·size doubles, x[n] at 2n and 2n+1); afterwards
 * X[k] is at point plan.bitReversed[k].
 */
export function fftInPlace(plan: ComplexFftPlan, data: Float64Array): void {
  const { size, twiddles } = plan;
  let twiddleOffset = 0;
  let quarter = size >> 2;
  for (; quarter >= 2; quarter >>= 2) {
    radix4Pass(data, size, quarter, twiddles, twiddleOffset);
    twiddleOffset += 6 * quarter;
  }
  if (quarter === 1) lastRadix4Pass(data, size);
  else lastRadix2Pass(data, size);
}
