import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError, decodeAudio, decodeWavBuffer, resample } from '../src/audio/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const espeakClip = join(repoRoot, 'test/fixtures/mfcc/espeak-en.wav');
const ESPEAK_CLIP_SAMPLES = 57213;

const ffmpegAvailable = spawnSync('ffmpeg', ['-version']).status === 0;
if (!ffmpegAvailable) {
  console.warn('ffmpeg is not on PATH: skipping the ffmpeg decoding tests (apt-get install ffmpeg to run them)');
}

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'audio-test-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function tone(frequency: number, sampleRate: number, seconds: number, amplitude: number): Float64Array {
  const samples = new Float64Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < samples.length; i++) {
    samples[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  }
  return samples;
}

function sum(...signals: Float64Array[]): Float64Array {
  return signals.reduce((total, signal) => total.map((value, i) => value + signal[i]));
}

/** Amplitude of the component at `frequency`, from a Hann-windowed DFT over the signal less its edges. */
function amplitudeAt(samples: ArrayLike<number>, frequency: number, sampleRate: number): number {
  const edge = Math.floor(samples.length / 10);
  const length = samples.length - 2 * edge;
  let real = 0;
  let imaginary = 0;
  let windowSum = 0;
  for (let i = 0; i < length; i++) {
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (length - 1));
    const angle = (2 * Math.PI * frequency * i) / sampleRate;
    real += window * samples[edge + i] * Math.cos(angle);
    imaginary += window * samples[edge + i] * Math.sin(angle);
    windowSum += window;
  }
  return (2 * Math.hypot(real, imaginary)) / windowSum;
}

/** Frequency of a pure tone from its zero crossings, away from the signal's edges. */
function zeroCrossingFrequency(samples: ArrayLike<number>, sampleRate: number): number {
  const edge = Math.floor(samples.length / 10);
  let crossings = 0;
  for (let i = edge + 1; i < samples.length - edge; i++) {
    if (samples[i - 1] < 0 !== samples[i] < 0) crossings++;
  }
  return crossings / 2 / ((samples.length - 2 * edge) / sampleRate);
}

function decibels(ratio: number): number {
  return 20 * Math.log10(ratio);
}

type BitDepth = '8' | '16' | '24' | '32' | '32f' | '64';

/** Full-scale samples in wavefile's representation for the bit depth: unsigned 8-bit, signed ints, floats. */
function encodeSamples(samples: Float64Array, bitDepth: BitDepth): Float64Array {
  if (bitDepth === '32f' || bitDepth === '64') return samples;
  if (bitDepth === '8') return samples.map((value) => Math.round(value * 127) + 128);
  const fullScale = 2 ** (Number(bitDepth) - 1) - 1;
  return samples.map((value) => Math.round(value * fullScale));
}

function wavBytes(
  channels: Float64Array[],
  sampleRate: number,
  bitDepth: BitDepth,
  container: 'RIFF' | 'RIFX' = 'RIFF',
): Uint8Array {
  const wave = new wavefile.WaveFile();
  wave.fromScratch(
    channels.length,
    sampleRate,
    bitDepth,
    channels.map((channel) => encodeSamples(channel, bitDepth)),
    { container },
  );
  return wave.toBuffer();
}

function writeFile(name: string, contents: Uint8Array | string): string {
  const path = join(workDir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents);
  return path;
}

function writeWav(name: string, channels: Float64Array[], sampleRate: number, bitDepth: BitDepth): string {
  return writeFile(name, wavBytes(channels, sampleRate, bitDepth));
}

async function decodeFailure(decode: () => unknown): Promise<AudioError> {
  try {
    await decode();
  } catch (error) {
    expect(error).toBeInstanceOf(AudioError);
    return error as AudioError;
  }
  throw new Error('expected the decode to fail');
}

async function withEnvironment<T>(changes: Record<string, string | undefined>, action: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(changes);
  try {
    return await action();
  } finally {
    apply(saved);
  }
}

describe('resample', () => {
  it.each([
    [48000, 12000],
    [44100, 12000],
    [44100, 9000],
    [22050, 10000],
  ])('attenuates a tone above the new Nyquist by at least 40 dB (%i Hz, %i Hz tone)', (fromRate, frequency) => {
    const output = resample(Float32Array.from(tone(frequency, fromRate, 1, 0.9)), fromRate, 16000);
    const interior = output.subarray(500, output.length - 500);
    const peak = interior.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    expect(decibels(peak / 0.9)).toBeLessThan(-40);
  });

  it('preserves duration: ceil(length × to / from) samples', () => {
    expect(resample(new Float32Array(48000), 48000, 16000)).toHaveLength(16000);
    const oddLength = 44100 * 3 + 7;
    expect(resample(new Float32Array(oddLength), 44100, 16000)).toHaveLength(Math.ceil((oddLength * 160) / 441));
    expect(resample(new Float32Array(11025), 22050, 16000)).toHaveLength(8000);
    expect(resample(new Float32Array(1), 48000, 16000)).toHaveLength(1);
  });

  it.each([44100, 22050, 8000])('keeps a constant signal constant from %i Hz, at every filter phase', (fromRate) => {
    const output = resample(new Float32Array(fromRate).fill(0.25), fromRate, 16000);
    const interior = output.subarray(200, output.length - 200);
    const largestDeviation = interior.reduce((max, value) => Math.max(max, Math.abs(value - 0.25)), 0);
    expect(largestDeviation).toBeLessThan(1e-6);
  });

  it('upsamples without images: 1 kHz at 8 kHz to 16 kHz keeps its level and adds nothing at 7 kHz', () => {
    const output = resample(Float32Array.from(tone(1000, 8000, 1, 0.5)), 8000, 16000);
    expect(output).toHaveLength(16000);
    expect(Math.abs(decibels(amplitudeAt(output, 1000, 16000) / 0.5))).toBeLessThan(0.5);
    expect(decibels(amplitudeAt(output, 7000, 16000) / 0.5)).toBeLessThan(-60);
  });

  // 44101 Hz needs 16000 filter phases, more than are tabulated, so it also checks the nearest-phase rounding.
  it.each([48000, 44100, 22050, 44101])('keeps a 1 kHz tone, level and phase, from %i Hz to 16 kHz', (fromRate) => {
    const output = resample(Float32Array.from(tone(1000, fromRate, 1, 0.5)), fromRate, 16000);
    expect(Math.abs(decibels(amplitudeAt(output, 1000, 16000) / 0.5))).toBeLessThan(0.5);
    const ideal = tone(1000, 16000, 1, 0.5);
    let largestError = 0;
    for (let i = 500; i < output.length - 500; i++) {
      largestError = Math.max(largestError, Math.abs(output[i] - ideal[i]));
    }
    expect(decibels(largestError / 0.5)).toBeLessThan(-70);
  });

  it('returns the input untouched when the rates are equal', () => {
    const input = Float32Array.from(tone(440, 16000, 0.1, 0.5));
    expect(resample(input, 16000, 16000)).toBe(input);
  });

  it('refuses rates that are not positive whole numbers', () => {
    expect(() => resample(new Float32Array(10), 0, 16000)).toThrow(RangeError);
    expect(() => resample(new Float32Array(10), 44100.5, 16000)).toThrow(/source sample rate/);
    expect(() => resample(new Float32Array(10), 16000, -1)).toThrow(/target sample rate/);
  });
});

describe('WAV decoding', () => {
  const bitDepths: BitDepth[] = ['8', '16', '24', '32', '32f', '64'];
  const cases = bitDepths.flatMap((bitDepth) =>
    [16000, 22050, 44100, 48000].map((sampleRate) => ({ bitDepth, sampleRate })),
  );

  it.each(cases)('decodes a $bitDepth-bit tone at $sampleRate Hz to 16 kHz', async ({ bitDepth, sampleRate }) => {
    const seconds = 0.5;
    const samples = tone(440, sampleRate, seconds, 0.5);
    const path = writeWav(`tone-${bitDepth}-${sampleRate}.wav`, [samples], sampleRate, bitDepth);
    const audio = await decodeAudio(path);
    expect(audio.sampleRate).toBe(16000);
    expect(Math.abs(audio.samples.length - seconds * 16000)).toBeLessThanOrEqual(1);
    expect(Math.abs(decibels(amplitudeAt(audio.samples, 440, 16000) / 0.5))).toBeLessThan(0.1);
    expect(zeroCrossingFrequency(audio.samples, 16000)).toBeGreaterThan(440 * 0.99);
    expect(zeroCrossingFrequency(audio.samples, 16000)).toBeLessThan(440 * 1.01);
  });

  it.each(bitDepths)('matches wavefile sample for sample at the native rate (%s-bit, stereo)', (bitDepth) => {
    const bytes = wavBytes([tone(300, 16000, 0.2, 0.7), tone(1234, 16000, 0.2, -0.4)], 16000, bitDepth);
    const reference = new wavefile.WaveFile(bytes).getSamples(true, Float64Array);
    const scale = bitDepth === '8' ? 128 : bitDepth === '32f' || bitDepth === '64' ? 1 : 2 ** (Number(bitDepth) - 1);
    const offset = bitDepth === '8' ? 128 : 0;
    const { samples } = decodeWavBuffer(bytes, `stereo-${bitDepth}.wav`);
    expect(samples).toHaveLength(reference.length / 2);
    for (let frame = 0; frame < samples.length; frame++) {
      const expected = ((reference[2 * frame] - offset) / scale + (reference[2 * frame + 1] - offset) / scale) / 2;
      expect(samples[frame]).toBeCloseTo(expected, 6);
    }
  });

  it('downmixes by averaging the channels', async () => {
    const path = writeWav('stereo.wav', [tone(440, 44100, 0.5, 0.6), tone(1000, 44100, 0.5, 0.2)], 44100, '16');
    const { samples } = await decodeAudio(path);
    expect(amplitudeAt(samples, 440, 16000)).toBeCloseTo(0.3, 2);
    expect(amplitudeAt(samples, 1000, 16000)).toBeCloseTo(0.1, 2);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE files with four channels', async () => {
    const channel = tone(500, 48000, 0.5, 0.4);
    const silent = new Float64Array(channel.length);
    const path = writeWav('quad.wav', [channel, silent, channel, silent], 48000, '24');
    const { samples } = await decodeAudio(path);
    expect(amplitudeAt(samples, 500, 16000)).toBeCloseTo(0.2, 2);
  });

  it.each(['16', '24', '32f'] as BitDepth[])('reads big-endian RIFX files (%s-bit)', (bitDepth) => {
    const bytes = wavBytes([tone(440, 16000, 0.25, 0.5)], 16000, bitDepth, 'RIFX');
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('RIFX');
    const { samples } = decodeWavBuffer(bytes, 'big-endian.wav');
    expect(amplitudeAt(samples, 440, 16000)).toBeCloseTo(0.5, 3);
  });

  it('decodes to the requested sample rate', async () => {
    const path = writeWav('rate.wav', [tone(440, 44100, 1, 0.5)], 44100, '16');
    const at8k = await decodeAudio(path, { sampleRate: 8000 });
    expect(at8k.sampleRate).toBe(8000);
    expect(at8k.samples).toHaveLength(8000);
    expect(amplitudeAt(at8k.samples, 440, 8000)).toBeCloseTo(0.5, 2);
    const at22k = await decodeAudio(path, { sampleRate: 22050 });
    expect(at22k.samples).toHaveLength(22050);
  });

  it('recognises a WAV by its header, whatever the extension, without needing ffmpeg', async () => {
    const path = writeFile('misnamed.mp3', wavBytes([tone(440, 16000, 0.25, 0.5)], 16000, '16'));
    const audio = await withEnvironment({ FFMPEG_PATH: join(workDir, 'no-such-ffmpeg') }, () => decodeAudio(path));
    expect(audio.samples).toHaveLength(4000);
  });

  it('decodes a WAV held in a view that starts at an odd byte offset', () => {
    const bytes = wavBytes([tone(440, 22050, 0.25, 0.5)], 22050, '16');
    const backing = new Uint8Array(bytes.length + 1);
    backing.set(bytes, 1);
    const { samples } = decodeWavBuffer(backing.subarray(1), 'offset.wav');
    expect(amplitudeAt(samples, 440, 16000)).toBeCloseTo(0.5, 3);
  });

  it('decodes the espeak fixture clip to its full length, identical to its 16-bit samples', async () => {
    const audio = await decodeAudio(espeakClip);
    expect(audio.samples).toHaveLength(ESPEAK_CLIP_SAMPLES);
    const reference = new wavefile.WaveFile(readFileSync(espeakClip)).getSamples(false, Float64Array);
    for (let i = 0; i < ESPEAK_CLIP_SAMPLES; i += 97) expect(audio.samples[i]).toBe(reference[i] / 32768);
    const halfRate = await decodeAudio(espeakClip, { sampleRate: 8000 });
    expect(halfRate.samples).toHaveLength(Math.ceil(ESPEAK_CLIP_SAMPLES / 2));
  });
});

describe('bad input', () => {
  const validWav = () => wavBytes([tone(440, 16000, 0.25, 0.5)], 16000, '16');

  it('names a missing file', async () => {
    const path = join(workDir, 'does-not-exist.wav');
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.file).toBe(path);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/not found/);
  });

  it('refuses an empty file', async () => {
    const path = writeFile('empty.wav', '');
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/empty \(0 bytes\)/);
  });

  it('refuses a directory', async () => {
    const path = join(workDir, 'a-directory.wav');
    mkdirSync(path);
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/directory/);
  });

  it('refuses a WAV cut short in its data', async () => {
    const bytes = validWav();
    const path = writeFile('truncated.wav', bytes.subarray(0, bytes.length - 1001));
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/truncated WAV: the data chunk declares 8000 bytes but only 6999/);
  });

  it('decodeWavBuffer calls a short non-WAV buffer not a WAV, rather than a truncated one', async () => {
    const error = await decodeFailure(() => decodeWavBuffer(new TextEncoder().encode('ID3'), 'tiny.mp3'));
    expect(error.message).toMatch(/^tiny\.mp3: is not a WAV file/);
  });

  it('refuses a WAV cut short inside its header', async () => {
    const path = writeFile('stub.wav', validWav().subarray(0, 8));
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/truncated WAV/);
  });

  it('refuses a WAV whose chunks are garbage', async () => {
    const bytes = validWav();
    bytes.fill(0x5a, 12, 44);
    const path = writeFile('corrupt.wav', bytes);
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/corrupt WAV/);
  });

  it('refuses a WAV that declares zero channels', async () => {
    const bytes = validWav();
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(22, 0, true);
    const error = await decodeFailure(() => decodeWavBuffer(bytes, 'no-channels.wav'));
    expect(error.message).toMatch(/^no-channels\.wav: corrupt WAV: the header declares 0 channels/);
  });

  it('refuses a WAV without samples (zero-length audio)', async () => {
    const path = writeWav('silence-of-zero-length.wav', [new Float64Array(0)], 16000, '16');
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/zero-length/);
  });

  it.each([
    ['NaN', Number.NaN, '32f'],
    ['Infinity', Number.POSITIVE_INFINITY, '64'],
  ] as const)('refuses float samples that are %s', async (name, value, bitDepth) => {
    const samples = tone(440, 16000, 0.25, 0.5);
    samples[1234] = value;
    const path = writeWav(`${name}.wav`, [samples], 16000, bitDepth);
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toContain(`sample 1234 is ${name}`);
  });

  it('refuses float samples written with integer scaling', async () => {
    const path = writeWav('integer-scaled.wav', [tone(440, 16000, 0.25, 16000)], 16000, '32f');
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/far outside the −1\.\.1 full scale/);
  });

  it('decodeWavBuffer refuses bytes that are not a WAV, pointing at decodeAudio', async () => {
    const error = await decodeFailure(() => decodeWavBuffer(new TextEncoder().encode('ID3 not a wav'), 'song.mp3'));
    expect(error.message).toMatch(/^song\.mp3: is not a WAV file .* decodeAudio\(\)/);
  });

  it('decodeWavBuffer names a WAV codec it leaves to ffmpeg', async () => {
    const wave = new wavefile.WaveFile(wavBytes([tone(440, 8000, 0.25, 0.5)], 8000, '16'));
    wave.toMuLaw();
    const error = await decodeFailure(() => decodeWavBuffer(wave.toBuffer(), 'telephone.wav'));
    expect(error.message).toMatch(/^telephone\.wav: WAV codec mu-law .* through ffmpeg/);
  });
});

describe('missing ffmpeg', () => {
  it('says FFMPEG_PATH points nowhere, and how to fix it', async () => {
    const path = writeFile('needs-ffmpeg.ogg', 'OggS but not really');
    const missing = join(workDir, 'no-such-ffmpeg');
    const error = await withEnvironment({ FFMPEG_PATH: missing }, () => decodeFailure(() => decodeAudio(path)));
    expect(error.message).toContain(path);
    expect(error.message).toContain(`FFMPEG_PATH=${missing} is not an executable file`);
  });

  it('says ffmpeg is not installed and how to install it', async () => {
    const path = writeFile('needs-ffmpeg.m4a', 'not really an m4a');
    const error = await withEnvironment({ FFMPEG_PATH: undefined, PATH: join(workDir, 'empty-bin') }, () =>
      decodeFailure(() => decodeAudio(path)),
    );
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/ffmpeg, which is not installed/);
    expect(error.message).toContain('apt-get install ffmpeg');
    expect(error.message).toContain('brew install ffmpeg');
    expect(error.message).toContain('FFMPEG_PATH');
  });
});

describe.skipIf(!ffmpegAvailable)('decoding through ffmpeg', () => {
  function convert(source: string, target: string, ...codecOptions: string[]): string {
    const path = join(workDir, target);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', source, ...codecOptions, path]);
    return path;
  }

  it('decodes FLAC to exactly the samples of the WAV it came from (stereo, downmixed alike)', async () => {
    const wav = writeWav('lossless.wav', [tone(440, 16000, 1, 0.8), tone(2000, 16000, 1, 0.3)], 16000, '16');
    const fromWav = await decodeAudio(wav);
    const fromFlac = await decodeAudio(convert(wav, 'lossless.flac'));
    expect(fromFlac.samples).toHaveLength(fromWav.samples.length);
    let largestDifference = 0;
    for (let i = 0; i < fromWav.samples.length; i++) {
      largestDifference = Math.max(largestDifference, Math.abs(fromFlac.samples[i] - fromWav.samples[i]));
    }
    expect(largestDifference).toBeLessThan(1e-6);
  });

  it('resamples FLAC at 48 kHz close to the WAV path and without aliasing', async () => {
    const wav = writeWav('hifi.wav', [sum(tone(1000, 48000, 1, 0.5), tone(12000, 48000, 1, 0.4))], 48000, '24');
    const fromWav = await decodeAudio(wav);
    const fromFlac = await decodeAudio(convert(wav, 'hifi.flac'));
    expect(Math.abs(fromFlac.samples.length - fromWav.samples.length)).toBeLessThanOrEqual(2);
    expect(Math.abs(decibels(amplitudeAt(fromFlac.samples, 1000, 16000) / 0.5))).toBeLessThan(0.5);
    // The 12 kHz tone would alias to 4 kHz.
    expect(decibels(amplitudeAt(fromFlac.samples, 4000, 16000) / 0.4)).toBeLessThan(-40);
    expect(decibels(amplitudeAt(fromWav.samples, 4000, 16000) / 0.4)).toBeLessThan(-40);
  });

  it.each([
    ['mp3', ['-b:a', '128k']],
    ['ogg', []],
    ['m4a', ['-b:a', '128k']],
  ])('decodes %s to a tone of the right pitch, level and length', async (extension, options) => {
    const wav = writeWav(`lossy-source-${extension}.wav`, [tone(440, 44100, 1, 0.5)], 44100, '16');
    const { samples, sampleRate } = await decodeAudio(convert(wav, `lossy.${extension}`, ...options));
    expect(sampleRate).toBe(16000);
    // Lossy encoders pad to whole frames; a frame is at most 2048 samples at 44.1 kHz, under 800 at 16 kHz.
    expect(Math.abs(samples.length - 16000)).toBeLessThan(800);
    expect(Math.abs(decibels(amplitudeAt(samples, 440, 16000) / 0.5))).toBeLessThan(1);
    expect(zeroCrossingFrequency(samples, 16000)).toBeGreaterThan(440 * 0.99);
    expect(zeroCrossingFrequency(samples, 16000)).toBeLessThan(440 * 1.01);
  });

  it('decodes a relative path that looks like a URL ("take:1.flac")', async () => {
    const wav = writeWav('protocol-source.wav', [tone(440, 16000, 0.5, 0.5)], 16000, '16');
    convert(wav, 'take:1.flac');
    const startDirectory = process.cwd();
    process.chdir(workDir);
    try {
      const { samples } = await decodeAudio('take:1.flac');
      expect(samples).toEqual((await decodeAudio(wav)).samples);
    } finally {
      process.chdir(startDirectory);
    }
  });

  it('routes a mu-law WAV, which the WAV reader leaves alone, through ffmpeg', async () => {
    const wave = new wavefile.WaveFile(wavBytes([tone(440, 8000, 0.5, 0.5)], 8000, '16'));
    wave.toMuLaw();
    const { samples } = await decodeAudio(writeFile('mulaw.wav', wave.toBuffer()));
    expect(samples).toHaveLength(8000);
    expect(Math.abs(decibels(amplitudeAt(samples, 440, 16000) / 0.5))).toBeLessThan(0.5);
  });

  it('reads RF64 WAVs, whose sizes live in the ds64 chunk', async () => {
    const wav = writeWav('plain.wav', [tone(440, 16000, 0.5, 0.5)], 16000, '16');
    const rf64 = convert(wav, 'big.wav', '-rf64', 'always');
    expect(readFileSync(rf64).subarray(0, 4).toString()).toBe('RF64');
    expect((await decodeAudio(rf64)).samples).toEqual((await decodeAudio(wav)).samples);
  });

  // ffmpeg probes text by content and extension: as broken mp3, or as an ANSI-art video without audio.
  it.each([
    ['notes.mp3', /ffmpeg cannot decode it as audio \(.+\); check that it is an audio file$/],
    ['notes.txt', /has no audio stream; check that it is an audio file$/],
  ])('refuses a text file (%s)', async (name, expected) => {
    const path = writeFile(name, 'these are meeting notes, not audio\n'.repeat(20));
    const error = await decodeFailure(() => decodeAudio(path));
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.message).toMatch(expected);
  });

  it('refuses a file without an audio stream', async () => {
    const image = join(workDir, 'picture.png');
    const lavfi = ['-f', 'lavfi', '-i', 'color=red:size=16x16', '-frames:v', '1'];
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...lavfi, image]);
    const error = await decodeFailure(() => decodeAudio(image));
    expect(error.message).toContain(image);
    expect(error.message).toMatch(/has no audio stream/);
  });
});
