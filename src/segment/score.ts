import type { SpeechSegment } from './segments.js';

/**
 * How well found segments match known speech: per reference span, the segments overlapping it; the span
 * is found when at least one does, its start error is |first overlapping segment's start − span start| and
 * its end error |last overlapping segment's end − span end|. A segment lies inside a silence when it
 * overlaps no reference span at all (a padded edge reaching into a silence is not that).
 * Example: reference [1, 3] and [5, 6], found [0.9, 3.2] and [4, 4.5]: [5, 6] is missed, [1, 3] has
 * start error 0.1 and end error 0.2, and [4, 4.5] lies inside the silence between them.
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
  /** Segments that overlap no reference span. */
  inSilence: SpeechSegment[];
}

const overlaps = (a: SpeechSegment, b: SpeechSegment) => a.start < b.end && b.start < a.end;

export function scoreSegmentation(found: SpeechSegment[], reference: SpeechSegment[]): SegmentationScore {
  const missed: SpeechSegment[] = [];
  const startErrors: number[] = [];
  const endErrors: number[] = [];
  for (const span of reference) {
    const covering = found.filter((segment) => overlaps(segment, span));
    if (covering.length === 0) {
      missed.push(span);
      continue;
    }
    startErrors.push(Math.abs(covering[0].start - span.start));
    endErrors.push(Math.abs(covering[covering.length - 1].end - span.end));
  }
  const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);
  return {
    spans: reference.length,
    found: reference.length - missed.length,
    missed,
    maxStartError: startErrors.reduce((max, value) => Math.max(max, value), 0),
    maxEndError: endErrors.reduce((max, value) => Math.max(max, value), 0),
    meanStartError: mean(startErrors),
    meanEndError: mean(endErrors),
    inSilence: found.filter((segment) => !reference.some((span) => overlaps(segment, span))),
  };
}
