/**
 * From frame-by-frame speech decisions to the speech segments an emotion is given for. Browser-safe (no
 * Node imports): the web page runs it on microphone audio, `ser predict` on files and on standard input.
 *
 * Rules, applied as frames arrive so that a live stream and a whole file give the same segments:
 * - a segment opens at the first speech frame, `paddingSeconds` earlier (never before 0 nor before the
 *   previous segment's end);
 * - it closes once `mergeGapSeconds` of non-speech followed its last speech frame, at that frame's end plus
 *   `paddingSeconds`: pauses shorter than the gap (between words, breaths) stay inside one segment;
 * - a segment with less than `minSpeechSeconds` of speech frames in it is dropped (clicks, door slams; the
 *   energy detector applies this rule itself, per island, and keeps a short one that holds a vowel);
 * - a segment reaching `maxSeconds` is cut: the piece [s, s + maxSeconds] is emitted and the segment goes
 *   on from s + maxSeconds − overlapSeconds, so consecutive pieces share `overlapSeconds` of audio and none
 *   is longer than `maxSeconds`. The last piece is at least `overlapSeconds` long.
 * Latency: a segment is known `mergeGapSeconds` (plus one frame) after its last speech frame.
 */

/** Seconds from the start of the audio. */
export interface SpeechSegment {
  start: number;
  end: number;
}

export interface SegmentOptions {
  /** Pauses shorter than this stay inside a segment. Also the delay before a live segment is reported. */
  mergeGapSeconds: number;
  /** Segments with less speech than this are dropped. */
  minSpeechSeconds: number;
  /** Longer segments are cut into pieces of at most this length. */
  maxSeconds: number;
  /** Audio shared by consecutive pieces of a cut segment. */
  overlapSeconds: number;
  /** Added before a segment's first and after its last speech frame. */
  paddingSeconds: number;
}

export const DEFAULT_SEGMENT_OPTIONS: SegmentOptions = {
  mergeGapSeconds: 0.5,
  minSpeechSeconds: 0.2,
  maxSeconds: 10,
  overlapSeconds: 1,
  paddingSeconds: 0.05,
};

/** The documented bounds of every option; an option outside them is an error naming it. */
export const SEGMENT_OPTION_BOUNDS: Record<keyof SegmentOptions, [number, number]> = {
  mergeGapSeconds: [0, 5],
  minSpeechSeconds: [0, 10],
  maxSeconds: [0.5, 600],
  overlapSeconds: [0, 300],
  paddingSeconds: [0, 1],
};

export function resolveSegmentOptions(options: Partial<SegmentOptions> = {}): SegmentOptions {
  const resolved = { ...DEFAULT_SEGMENT_OPTIONS, ...options };
  for (const [name, [low, high]] of Object.entries(SEGMENT_OPTION_BOUNDS) as [keyof SegmentOptions, [number, number]][]) {
    const value = resolved[name];
    if (!(Number.isFinite(value) && value >= low && value <= high)) throw new RangeError(`${name} must be a number from ${low} to ${high}, got ${value}`);
  }
  if (!(resolved.overlapSeconds < resolved.maxSeconds / 2)) {
    throw new RangeError(`overlapSeconds (${resolved.overlapSeconds}) must be under half of maxSeconds (${resolved.maxSeconds})`);
  }
  if (!(resolved.paddingSeconds <= resolved.mergeGapSeconds)) {
    throw new RangeError(`paddingSeconds (${resolved.paddingSeconds}) must be at most mergeGapSeconds (${resolved.mergeGapSeconds})`);
  }
  return resolved;
}

/** Times to the microsecond, so that sums of frame hops print as 2.19, not 2.1900000000000004. */
const microseconds = (seconds: number) => Math.round(seconds * 1e6) / 1e6;

/** Turns speech decisions on consecutive frames into segments, as the rules above say. */
export class SegmentAssembler {
  readonly options: SegmentOptions;
  private openStart: number | null = null;
  private lastSpeechEnd = 0;
  private speechInSegment = 0;
  private previousEnd = 0;

  constructor(options: Partial<SegmentOptions> = {}) {
    this.options = resolveSegmentOptions(options);
  }

  /** Start (seconds) of the segment still open, if any: audio before it will not be part of a segment. */
  get openSince(): number | null {
    return this.openStart;
  }

  /** One frame from `start` to `end` seconds, in order; returns the segments it finished. */
  push(start: number, end: number, isSpeech: boolean): SpeechSegment[] {
    const { mergeGapSeconds, maxSeconds, overlapSeconds, paddingSeconds } = this.options;
    const finished: SpeechSegment[] = [];
    if (isSpeech) {
      if (this.openStart === null) {
        this.openStart = Math.max(0, this.previousEnd, start - paddingSeconds);
        this.speechInSegment = 0;
      }
      this.speechInSegment += end - start;
      this.lastSpeechEnd = end;
      while (this.lastSpeechEnd - this.openStart >= maxSeconds) {
        finished.push({ start: microseconds(this.openStart), end: microseconds(this.openStart + maxSeconds) });
        this.openStart += maxSeconds - overlapSeconds;
      }
    } else if (this.openStart !== null && end - this.lastSpeechEnd >= mergeGapSeconds) {
      finished.push(...this.close(this.lastSpeechEnd + paddingSeconds));
    }
    return finished;
  }

  /** The audio ended at `duration` seconds: closes the open segment, if any. */
  finish(duration: number): SpeechSegment[] {
    return this.openStart === null ? [] : this.close(Math.min(duration, this.lastSpeechEnd + this.options.paddingSeconds));
  }

  private close(end: number): SpeechSegment[] {
    const start = this.openStart!;
    this.openStart = null;
    if (this.speechInSegment < this.options.minSpeechSeconds) return [];
    this.previousEnd = end;
    return end > start ? [{ start: microseconds(start), end: microseconds(end) }] : [];
  }
}
