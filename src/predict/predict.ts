import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AudioError, decodeAudio, type Audio } from '../audio/index.js';
import { AUDIO_EXTENSIONS } from '../corpora/layouts.js';
import { listAudioFiles } from '../corpora/load.js';
import { extractFeatures, frameLogEnergy, framesReaching, msToSamples, quietFloor } from '../features/index.js';
import { argMax, infer } from '../infer/infer.js';
import { modelInputs } from '../infer/inputs.js';
import { applyNormalisation } from '../infer/normalise.js';
import { fewestInputFrames } from '../model/emotionModel.js';
import type { SavedModel } from '../model/io.js';

export interface WindowOptions {
  /** Length of each window in seconds; a clip no longer than this gets no windows. */
  windowSeconds: number;
  /** Seconds from one window's start to the next's; at most windowSeconds, so no audio is skipped. */
  hopSeconds: number;
}

export const DEFAULT_WINDOW_OPTIONS: WindowOptions = { windowSeconds: 3, hopSeconds: 1.5 };

export interface EmotionEstimate {
  /** The most probable class. */
  emotion: string;
  /** Probability of every class of the model, summing to 1. */
  probabilities: Record<string, number>;
}

export interface WindowPrediction {
  /** Seconds from the start of the clip. */
  start: number;
  end: number;
  /**
   * null (and so are the probabilities) when the window holds too little sound to judge: fewer frames than
   * the model needs within the card's activeFrameThresholdDb of the clip's loudest frame.
   */
  emotion: string | null;
  probabilities: Record<string, number> | null;
}

export interface ClipPrediction extends EmotionEstimate {
  file: string;
  /** Seconds of audio in the clip. */
  duration: number;
  windows: WindowPrediction[];
}

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

/** Throws when a window could not hold the frames the model needs, or the hop would skip audio. */
function assertWindowOptions(saved: SavedModel, options: WindowOptions): void {
  const { windowSeconds, hopSeconds } = options;
  const { frameLength, frameShift, fewestFrames } = inputNeeds(saved);
  // A window starting between two frame starts loses up to one shift before its first whole frame.
  const shortestWindow = (frameLength + fewestFrames * frameShift) / saved.card.featureConfig.sampleRate;
  if (!(windowSeconds >= shortestWindow)) {
    throw new Error(`the window must be at least ${shortestWindow} s (the ${fewestFrames} frames the model needs), got ${windowSeconds}`);
  }
  if (!(hopSeconds > 0 && hopSeconds <= windowSeconds)) {
    throw new Error(`the hop must be above 0 and at most the window (${windowSeconds} s), so that no audio is skipped; got ${hopSeconds}`);
  }
}

/**
 * Windows of windowSeconds every hopSeconds from the start; when the last of them stops short of the end,
 * one more ends exactly at the end, so every window is equally long and the whole clip is covered.
 */
function windowSpans(totalSamples: number, sampleRate: number, options: WindowOptions): SampleSpan[] {
  const length = Math.round(options.windowSeconds * sampleRate);
  const hop = Math.round(options.hopSeconds * sampleRate);
  if (totalSamples <= length) return [];
  const spans: SampleSpan[] = [];
  for (let start = 0; start + length <= totalSamples; start += hop) spans.push({ start, end: start + length });
  if (spans[spans.length - 1].end < totalSamples) spans.push({ start: totalSamples - length, end: totalSamples });
  return spans;
}

function estimate(labels: string[], probabilities: number[]): EmotionEstimate {
  return {
    emotion: labels[argMax(probabilities)],
    probabilities: Object.fromEntries(labels.map((label, k) => [label, probabilities[k]])),
  };
}

/**
 * The model's estimate for the whole clip and, when it is longer than a window, for each window. The clip
 * is prepared as training prepared an utterance: quiet frames dropped, then the card's normalisation. A
 * window keeps the frames of it that the clip kept, so a pause gets no estimate of its own rather than one
 * made from its background noise. Throws when the clip is too short or too quiet for the model.
 */
export function predictAudio(saved: SavedModel, file: string, audio: Audio, options: WindowOptions): ClipPrediction {
  const { model, card } = saved;
  const { featureConfig: config, normalisation } = card;
  const needs = inputNeeds(saved);
  const shortest = needs.frameLength + (needs.fewestFrames - 1) * needs.frameShift;
  if (audio.samples.length < shortest) {
    throw new Error(`too short: ${audio.samples.length / audio.sampleRate} s of audio; the model needs at least ${shortest / audio.sampleRate} s`);
  }
  const clip = extractFeatures(audio.samples, audio.sampleRate, config);
  const [clipInput] = modelInputs([clip], card);
  if (clipInput.frames < needs.fewestFrames) {
    throw new Error(
      `too little sound: ${clipInput.frames} frames within ${normalisation.activeFrameThresholdDb} dB of its loudest, the model needs at least ${needs.fewestFrames}`,
    );
  }
  // A window keeps the frames the clip kept: those above the clip's floor, not the window's own.
  const energy = frameLogEnergy(clip, config);
  const floor = quietFloor(energy, normalisation.activeFrameThresholdDb);
  const spans = windowSpans(audio.samples.length, audio.sampleRate, options);
  const windowFrames = spans.map((span) => {
    // The frames lying wholly inside the span: those its own audio, cut out, would give.
    const first = Math.ceil(span.start / needs.frameShift);
    const end = Math.min(clip.frames, Math.floor((span.end - needs.frameLength) / needs.frameShift) + 1);
    return framesReaching(clip, energy, floor, first, end);
  });
  const judged = windowFrames.flatMap((matrix, k) => (matrix.frames >= needs.fewestFrames ? [k] : []));
  const inputs = [clipInput, ...judged.map((k) => applyNormalisation(windowFrames[k], normalisation))];
  const [clipProbabilities, ...judgedProbabilities] = infer(model, inputs).probabilities;
  const windowEstimates = new Map(judged.map((k, j) => [k, estimate(card.labels, judgedProbabilities[j])]));
  return {
    file,
    duration: audio.samples.length / audio.sampleRate,
    ...estimate(card.labels, clipProbabilities),
    windows: spans.map((span, k) => ({
      start: span.start / audio.sampleRate,
      end: span.end / audio.sampleRate,
      ...(windowEstimates.get(k) ?? { emotion: null, probabilities: null }),
    })),
  };
}

function failure(file: string, error: unknown): ClipFailure {
  const reason = error instanceof AudioError ? error.reason : error instanceof Error ? error.message : String(error);
  return { file, error: reason };
}

type Decoded = { audio: Audio } | { failure: ClipFailure };

function decode(file: string, sampleRate: number): Promise<Decoded> {
  return decodeAudio(file, { sampleRate }).then(
    (audio) => ({ audio }),
    (error: unknown) => ({ failure: failure(file, error) }),
  );
}

/**
 * Predicts every file in order; a file that is missing, cannot be decoded or is too short becomes a
 * ClipFailure and the others go on. The next file is decoded (by ffmpeg, for most formats) while the
 * model runs on the current one.
 */
export async function predictFiles(
  saved: SavedModel,
  files: string[],
  options: WindowOptions,
  onProgress?: (done: number, total: number, audioSeconds: number) => void,
): Promise<ClipOutcome[]> {
  assertWindowOptions(saved, options);
  const sampleRate = saved.card.featureConfig.sampleRate;
  const outcomes: ClipOutcome[] = [];
  let next = files.length > 0 ? decode(files[0], sampleRate) : undefined;
  for (let index = 0; index < files.length; index++) {
    const decoded = await next!;
    next = index + 1 < files.length ? decode(files[index + 1], sampleRate) : undefined;
    let outcome: ClipOutcome;
    try {
      outcome = 'failure' in decoded ? decoded.failure : predictAudio(saved, files[index], decoded.audio, options);
    } catch (error) {
      outcome = failure(files[index], error);
    }
    outcomes.push(outcome);
    onProgress?.(index + 1, files.length, isClipFailure(outcome) ? 0 : outcome.duration);
  }
  return outcomes;
}

/**
 * The files to predict: folders are replaced by the audio files under them, everything else is kept as
 * given (a missing or unreadable path is reported when it is decoded). A folder without audio files is a
 * failure of its own; a file named twice is predicted once.
 */
export async function listAudioInputs(paths: string[]): Promise<{ files: string[]; failures: ClipFailure[] }> {
  const files: string[] = [];
  const failures: ClipFailure[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info?.isDirectory()) {
      files.push(path);
      continue;
    }
    const found = (await listAudioFiles(path)).map((file) => join(path, file));
    if (found.length === 0) failures.push({ file: path, error: `folder holds no audio files (${AUDIO_EXTENSIONS.join(' ')})` });
    files.push(...found);
  }
  const byResolvedPath = new Map<string, string>();
  for (const file of files) if (!byResolvedPath.has(resolve(file))) byResolvedPath.set(resolve(file), file);
  return { files: [...byResolvedPath.values()], failures };
}

/** RFC 4180: a field holding a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * One row per clip (start 0, end its duration) followed by one per window of it:
 * file,start,end,emotion,p_<label>…; a window with too little sound to judge has empty emotion and
 * probability cells. Failures have no row; they are reported apart.
 */
export function predictionsCsv(predictions: ClipPrediction[], labels: string[]): string {
  const row = (file: string, start: number, end: number, { emotion, probabilities }: Pick<WindowPrediction, 'emotion' | 'probabilities'>) =>
    [file, String(start), String(end), emotion ?? '', ...labels.map((label) => (probabilities ? String(probabilities[label]) : ''))].map(csvField).join(',');
  const lines = [['file', 'start', 'end', 'emotion', ...labels.map((label) => `p_${label}`)].map(csvField).join(',')];
  for (const clip of predictions) {
    lines.push(row(clip.file, 0, clip.duration, clip), ...clip.windows.map((window) => row(clip.file, window.start, window.end, window)));
  }
  return `${lines.join('\n')}\n`;
}
