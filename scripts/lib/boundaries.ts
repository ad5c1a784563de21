/**
 * The clips a VAD missed or put a boundary of a synthetic recording 0.5 s or more off (`OFF_SECONDS`), and
 * its segments outside every reference span, one line each with the clip's file, for reading the errors one
 * by one. Each edge off is followed by what the audio between the segment's edge and the nearer reference
 * edge holds, so that its cause can be read from the numbers: how long of it is within 30 dB of the clip's
 * loudest frame (the range both the detector and the energy reference keep), how long of that is periodic
 * enough for the detector's island rule (1 − d' ≥ 0.5 in runs of 3 frames) and how long YIN calls voiced
 * (d' < 0.2, the vowel rule and the voiced reference). Frames: 30 ms every 10 ms, levels with the mean removed.
 * Example: "end +0.75 s: 2.68-3.43 s of the clip: 0.07 s within 30 dB, 0.00 s periodic, 0.00 s voiced" is a
 * click or breath after the sentence, counted by a reference and not by the detector.
 */
import { trackPitch } from '../../src/features/pitch.js';
import { matchSpans, OFF_SECONDS } from '../../src/segment/score.js';
import type { SpeechSegment } from '../../src/segment/segments.js';
import type { Recording } from './recording.js';

const span = (segment: SpeechSegment) => `${segment.start.toFixed(2)}-${segment.end.toFixed(2)} s`;
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(2)} s`;
const RANGE_DB = 30;
const PERIODIC = 0.5;
const RUN = 3;

/** What the clip's audio from `from` to `to` (seconds of the recording) holds, as the file's comment says. */
function describeStretch(recording: Recording, clip: SpeechSegment, from: number, to: number): string {
  const { sampleRate } = recording;
  const samples = recording.samples.subarray(Math.round(clip.start * sampleRate), Math.round(clip.end * sampleRate));
  const frameLength = Math.round(0.03 * sampleRate);
  const hop = Math.round(0.01 * sampleRate);
  const track = trackPitch(samples, { sampleRate, frameLength, frameShift: hop, removeDcOffset: true });
  const levels = Array.from(track.logEnergy, (energy) => 10 * Math.LOG10E * energy);
  const loudest = Math.max(...levels);
  const loud = levels.map((level) => level >= loudest - RANGE_DB);
  const periodic = new Uint8Array(levels.length);
  for (let t = 0, run = 0; t < levels.length; t++) {
    run = track.voicingStrength[t] >= PERIODIC ? run + 1 : 0;
    if (run >= RUN) periodic.fill(1, t - run + 1, t + 1);
  }
  const first = Math.max(0, Math.round((from - clip.start) / 0.01));
  const last = Math.min(levels.length, Math.round((to - clip.start) / 0.01));
  let within = 0;
  let periodicWithin = 0;
  let voicedWithin = 0;
  for (let t = first; t < last; t++) {
    if (!loud[t]) continue;
    within++;
    periodicWithin += periodic[t];
    voicedWithin += track.voiced[t];
  }
  const seconds = (frames: number) => (frames / 100).toFixed(2);
  return `${span({ start: from - clip.start, end: to - clip.start })} of the clip: ${seconds(within)} s within ${RANGE_DB} dB of its peak, ${seconds(periodicWithin)} s periodic, ${seconds(voicedWithin)} s voiced`;
}

/**
 * The lines, each starting with `label`; `second` as scoreSegmentation takes it. The recording's placements
 * name the clip a segment outside every reference span lies in, if any.
 */
export function boundaryDetails(label: string, recording: Recording, segments: SpeechSegment[], reference: SpeechSegment[], second: SpeechSegment[] = reference): string[] {
  const { files, placements } = recording;
  const lines: string[] = [];
  matchSpans(segments, reference, second).forEach(({ span: known, covering, startError, endError }, index) => {
    if (startError === null || endError === null) {
      lines.push(`${label}: missed ${files[index]} (speech ${span(known)})`);
      return;
    }
    if (Math.max(startError, endError) < OFF_SECONDS) return;
    const start = covering[0].start;
    const end = covering[covering.length - 1].end;
    lines.push(`${label}: ${files[index]} speech ${span(known)}, found ${covering.map(span).join(' + ')}: start ${signed(start - known.start)}, end ${signed(end - known.end)} (errors ${startError.toFixed(2)} / ${endError.toFixed(2)} s)`);
    // The stretch in dispute runs from the segment's edge to the nearer reference edge.
    const nearer = (edge: number, a: number, b: number) => (Math.abs(edge - a) <= Math.abs(edge - b) ? a : b);
    if (startError >= OFF_SECONDS) {
      const to = nearer(start, reference[index].start, second[index].start);
      lines.push(`  start: ${describeStretch(recording, placements[index], Math.min(start, to), Math.max(start, to))}`);
    }
    if (endError >= OFF_SECONDS) {
      const to = nearer(end, reference[index].end, second[index].end);
      lines.push(`  end: ${describeStretch(recording, placements[index], Math.min(end, to), Math.max(end, to))}`);
    }
  });
  const union = reference.map((first, index) => ({ start: Math.min(first.start, second[index].start), end: Math.max(first.end, second[index].end) }));
  for (const segment of segments) {
    if (union.some((known) => segment.start < known.end && known.start < segment.end)) continue;
    const clip = placements.findIndex((placed) => segment.start < placed.end && placed.start < segment.end);
    const where = clip < 0 ? 'an inserted silence' : `${files[clip]} at ${span({ start: segment.start - placements[clip].start, end: segment.end - placements[clip].start })} of the clip, outside its speech`;
    lines.push(`${label}: segment ${span(segment)} inside a silence: ${where}`);
    if (clip >= 0) lines.push(`  ${describeStretch(recording, placements[clip], segment.start, segment.end)}`);
  }
  return lines;
}
