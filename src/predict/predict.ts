import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AudioError, decodeAudio, type Audio } from '../audio/index.js';
import { AUDIO_EXTENSIONS } from '../corpora/layouts.js';
import { listAudioFiles } from '../corpora/load.js';
import type { SavedModel } from '../model/io.js';
import { assertMinConfidence, assertWindowOptions, isClipFailure, predictAudio, type ClipFailure, type ClipOutcome, type PredictOptions } from './clip.js';

export * from './clip.js';

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
  options: PredictOptions,
  onProgress?: (done: number, total: number, audioSeconds: number, outcome: ClipOutcome) => void,
): Promise<ClipOutcome[]> {
  if (options.plan.kind === 'windows') assertWindowOptions(saved, options.plan);
  assertMinConfidence(options.minConfidence);
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
    onProgress?.(index + 1, files.length, isClipFailure(outcome) ? 0 : outcome.duration, outcome);
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
