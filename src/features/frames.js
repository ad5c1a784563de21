/** Kaldi truncates: 25 ms at 22050 Hz is 551 samples, not 552. */
export function msToSamples(ms, sampleRate) {
    return Math.floor((sampleRate * ms) / 1000);
}
/** Frames lying wholly inside the signal (Kaldi `snip_edges=true`). */
export function countFrames(numSamples, frameLength, frameShift) {
    return numSamples < frameLength ? 0 : 1 + Math.floor((numSamples - frameLength) / frameShift);
}
/** Σ samples[start … start+length), in four independent sums so the additions need not wait on each other. */
function frameSum(samples, start, length) {
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    let i = 0;
    for (; i + 3 < length; i += 4) {
        sum0 += samples[start + i];
        sum1 += samples[start + i + 1];
        sum2 += samples[start + i + 2];
        sum3 += samples[start + i + 3];
    }
    for (; i < length; i++)
        sum0 += samples[start + i];
    return sum0 + sum1 + sum2 + sum3;
}
/**
 * Kaldi's time-domain steps in one pass over the window.length samples from `start`, into `out`: DC
 * removal (when asked), pre-emphasis x[i] − c·x[i-1] (the first sample is its own predecessor, so x[0]
 * becomes (1−c)·x[0]), then the window, which may carry a scale factor.
 */
export function windowFrame(samples, start, window, preemphasisCoefficient, removeDc, out) {
    const length = window.length;
    const mean = removeDc ? frameSum(samples, start, length) / length : 0;
    let previous = samples[start] - mean;
    for (let i = 0; i < length; i++) {
        const current = samples[start + i] - mean;
        out[i] = (current - preemphasisCoefficient * previous) * window[i];
        previous = current;
    }
}
const hann = (phase) => 0.5 - 0.5 * Math.cos(phase);
/** Each window as a function of 2πn/(N-1): the symmetric forms Kaldi uses. */
const windowShapes = {
    hanning: hann,
    hamming: (phase) => 0.54 - 0.46 * Math.cos(phase),
    povey: (phase) => Math.pow(hann(phase), 0.85),
};
const windowCache = new Map();
/** The returned array is shared by every caller asking for the same window: read it, never write it. */
export function createWindow(type, length) {
    const key = `${type}:${length}`;
    let window = windowCache.get(key);
    if (!window) {
        const shape = windowShapes[type];
        if (!shape)
            throw new Error(`unknown window type '${type}' (expected ${Object.keys(windowShapes).join(', ')})`);
        if (!Number.isInteger(length) || length < 2)
            throw new Error(`a window needs at least 2 samples, got ${length}`);
        const step = (2 * Math.PI) / (length - 1);
        window = Float64Array.from({ length }, (_, n) => shape(n * step));
        windowCache.set(key, window);
    }
    return window;
}
