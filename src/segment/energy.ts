import { SegmentAssembler, type SegmentOptions, type SpeechSegment } from './segments.js';

/**
 * Energy voice activity detection, browser-safe (no Node imports) and streaming: the same frames and the
 * same decisions whether the audio arrives whole or in chunks of any size.
 *
 * Each frame of `FRAME_SECONDS` every `HOP_SECONDS` gets its level after removing its mean (so a DC offset
 * is silence): L = 10·log10(Σ(x − x̄)² / n + 1e-12) dBFS (a full-scale sine is −3 dB). Two passes decide:
 *
 * 1. As the audio streams, a frame is a speech candidate when L ≥ max(absoluteFloorDb, noise + marginDb,
 *    peak − dynamicRangeDb): `noise` is the lowest L of the last `noiseWindowSeconds` (minimum statistics,
 *    Martin 2001, in its simplest form: speech has pauses and dips between syllables, so the minimum over a
 *    few seconds is the background's level) and `peak` the loudest L of the last `peakWindowSeconds`
 *    (breaths and room tone just after speech are far below it). The peak is remembered for a short time
 *    only: recordings differ by 40 dB in level, and a quiet talker a few seconds after a loud one is speech.
 *    Both are kept in blocks of 0.5 s so a window costs a few comparisons per frame.
 * 2. Candidates with pauses under `mergeGapSeconds` between them form a region; when the region closes
 *    (`mergeGapSeconds` without a candidate, when a live segment would be reported anyway) it is refined
 *    on its own loudest frame P: a candidate stays speech only when L ≥ P − dynamicRangeDb. A breath or
 *    rustle before or after a sentence, which the first pass could not yet know was 30 dB below the sentence
 *    to come, is trimmed off, and a quiet gap of `mergeGapSeconds` or more inside the region splits it.
 *    A region is also decided whenever the segment it feeds reaches `maxSeconds` (when the assembler cuts
 *    a piece), each piece on the loudest frame of the region so far, so memory and latency stay bounded on an
 *    hour of talk without a pause.
 * Speech decisions then go through `SegmentAssembler` (merge across short pauses, drop clicks, cut long
 * segments), in time order, so a segment is known at the same moment as with one pass.
 * Example: at 16 kHz a frame is 480 samples every 160; digital silence, a DC offset or noise at −80 dBFS
 * never reach the −65 dB floor, so they give no segment. A breath at −55 dBFS 0.9 s before a sentence
 * peaking at −20 dBFS is a candidate in pass 1 (nothing louder in the last 2 s) and is dropped in pass 2
 * (35 dB below the region's peak), so the segment starts with the sentence.
 */

export const FRAME_SECONDS = 0.03;
export const HOP_SECONDS = 0.01;

export interface EnergyOptions {
  /** Frames quieter than this are never speech (dBFS). */
  absoluteFloorDb: number;
  /** How far above the tracked background a frame must be to be speech (dB). */
  marginDb: number;
  /** The background level is the quietest frame of this many seconds before each frame. */
  noiseWindowSeconds: number;
  /** The recent peak is the loudest frame of this many seconds before each frame. */
  peakWindowSeconds: number;
  /** Frames more than this far below the recent peak, or below their region's peak, are not speech (breaths, room tone, clicks). */
  dynamicRangeDb: number;
  /** Runs of speech frames shorter than this (seconds) within a region are not speech (clicks, lip smacks). */
  minRunSeconds: number;
}

export const DEFAULT_ENERGY_OPTIONS: EnergyOptions = { absoluteFloorDb: -65, marginDb: 12, noiseWindowSeconds: 5, peakWindowSeconds: 3, dynamicRangeDb: 30, minRunSeconds: 0.05 };

export const ENERGY_OPTION_BOUNDS: Record<keyof EnergyOptions, [number, number]> = {
  absoluteFloorDb: [-120, 0],
  marginDb: [0, 60],
  noiseWindowSeconds: [0.5, 60],
  peakWindowSeconds: [0.5, 60],
  dynamicRangeDb: [10, 120],
  minRunSeconds: [0, 1],
};

const BLOCK_FRAMES = 50;

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

/** The lowest (or highest) level of the last `seconds`, kept per block of `BLOCK_FRAMES` frames. */
class BlockExtreme {
  private readonly blocks: number[] = [];
  private current: number;
  private framesInBlock = 0;
  private readonly maxBlocks: number;

  constructor(
    seconds: number,
    private readonly pick: (a: number, b: number) => number,
    private readonly empty: number,
  ) {
    this.current = empty;
    this.maxBlocks = Math.max(1, Math.floor(seconds / (BLOCK_FRAMES * HOP_SECONDS)));
  }

  /** Takes in one frame's level; returns the extreme over the window, this frame included. */
  add(level: number): number {
    this.current = this.pick(this.current, level);
    let extreme = this.current;
    for (const block of this.blocks) extreme = this.pick(extreme, block);
    if (++this.framesInBlock === BLOCK_FRAMES) {
      this.blocks.push(this.current);
      if (this.blocks.length > this.maxBlocks) this.blocks.shift();
      this.current = this.empty;
      this.framesInBlock = 0;
    }
    return extreme;
  }
}

/** Pass-1 frames of the region still open: times, levels, candidate flags. */
interface RegionFrame {
  start: number;
  end: number;
  level: number;
  candidate: boolean;
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
  private readonly noise: BlockExtreme;
  private readonly peak: BlockExtreme;
  private samplesSeen = 0;
  /** Frames of the open region (from its first candidate on), not yet decided; at most `maxSeconds` of them. */
  private region: RegionFrame[] = [];
  /** Loudest candidate level of the open region so far, pieces already decided included. */
  private regionPeak = -Infinity;
  /** End of the open region's last candidate frame. */
  private lastCandidateEnd = 0;

  constructor(sampleRate: number, options: Partial<EnergyVadOptions> = {}) {
    if (!(Number.isFinite(sampleRate) && sampleRate >= 1000 && sampleRate <= 384000)) {
      throw new RangeError(`sample rate must be from 1000 to 384000 Hz, got ${sampleRate}`);
    }
    this.sampleRate = sampleRate;
    this.energy = { ...DEFAULT_ENERGY_OPTIONS };
    for (const [name, [low, high]] of Object.entries(ENERGY_OPTION_BOUNDS) as [keyof EnergyOptions, [number, number]][]) {
      const value = options[name] ?? DEFAULT_ENERGY_OPTIONS[name];
      if (!(Number.isFinite(value) && value >= low && value <= high)) throw new RangeError(`${name} must be a number from ${low} to ${high}, got ${value}`);
      this.energy[name] = value;
    }
    this.assembler = new SegmentAssembler(options);
    this.frameLength = Math.round(FRAME_SECONDS * sampleRate);
    this.hop = Math.round(HOP_SECONDS * sampleRate);
    this.noise = new BlockExtreme(this.energy.noiseWindowSeconds, Math.min, Infinity);
    this.peak = new BlockExtreme(this.energy.peakWindowSeconds, Math.max, -Infinity);
  }

  /** Seconds of audio pushed so far. */
  get duration(): number {
    return this.samplesSeen / this.sampleRate;
  }

  /** The earliest second a segment still to come may start at: audio before it can be let go. */
  get neededSince(): number {
    // A segment opens at most its padding before the frame that opens it: the region's first, or the next one.
    const padding = this.assembler.options.paddingSeconds;
    const nextFrame = this.pendingOffset / this.sampleRate - HOP_SECONDS;
    const firstUndecided = this.region.length > 0 ? this.region[0].start : nextFrame;
    return this.assembler.openSince ?? Math.max(0, firstUndecided - padding);
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
    const { mergeGapSeconds, maxSeconds } = this.assembler.options;
    let start = 0;
    for (; start + this.frameLength <= samples.length; start += this.hop) {
      const level = frameLevelDb(samples, start, this.frameLength);
      const noise = this.noise.add(level);
      const peak = this.peak.add(level);
      const candidate = level >= Math.max(absoluteFloorDb, noise + marginDb, peak - dynamicRangeDb);
      // A frame stands for its hop, centred: consecutive frames tile the time axis without overlap.
      const centre = (this.pendingOffset + start + this.frameLength / 2) / this.sampleRate;
      const frame = { start: centre - HOP_SECONDS / 2, end: centre + HOP_SECONDS / 2, level, candidate };
      if (candidate) {
        this.region.push(frame);
        this.regionPeak = Math.max(this.regionPeak, level);
        this.lastCandidateEnd = frame.end;
        // A piece is decided once the segment it feeds reaches maxSeconds, so it is cut when it would be in one pass.
        if (frame.end - (this.assembler.openSince ?? this.region[0].start) >= maxSeconds) finished.push(...this.decideRegion());
      } else if (this.regionPeak > -Infinity) {
        this.region.push(frame);
        if (frame.end - this.lastCandidateEnd >= mergeGapSeconds) {
          finished.push(...this.decideRegion());
          this.regionPeak = -Infinity;
        }
      } else {
        finished.push(...this.assembler.push(frame.start, frame.end, false));
      }
    }
    this.pending = samples.slice(start);
    this.pendingOffset += start;
    return finished;
  }

  /** Pass 2: the region's frames, candidates within `dynamicRangeDb` of its peak as speech, into the assembler. */
  private decideRegion(): SpeechSegment[] {
    const floor = this.regionPeak - this.energy.dynamicRangeDb;
    const speech = this.region.map(({ level, candidate }) => candidate && level >= floor);
    const minRun = Math.round(this.energy.minRunSeconds / HOP_SECONDS);
    for (let first = 0; first < speech.length; ) {
      let after = first;
      while (after < speech.length && speech[after] === speech[first]) after++;
      if (speech[first] && after - first < minRun) speech.fill(false, first, after);
      first = after;
    }
    const finished: SpeechSegment[] = [];
    this.region.forEach(({ start, end }, index) => finished.push(...this.assembler.push(start, end, speech[index])));
    this.region = [];
    return finished;
  }

  finish(): SpeechSegment[] {
    const finished = this.decideRegion();
    this.regionPeak = -Infinity;
    finished.push(...this.assembler.finish(this.duration));
    return finished;
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
