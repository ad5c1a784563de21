import type { Audio } from '../audio/wav.js';
import { extractFeatures, msToSamples, type FeatureConfig, type FeatureMatrix } from '../features/index.js';
import { scaleProbabilities } from '../infer/calibration.js';
import { argMax, infer } from '../infer/infer.js';
import { modelInputs } from '../infer/inputs.js';
import { fewestInputFrames } from '../model/emotionModel.js';
import type { SavedModel } from '../model/io.js';
import { energySegments, type EnergyVadOptions } from '../segment/energy.js';

// What `ser predict` computes for audio already in memory. No Node module is imported here, so the web page
// (src/web) runs this same code; reading files is predict.ts's part.

export interface WindowOptions {
  /** Length of each window in seconds; a clip no longer than this gets no windows. */
  windowSeconds: number;
  /** Seconds from one window's start to the next's: at least one feature frame shift, at most windowSeconds. */
  hopSeconds: number;
}

export const DEFAULT_WINDOW_OPTIONS: WindowOptions = { windowSeconds: 3, hopSeconds: 1.5 };

/** A span of a recording given from outside (a diariser's speaker turn); `origin` names where it came from. */
export interface SpeakerTurn {
  start: number;
  end: number;
  speaker: string;
  origin: string;
}

/**
 * What gets an emotion: the speech segments the energy VAD finds (default), fixed windows, or given
 * speaker turns. In every case the frames scored are those inside the VAD's speech, so silence never
 * gets an emotion.
 */
export type SegmentPlan =
  | { kind: 'speech' }
  | ({ kind: 'windows' } & WindowOptions)
  | { kind: 'turns'; turns: (file: string) => SpeakerTurn[] };

export interface PredictOptions {
  plan: SegmentPlan;
  /** Options of the energy VAD that finds speech (see src/segment). */
  vad?: Partial<EnergyVadOptions>;
  /** An estimate whose top probability is below this is reported as `uncertain` (0 = never). */
  minConfidence?: number;
}

export const UNCERTAIN = 'uncertain';

export interface EmotionEstimate {
  /** The most probable class, or `uncertain` when its probability is below the asked minimum confidence. */
  emotion: string;
  /** Probability of the most probable class. */
  confidence: number;
  /** Probability of every class of the model, summing to 1. */
  probabilities: Record<string, number>;
}

export type NoEstimate = { emotion: null; confidence: null; probabilities: null };
const NO_ESTIMATE: NoEstimate = { emotion: null, confidence: null, probabilities: null };

export type SegmentPrediction = {
  /** Seconds from the start of the recording. */
  start: number;
  end: number;
  /** `speech` (found by the VAD), `window` or `turn` (given). */
  kind: 'speech' | 'window' | 'turn';
  speaker?: string;
  /**
   * Whether the segment holds speech. Without speech, or with less than the model needs, emotion, confidence
   * and probabilities are null: silence is never given an emotion.
   */
  speech: boolean;
} & (EmotionEstimate | NoEstimate);

export type ClipPrediction = {
  file: string;
  /** Seconds of audio in the clip. */
  duration: number;
  /** Seconds of speech the VAD found; the clip's estimate is made from that speech alone (null without). */
  speechSeconds: number;
  segments: SegmentPrediction[];
} & (EmotionEstimate | NoEstimate);

export interface ClipFailure {
  file: string;
  error: string;
}

export type ClipOutcome = ClipPrediction | ClipFailure;

export function isClipFailure(outcome: ClipOutcome): outcome is ClipFailure {
  return 'error' in outcome;
}

/** A span of the clip in samples, end exclusive. */
interface SampleSpan {
  start: number;
  end: number;
}

/** What a model needs of its input, in samples at the card's sample rate and in frames. */
interface InputNeeds {
  frameLength: number;
  frameShift: number;
  /** See fewestInputFrames. */
  fewestFrames: number;
}

function inputNeeds({ model, card }: SavedModel): InputNeeds {
  const { frameLengthMs, frameShiftMs, sampleRate } = card.featureConfig;
  const fewestFrames = fewestInputFrames(model);
  return { frameLength: msToSamples(frameLengthMs, sampleRate), frameShift: msToSamples(frameShiftMs, sampleRate), fewestFrames };
}

/**
 * Throws when a window could not hold the frames the model needs, or the hop would skip audio or be shorter
 * than a frame shift (windows closer than one frame apart hold the same frames, and a hop that rounds to 0
 * samples would never advance).
 */
export function assertWindowOptions(saved: SavedModel, options: WindowOptions): void {
  const { windowSeconds, hopSeconds } = options;
  const { frameLength, frameShift, fewestFrames } = inputNeeds(saved);
  const rate = saved.card.featureConfig.sampleRate;
  // A window starting between two frame starts loses up to one shift before its first whole frame.
  const shortestWindow = (frameLength + fewestFrames * frameShift) / rate;
  if (!(windowSeconds >= shortestWindow && windowSeconds <= MAX_WINDOW_SECONDS)) {
    throw new RangeError(`the window must be from ${shortestWindow} s (the ${fewestFrames} frames the model needs) to ${MAX_WINDOW_SECONDS} s, got ${windowSeconds}`);
  }
  const shortestHop = frameShift / rate;
  if (!(hopSeconds >= shortestHop && hopSeconds <= windowSeconds)) {
    throw new RangeError(
      `the hop must be from one frame shift (${shortestHop} s) to the window (${windowSeconds} s), so that windows differ and no audio is skipped; got ${hopSeconds}`,
    );
  }
}

const MAX_WINDOW_SECONDS = 600;

/**
 * Windows of windowSeconds every hopSeconds from the start; when the last of them stops short of the end,
 * one more ends exactly at the end, so every window is equally long and the whole clip is covered.
 */
function windowSpans(totalSamples: number, sampleRate: number, options: WindowOptions): SampleSpan[] {
  const length = Math.round(options.windowSeconds * sampleRate);
  const hop = Math.max(1, Math.round(options.hopSeconds * sampleRate));
  if (totalSamples <= length) return [];
  const spans: SampleSpan[] = [];
  for (let start = 0; start + length <= totalSamples; start += hop) spans.push({ start, end: start + length });
  if (spans[spans.length - 1].end < totalSamples) spans.push({ start: totalSamples - length, end: totalSamples });
  return spans;
}

/** Spans merged where they overlap or touch, sorted. */
function union(spans: SampleSpan[]): SampleSpan[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const merged: SampleSpan[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/**
 * Features of the parts of a recording that anything needs (its speech and the spans to score), each part
 * extracted once, and which of their frames lie in speech (a frame is in speech when its centre is).
 */
class SpeechFeatures {
  private readonly regions: { span: SampleSpan; matrix: FeatureMatrix; inSpeech: Uint8Array }[] = [];

  constructor(
    audio: Audio,
    config: FeatureConfig,
    private readonly needs: InputNeeds,
    speech: SampleSpan[],
    wanted: SampleSpan[],
  ) {
    for (const span of union([...speech, ...wanted])) {
      if (span.end - span.start < needs.frameLength) continue;
      const matrix = extractFeatures(audio.samples.subarray(span.start, span.end), audio.sampleRate, config);
      const inSpeech = new Uint8Array(matrix.frames);
      for (const segment of speech) {
        // Frame t is centred on span.start + t·shift + length/2.
        const first = Math.max(0, Math.ceil((segment.start - span.start - needs.frameLength / 2) / needs.frameShift));
        const end = Math.min(matrix.frames, Math.ceil((segment.end - span.start - needs.frameLength / 2) / needs.frameShift));
        if (first < end) inSpeech.fill(1, first, end);
      }
      this.regions.push({ span, matrix, inSpeech });
    }
  }

  /** The speech frames lying wholly inside the span, and whether it holds any speech. */
  speechFrames(span: SampleSpan): { matrix: FeatureMatrix; speech: boolean } {
    const region = this.regions.find((candidate) => candidate.span.start <= span.start && span.end <= candidate.span.end);
    const dims = this.regions[0]?.matrix.dims ?? 0;
    if (!region) return { matrix: { frames: 0, dims, data: new Float32Array(0) }, speech: false };
    const { matrix, inSpeech } = region;
    const first = Math.max(0, Math.ceil((span.start - region.span.start) / this.needs.frameShift));
    const end = Math.min(matrix.frames, Math.floor((span.end - region.span.start - this.needs.frameLength) / this.needs.frameShift) + 1);
    let count = 0;
    for (let t = first; t < end; t++) count += inSpeech[t];
    const data = new Float32Array(count * matrix.dims);
    let row = 0;
    for (let t = first; t < end; t++) {
      if (inSpeech[t]) data.set(matrix.data.subarray(t * matrix.dims, (t + 1) * matrix.dims), row++ * matrix.dims);
    }
    return { matrix: { frames: count, dims: matrix.dims, data }, speech: count > 0 };
  }
}

function estimate(labels: string[], probabilities: number[], minConfidence: number): EmotionEstimate {
  const best = argMax(probabilities);
  return {
    emotion: probabilities[best] < minConfidence ? UNCERTAIN : labels[best],
    confidence: probabilities[best],
    probabilities: Object.fromEntries(labels.map((label, k) => [label, probabilities[k]])),
  };
}

/** The model's estimate for frames of speech, prepared as training prepared an utterance; null if too few. */
function estimateSpeech(saved: SavedModel, matrix: FeatureMatrix, fewestFrames: number, minConfidence: number): EmotionEstimate | NoEstimate {
  if (matrix.frames < fewestFrames) return NO_ESTIMATE;
  const [input] = modelInputs([matrix], saved.card);
  return estimateInput(saved, input, fewestFrames, minConfidence);
}

/** The model's estimate for frames already prepared (`modelInputs`); null if too few. */
function estimateInput(saved: SavedModel, input: FeatureMatrix, fewestFrames: number, minConfidence: number): EmotionEstimate | NoEstimate {
  const { card } = saved;
  if (input.frames < fewestFrames) return NO_ESTIMATE;
  const [raw] = infer(saved.model, [input]).probabilities;
  const probabilities = card.calibration ? scaleProbabilities(raw, card.calibration.temperature) : raw;
  if (!probabilities.every(Number.isFinite)) throw new Error(`the model gave non-finite probabilities (${probabilities.join(', ')}): its weights are damaged`);
  return estimate(card.labels, probabilities, minConfidence);
}

/**
 * The prepared inputs of speaker turns for a card in 'speaker' normalisation: every turn's speech frames, and
 * each speaker's turns standardised on that speaker's statistics over all their turns in the recording, as
 * training standardised each speaker's clips (`normaliseSet`: a speaker with under `MIN_SPEAKER_FRAMES`
 * active frames, 10 s, gets the card's statistics instead). Null for other cards or plans: each segment is then
 * prepared on its own, as before.
 */
function speakerNormalisedInputs(saved: SavedModel, turns: { speaker?: string }[], matrices: FeatureMatrix[]): FeatureMatrix[] | null {
  if (saved.card.normalisation.mode !== 'speaker' || turns.some((turn) => turn.speaker === undefined)) return null;
  return modelInputs(matrices, saved.card, turns.map((turn) => turn.speaker!));
}

/** The estimate for a segment of speech given as audio alone (live input): all of its frames count as speech. */
export function predictSpeechAudio(saved: SavedModel, samples: Float32Array, minConfidence = 0): EmotionEstimate | NoEstimate {
  const needs = inputNeeds(saved);
  if (samples.length < needs.frameLength) return NO_ESTIMATE;
  const matrix = extractFeatures(samples, saved.card.featureConfig.sampleRate, saved.card.featureConfig);
  return estimateSpeech(saved, matrix, needs.fewestFrames, minConfidence);
}

/** The speech segments, in samples, that the energy VAD finds in the audio. */
export function findSpeech(audio: Audio, vad?: Partial<EnergyVadOptions>): SampleSpan[] {
  return energySegments(audio.samples, audio.sampleRate, vad).map(({ start, end }) => ({
    start: Math.round(start * audio.sampleRate),
    end: Math.min(audio.samples.length, Math.round(end * audio.sampleRate)),
  }));
}

/**
 * The model's estimate for the speech of a recording and for each of its segments (speech segments, windows
 * or speaker turns, as `options.plan` says). Frames outside the VAD's speech are never scored, so a silent
 * recording, or a window or turn in a pause, gets no emotion. Each segment's frames are prepared as training
 * prepared an utterance: quiet frames dropped, then the card's normalisation. Segments are scored one at a
 * time, so memory does not grow with their number.
 */
export function predictAudio(saved: SavedModel, file: string, audio: Audio, options: PredictOptions): ClipPrediction {
  const { card } = saved;
  const needs = inputNeeds(saved);
  const minConfidence = options.minConfidence ?? 0;
  const rate = audio.sampleRate;
  const speech = findSpeech(audio, options.vad);
  const toSamples = ({ start, end }: { start: number; end: number }) => ({ start: Math.round(start * rate), end: Math.min(audio.samples.length, Math.round(end * rate)) });
  const plan = options.plan;
  const wanted: (SampleSpan & { kind: SegmentPrediction['kind']; speaker?: string })[] =
    plan.kind === 'speech'
      ? speech.map((span) => ({ ...span, kind: 'speech' }))
      : plan.kind === 'windows'
        ? windowSpans(audio.samples.length, rate, plan).map((span) => ({ ...span, kind: 'window' }))
        : turnSpans(plan.turns(file), audio).map((turn) => ({ ...toSamples(turn), kind: 'turn', speaker: turn.speaker }));
  const features = new SpeechFeatures(audio, card.featureConfig, needs, speech, wanted);
  const turnFrames = plan.kind === 'turns' ? wanted.map((span) => features.speechFrames(span)) : [];
  const turnInputs = plan.kind === 'turns' ? speakerNormalisedInputs(saved, wanted, turnFrames.map(({ matrix }) => matrix)) : null;
  const segments: SegmentPrediction[] = [];
  wanted.forEach((span, index) => {
    const { matrix, speech: hasSpeech } = turnFrames[index] ?? features.speechFrames(span);
    segments.push({
      start: span.start / rate,
      end: span.end / rate,
      kind: span.kind,
      ...(span.speaker === undefined ? {} : { speaker: span.speaker }),
      speech: hasSpeech,
      ...(turnInputs && matrix.frames >= needs.fewestFrames
        ? estimateInput(saved, turnInputs[index], needs.fewestFrames, minConfidence)
        : estimateSpeech(saved, matrix, needs.fewestFrames, minConfidence)),
    });
  });
  const speechMatrices = speech.map((span) => features.speechFrames(span).matrix);
  const speechFrames = concatenate(speechMatrices);
  return {
    file,
    duration: audio.samples.length / rate,
    speechSeconds: speech.reduce((sum, span) => sum + (span.end - span.start), 0) / rate,
    ...estimateSpeech(saved, speechFrames, needs.fewestFrames, minConfidence),
    segments,
  };
}

function concatenate(matrices: FeatureMatrix[]): FeatureMatrix {
  const dims = matrices[0]?.dims ?? 0;
  const frames = matrices.reduce((sum, matrix) => sum + matrix.frames, 0);
  const data = new Float32Array(frames * dims);
  let offset = 0;
  for (const matrix of matrices) {
    data.set(matrix.data, offset);
    offset += matrix.data.length;
  }
  return { frames, dims, data };
}

/** Turns of the recording, refused (naming where each came from) when they start past its end. */
function turnSpans(turns: SpeakerTurn[], audio: Audio): SpeakerTurn[] {
  const duration = audio.samples.length / audio.sampleRate;
  for (const turn of turns) {
    if (turn.start >= duration) throw new Error(`${turn.origin}: the turn starts at ${turn.start} s, after the recording's end (${duration} s)`);
  }
  return turns;
}

export function assertMinConfidence(value: number | undefined): void {
  if (value !== undefined && !(value >= 0 && value <= 1)) throw new RangeError(`the minimum confidence must be from 0 to 1, got ${value}`);
}
