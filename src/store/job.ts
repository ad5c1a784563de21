import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AudioError, decodeAudio, fileAccessError } from '../audio/index.js';
import { extractFeatures, type FeatureConfig } from '../features/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { encodeFrames } from './format.js';

/** One file to turn into `frames/<id>.f32`; `file` is relative to the store folder. */
export interface ExtractionJob {
  id: string;
  path: string;
  file: string;
}

export interface ExtractedFrames {
  frames: number;
  dims: number;
  /** The audio file's size and modification time, taken before it was read. */
  size: number;
  mtimeMs: number;
  audioSeconds: number;
}

export type JobOutcome = { id: string; ok: true; extracted: ExtractedFrames } | { id: string; ok: false; reason: string };

async function extractToStore(job: ExtractionJob, outDir: string, config: FeatureConfig): Promise<ExtractedFrames> {
  const { size, mtimeMs } = await stat(job.path).catch((error: unknown) => {
    throw fileAccessError(job.path, error);
  });
  const audio = await decodeAudio(job.path, { sampleRate: config.sampleRate });
  const matrix = extractFeatures(audio.samples, audio.sampleRate, config);
  await writeFileAtomic(join(outDir, job.file), encodeFrames(matrix.data));
  return { frames: matrix.frames, dims: matrix.dims, size, mtimeMs, audioSeconds: audio.samples.length / audio.sampleRate };
}

/** Never throws for a bad file: its failure is an outcome, so one file cannot stop the rest. */
export async function runJob(job: ExtractionJob, outDir: string, config: FeatureConfig): Promise<JobOutcome> {
  try {
    return { id: job.id, ok: true, extracted: await extractToStore(job, outDir, config) };
  } catch (error) {
    const reason = error instanceof AudioError ? error.reason : error instanceof Error ? error.message : String(error);
    return { id: job.id, ok: false, reason };
  }
}
