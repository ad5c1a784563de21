import type { ClipOutcome, ClipPrediction, SegmentPrediction } from './predict.js';
import { isClipFailure } from './predict.js';

/**
 * Output formats of `ser predict`, written clip by clip as predictions finish (so an interrupted run keeps
 * what it had scored):
 * - json: one array of every outcome (clip predictions with their segments, failures with their error);
 * - jsonl: one object a line: a `clip` row per file, then one per segment (`speech`, `window` or `turn`),
 *   failures as {file, error}; `ser predict -` writes segment rows as they finish;
 * - csv: the same rows: file,start,end,kind,speaker,speech,emotion,confidence,p_<label>…;
 * - vtt / srt: one cue per segment given an emotion, the text "[speaker: ]emotion 0.87" (WebVTT, SubRip);
 * - audacity: a label track, "start<TAB>end<TAB>label" a line (File > Import > Labels).
 * vtt, srt and audacity describe one recording, so they take one input file. Segments without an emotion
 * (no speech, too short) have rows in json/jsonl/csv with null or empty cells, and no cue or label.
 */
export const OUTPUT_FORMATS = ['json', 'jsonl', 'csv', 'vtt', 'srt', 'audacity'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const SINGLE_RECORDING_FORMATS: readonly OutputFormat[] = ['vtt', 'srt', 'audacity'];

/** A row of jsonl/csv: a clip's own estimate (kind `clip`) or one of its segments. */
export type PredictionRow = { file: string } & Omit<SegmentPrediction, 'kind'> & { kind: SegmentPrediction['kind'] | 'clip' };

export function predictionRows(clip: ClipPrediction): PredictionRow[] {
  const { file, duration, speechSeconds, emotion, confidence, probabilities } = clip;
  const whole = { file, start: 0, end: duration, kind: 'clip', speech: speechSeconds > 0, emotion, confidence, probabilities } as PredictionRow;
  const rows = [whole];
  for (const segment of clip.segments) rows.push({ file: clip.file, ...segment });
  return rows;
}

/** RFC 4180: a field holding a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvHeader(labels: string[]): string {
  return `${['file', 'start', 'end', 'kind', 'speaker', 'speech', 'emotion', 'confidence', ...labels.map((label) => `p_${label}`)].map(csvField).join(',')}\n`;
}

export function csvRow(row: PredictionRow, labels: string[]): string {
  const probabilities = row.probabilities;
  const cells = [
    row.file,
    String(row.start),
    String(row.end),
    row.kind,
    row.speaker ?? '',
    String(row.speech),
    row.emotion ?? '',
    row.confidence === null ? '' : String(row.confidence),
    ...labels.map((label) => (probabilities ? String(probabilities[label]) : '')),
  ];
  return `${cells.map(csvField).join(',')}\n`;
}

/** Seconds as HH:MM:SS.mmm (WebVTT) or HH:MM:SS,mmm (SubRip). */
export function cueTime(seconds: number, separator: '.' | ','): string {
  const millis = Math.round(seconds * 1000);
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  const hours = Math.floor(millis / 3_600_000);
  const minutes = Math.floor((millis % 3_600_000) / 60_000);
  const secs = Math.floor((millis % 60_000) / 1000);
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(secs, 2)}${separator}${pad(millis % 1000, 3)}`;
}

function cueText(segment: SegmentPrediction): string {
  return `${segment.speaker === undefined ? '' : `${segment.speaker}: `}${segment.emotion} ${segment.confidence!.toFixed(2)}`;
}

const judged = (clip: ClipPrediction) => clip.segments.filter((segment) => segment.emotion !== null);

/** Writes outcomes in one format, clip by clip, through `write`; `end` closes what the format needs closed. */
export class PredictionWriter {
  private written = 0;
  private cues = 0;

  constructor(
    private readonly format: OutputFormat,
    private readonly labels: string[],
    private readonly write: (text: string) => void,
  ) {
    if (format === 'csv') write(csvHeader(labels));
    if (format === 'vtt') write('WEBVTT\n');
    if (format === 'json') write('[');
  }

  clip(outcome: ClipOutcome): void {
    const first = this.written++ === 0;
    if (this.format === 'json') {
      this.write(`${first ? '\n' : ',\n'}${JSON.stringify(outcome, null, 2).replace(/^/gm, '  ')}`);
      return;
    }
    if (isClipFailure(outcome)) {
      if (this.format === 'jsonl') this.write(`${JSON.stringify(outcome)}\n`);
      return;
    }
    if (this.format === 'jsonl') for (const row of predictionRows(outcome)) this.write(`${JSON.stringify(row)}\n`);
    else if (this.format === 'csv') for (const row of predictionRows(outcome)) this.write(csvRow(row, this.labels));
    else for (const segment of judged(outcome)) this.segment(segment);
  }

  /** One segment of a recording, in the cue formats and jsonl (what live input writes). */
  segment(segment: SegmentPrediction, file = '-'): void {
    if (this.format === 'jsonl') this.write(`${JSON.stringify({ file, ...segment })}\n`);
    else if (this.format === 'csv') this.write(csvRow({ file, ...segment }, this.labels));
    else if (segment.emotion === null) return;
    else if (this.format === 'vtt') this.write(`\n${cueTime(segment.start, '.')} --> ${cueTime(segment.end, '.')}\n${cueText(segment)}\n`);
    else if (this.format === 'srt') this.write(`${++this.cues > 1 ? '\n' : ''}${this.cues}\n${cueTime(segment.start, ',')} --> ${cueTime(segment.end, ',')}\n${cueText(segment)}\n`);
    else if (this.format === 'audacity') this.write(`${segment.start.toFixed(6)}\t${segment.end.toFixed(6)}\t${cueText(segment)}\n`);
    else throw new Error(`${this.format} output is written clip by clip, not segment by segment`);
  }

  end(): void {
    if (this.format === 'json') this.write(this.written === 0 ? ']\n' : '\n]\n');
  }
}
