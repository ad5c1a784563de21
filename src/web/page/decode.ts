import { resample } from '../../audio/resample.js';

/**
 * Compressed formats (MP3, Ogg, WebM from the recorder, …) are decoded by the browser at this rate and then
 * brought to the model's rate by the project's own resampler; most are recorded at 48 or 44.1 kHz.
 */
const COMPRESSED_DECODE_RATE = 48000;

/**
 * A WAV file's sample rate, read from its `fmt ` chunk, or undefined for anything else. Decoding a WAV at its
 * own rate keeps the browser's resampler out: the samples are then exactly those Node reads.
 */
export function wavSampleRate(bytes: ArrayBuffer): number | undefined {
  const view = new DataView(bytes);
  const text = (offset: number) => String.fromCharCode(...new Uint8Array(bytes, offset, 4));
  if (bytes.byteLength < 12 || text(0) !== 'RIFF' || text(8) !== 'WAVE') return undefined;
  for (let offset = 12; offset + 8 <= bytes.byteLength; ) {
    const size = view.getUint32(offset + 4, true);
    if (text(offset) === 'fmt ' && offset + 16 <= bytes.byteLength) return view.getUint32(offset + 12, true);
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** The mean of the channels, as src/audio/wav.ts downmixes. */
function downmix(buffer: AudioBuffer): Float32Array {
  if (buffer.numberOfChannels === 1) return buffer.getChannelData(0);
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c));
  const mono = new Float32Array(buffer.length);
  for (let i = 0; i < mono.length; i++) {
    let sum = 0;
    for (const channel of channels) sum += channel[i];
    mono[i] = sum / channels.length;
  }
  return mono;
}

/** Any audio the browser can decode, as mono samples at `sampleRate` (Web Audio decodes, the toolkit resamples). */
export async function decodeAudioBytes(bytes: ArrayBuffer, sampleRate: number): Promise<Float32Array> {
  const decodeRate = wavSampleRate(bytes) ?? COMPRESSED_DECODE_RATE;
  const buffer = await new OfflineAudioContext(1, 1, decodeRate).decodeAudioData(bytes);
  return resample(downmix(buffer), buffer.sampleRate, sampleRate);
}
