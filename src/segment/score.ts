import type { SpeechSegment } from './segments.js';

/**
 * How well found segments match known speech: per reference span, the segments overlapping it; the span
 * is found when at least one does, its start error is |first overlapping segment's start − span start| and
 * its end error |last overlapping segment's end − span end|. A segment lies inside a silence when it
 * overlaps no reference span at all (a padded edge reaching into a silence is not that).
 * Example: reference [1, 3] and [5, 6], found [0.9, 3.2] and [4, 4.5]: [5, 6] is missed, [1, 3] has
 * start error 0.1 and end error 0.2, and [4, 4.5] lies inside the silence between them.
 *
 * With a second reference (`second[i]` for the same clip as `reference[i]`), each edge is known only to lie
 * between the two references' edges: an edge's error is its distance from that interval, 0 inside it, so
 * error = max(0, lo − x, x − hi) with [lo, hi] the two references' starts (or ends) in order; the span is
 * [earlier start, later end]. Where two independent rules about unlabelled audio disagree, neither is the
 * truth; an edge outside both is wrong by at least its distance to the nearer one. With second = reference
 * this is the one-reference error above.
 * Example: energy reference [1.0, 3.4], voiced reference [1.3, 3.0], found [1.2, 2.8]: start error 0
 * (between 1.0 and 1.3), end error 0.2 (below both 3.0 and 3.4).
 */
export interface SegmentationScore {
  spans: number;
  found: number;
  missed: SpeechSegment[];
  /** Largest start and end error over the spans found (seconds). */
  maxStartError: number;
  maxEndError: number;
  meanStartError: number;
  meanEndError: number;
  /** Spans found with a start or end error of `OFF_SECONDS` or more. */
  off: number;
  /** Segments that overlap no reference span. */
  inSilence: SpeechSegment[];
}

/** The boundary error bar of issue #13: an edge this far off or more is off. */
export const OFF_SECONDS = 0.5;

/** One span's outcome: the segments overlapping it, and its edge errors (null when none overlaps). */
export interface SpanMatch {
  span: SpeechSegment;
  covering: SpeechSegment[];
  startError: number | null;
  endError: number | null;
}

const overlaps = (a: SpeechSegment, b: SpeechSegment) => a.start < b.end && b.start < a.end;
const outside = (x: number, a: number, b: number) => Math.max(0, Math.min(a, b) - x, x - Math.max(a, b));

/** Per span, the segments overlapping it and its edge errors, as the file's comment defines them. */
export function matchSpans(found: SpeechSegment[], reference: SpeechSegment[], second: SpeechSegment[] = reference): SpanMatch[] {
  if (second.length !== reference.length) throw new RangeError(`the second reference has ${second.length} spans, the first ${reference.length}`);
  return reference.map((first, index) => {
    const other = second[index];
    const span = { start: Math.min(first.start, other.start), end: Math.max(first.end, other.end) };
    const covering = found.filter((segment) => overlaps(segment, span));
    if (covering.length === 0) return { span, covering, startError: null, endError: null };
    return {
      span,
      covering,
      startError: outside(covering[0].start, first.start, other.start),
      endError: outside(covering[covering.length - 1].end, first.end, other.end),
    };
  });
}

export function scoreSegmentation(found: SpeechSegment[], reference: SpeechSegment[], second: SpeechSegment[] = reference): SegmentationScore {
  const matches = matchSpans(found, reference, second);
  const scored = matches.filter((match) => match.startError !== null);
  const startErrors = scored.map((match) => match.startError!);
  const endErrors = scored.map((match) => match.endError!);
  const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);
  return {
    spans: reference.length,
    found: scored.length,
    missed: matches.filter((match) => match.startError === null).map((match) => match.span),
    maxStartError: startErrors.reduce((max, value) => Math.max(max, value), 0),
    maxEndError: endErrors.reduce((max, value) => Math.max(max, value), 0),
    meanStartError: mean(startErrors),
    meanEndError: mean(endErrors),
    off: scored.filter((match) => Math.max(match.startError!, match.endError!) >= OFF_SECONDS).length,
    inSilence: found.filter((segment) => !matches.some((match) => overlaps(segment, match.span))),
  };
}
