import { trackPitch, type PitchTrack } from '../features/pitch.js';
import { resolveSegmentOptions, SegmentAssembler, type SegmentOptions, type SpeechSegment } from './segments.js';

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
 *    Then voicing: the region's speech (split at those gaps into islands) is checked for voiced frames with
 *    YIN (`trackPitch` of src/features/pitch.ts): a frame is voiced when its voicing strength 1 − d' is at
 *    least `MIN_VOICING_STRENGTH` (0.5) in a run of 3 frames or more. Speech frames more than
 *    `voicingMarginSeconds` before an island's first voiced frame or after its last one are not speech, and an
 *    island with no voiced frame at all is dropped: breathing, rustle, a noisy lead-in or tail within 30 dB of
 *    the sentence has no periodic source, while every sentence has vowels. The margin (0.25 s) keeps the
 *    unvoiced consonants a sentence may begin or end with: an initial /s/ or /f/ lasts 0.1–0.2 s, a final /s/
 *    lengthened before a pause or a final stop's release and aspiration up to about 0.25 s (Klatt 1976,
 *    "Linguistic uses of segmental duration in English", JASA 59(5)); whispered speech, which has no voiced
 *    frame, is not found. YIN runs only on the islands' edges, `VOICING_BLOCK_FRAMES` frames (0.2 s) at a
 *    time from each end until a voiced frame is found, not over all speech.
 *    A region is also decided whenever the segment it feeds reaches `maxSeconds` (when the assembler cuts
 *    a piece), each piece on the loudest frame of the region so far, so memory and latency stay bounded on an
 *    hour of talk without a pause.
 * Speech decisions then go through `SegmentAssembler` (merge across short pauses, cut long segments), in
 * time order, so a segment is known at the same moment as with one pass. The length rule
 * (`minSpeechSeconds`: a segment with less speech than 0.2 s is dropped) is applied here per island, with one
 * exception: a short island stays when it holds a vowel, a frame YIN calls voiced by its own pitch threshold
 * (d' < 0.2, `YIN_THRESHOLD`, in a run of 3 frames: `voiced` of `trackPitch`). The length rule stands in for a
 * voicing decision (clicks and door slams are short); a fragment under 0.2 s that stands apart from a sentence
 * by a pause of `mergeGapSeconds` or more and is periodic like a vowel is speech: a one-syllable word or
 * backchannel ("ja", "no", "mm": a stressed vowel alone lasts 0.1 s or more, Klatt 1976), or a word cut by the
 * start or end of a recording. Short sounds periodic only in part (0.5 ≤ 1 − d' < 0.8: a breath with some
 * voice in it, a lip smack's ringing, background babble) pass the island rule above but not this one, and stay
 * dropped. A kept fragment is its own segment; `ser predict` gives it an emotion when the model has the
 * frames it needs, else none.
 * Example: at 16 kHz a frame is 480 samples every 160; digital silence, a DC offset or noise at −80 dBFS
 * never reach the −65 dB floor, so they give no segment. A breath at −55 dBFS 0.9 s before a sentence
 * peaking at −20 dBFS is a candidate in pass 1 (nothing louder in the last 2 s) and is dropped in pass 2
 * (35 dB below the region's peak), so the segment starts with the sentence. A hiss at −35 dBFS for 0.6 s
 * right after a sentence peaking at −15 dBFS is within 30 dB of it and a candidate, but has no voiced frame:
 * the segment ends 0.25 s after the sentence's last voiced frame (plus padding), not after the hiss.
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
  /** Speech frames further than this (seconds) before the first or after the last voiced frame of their island are not speech. */
  voicingMarginSeconds: number;
}

export const DEFAULT_ENERGY_OPTIONS: EnergyOptions = { absoluteFloorDb: -65, marginDb: 12, noiseWindowSeconds: 5, peakWindowSeconds: 3, dynamicRangeDb: 30, minRunSeconds: 0.05, voicingMarginSeconds: 0.25 };

export const ENERGY_OPTION_BOUNDS: Record<keyof EnergyOptions, [number, number]> = {
  absoluteFloorDb: [-120, 0],
  marginDb: [0, 60],
  noiseWindowSeconds: [0.5, 60],
  peakWindowSeconds: [0.5, 60],
  dynamicRangeDb: [10, 120],
  minRunSeconds: [0, 1],
  voicingMarginSeconds: [0, 10],
};

const BLOCK_FRAMES = 50;
/** Frames of an island's edge given to YIN at a time, while looking for its first (or last) voiced frame. */
const VOICING_BLOCK_FRAMES = 20;
/**
 * A frame is periodic for the voicing rule when 1 − d' ≥ 0.5: d' at the period measures the aperiodic share
 * of the frame's power (de Cheveigné and Kawahara 2002, section VI.B), so at least half of its power below
 * 1 kHz repeats with the period. YIN's pitch threshold (d' < 0.2, `YIN_THRESHOLD`) is stricter than a voicing
 * decision needs: creaky or breathy sentence ends (d' 0.2–0.35) fail it, white noise stays near d' ≈ 0.7.
 */
const MIN_VOICING_STRENGTH = 0.5;
/** Periodic frames count only in runs of at least this many (30 ms, 3 periods of a 100 Hz voice), as pitch.ts does. */
const MIN_PERIODIC_RUN = 3;
/** Frames of audio kept either side of a YIN block, so its edge frames see the samples YIN reads around them. */
const VOICING_CONTEXT_FRAMES = 3;

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

/**
 * 1 on the frames in a run of at least MIN_PERIODIC_RUN frames whose YIN voicing strength 1 − d' is at
 * least MIN_VOICING_STRENGTH, else 0.
 */
function periodicRuns(strength: Float32Array): Uint8Array {
  const voiced = new Uint8Array(strength.length);
  let runStart = 0;
  for (let t = 0; t <= strength.length; t++) {
    if (t < strength.length && strength[t] >= MIN_VOICING_STRENGTH) continue;
    if (t - runStart >= MIN_PERIODIC_RUN) voiced.fill(1, runStart, t);
    runStart = t + 1;
  }
  return voiced;
}

/** Pass-1 frames of the region still open: first sample, times, levels, candidate flags. */
interface RegionFrame {
  sample: number;
  start: number;
  end: number;
  level: number;
  candidate: boolean;
}

/**
 * The stream's recent samples: the chunk being pushed, read in place, and the samples kept from chunks
 * before (copied into a buffer that doubles as it grows). Only what `retain` asks for outlives a push, so a
 * whole file pushed at once is never copied and live audio costs a copy of the open region only.
 */
class SampleHistory {
  private kept: Float32Array = new Float32Array(0);
  private keptLength = 0;
  /** Index, in the whole stream, of kept[0]; the kept samples run up to chunkOffset. */
  private keptOffset = 0;
  private chunk: Float32Array = new Float32Array(0);
  private chunkOffset = 0;

  /** The next chunk, starting at stream index `offset` (where the kept samples end). */
  setChunk(chunk: Float32Array, offset: number): void {
    this.chunk = chunk;
    this.chunkOffset = offset;
  }

  /** Stream index of the first sample available. */
  get first(): number {
    return this.keptLength > 0 ? this.keptOffset : this.chunkOffset;
  }

  /** The samples from stream index `from` to `to` (both available). */
  range(from: number, to: number): Float32Array {
    if (from >= this.chunkOffset) return this.chunk.subarray(from - this.chunkOffset, to - this.chunkOffset);
    if (to <= this.chunkOffset) return this.kept.subarray(from - this.keptOffset, to - this.keptOffset);
    const joined = new Float32Array(to - from);
    joined.set(this.kept.subarray(from - this.keptOffset, this.keptLength));
    joined.set(this.chunk.subarray(0, to - this.chunkOffset), this.chunkOffset - from);
    return joined;
  }

  /** Keeps (copies) the samples from stream index `from` on, the chunk's included, and lets go of the rest. */
  retain(from: number): void {
    const start = Math.max(from, this.first);
    const drop = Math.min(this.keptLength, start - this.keptOffset);
    if (drop > 0) {
      this.kept.copyWithin(0, drop, this.keptLength);
      this.keptLength -= drop;
    }
    const tail = this.chunk.subarray(Math.max(0, start - this.chunkOffset));
    if (this.keptLength + tail.length > this.kept.length) {
      const grown = new Float32Array(Math.max(2 * this.kept.length, this.keptLength + tail.length));
      grown.set(this.kept.subarray(0, this.keptLength));
      this.kept = grown;
    }
    this.kept.set(tail, this.keptLength);
    this.keptLength += tail.length;
    this.keptOffset = this.chunkOffset + this.chunk.length - this.keptLength;
    this.chunkOffset += this.chunk.length;
    this.chunk = new Float32Array(0);
  }
}

/** Streaming energy VAD: `push` chunks of samples, get the segments they finished; `finish` at the end. */
export class EnergyVad {
  readonly sampleRate: number;
  private readonly energy: EnergyOptions;
  private readonly assembler: SegmentAssembler;
  /** minSpeechSeconds in frames. */
  private readonly minSpeechFrames: number;
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
  /** The open region was cut at maxSeconds before: its first island goes on from the piece before. */
  private regionContinues = false;
  /** Samples of the open region's frames (and a few frames before), for the voicing check. */
  private readonly history = new SampleHistory();

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
    // The length rule is applied per island here (with the vowel exception), not by the assembler.
    this.minSpeechFrames = Math.round(resolveSegmentOptions(options).minSpeechSeconds / HOP_SECONDS);
    this.assembler = new SegmentAssembler({ ...options, minSpeechSeconds: 0 });
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
    this.history.setChunk(chunk, this.samplesSeen);
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
      const frame = { sample: this.pendingOffset + start, start: centre - HOP_SECONDS / 2, end: centre + HOP_SECONDS / 2, level, candidate };
      if (candidate) {
        this.region.push(frame);
        this.regionPeak = Math.max(this.regionPeak, level);
        this.lastCandidateEnd = frame.end;
        // A piece is decided once the segment it feeds reaches maxSeconds, so it is cut when it would be in one pass.
        if (frame.end - (this.assembler.openSince ?? this.region[0].start) >= maxSeconds) finished.push(...this.decideRegion(false));
      } else if (this.regionPeak > -Infinity) {
        this.region.push(frame);
        if (frame.end - this.lastCandidateEnd >= mergeGapSeconds) {
          finished.push(...this.decideRegion(true));
          this.regionPeak = -Infinity;
        }
      } else {
        finished.push(...this.assembler.push(frame.start, frame.end, false));
      }
    }
    this.pending = samples.slice(start);
    this.pendingOffset += start;
    const firstNeeded = this.region.length > 0 ? this.region[0].sample : this.pendingOffset;
    this.history.retain(firstNeeded - VOICING_CONTEXT_FRAMES * this.hop);
    return finished;
  }

  /**
   * Pass 2: the region's frames, candidates within `dynamicRangeDb` of its peak and near a voiced frame as
   * speech, into the assembler. `closing`: the region ends here (else it goes on in a next piece).
   */
  private decideRegion(closing: boolean): SpeechSegment[] {
    const floor = this.regionPeak - this.energy.dynamicRangeDb;
    const speech = this.region.map(({ level, candidate }) => candidate && level >= floor);
    const minRun = Math.round(this.energy.minRunSeconds / HOP_SECONDS);
    for (let first = 0; first < speech.length; ) {
      let after = first;
      while (after < speech.length && speech[after] === speech[first]) after++;
      if (speech[first] && after - first < minRun) speech.fill(false, first, after);
      first = after;
    }
    this.trimUnvoiced(speech, closing);
    const finished: SpeechSegment[] = [];
    this.region.forEach(({ start, end }, index) => finished.push(...this.assembler.push(start, end, speech[index])));
    this.region = [];
    this.regionContinues = !closing;
    return finished;
  }

  /**
   * The voicing rule (see the file's comment), in place on the region's speech flags: per island (speech
   * frames with gaps under mergeGapSeconds), frames beyond the margin around its voiced frames are unmarked,
   * an island without one is. A side of an island that goes on in the piece before or after is left alone.
   */
  private trimUnvoiced(speech: boolean[], closing: boolean): void {
    const gapFrames = Math.round(this.assembler.options.mergeGapSeconds / HOP_SECONDS);
    const margin = Math.round(this.energy.voicingMarginSeconds / HOP_SECONDS);
    const firstSpeech = speech.indexOf(true);
    for (let first = firstSpeech; first >= 0; ) {
      let last = first;
      for (let i = first + 1; i < speech.length && i - last < gapFrames; i++) if (speech[i]) last = i;
      const leadingOpen = first === firstSpeech && this.regionContinues;
      const trailingOpen = !closing && speech.length - 1 - last < gapFrames;
      const firstVoiced = this.voicedSpeechFrame(speech, first, last, 1);
      if (firstVoiced < 0) {
        if (!leadingOpen && !trailingOpen) speech.fill(false, first, last + 1);
        else if (!trailingOpen) speech.fill(false, first + margin + 1, last + 1);
      } else {
        if (!leadingOpen) speech.fill(false, first, Math.max(first, firstVoiced - margin));
        // YIN's blocks differ searching backwards, so the frame found forwards bounds the search.
        if (!trailingOpen) speech.fill(false, Math.max(firstVoiced, this.voicedSpeechFrame(speech, last, firstVoiced, -1)) + margin + 1, last + 1);
        let speechFrames = 0;
        for (let i = first; i <= last; i++) if (speech[i]) speechFrames++;
        if (!leadingOpen && !trailingOpen && speechFrames < this.minSpeechFrames && !this.holdsVowel(speech, first, last)) speech.fill(false, first, last + 1);
      }
      first = speech.indexOf(true, last + 1);
    }
  }

  /**
   * The first region frame from `from` towards `to` (by `step` ±1, both included) that is speech and voiced,
   * or −1; YIN runs on VOICING_BLOCK_FRAMES frames at a time, with VOICING_CONTEXT_FRAMES of audio either side.
   */
  private voicedSpeechFrame(speech: boolean[], from: number, to: number, step: 1 | -1): number {
    for (let blockFrom = from; step * (to - blockFrom) >= 0; blockFrom += step * VOICING_BLOCK_FRAMES) {
      const blockTo = step > 0 ? Math.min(to, blockFrom + VOICING_BLOCK_FRAMES - 1) : Math.max(to, blockFrom - VOICING_BLOCK_FRAMES + 1);
      const low = Math.min(blockFrom, blockTo);
      const { track, contextBefore } = this.pitchOf(low, Math.max(blockFrom, blockTo));
      const voiced = periodicRuns(track.voicingStrength);
      for (let frame = blockFrom; step * (blockTo - frame) >= 0; frame += step) {
        if (speech[frame] && voiced[frame - low + contextBefore]) return frame;
      }
    }
    return -1;
  }

  /**
   * YIN over region frames `low` to `high`, with up to VOICING_CONTEXT_FRAMES of audio either side; track frame
   * `frame − low + contextBefore` is region frame `frame`.
   */
  private pitchOf(low: number, high: number): { track: PitchTrack; contextBefore: number } {
    const regionEnd = this.region[this.region.length - 1].sample + this.frameLength;
    const contextBefore = Math.min(VOICING_CONTEXT_FRAMES, Math.floor((this.region[low].sample - this.history.first) / this.hop));
    const samples = this.history.range(
      this.region[low].sample - contextBefore * this.hop,
      Math.min(regionEnd, this.region[high].sample + this.frameLength + VOICING_CONTEXT_FRAMES * this.hop),
    );
    const track = trackPitch(samples, { sampleRate: this.sampleRate, frameLength: this.frameLength, frameShift: this.hop, removeDcOffset: true });
    return { track, contextBefore };
  }

  /** Whether a speech frame from `first` to `last` (region frames) is voiced by YIN's pitch threshold (`voiced`). */
  private holdsVowel(speech: boolean[], first: number, last: number): boolean {
    const { track, contextBefore } = this.pitchOf(first, last);
    for (let frame = first; frame <= last; frame++) if (speech[frame] && track.voiced[frame - first + contextBefore]) return true;
    return false;
  }

  finish(): SpeechSegment[] {
    const finished = this.decideRegion(true);
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
