import { mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Argv, Options } from 'yargs';
import type { CorpusInfo } from '../corpora/index.js';
import type { PreprocessSummary } from '../store/index.js';
import type { ModelSpec } from '../model/emotionModel.js';
import { readRegularFile, UnreadableFileError } from '../util/fs.js';

/**
 * What the commands share: numeric option ranges, output folders, speaker lists, thread counts and exit
 * statuses. Commands import these from here, never from one another.
 */

/** Exit statuses, as every command's --help states them. */
export const EXIT = {
  ok: 0,
  /** Nothing could be done: a bad option, an unreadable input, every file failing. */
  failed: 1,
  /** Some files could not be read (each named with the reason) but every other one was done. */
  someFilesSkipped: 3,
} as const;

/** 0 when nothing failed, 1 when nothing succeeded, 3 when some files failed beside others that worked. */
export function exitStatusFor(succeeded: number, failed: number): number {
  if (failed === 0) return EXIT.ok;
  return succeeded === 0 ? EXIT.failed : EXIT.someFilesSkipped;
}

export interface NumberRange {
  min: number;
  max: number;
  /** The minimum itself is refused (a learning rate above 0). */
  minExclusive?: boolean;
  integer?: boolean;
}

const MANY = 100_000;
const CORES = 1024;

/**
 * The range of every numeric option of every command, in one place: an option is declared with
 * {@link numberOption}, which takes its range from here, so none goes unchecked (NaN, 0 epochs, a
 * negative batch size were all accepted before).
 */
export const NUMBER_RANGES = {
  epochs: { min: 1, max: MANY, integer: true },
  'adapt-epochs': { min: 1, max: MANY, integer: true },
  'batch-size': { min: 1, max: 65_536, integer: true },
  'learning-rate': { min: 0, max: 10, minExclusive: true },
  'alignment-weight': { min: 0, max: 1000 },
  'pseudo-label-fraction': { min: 0, max: 1, minExclusive: true },
  patience: { min: 1, max: MANY, integer: true },
  'hold-out': { min: 0, max: MANY, minExclusive: true },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true },
  shots: { min: 0, max: MANY, integer: true },
  threads: { min: 1, max: CORES, integer: true },
  workers: { min: 0, max: CORES, integer: true },
  parallel: { min: 1, max: CORES, integer: true },
  'num-ceps': { min: 1, max: 1000, integer: true },
  'num-mel-bins': { min: 1, max: 1000, integer: true },
  window: { min: 0, max: 24 * 3600, minExclusive: true },
  hop: { min: 0.001, max: 24 * 3600 },
  'min-confidence': { min: 0, max: 1 },
  'low-freq': { min: 0, max: 384_000 },
  'batch-files': { min: 1, max: 1000, integer: true },
  'batch-mb': { min: 0, max: 1024, minExclusive: true },
  attempts: { min: 1, max: 100, integer: true },
  concurrency: { min: 1, max: CORES, integer: true },
  'lock-seconds': { min: 1, max: 24 * 3600 },
  'jobs-per-second': { min: 0.01, max: 100_000 },
  port: { min: 0, max: 65_535, integer: true },
  'high-freq': { min: -384_000, max: 384_000 },
} satisfies Record<string, NumberRange>;

export type NumberOptionName = keyof typeof NUMBER_RANGES;

export function describeRange({ min, max, minExclusive, integer }: NumberRange): string {
  return `${integer ? 'a whole number' : 'a number'} ${minExclusive ? `above ${min} and at most` : `from ${min} to`} ${max}`;
}

/** Whether `value` is a finite number inside the range. */
export function inRange(range: NumberRange, value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range.minExclusive ? value > range.min : value >= range.min) &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value))
  );
}

/** The value when it is a finite number inside the range; else an error naming the option, the range and the value. */
export function checkRange(flag: string, range: NumberRange, value: unknown): number {
  if (!inRange(range, value)) throw new Error(`--${flag} must be ${describeRange(range)}, got ${Array.isArray(value) ? `${value.length} values` : String(value)}`);
  return value;
}

type OptionSettings = Omit<Options, 'type' | 'coerce'>;

/** A yargs number option whose value is checked against NUMBER_RANGES[name]; the range is added to its help. */
export function numberOption<O extends OptionSettings>(name: NumberOptionName, options: O): O & { type: 'number'; coerce: (value: unknown) => number } {
  const range: NumberRange = NUMBER_RANGES[name];
  const describe = `${options.describe ?? ''}${options.describe ? ' ' : ''}(${describeRange(range)})`;
  return { ...options, describe, type: 'number', coerce: (value: unknown) => checkRange(name, range, value) };
}

/** A comma-separated list of values of NUMBER_RANGES[name], none twice, at least one: `--seeds 0,1,2`. */
export function numberListOption<O extends OptionSettings>(flag: string, name: NumberOptionName, options: O): O & { type: 'string'; coerce: (value: unknown) => number[] } {
  const range: NumberRange = NUMBER_RANGES[name];
  return {
    ...options,
    describe: `${options.describe ?? ''} (comma-separated, each ${describeRange(range)})`,
    type: 'string',
    coerce: (value: unknown) => {
      const parts = String(value).split(',').map((part) => part.trim());
      if (parts.some((part) => part === '')) throw new Error(`--${flag} takes values separated by commas, got ${JSON.stringify(value)}`);
      const numbers = parts.map((part) => checkRange(flag, range, Number(part)));
      const repeated = numbers.filter((n, i) => numbers.indexOf(n) !== i);
      if (repeated.length > 0) throw new Error(`--${flag} names ${repeated.join(', ')} more than once`);
      return numbers;
    },
  };
}

/** A folder option that must name a folder: `--out ""` wrote into the working directory. */
export function folderOption<O extends OptionSettings>(flag: string, options: O): O & { type: 'string'; coerce: (value: unknown) => string } {
  return {
    ...options,
    type: 'string',
    coerce: (value: unknown) => {
      if (typeof value !== 'string' || value.trim() === '') throw new Error(`--${flag} must name a folder, got ${JSON.stringify(value)}`);
      return value;
    },
  };
}

/** `--redis` and `--redis-ca`, as `ser queue` and `ser worker` both take them. */
export function withRedisOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('redis', { type: 'string', demandOption: true, describe: 'Redis URL: redis://[user:password@]host[:port][/db], rediss:// for TLS (the password is never printed)' })
    .option('redis-ca', { type: 'string', describe: 'PEM file of the CA that signed the Redis server\'s TLS certificate (a private CA), trusted besides the system\'s' });
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device; free some space or write elsewhere',
  EDQUOT: 'the disk quota is used up; free some space or write elsewhere',
  EROFS: 'the file system is read-only; write elsewhere',
  EACCES: 'permission denied; write to a folder you own, or change its permissions',
  EPERM: 'operation not permitted; write to a folder you own',
  ENOTDIR: 'a part of the path is a file, not a folder; choose another path',
  EEXIST: 'a file of that name is in the way; remove it or choose another path',
  EISDIR: 'a folder stands where a file is expected; choose another path',
  EMFILE: 'too many open files; raise the limit (ulimit -n) or use fewer --workers',
};

/** A Node system error (ENOSPC, EROFS, ENOTDIR...) in words, with the path and what to do; undefined for other errors. */
export function describeSystemError(error: unknown): string | undefined {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  const advice = code === undefined ? undefined : SYSTEM_ERRORS[code];
  if (advice === undefined) return undefined;
  return `${path ? `${path}: ` : ''}${advice} (${code})`;
}

/**
 * Creates the output folder and proves it writable before any work starts (train found an unwritable
 * --out only after its first epoch). Errors name the option, the folder and the fix.
 */
export async function prepareOutputFolder(flag: string, folder: string): Promise<string> {
  const dir = resolve(folder);
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.ser-write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    const described = describeSystemError(error);
    throw new Error(`--${flag} ${dir}: cannot write there: ${described ?? (error as Error).message}`);
  }
  return dir;
}

/** The same folder, through symlinks too; a folder that does not exist yet is compared by its resolved path. */
export async function sameFolder(a: string, b: string): Promise<boolean> {
  const real = (path: string) => realpath(path).catch(() => resolve(path));
  return (await real(a)) === (await real(b));
}

/** A comma-separated list, or a file with one speaker per line. */
export async function parseSpeakerList(value: string): Promise<string[]> {
  const text = await readRegularFile(value, 16 * 1024 ** 2).then(
    (bytes) => bytes.toString('utf8'),
    (error: unknown) => {
      // A name that is no file is the list itself; a FIFO, a device or an unreadable file is an error.
      if (error instanceof UnreadableFileError || (error as NodeJS.ErrnoException).code === 'EACCES') throw error;
      return value;
    },
  );
  return text.split(/[\r\n,]/).map((s) => s.trim()).filter(Boolean);
}

/** `--threads` of the commands that train. */
export const threadsOption = numberOption('threads', {
  describe: 'threads computing each batch\'s gradients, a share of the batch each (default: one per core for models with conv blocks; 1 for the functionals recipe, whose batches take milliseconds, and with tfjs-node, which uses every core itself)',
});

/**
 * The thread count to train with: the one asked for (checked by its option's range), or the default for the
 * model and the backend in use. The trainer is imported only here, when a command trains: `preprocess`,
 * `features` and `--help` share this module and must not load tfjs.
 */
export async function trainingThreads(requested: number | undefined, spec: Pick<ModelSpec, 'channels'>): Promise<number> {
  if (requested !== undefined) return requested;
  const { defaultTrainingThreads } = await import('../train/dataParallel.js');
  return defaultTrainingThreads(spec);
}

/** The summary `preprocess` (and `queue`) print: files processed, skipped, failed with their reasons, unknown labels. */
export function preprocessReport(corpus: CorpusInfo, summary: PreprocessSummary, allLabels: boolean, wallSeconds: number): string {
  const lines = [
    `Feature store ${summary.outDir} (corpus ${corpus.name}, ${corpus.language})`,
    `  processed ${summary.processed} files, ${summary.audioSeconds.toFixed(1)} s of audio in ${wallSeconds.toFixed(1)} s`,
    `  skipped   ${summary.skipped} already in the store`,
    `  failed    ${summary.failed.length}${summary.failed.length > 0 ? ' (listed in errors.json):' : ''}`,
    ...summary.failed.map(({ path, reason }) => `    ${path}: ${reason}`),
  ];
  if (corpus.unknownLabels.length > 0) {
    const words = corpus.unknownLabels.map(({ emotion, count }) => `${emotion} (${count})`).join(', ');
    const fate = allLabels ? 'kept with label null' : 'left out; --all-labels keeps them';
    lines.push(`Emotions with no class in the ${corpus.taxonomy} taxonomy, ${fate}: ${words}`);
  }
  if (corpus.skippedFiles.length > 0) {
    lines.push(`Files the corpus loader passed over (${corpus.skippedFiles.length}):`);
    lines.push(...corpus.skippedFiles.map(({ relativePath, reason }) => `    ${relativePath}: ${reason}`));
  }
  return lines.join('\n');
}

/** Prints the preprocessing summary on stdout and sets the exit status the help documents (0, 3 or 1). */
export function reportPreprocessing(corpus: CorpusInfo, summary: PreprocessSummary, allLabels: boolean, started: number): void {
  process.stdout.write(`${preprocessReport(corpus, summary, allLabels, (Date.now() - started) / 1000)}\n`);
  process.exitCode = exitStatusFor(summary.processed + summary.skipped, summary.failed.length);
}
