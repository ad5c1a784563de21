/** A file that cannot be turned into audio samples; the message names the file, why, and the fix. */
export class AudioError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'AudioError';
  }
}

/** A well-formed WAV whose codec (mu-law, ADPCM, …) the built-in reader does not decode; ffmpeg can. */
export class UnsupportedWavCodecError extends AudioError {
  constructor(
    file: string,
    readonly codec: string,
  ) {
    super(file, `WAV codec ${codec} is not read by the built-in WAV reader; decodeAudio() decodes it through ffmpeg`);
    this.name = 'UnsupportedWavCodecError';
  }
}

export function emptyFileError(file: string): AudioError {
  return new AudioError(file, 'is empty (0 bytes); re-export or re-copy it');
}

/** Translates a failed open/read into an AudioError that says what to check. */
export function fileAccessError(file: string, error: unknown): AudioError {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new AudioError(file, 'file not found; check the path');
    case 'EISDIR':
      return new AudioError(file, 'is a directory, not an audio file');
    case 'EACCES':
    case 'EPERM':
      return new AudioError(file, 'permission denied; make the file readable');
    default:
      return new AudioError(file, `cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Decoders may produce full-scale-plus overshoot (lossy codecs, float masters), but samples far beyond
 * it mean a float file written with integer scaling, which would pass for loud audio if accepted.
 */
const MAX_PLAUSIBLE_PEAK = 2;

export function assertHasSamples(samples: Float32Array, file: string): void {
  if (samples.length === 0) {
    throw new AudioError(file, 'contains no audio samples (zero-length audio)');
  }
}

/** What is wrong with samples that failed the bounds check: a non-finite sample comes first, else the peak. */
function unusableSamplesError(samples: Float32Array, file: string): AudioError {
  let peak = 0;
  for (let index = 0; index < samples.length; index++) {
    const value = samples[index];
    if (!Number.isFinite(value)) {
      return new AudioError(file, `sample ${index} is ${value}; the file holds corrupt float data (re-export it)`);
    }
    peak = Math.max(peak, Math.abs(value));
  }
  return new AudioError(
    file,
    `samples reach ${peak}, far outside the −1..1 full scale; the float data was probably written with ` +
      'integer scaling (re-export it as PCM or as float normalised to ±1)',
  );
}

/** Rejects decoded samples that are empty, not finite, or far outside the −1..1 full scale. */
export function assertUsableSamples(samples: Float32Array, file: string): void {
  assertHasSamples(samples, file);
  for (let index = 0; index < samples.length; index++) {
    // One comparison per sample, which NaN fails too; the error is worked out only for a file that fails.
    if (!(Math.abs(samples[index]) <= MAX_PLAUSIBLE_PEAK)) throw unusableSamplesError(samples, file);
  }
}
