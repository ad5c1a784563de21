/**
 * Σ_i a[aStart + i] · b[bStart + i] for i < length, in two partial sums: with one, each addition would wait
 * for the one before it.
 */
export function dot(a, aStart, b, bStart, length) {
    let sumEven = 0;
    let sumOdd = 0;
    let i = 0;
    for (; i + 1 < length; i += 2) {
        sumEven += a[aStart + i] * b[bStart + i];
        sumOdd += a[aStart + i + 1] * b[bStart + i + 1];
    }
    if (i < length)
        sumEven += a[aStart + i] * b[bStart + i];
    return sumEven + sumOdd;
}
