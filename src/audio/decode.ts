import { open, readFile } from 'node:fs/promises';
import {
  AudioError,
  UnsupportedWavCodecError,
  assertUsableSamples,
  emptyFileError,
  fileAccessError,
} from './errors.js';
import { decodeWithFfmpeg } from './ffmpeg.js';
import { assertSampleRate } from './resample.js';
import { type Audio, DEFAULT_SAMPLE_RATE, WAV_SIGNATURE_LENGTH, decodeWavBuffer, looksLikeWav } from './wav.js';

export interface DecodeOptions {
  /** Target rate in Hz; default 16000. */
  sampleRate?: number;
}

/** The file's first bytes, enough to recognise a WAV; refuses a file that is missing, unreadable or empty. */
async function readSignature(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileAccessError(path, error);
  }
  try {
    const signature = new Uint8Array(WAV_SIGNATURE_LENGTH);
    // Reading (not opening) is what fails on a directory, with EISDIR.
    const { bytesRead } = await handle.read(signature, 0, WAV_SIGNATURE_LENGTH, 0);
    if (bytesRead === 0) throw emptyFileError(path);
    return signature.subarray(0, bytesRead);
  } catch (error) {
    throw error instanceof AudioError ? error : fileAccessError(path, error);
  } finally {
    await handle.close();
  }
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
  if (!looksLikeWav(await readSignature(path))) return decodeThroughFfmpeg(path, sampleRate);

  let contents: Uint8Array;
  try {
    contents = await readFile(path);
  } catch (error) {
    throw fileAccessError(path, error);
  }
  try {
    return decodeWavBuffer(contents, path, sampleRate);
  } catch (error) {
    if (error instanceof UnsupportedWavCodecError) return decodeThroughFfmpeg(path, sampleRate);
    throw error;
  }
}
