import { dot } from '../util/dot.js';
/** std::numeric_limits<float>::epsilon(): Kaldi's floor under a mel energy before its log. */
export const FLOAT32_EPSILON = 2 ** -23;
/** Kaldi's (natural-log) mel scale. */
export function hzToMel(hz) {
    return 1127 * Math.log(1 + hz / 700);
}
/** Kaldi convention: a cut-off <= 0 counts down from the Nyquist frequency. */
export function resolveHighFreq(highFreq, sampleRate) {
    return highFreq > 0 ? highFreq : sampleRate / 2 + highFreq;
}
function checkMelBankOptions({ sampleRate, fftSize, numBins, lowFreq, highFreq }) {
    const nyquist = sampleRate / 2;
    const high = resolveHighFreq(highFreq, sampleRate);
    if (!Number.isInteger(numBins) || numBins < 3)
        throw new Error(`a mel filter bank needs at least 3 bins, got ${numBins}`);
    if (!(lowFreq >= 0 && lowFreq < nyquist))
        throw new Error(`lowFreq ${lowFreq} Hz must lie in [0, ${nyquist}) Hz`);
    if (!(high > lowFreq && high <= nyquist)) {
        throw new Error(`highFreq ${highFreq} resolves to ${high} Hz, which must lie in (${lowFreq}, ${nyquist}] Hz`);
    }
    if (!Number.isInteger(fftSize) || fftSize < 2 || fftSize % 2 !== 0)
        throw new Error(`FFT size must be a positive even integer, got ${fftSize}`);
}
/** Kaldi's MelBanks: triangles equally spaced in mel between lowFreq and highFreq; the Nyquist bin gets no weight. */
function buildMelFilterBank(options) {
    checkMelBankOptions(options);
    const { sampleRate, fftSize, numBins, lowFreq, highFreq } = options;
    const fftBins = fftSize / 2;
    const binWidthHz = sampleRate / fftSize;
    const melLow = hzToMel(lowFreq);
    const melDelta = (hzToMel(resolveHighFreq(highFreq, sampleRate)) - melLow) / (numBins + 1);
    const binMel = Float64Array.from({ length: fftBins }, (_, k) => hzToMel(k * binWidthHz));
    const firstBin = new Int32Array(numBins);
    const offsets = new Int32Array(numBins + 1);
    const weights = [];
    for (let m = 0; m < numBins; m++) {
        const left = melLow + m * melDelta;
        const centre = left + melDelta;
        const right = centre + melDelta;
        let first = -1;
        for (let k = 0; k < fftBins; k++) {
            const weight = Math.min((binMel[k] - left) / (centre - left), (right - binMel[k]) / (right - centre));
            if (weight > 0) {
                if (first < 0)
                    first = k;
                weights.push(weight);
            }
            else if (first >= 0) {
                break;
            }
        }
        if (first < 0)
            throw new Error(`mel bin ${m} covers no FFT bin: use fewer mel bins or a longer frame`);
        firstBin[m] = first;
        offsets[m + 1] = weights.length;
    }
    return { numBins, firstBin, offsets, weights: Float64Array.from(weights) };
}
const melBankCache = new Map();
/** Shared between callers with equal options: read it, never write it. */
export function melFilterBank(options) {
    const { sampleRate, fftSize, numBins, lowFreq, highFreq } = options;
    const key = [sampleRate, fftSize, numBins, lowFreq, highFreq].join('|');
    let bank = melBankCache.get(key);
    if (!bank) {
        bank = buildMelFilterBank(options);
        melBankCache.set(key, bank);
    }
    return bank;
}
/** energies[m] = Σ_k weight_m(k) · power[k]. */
export function applyMelFilterBank(bank, power, energies) {
    const { firstBin, offsets, weights } = bank;
    for (let m = 0; m < bank.numBins; m++)
        energies[m] = dot(weights, offsets[m], power, firstBin[m], offsets[m + 1] - offsets[m]);
}
/** log(max(x, ε)) in place: silence gives log ε rather than -Infinity. */
export function logWithFloor(values) {
    for (let i = 0; i < values.length; i++)
        values[i] = Math.log(Math.max(values[i], FLOAT32_EPSILON));
}
