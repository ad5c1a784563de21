/**
 * Synthetic recordings with known speech: corpus clips laid end to end with silences of known length
 * between them (low noise and a DC offset, as a real room and sound card give), for measuring voice
 * activity detection and `ser predict` on long audio. Audio is made in memory or under /tmp, never kept.
 */
import { decodeAudio } from '../../src/audio/index.js';
import { trackPitch } from '../../src/features/pitch.js';
import { DEFAULT_ENERGY_OPTIONS } from '../../src/segment/energy.js';
import type { SpeechSegment } from '../../src/segment/segments.js';
import { createRng } from '../../src/util/random.js';

export interface Recording {
  samples: Float32Array;
  sampleRate: number;
  /** Where each clip's speech lies (the clip trimmed as `speechSpan` says), in seconds. */
  speech: SpeechSegment[];
  /**
   * A second, independent reference: where each clip's voice lies (`voicedSpan`), in seconds; a clip
   * without a voiced frame keeps its `speech` span there (counted in `unvoicedClips`).
   */
  voiced: SpeechSegment[];
  unvoicedClips: number;
  /** Where each clip lies, whole (seconds): known exactly; everything outside these is an inserted silence. */
  placements: SpeechSegment[];
  /** The clips' files, in the order they were laid. */
  files: string[];
  /** Level of the noise laid under the recording (dBFS RMS). */
  noiseDb: number;
}

export interface RecordingOptions {
  sampleRate: number;
  seed: number;
  /** Shortest and longest silence between clips (seconds); the recording also starts and ends with one. */
  silenceSeconds: [number, number];
  /**
   * Level of the white noise under the whole recording (dBFS RMS), or `room`: the clips' own background,
   * the median over clips of their quietest 10 ms block's level (floored at -90 dBFS), so that silences sound like the pauses inside the clips, as in one real recording.
   */
  noiseDb: number | 'room';
  /** Constant added to every sample (a sound card's DC offset). */
  dcOffset: number;
  /** Stop adding clips once the recording reaches this many seconds. */
  maxSeconds: number;
}

export const DEFAULT_RECORDING_OPTIONS: RecordingOptions = {
  sampleRate: 16000,
  seed: 1,
  silenceSeconds: [1, 3],
  noiseDb: 'room',
  dcOffset: 0.01,
  maxSeconds: Infinity,
};

/**
 * Where the speech of a clip lies: from the first to the last run of 5 consecutive 10 ms blocks within 30 dB
 * of its loudest block (corpora such as RAVDESS keep a second of room tone, and sometimes a click, around
 * each sentence). A rule of the whole clip, unlike the VADs under test, which decide as the audio streams past.
 */
function blockLevels(samples: Float32Array, sampleRate: number): number[] {
  const block = Math.round(sampleRate / 100);
  const levels: number[] = [];
  for (let start = 0; start + block <= samples.length; start += block) {
    let mean = 0;
    for (let i = start; i < start + block; i++) mean += samples[i];
    mean /= block;
    let power = 0;
    for (let i = start; i < start + block; i++) power += (samples[i] - mean) ** 2;
    levels.push(10 * Math.log10(power / block + 1e-12));
  }
  return levels;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

export function speechSpan(samples: Float32Array, sampleRate: number): { start: number; end: number } {
  const block = Math.round(sampleRate / 100);
  const levels = blockLevels(samples, sampleRate);
  const loudest = Math.max(...levels);
  const RUN = 5;
  const loud = levels.map((level) => level >= loudest - 30);
  const runAt = (block: number) => block >= 0 && block + RUN <= loud.length && loud.slice(block, block + RUN).every(Boolean);
  let first = 0;
  while (first < loud.length && !runAt(first)) first++;
  let last = loud.length - RUN;
  while (last > first && !runAt(last)) last--;
  last += RUN - 1;
  return { start: (first * block) / sampleRate, end: ((last + 1) * block) / sampleRate };
}

/**
 * Where the voice of a clip lies, by a rule that does not compare speech with speech by level: from its
 * first to its last frame that YIN's pitch tracker calls voiced (`trackPitch`, d' < 0.2 in runs of 3 frames
 * or more: 30 ms frames every 10 ms) and that stands 20 dB or more above the clip's background (its
 * quietest 10 ms block, floored at -90 dBFS: hum at the noise floor is periodic too, RAVDESS lead-ins have
 * 60 Hz frames at -76 dBFS), widened by the margin the energy VAD keeps for unvoiced consonants (0.25 s) and
 * clipped to the clip; null when no frame qualifies. Stricter than the VAD's own voicing cue (1 − d' ≥ 0.5),
 * so a creaky or breathy sentence end counts as speech in `speechSpan` and not here.
 */
export function voicedSpan(samples: Float32Array, sampleRate: number): { start: number; end: number } | null {
  const frameLength = Math.round(0.03 * sampleRate);
  const frameShift = Math.round(0.01 * sampleRate);
  const { voiced, logEnergy } = trackPitch(samples, { sampleRate, frameLength, frameShift, removeDcOffset: true });
  // logEnergy is ln Σ (32768·x)² over a frame: its level in dBFS is 10·log10(e^L / 32768² / frameLength).
  const levelDb = (t: number) => 10 * Math.LOG10E * logEnergy[t] - 20 * Math.log10(32768) - 10 * Math.log10(frameLength);
  const floor = Math.max(-90, Math.min(...blockLevels(samples, sampleRate))) + 20;
  const voice = Array.from(voiced, (isVoiced, t) => isVoiced === 1 && levelDb(t) >= floor);
  const first = voice.indexOf(true);
  if (first < 0) return null;
  const last = voice.lastIndexOf(true);
  const margin = DEFAULT_ENERGY_OPTIONS.voicingMarginSeconds;
  return {
    start: Math.max(0, (first * frameShift) / sampleRate - margin),
    end: Math.min(samples.length / sampleRate, (last * frameShift + frameLength) / sampleRate + margin),
  };
}

/** Lays the files (decoded at options.sampleRate) end to end, a silence before, between and after them. */
export async function buildRecording(files: string[], options: Partial<RecordingOptions> = {}): Promise<Recording> {
  const settings = { ...DEFAULT_RECORDING_OPTIONS, ...options };
  const { sampleRate, silenceSeconds: [shortest, longest] } = settings;
  const rng = createRng(settings.seed);
  const silence = () => Math.round((shortest + rng() * (longest - shortest)) * sampleRate);
  const pieces: Float32Array[] = [];
  const speech: SpeechSegment[] = [];
  const voiced: SpeechSegment[] = [];
  const placements: SpeechSegment[] = [];
  let unvoicedClips = 0;
  const laid: string[] = [];
  const backgrounds: number[] = [];
  let length = silence();
  pieces.push(new Float32Array(length));
  for (const file of files) {
    if (length / sampleRate >= settings.maxSeconds) break;
    const { samples } = await decodeAudio(file, { sampleRate });
    const span = speechSpan(samples, sampleRate);
    backgrounds.push(Math.min(...blockLevels(samples, sampleRate)));
    speech.push({ start: length / sampleRate + span.start, end: length / sampleRate + span.end });
    const voice = voicedSpan(samples, sampleRate) ?? span;
    if (voice === span) unvoicedClips++;
    voiced.push({ start: length / sampleRate + voice.start, end: length / sampleRate + voice.end });
    placements.push({ start: length / sampleRate, end: (length + samples.length) / sampleRate });
    laid.push(file);
    pieces.push(samples);
    length += samples.length;
    const gap = silence();
    pieces.push(new Float32Array(gap));
    length += gap;
  }
  const samples = new Float32Array(length);
  let offset = 0;
  for (const piece of pieces) {
    samples.set(piece, offset);
    offset += piece.length;
  }
  // Uniform noise of RMS r has amplitude r·√3.
  const noiseDb = settings.noiseDb === 'room' ? Math.max(-90, percentile(backgrounds, 0.5)) : settings.noiseDb;
  const amplitude = 10 ** (noiseDb / 20) * Math.sqrt(3);
  for (let i = 0; i < samples.length; i++) samples[i] += settings.dcOffset + amplitude * (2 * rng() - 1);
  return { samples, sampleRate, speech, voiced, unvoicedClips, placements, files: laid, noiseDb };
}

/** 16-bit PCM of float samples, clipped to full scale. */
export function toS16le(samples: Float32Array): Buffer {
  const bytes = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), i * 2);
  return bytes;
}
