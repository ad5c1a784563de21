export { AudioError, UnsupportedWavCodecError, fileAccessError } from './errors.js';
export { type Audio, DEFAULT_SAMPLE_RATE, decodeWavBuffer, looksLikeWav } from './wav.js';
export { type DecodeOptions, decodeAudio } from './decode.js';
export { resample } from './resample.js';
