import { SegmentAssembler, type SegmentOptions, type SpeechSegment } from './segments.js';

/**
 * Energy voice activity detection, browser-safe (no Node imports) and streaming: the same frames and the
 * same decisions whether the audio arrives whole or in chunks of any size.
 *
 * Each frame of `FRAME_SECONDS` every `HOP_SECONDS` gets its level after removing its mean (so a DC offset
 * is silence): L = 10·log10(Σ(x − x̄)² / n + 1e-12) dBFS (a full-scale sine is −3 dB). The frame is speech
 * when L ≥ max(absoluteFloorDb, noise + marginDb), where `noise` is the lowest L of the last
 * `noiseWindowSeconds` (minimum statistics, Martin 2001, in its simplest form: speech has pauses and dips
 * between syllables, so the minimum over a few seconds is the background's level), and also L ≥ peak −
 * dynamicRangeDb, peak the loudest L of the same window (recordings differ by 40 dB in level, so a fixed
 * floor either misses quiet talkers or takes a loud one's breaths for speech). Both are kept in blocks of
 * 0.5 s so the window costs a few comparisons per frame. Speech decisions then go through
 * `SegmentAssembler` (merge across short pauses, drop clicks, cut long segments).
 * Example: at 16 kHz a frame is 480 samples every 160; digital silence, a DC offset or noise at −80 dBFS
 * never reach the −65 dB floor, so they give no segment.
 */

export const FRAME_SECONDS = 0.03;
export const HOP_SECONDS = 0.01;

export interface EnergyOptions {
  /** Frames quieter than this are never speech (dBFS). */
  absoluteFloorDb: number;
  /** How far above the tracked background a frame must be to be speech (dB). */
  marginDb: number;
  /** The background level is the quietest frame of this many seconds before each frame (and the peak the loudest). */
  noiseWindowSeconds: number;
  /** Frames more than this far below the loudest of the window are not speech (breaths, room tone, clicks). */
  dynamicRangeDb: number;
}

export const DEFAULT_ENERGY_OPTIONS: EnergyOptions = { absoluteFloorDb: -65, marginDb: 12, noiseWindowSeconds: 5, dynamicRangeDb: 30 };

export const ENERGY_OPTION_BOUNDS: Record<keyof EnergyOptions, [number, number]> = {
  absoluteFloorDb: [-120, 0],
  marginDb: [0, 60],
  noiseWindowSeconds: [0.5, 60],
  dynamicRangeDb: [10, 120],
};

const NOISE_BLOCK_FRAMES = 50;

export type EnergyVadOptions = SegmentOptions & EnergyOptions;

function frameLevelDb(samples: Float32Array, start: number, length: number): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += samples[i];
  const mean = sum / length;
  let power = 0;
  for (let i = start; i < start + length; i++) {
    const centred = samples[i] - mean;
    power += centred * centred;
  }
  return 10 * Math.log10(power / length + 1e-12);
}

/** Streaming energy VAD: `push` chunks of samples, get the segments they finished; `finish` at the end. */
export class EnergyVad {
  readonly sampleRate: number;
  private readonly energy: EnergyOptions;
  private readonly assembler: SegmentAssembler;
  private readonly frameLength: number;
  private readonly hop: number;
  /** The samples not yet covered by a whole frame (at most one frame's worth plus a chunk). */
  private pending = new Float32Array(0);
  /** Index, in the whole stream, of pending[0]. */
  private pendingOffset = 0;
  /** Quietest level of each finished 0.5 s block in the noise window, oldest first, and of the current block. */
  private blockMinima: number[] = [];
  private currentMinimum = Infinity;
  /** Loudest level of each finished block in the window, and of the current block. */
  private blockMaxima: number[] = [];
  private currentMaximum = -Infinity;
  private framesInBlock = 0;
  private samplesSeen = 0;

  constructor(sampleRate: number, options: Partial<EnergyVadOptions> = {}) {
    if (!(Number.isFinite(sampleRate) && sampleRate >= 1000 && sampleRate <= 384000)) {
      throw new RangeError(`sample rate must be from 1000 to 384000 Hz, got ${sampleRate}`);
    }
    this.sampleRate = sampleRate;
    this.energy = {
      absoluteFloorDb: options.absoluteFloorDb ?? DEFAULT_ENERGY_OPTIONS.absoluteFloorDb,
      marginDb: options.marginDb ?? DEFAULT_ENERGY_OPTIONS.marginDb,
      noiseWindowSeconds: options.noiseWindowSeconds ?? DEFAULT_ENERGY_OPTIONS.noiseWindowSeconds,
      dynamicRangeDb: options.dynamicRangeDb ?? DEFAULT_ENERGY_OPTIONS.dynamicRangeDb,
    };
    for (const [name, [low, high]] of Object.entries(ENERGY_OPTION_BOUNDS) as [keyof EnergyOptions, [number, number]][]) {
      const value = this.energy[name];
      if (!(Number.isFinite(value) && value >= low && value <= high)) throw new RangeError(`${name} must be a number from ${low} to ${high}, got ${value}`);
    }
    this.assembler = new SegmentAssembler(options);
    this.frameLength = Math.round(FRAME_SECONDS * sampleRate);
    this.hop = Math.round(HOP_SECONDS * sampleRate);
  }

  /** Seconds of audio pushed so far. */
  get duration(): number {
    return this.samplesSeen / this.sampleRate;
  }

  /** The earliest second a segment still to come may start at: audio before it can be let go. */
  get neededSince(): number {
    // A segment opens at most a frame and its padding before the frame that opens it.
    const nextFrame = this.pendingOffset / this.sampleRate;
    return this.assembler.openSince ?? Math.max(0, nextFrame - this.assembler.options.paddingSeconds - HOP_SECONDS);
  }

  push(chunk: Float32Array): SpeechSegment[] {
    this.samplesSeen += chunk.length;
    let samples = chunk;
    if (this.pending.length > 0) {
      samples = new Float32Array(this.pending.length + chunk.length);
      samples.set(this.pending);
      samples.set(chunk, this.pending.length);
    }
    const finished: SpeechSegment[] = [];
    const { absoluteFloorDb, marginDb, dynamicRangeDb } = this.energy;
    let start = 0;
    for (; start + this.frameLength <= samples.length; start += this.hop) {
      const level = frameLevelDb(samples, start, this.frameLength);
      const { noise, peak } = this.track(level);
      const isSpeech = level >= Math.max(absoluteFloorDb, noise + marginDb, peak - dynamicRangeDb);
      // A frame stands for its hop, centred: consecutive frames tile the time axis without overlap.
      const centre = (this.pendingOffset + start + this.frameLength / 2) / this.sampleRate;
      finished.push(...this.assembler.push(centre - HOP_SECONDS / 2, centre + HOP_SECONDS / 2, isSpeech));
    }
    this.pending = samples.slice(start);
    this.pendingOffset += start;
    return finished;
  }

  /** Takes in one frame's level; returns the lowest (background) and highest level in the window. */
  private track(level: number): { noise: number; peak: number } {
    this.currentMinimum = Math.min(this.currentMinimum, level);
    this.currentMaximum = Math.max(this.currentMaximum, level);
    let noise = this.currentMinimum;
    let peak = this.currentMaximum;
    for (const minimum of this.blockMinima) noise = Math.min(noise, minimum);
    for (const maximum of this.blockMaxima) peak = Math.max(peak, maximum);
    if (++this.framesInBlock === NOISE_BLOCK_FRAMES) {
      this.blockMinima.push(this.currentMinimum);
      this.blockMaxima.push(this.currentMaximum);
      if (this.blockMinima.length * NOISE_BLOCK_FRAMES * HOP_SECONDS > this.energy.noiseWindowSeconds) {
        this.blockMinima.shift();
        this.blockMaxima.shift();
      }
      this.currentMinimum = Infinity;
      this.currentMaximum = -Infinity;
      this.framesInBlock = 0;
    }
    return { noise, peak };
  }

  finish(): SpeechSegment[] {
    return this.assembler.finish(this.duration);
  }
}

/** Speech segments (seconds) of a whole recording, as `EnergyVad` finds them in a stream. */
export function energySegments(samples: Float32Array, sampleRate: number, options?: Partial<SegmentOptions & EnergyOptions>): SpeechSegment[] {
  const vad = new EnergyVad(sampleRate, options);
  const segments = vad.push(samples);
  segments.push(...vad.finish());
  return segments;
}

export type { SegmentOptions, SpeechSegment };
