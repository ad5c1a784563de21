import { EnergyVad, type EnergyVadOptions } from '../segment/energy.js';
import type { SpeechSegment } from '../segment/segments.js';
import type { SavedModel } from '../model/io.js';
import { predictSpeechAudio, type SegmentPrediction } from './predict.js';

/**
 * Live input: audio arriving on a stream (standard input), raw s16le mono at the model's rate or a WAV
 * stream (16-bit PCM or 32-bit float, any channel count, downmixed), scored segment by segment as the
 * energy VAD finishes them: a segment is reported `mergeGapSeconds` (0.5 s by default) after its last speech
 * frame. Memory holds only the audio a segment still to come may need (at most `maxSeconds` plus a second),
 * whatever the stream's length. When the stream ends or breaks, the open segment is scored and reported
 * before the error is.
 */

export class StreamInputError extends Error {
  constructor(
    readonly origin: string,
    readonly byteOffset: number,
    reason: string,
  ) {
    super(`${origin}, byte ${byteOffset}: ${reason}`);
  }
}

const FOREIGN_CONTAINERS: [string, (head: Buffer) => boolean][] = [
  ['an MP3 (ID3)', (head) => head.subarray(0, 3).toString('latin1') === 'ID3'],
  ['an Ogg', (head) => head.subarray(0, 4).toString('latin1') === 'OggS'],
  ['a FLAC', (head) => head.subarray(0, 4).toString('latin1') === 'fLaC'],
  ['a Matroska/WebM', (head) => head.readUInt32BE(0) === 0x1a45dfa3],
  ['an MP4', (head) => head.subarray(4, 8).toString('latin1') === 'ftyp'],
];

/** Bytes of a stream → float samples: raw s16le mono, or a WAV stream (detected by its RIFF/WAVE header). */
export class PcmStreamDecoder {
  private head = Buffer.alloc(0);
  private mode: 'detect' | 'wav-header' | 'samples' | 'done' = 'detect';
  private bytesPerSample = 2;
  private float = false;
  private channels = 1;
  private dataLeft = Infinity;
  private leftover = Buffer.alloc(0);
  private offset = 0;

  constructor(
    private readonly sampleRate: number,
    private readonly origin: string,
  ) {}

  /** Bytes read so far. */
  get bytesRead(): number {
    return this.offset;
  }

  push(bytes: Buffer): Float32Array {
    this.offset += bytes.length;
    if (this.mode === 'done') return new Float32Array(0);
    if (this.mode !== 'samples') {
      this.head = Buffer.concat([this.head, bytes]);
      if (this.mode === 'detect') {
        if (this.head.length < 16) return new Float32Array(0);
        this.detect(this.head);
      }
      if (this.mode === 'wav-header') {
        const dataStart = this.readWavHeader(this.head);
        if (dataStart === null) return new Float32Array(0);
        bytes = this.head.subarray(dataStart);
      } else {
        bytes = this.head;
      }
      this.head = Buffer.alloc(0);
      this.mode = 'samples';
    }
    return this.samples(bytes);
  }

  /** The stream ended: a partial sample left over is reported, never guessed. */
  end(): string | null {
    if (this.mode === 'detect') return this.offset === 0 ? 'no audio: the stream was empty' : `only ${this.offset} bytes: too short to be audio`;
    if (this.mode === 'wav-header') return `the stream ended inside its WAV header (${this.head.length} bytes)`;
    return this.leftover.length > 0 ? `the stream ended inside a sample (${this.leftover.length} stray bytes ignored)` : null;
  }

  private detect(head: Buffer): void {
    if (head.subarray(0, 4).toString('latin1') === 'RIFF') {
      if (head.subarray(8, 12).toString('latin1') !== 'WAVE') throw new StreamInputError(this.origin, 8, 'a RIFF stream that is not WAVE audio');
      this.mode = 'wav-header';
      return;
    }
    const foreign = FOREIGN_CONTAINERS.find(([, matches]) => matches(head));
    if (foreign) {
      throw new StreamInputError(this.origin, 0, `${foreign[0]} stream, not raw s16le or WAV: decode it first, e.g. ffmpeg -i in -f s16le -ac 1 -ar ${this.sampleRate} - | ser predict ... -`);
    }
    if ([...head.subarray(0, 16)].every((byte) => (byte >= 0x20 && byte < 0x7f) || byte === 0x0a || byte === 0x0d || byte === 0x09)) {
      throw new StreamInputError(this.origin, 0, `text, not audio ("${head.subarray(0, 16).toString('latin1').replace(/\s+/g, ' ')}…"): give raw s16le ${this.sampleRate} Hz mono or a WAV stream`);
    }
  }

  /** Where the samples start once the header is complete, else null; throws on a header it cannot use. */
  private readWavHeader(head: Buffer): number | null {
    let at = 12;
    while (at + 8 <= head.length) {
      const id = head.subarray(at, at + 4).toString('latin1');
      const size = head.readUInt32LE(at + 4);
      if (id === 'data') {
        // Streams written before their length is known say 0 or 0xFFFFFFFF.
        this.dataLeft = size === 0 || size === 0xffffffff ? Infinity : size;
        return at + 8;
      }
      if (at + 8 + size > head.length) return null;
      if (id === 'fmt ') this.readFormat(head.subarray(at + 8, at + 8 + size), at + 8);
      at += 8 + size + (size % 2);
      if (at > 1 << 20) throw new StreamInputError(this.origin, at, 'no data chunk in the first MiB of the WAV stream');
    }
    return null;
  }

  private readFormat(fmt: Buffer, offset: number): void {
    if (fmt.length < 16) throw new StreamInputError(this.origin, offset, 'WAV fmt chunk shorter than 16 bytes');
    let tag = fmt.readUInt16LE(0);
    if (tag === 0xfffe && fmt.length >= 26) tag = fmt.readUInt16LE(24);
    this.channels = fmt.readUInt16LE(2);
    const rate = fmt.readUInt32LE(4);
    const bits = fmt.readUInt16LE(14);
    if (this.channels < 1 || this.channels > 64) throw new StreamInputError(this.origin, offset + 2, `WAV stream with ${this.channels} channels`);
    if (rate !== this.sampleRate) {
      throw new StreamInputError(this.origin, offset + 4, `WAV stream at ${rate} Hz, the model reads ${this.sampleRate} Hz: resample it, e.g. ffmpeg ... -ar ${this.sampleRate} -f wav -`);
    }
    if (tag === 1 && bits === 16) this.float = false;
    else if (tag === 3 && bits === 32) this.float = true;
    else throw new StreamInputError(this.origin, offset, `WAV stream of format ${tag} with ${bits}-bit samples: give 16-bit PCM or 32-bit float (ffmpeg -c:a pcm_s16le)`);
    this.bytesPerSample = bits / 8;
  }

  private samples(bytes: Buffer): Float32Array {
    if (this.dataLeft !== Infinity) {
      if (bytes.length >= this.dataLeft) {
        bytes = bytes.subarray(0, this.dataLeft);
        this.mode = 'done';
      }
      this.dataLeft -= bytes.length;
    }
    const all = this.leftover.length > 0 ? Buffer.concat([this.leftover, bytes]) : bytes;
    const frameBytes = this.bytesPerSample * this.channels;
    const whole = all.length - (all.length % frameBytes);
    this.leftover = Buffer.from(all.subarray(whole));
    return this.samplesOf(all.subarray(0, whole));
  }

  private samplesOf(bytes: Buffer): Float32Array {
    const frameBytes = this.bytesPerSample * this.channels;
    const out = new Float32Array(Math.floor(bytes.length / frameBytes));
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let c = 0; c < this.channels; c++) {
        const at = i * frameBytes + c * this.bytesPerSample;
        sum += this.float ? bytes.readFloatLE(at) : bytes.readInt16LE(at) / 32768;
      }
      out[i] = sum / this.channels;
    }
    return out;
  }
}

/** The stream's samples from `start` on that a segment may still need, in one growing, compacted array. */
class SampleWindow {
  private data = new Float32Array(16000 * 4);
  private length = 0;
  /** Stream index of data[0]. */
  private start = 0;

  append(samples: Float32Array): void {
    if (this.length + samples.length > this.data.length) {
      const grown = new Float32Array(Math.max(2 * this.data.length, this.length + samples.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(samples, this.length);
    this.length += samples.length;
  }

  /** Lets go of samples before stream index `index`. */
  dropBefore(index: number): void {
    const drop = Math.min(this.length, Math.max(0, index - this.start));
    if (drop === 0) return;
    this.data.copyWithin(0, drop, this.length);
    this.length -= drop;
    this.start += drop;
  }

  slice(from: number, to: number): Float32Array {
    return this.data.slice(Math.max(0, from - this.start), Math.max(0, to - this.start));
  }

  /** Samples held (for the memory bound). */
  get held(): number {
    return this.data.length;
  }
}

export interface LiveOptions {
  minConfidence?: number;
  vad?: Partial<EnergyVadOptions>;
}

export interface LiveSummary {
  /** Seconds of audio read. */
  seconds: number;
  segments: number;
  /** Why the stream stopped early, when it broke; what came before was scored. */
  error?: string;
  /** Most samples held at once. */
  peakSamplesHeld: number;
}

/**
 * Scores speech segments of a stream as they finish, calling `onSegment` for each; resolves when the stream
 * ends or breaks (after the open segment is scored), with why it broke.
 */
export async function predictStream(
  saved: SavedModel,
  input: AsyncIterable<Buffer | string>,
  origin: string,
  onSegment: (segment: SegmentPrediction) => void,
  options: LiveOptions = {},
): Promise<LiveSummary> {
  const rate = saved.card.featureConfig.sampleRate;
  const decoder = new PcmStreamDecoder(rate, origin);
  const vad = new EnergyVad(rate, options.vad);
  const window = new SampleWindow();
  let segments = 0;
  let peakSamplesHeld = 0;
  const score = (found: SpeechSegment[]) => {
    for (const segment of found) {
      const samples = window.slice(Math.round(segment.start * rate), Math.round(segment.end * rate));
      const estimate = predictSpeechAudio(saved, samples, options.minConfidence);
      onSegment({ start: segment.start, end: segment.end, kind: 'speech', speech: true, ...estimate });
      segments++;
    }
    window.dropBefore(Math.floor(vad.neededSince * rate));
    peakSamplesHeld = Math.max(peakSamplesHeld, window.held);
  };
  let error: string | undefined;
  try {
    for await (const chunk of input) {
      const samples = decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      window.append(samples);
      score(vad.push(samples));
    }
    error = decoder.end() ?? undefined;
  } catch (caught) {
    error = caught instanceof StreamInputError ? caught.message : `${origin}, byte ${decoder.bytesRead}: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
  score(vad.finish());
  return { seconds: vad.duration, segments, peakSamplesHeld, ...(error === undefined ? {} : { error }) };
}
