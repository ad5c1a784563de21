/**
 * The clips a VAD missed or put a boundary of a synthetic recording 0.5 s or more off (`OFF_SECONDS`), and
 * its segments inside a silence, one line each with the clip's file, for reading the errors one by one.
 */
import { matchSpans, OFF_SECONDS } from '../../src/segment/score.js';
import type { SpeechSegment } from '../../src/segment/segments.js';

const span = (segment: SpeechSegment) => `${segment.start.toFixed(2)}-${segment.end.toFixed(2)} s`;
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(2)} s`;

/**
 * The lines, each starting with `label`; `second` as scoreSegmentation takes it; `placements` (where each
 * clip lies whole) names the clip a segment outside every reference span lies in, if any.
 */
export function boundaryDetails(
  label: string,
  files: string[],
  segments: SpeechSegment[],
  placements: SpeechSegment[],
  reference: SpeechSegment[],
  second: SpeechSegment[] = reference,
): string[] {
  const lines: string[] = [];
  matchSpans(segments, reference, second).forEach(({ span: known, covering, startError, endError }, index) => {
    if (startError === null || endError === null) {
      lines.push(`${label}: missed ${files[index]} (speech ${span(known)})`);
    } else if (Math.max(startError, endError) >= OFF_SECONDS) {
      const first = covering[0].start - known.start;
      const last = covering[covering.length - 1].end - known.end;
      lines.push(`${label}: ${files[index]} speech ${span(known)}, found ${covering.map(span).join(' + ')}: start ${signed(first)}, end ${signed(last)} (errors ${startError.toFixed(2)} / ${endError.toFixed(2)} s)`);
    }
  });
  const union = reference.map((first, index) => ({ start: Math.min(first.start, second[index].start), end: Math.max(first.end, second[index].end) }));
  for (const segment of segments) {
    if (union.some((known) => segment.start < known.end && known.start < segment.end)) continue;
    const clip = placements.findIndex((placed) => segment.start < placed.end && placed.start < segment.end);
    const where = clip < 0 ? 'an inserted silence' : `${files[clip]} at ${span({ start: segment.start - placements[clip].start, end: segment.end - placements[clip].start })} of the clip, outside its speech`;
    lines.push(`${label}: segment ${span(segment)} inside a silence: ${where}`);
  }
  return lines;
}
