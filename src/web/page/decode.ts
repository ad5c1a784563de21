import { UnsupportedWavCodecError } from '../../audio/errors.js';
import { resample } from '../../audio/resample.js';
import { decodeWavBuffer, looksLikeWav } from '../../audio/wav.js';

/**
 * Formats other than WAV (MP3, Ogg, WebM from the recorder, …) are decoded by the browser at this rate and
 * then brought to the model's rate by the toolkit's resampler; most are recorded at 48 or 44.1 kHz.
 */
const BROWSER_DECODE_RATE = 48000;

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

async function decodeInBrowser(bytes: ArrayBuffer, sampleRate: number): Promise<Float32Array> {
  const buffer = await new OfflineAudioContext(1, 1, BROWSER_DECODE_RATE).decodeAudioData(bytes);
  return resample(downmix(buffer), buffer.sampleRate, sampleRate);
}

/**
 * Any audio the browser can decode, as mono samples at `sampleRate`. A WAV goes through the toolkit's own
 * decoder, so the page reads exactly the samples Node reads (Chromium's decoder scales positive 16-bit
 * samples by 1/32767, not 1/32768: features then differ by up to 0.006); WAV codecs that decoder does not
 * read (µ-law, ADPCM) and every other format go through Web Audio.
 */
export async function decodeAudioBytes(bytes: ArrayBuffer, name: string, sampleRate: number): Promise<Float32Array> {
  const view = new Uint8Array(bytes);
  if (looksLikeWav(view)) {
    try {
      return decodeWavBuffer(view, name, sampleRate).samples;
    } catch (error) {
      if (!(error instanceof UnsupportedWavCodecError)) throw error;
    }
  }
  return decodeInBrowser(bytes, sampleRate);
}
