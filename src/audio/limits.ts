import { AudioError } from './errors.js';

/**
 * What the toolkit agrees to read as one audio file. A recording past these limits is split first
 * (e.g. `ffmpeg -i long.wav -f segment -segment_time 3600 part%03d.wav`); a header past them is corrupt.
 */
export const AUDIO_LIMITS = {
  /** Bytes of one file: 2 GiB, about 3 h of 16-bit 48 kHz stereo PCM. */
  maxFileBytes: 2 * 1024 ** 3,
  /** Seconds of one decoded file: 2 h, whose 16 kHz float samples take 460 MB. */
  maxSeconds: 2 * 60 * 60,
  /** Sample rates a WAV header may declare: telephone speech is 8 kHz, studio masters reach 768 kHz. */
  minSampleRate: 1000,
  maxSampleRate: 768_000,
} as const;

/** Refuses a declared rate no recording uses (a 1 Hz header turns a 16 KB file into hours of audio). */
export function assertPlausibleSampleRate(sampleRate: number, file: string): void {
  if (!(sampleRate >= AUDIO_LIMITS.minSampleRate && sampleRate <= AUDIO_LIMITS.maxSampleRate)) {
    throw new AudioError(
      file,
      `corrupt WAV: the header declares a sample rate of ${sampleRate} Hz, outside ${AUDIO_LIMITS.minSampleRate}–${AUDIO_LIMITS.maxSampleRate} Hz; re-export or re-download the file`,
    );
  }
}

/** Refuses audio longer than AUDIO_LIMITS.maxSeconds before its samples are made. */
export function assertBearableDuration(seconds: number, file: string): void {
  if (seconds > AUDIO_LIMITS.maxSeconds) {
    throw new AudioError(
      file,
      `holds ${Math.round(seconds)} s of audio, over the ${AUDIO_LIMITS.maxSeconds} s limit for one file; split it (ffmpeg -i in -f segment -segment_time 3600 part%03d.wav)`,
    );
  }
}
