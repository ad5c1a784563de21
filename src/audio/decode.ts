import { UnreadableFileError, readRegularFile } from '../util/fs.js';
import {
  UnsupportedWavCodecError,
  assertUsableSamples,
  emptyFileError,
  fileAccessError,
} from './errors.js';
import { AudioError } from './errors.js';
import { decodeWithFfmpeg } from './ffmpeg.js';
import { AUDIO_LIMITS } from './limits.js';
import { assertSampleRate } from './resample.js';
import { type Audio, DEFAULT_SAMPLE_RATE, WAV_SIGNATURE_LENGTH, decodeWavBuffer, looksLikeWav } from './wav.js';

export interface DecodeOptions {
  /** Target rate in Hz; default 16000. */
  sampleRate?: number;
}

/**
 * The whole file; refuses one that is missing, unreadable, empty, over AUDIO_LIMITS.maxFileBytes, or not a
 * regular file (a folder, a FIFO, a device such as /dev/zero, also behind a symlink).
 */
async function readContents(path: string): Promise<Uint8Array> {
  let contents: Uint8Array;
  try {
    contents = await readRegularFile(path, AUDIO_LIMITS.maxFileBytes);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new AudioError(path, error.reason);
    throw fileAccessError(path, error);
  }
  if (contents.length === 0) throw emptyFileError(path);
  return contents;
}

async function decodeThroughFfmpeg(path: string, sampleRate: number): Promise<Audio> {
  const samples = await decodeWithFfmpeg(path, sampleRate);
  assertUsableSamples(samples, path);
  return { samples, sampleRate };
}

/**
 * Decodes any audio file to mono float samples at `options.sampleRate` (default 16000 Hz). WAV files
 * (recognised by their header, whatever the extension) with PCM or float samples are read directly;
 * everything else, including WAVs in other codecs, goes through the system ffmpeg.
 */
export async function decodeAudio(path: string, options: DecodeOptions = {}): Promise<Audio> {
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  assertSampleRate(sampleRate, 'the requested sample rate');
  const contents = await readContents(path);
  if (!looksLikeWav(contents.subarray(0, WAV_SIGNATURE_LENGTH))) return decodeThroughFfmpeg(path, sampleRate);
  try {
    return decodeWavBuffer(contents, path, sampleRate);
  } catch (error) {
    if (error instanceof UnsupportedWavCodecError) return decodeThroughFfmpeg(path, sampleRate);
    throw error;
  }
}
