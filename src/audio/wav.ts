import type wavefilePackage from 'wavefile';
import { AudioError, UnsupportedWavCodecError, assertHasSamples, assertUsableSamples, emptyFileError } from './errors.js';
import { assertBearableDuration, assertPlausibleSampleRate } from './limits.js';
import { assertSampleRate, resample } from './resample.js';
import { SCRATCH, scratchSamples } from './scratch.js';
import { pcm16ToMono, pcmKernel } from './pcmKernel.js';
import { wavefile } from './wavefile.js';

/** Mono audio; samples are nominally in −1..1 (lossy decoders and resampling may overshoot slightly). */
export interface Audio {
  samples: Float32Array;
  sampleRate: number;
}


export const DEFAULT_SAMPLE_RATE = 16000;

const WAV_CONTAINER_IDS = new Set(['RIFF', 'RIFX', 'RF64']);
const WAVE_FORM_TYPE = 'WAVE';
/** Bytes needed to tell a WAV from another RIFF file (AVI, WebP): container id, size, form type. */
export const WAV_SIGNATURE_LENGTH = 12;

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const CODEC_NAMES: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0055: 'MPEG layer 3',
};
/** Writers that stream a WAV before knowing its length leave this in the data size field. */
const UNKNOWN_DATA_SIZE = 0xffffffff;

// The fields of wavefile's parsed chunks that decoding reads; its typings declare them only as `object`.
interface FormatChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  blockAlign: number;
  subformat: number[];
}
interface DataChunk {
  chunkSize: number;
  samples: Uint8Array;
}
/** wavefile reads the 64-bit data size as two 32-bit words but names them the wrong way round. */
interface Ds64Chunk {
  chunkId: string;
  dataSizeHigh: number;
  dataSizeLow: number;
}

/** Fills `into` with the samples in `view`, scaled to −1..1. One loop per encoding keeps each loop monomorphic. */
type SampleConverter = (view: DataView, littleEndian: boolean, into: Float32Array) => void;

// Integer PCM is scaled by its container width: narrower valid bits are left-justified in it.
const PCM_CONVERTERS: Record<number, SampleConverter> = {
  1: (view, _littleEndian, into) => {
    for (let i = 0; i < into.length; i++) into[i] = (view.getUint8(i) - 0x80) / 0x80;
  },
  2: (view, littleEndian, into) => {
    // Nearly every WAV: little-endian (as is every host Node runs on) at an even offset, so an Int16Array
    // can view it, which reads several times faster than DataView.
    if (littleEndian && view.byteOffset % 2 === 0) {
      const pcm = new Int16Array(view.buffer, view.byteOffset, into.length);
      for (let i = 0; i < into.length; i++) into[i] = pcm[i] / 0x8000;
      return;
    }
    for (let i = 0; i < into.length; i++) into[i] = view.getInt16(2 * i, littleEndian) / 0x8000;
  },
  3: (view, littleEndian, into) => {
    for (let i = 0; i < into.length; i++) {
      const offset = 3 * i;
      const value = littleEndian
        ? view.getUint8(offset) | (view.getUint8(offset + 1) << 8) | (view.getInt8(offset + 2) << 16)
        : (view.getInt8(offset) << 16) | (view.getUint8(offset + 1) << 8) | view.getUint8(offset + 2);
      into[i] = value / 0x800000;
    }
  },
  4: (view, littleEndian, into) => {
    for (let i = 0; i < into.length; i++) into[i] = view.getInt32(4 * i, littleEndian) / 0x80000000;
  },
};
const FLOAT_CONVERTERS: Record<number, SampleConverter> = {
  4: (view, littleEndian, into) => {
    for (let i = 0; i < into.length; i++) into[i] = view.getFloat32(4 * i, littleEndian);
  },
  8: (view, littleEndian, into) => {
    for (let i = 0; i < into.length; i++) into[i] = view.getFloat64(8 * i, littleEndian);
  },
};

function fourCharacterCode(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/**
 * Whether the bytes start like a WAV: a RIFF, RIFX or RF64 container holding a WAVE form. A file too short
 * to show its form type still counts, so that a cut-off WAV is reported as truncated rather than as not audio.
 */
export function looksLikeWav(head: Uint8Array): boolean {
  if (head.length < 4 || !WAV_CONTAINER_IDS.has(fourCharacterCode(head, 0))) return false;
  return head.length < WAV_SIGNATURE_LENGTH || fourCharacterCode(head, 8) === WAVE_FORM_TYPE;
}

function corrupt(file: string, problem: string): AudioError {
  return new AudioError(file, `corrupt WAV: ${problem}; re-export or re-download the file`);
}

function parseWave(buffer: Uint8Array, file: string): wavefilePackage.WaveFile {
  const wave = new wavefile.WaveFile();
  try {
    wave.fromBuffer(buffer);
  } catch (error) {
    throw corrupt(file, (error as Error).message);
  }
  return wave;
}

/** How a WAV's samples are read. Integer PCM cannot hold a non-finite sample or one outside −1..1, so only float needs checking. */
interface SampleEncoding {
  convert: SampleConverter;
  integer: boolean;
}

function sampleEncoding(format: FormatChunk, file: string): SampleEncoding {
  const { audioFormat, numChannels, sampleRate, blockAlign } = format;
  if (numChannels < 1) throw corrupt(file, 'the header declares 0 channels');
  assertPlausibleSampleRate(sampleRate, file);
  const bytesPerSample = blockAlign / numChannels;
  if (!Number.isInteger(bytesPerSample) || bytesPerSample < 1) {
    throw corrupt(file, `block size ${blockAlign} bytes does not fit ${numChannels} channels`);
  }
  const formatTag = audioFormat === WAVE_FORMAT_EXTENSIBLE ? format.subformat[0] : audioFormat;
  const convert =
    formatTag === WAVE_FORMAT_PCM
      ? PCM_CONVERTERS[bytesPerSample]
      : formatTag === WAVE_FORMAT_IEEE_FLOAT
        ? FLOAT_CONVERTERS[bytesPerSample]
        : undefined;
  if (!convert) {
    const codec =
      formatTag === WAVE_FORMAT_PCM || formatTag === WAVE_FORMAT_IEEE_FLOAT
        ? `${formatTag === WAVE_FORMAT_PCM ? 'PCM' : 'float'} with ${bytesPerSample * 8}-bit samples`
        : (CODEC_NAMES[formatTag] ?? `with format tag 0x${formatTag.toString(16).padStart(4, '0')}`);
    throw new UnsupportedWavCodecError(file, codec);
  }
  return { convert, integer: formatTag === WAVE_FORMAT_PCM };
}

/** RF64 keeps the real data size in its ds64 chunk, because it may exceed the 32-bit field. */
function rf64DataSize(wave: wavefilePackage.WaveFile, file: string): number {
  const ds64 = wave.ds64 as Ds64Chunk;
  if (ds64.chunkId !== 'ds64') throw corrupt(file, 'an RF64 file without the ds64 chunk that holds its sizes');
  const [lowWord, highWord] = [ds64.dataSizeHigh, ds64.dataSizeLow];
  return highWord * 2 ** 32 + lowWord;
}

/** The sample bytes of the data chunk, refusing a chunk that ends before its declared size. */
function sampleBytes(wave: wavefilePackage.WaveFile, file: string): Uint8Array {
  const data = wave.data as DataChunk;
  const declared = wave.container === 'RF64' ? rf64DataSize(wave, file) : data.chunkSize;
  const present = data.samples.length;
  if (declared === UNKNOWN_DATA_SIZE) return data.samples;
  if (present < declared) {
    throw new AudioError(
      file,
      `truncated WAV: the data chunk declares ${declared} bytes but only ${present} are present ` +
        '(the file was cut short); re-export or re-download it',
    );
  }
  return data.samples.subarray(0, declared);
}

/** 16-bit stereo, the form most published corpora come in: both channels averaged as they are read, 2.4 times faster than converting then downmixing. */
function downmixStereoInt16(pcm: Int16Array, mono: Float32Array): Float32Array {
  for (let frame = 0, sample = 0; frame < mono.length; frame++, sample += 2) mono[frame] = (pcm[sample] + pcm[sample + 1]) * (1 / 0x10000);
  return mono;
}

/** `allocate` gives the mono array (and, for one channel, the array converted into): fresh, or scratch when it is resampled at once. */
function decodeMono(
  bytes: Uint8Array,
  format: FormatChunk,
  convert: SampleConverter,
  littleEndian: boolean,
  allocate: (length: number) => Float32Array,
): Float32Array {
  const { numChannels, blockAlign } = format;
  // A partial frame at the end carries no complete sample for every channel, so it is dropped.
  const frames = Math.floor(bytes.length / blockAlign);
  if ((numChannels === 1 || numChannels === 2) && blockAlign === 2 * numChannels && convert === PCM_CONVERTERS[2] && littleEndian && bytes.byteOffset % 2 === 0) {
    const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, numChannels * frames);
    const kernel = pcmKernel();
    if (kernel) return pcm16ToMono(kernel, pcm, numChannels, allocate(frames));
    if (numChannels === 2) return downmixStereoInt16(pcm, allocate(frames));
  }
  const interleaved = numChannels === 1 ? allocate(frames) : new Float32Array(frames * numChannels);
  convert(new DataView(bytes.buffer, bytes.byteOffset, frames * blockAlign), littleEndian, interleaved);
  if (numChannels === 1) return interleaved;

  const mono = allocate(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < numChannels; channel++) sum += interleaved[frame * numChannels + channel];
    mono[frame] = sum / numChannels;
  }
  return mono;
}

/**
 * Decodes a WAV held in memory (PCM 8/16/24/32-bit, float 32/64, any channel count and rate) to mono at
 * `sampleRate`. `file` only names the source in errors. Other WAV codecs throw UnsupportedWavCodecError.
 */
export function decodeWavBuffer(buffer: Uint8Array, file: string, sampleRate = DEFAULT_SAMPLE_RATE): Audio {
  assertSampleRate(sampleRate, 'the requested sample rate');
  if (buffer.length === 0) throw emptyFileError(file);
  if (!looksLikeWav(buffer)) {
    throw new AudioError(
      file,
      'is not a WAV file (it does not start with a RIFF/RIFX/RF64 WAVE header); decodeAudio() reads other ' +
        'formats through ffmpeg',
    );
  }
  if (buffer.length < WAV_SIGNATURE_LENGTH) {
    throw new AudioError(
      file,
      `truncated WAV: only ${buffer.length} bytes, shorter than a WAV header; re-export or re-download it`,
    );
  }
  const wave = parseWave(buffer, file);
  const format = wave.fmt as FormatChunk;
  const bytes = sampleBytes(wave, file);
  const encoding = sampleEncoding(format, file);
  assertBearableDuration(bytes.length / format.blockAlign / format.sampleRate, file);
  // Samples at the file's own rate live only until resampled, so they can go into a reused buffer.
  const allocate = format.sampleRate === sampleRate ? (length: number) => new Float32Array(length) : (length: number) => scratchSamples(SCRATCH.decoded, length);
  const mono = decodeMono(bytes, format, encoding.convert, wave.container !== 'RIFX', allocate);
  if (encoding.integer) assertHasSamples(mono, file);
  else assertUsableSamples(mono, file);
  return { samples: resample(mono, format.sampleRate, sampleRate), sampleRate };
}
