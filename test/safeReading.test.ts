// issue 16 fault 3: a symlink to /dev/zero or a FIFO among the audio grew memory without bound or hung;
// a WAV header declaring 1 Hz turned a 16 KB file into 8,000 s of audio.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { decodeAudio } from '../src/audio/index.js';
import { AUDIO_LIMITS } from '../src/audio/limits.js';
import { loadCorpus } from '../src/corpora/index.js';
import { resolveFeatureConfig } from '../src/features/index.js';
import { preprocessCorpus } from '../src/store/index.js';
import { readRegularFile, UnreadableFileError } from '../src/util/fs.js';

const dir = mkdtempSync(join(tmpdir(), 'ser-safe-read-'));

function speechWav(seconds: number, sampleRate: number): Uint8Array {
  const samples = Array.from({ length: Math.round(seconds * sampleRate) }, (_, n) => Math.round(8000 * Math.sin(n * 0.05) * Math.sin(n * 0.0007)));
  const wave = new wavefile.WaveFile();
  wave.fromScratch(1, sampleRate, '16', samples);
  return wave.toBuffer();
}

/** A mono 16-bit PCM WAV of `count` zero samples at 16 kHz, header written by hand (fast for millions of samples). */
function silentPcm16(count: number): Uint8Array {
  const bytes = new Uint8Array(44 + 2 * count);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + 2 * count, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 16000, true);
  view.setUint32(28, 32000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, 2 * count, true);
  return bytes;
}

/** The WAV with its header's sample rate (and byte rate) rewritten. */
function withDeclaredRate(bytes: Uint8Array, sampleRate: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const view = new DataView(copy.buffer);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  return copy;
}

const fifo = join(dir, 'pipe.wav');
execFileSync('mkfifo', [fifo]);
const zero = join(dir, 'zero.wav');
symlinkSync('/dev/zero', zero);

describe('only regular files are read, within limits', () => {
  it('refuses a symlink to /dev/zero without reading it', async () => {
    await expect(decodeAudio(zero)).rejects.toThrow(/zero\.wav: is a device, not a regular file/);
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const started = Date.now();
    await expect(decodeAudio(fifo)).rejects.toThrow(/pipe\.wav: is a FIFO \(named pipe\), not a regular file/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a file over the size limit before reading it', async () => {
    const file = join(dir, 'big.bin');
    writeFileSync(file, new Uint8Array(100));
    await expect(readRegularFile(file, 99)).rejects.toThrow(UnreadableFileError);
    await expect(readRegularFile(file, 99)).rejects.toThrow(/100 bytes, over the 99-byte limit/);
    expect((await readRegularFile(file, 100)).length).toBe(100);
  });

  it('refuses a WAV header declaring 1 Hz, which would make a 16 KB file 8,000 s long', async () => {
    const file = join(dir, 'one-hertz.wav');
    writeFileSync(file, withDeclaredRate(speechWav(0.5, 16000), 1));
    await expect(decodeAudio(file)).rejects.toThrow(/sample rate of 1 Hz, outside 1000–768000 Hz/);
  });

  it('refuses a WAV longer than the duration limit', async () => {
    // 10 s past the limit at 1,000 Hz, a plausible rate: 14 MB of 16-bit samples.
    const bytes = withDeclaredRate(silentPcm16((AUDIO_LIMITS.maxSeconds + 10) * 1000), 1000);
    const file = join(dir, 'too-long.wav');
    writeFileSync(file, bytes);
    await expect(decodeAudio(file)).rejects.toThrow(/holds 7210 s of audio, over the 7200 s limit for one file; split it/);
  });

  it('refuses a manifest.csv that is a symlink to /dev/zero', async () => {
    const corpusDir = mkdtempSync(join(tmpdir(), 'ser-safe-manifest-'));
    symlinkSync('/dev/zero', join(corpusDir, 'manifest.csv'));
    await expect(loadCorpus(corpusDir)).rejects.toThrow(/manifest\.csv: is a device, not a regular file/);
  });

  it('preprocessing a corpus lists the FIFO and the device as failures and extracts the rest', async () => {
    const corpusDir = mkdtempSync(join(tmpdir(), 'ser-safe-corpus-'));
    writeFileSync(join(corpusDir, 'good.wav'), speechWav(1, 16000));
    execFileSync('mkfifo', [join(corpusDir, 'pipe.wav')]);
    symlinkSync('/dev/zero', join(corpusDir, 'zero.wav'));
    writeFileSync(join(corpusDir, 'manifest.csv'), 'path,speaker,emotion,language\ngood.wav,a,angry,en\npipe.wav,a,sad,en\nzero.wav,b,happy,en\n');
    const corpus = await loadCorpus(corpusDir);
    const summary = await preprocessCorpus(corpus, join(corpusDir, 'store'), { config: resolveFeatureConfig(), workers: 0 });
    expect(summary.processed).toBe(1);
    expect(summary.failed.map((failure) => [failure.path.split('/').pop(), failure.reason])).toEqual([
      ['pipe.wav', expect.stringMatching(/FIFO/)],
      ['zero.wav', expect.stringMatching(/device/)],
    ]);
  });
});
