import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';

/** Limits of one job: small files travel together, so the queue's cost per job is spread over several. */
export interface BatchLimits {
  /** Files in one job at most. */
  files: number;
  /** A job's files together hold at most this many bytes (a bigger file is a job of its own). */
  bytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { files: 16, bytes: 8 * 1024 * 1024 };

/** A file with the size and modification time it has now (a changed file gives its job another id); undefined sizes count as 0. */
export interface SizedFile<T> {
  value: T;
  path: string;
  size: number;
  mtimeMs: number;
}

export async function sized<T>(values: T[], pathOf: (value: T) => string): Promise<SizedFile<T>[]> {
  const result: SizedFile<T>[] = new Array(values.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < values.length) {
      const index = next++;
      const path = pathOf(values[index]!);
      const info = await stat(path).catch(() => undefined);
      result[index] = { value: values[index]!, path, size: info?.size ?? 0, mtimeMs: info?.mtimeMs ?? 0 };
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, values.length) }, lane));
  return result;
}

/** Consecutive files grouped under the limits, in order, one batch at a time (the files may be a stream). */
export function* batchFiles<T>(files: Iterable<SizedFile<T>>, limits: BatchLimits): Generator<SizedFile<T>[]> {
  let current: SizedFile<T>[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length > 0 && (current.length >= limits.files || bytes + file.size > limits.bytes)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) yield current;
}

/** A job id from everything that shapes the job's result: the same work enqueued twice is one job. */
export function jobId(prefix: string, parts: unknown): string {
  return `${prefix}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40)}`;
}
