/**
 * Float32 buffers reused from one call to the next, for samples that do not outlive the call that fills
 * them: a file's samples at its own rate before resampling, and a resampling cascade's intermediate stages.
 * A fresh array of a clip's length costs its zeroing and page faults every time (about a quarter of the
 * decode stage at 48 kHz); a reused one is written over in full by its caller, never read before.
 * Clips over MAX_REUSED_SAMPLES get a fresh array, so one long file does not pin its memory for the rest.
 */
const MAX_REUSED_SAMPLES = 1 << 22;

export const SCRATCH = { decoded: 0, evenStage: 1, oddStage: 2 } as const;

const slots: (Float32Array | undefined)[] = [];

/** A Float32Array of `length` whose contents are undefined: the caller writes every element before reading any. */
export function scratchSamples(slot: number, length: number): Float32Array {
  if (length > MAX_REUSED_SAMPLES) return new Float32Array(length);
  let buffer = slots[slot];
  if (!buffer || buffer.length < length) {
    buffer = new Float32Array(Math.min(MAX_REUSED_SAMPLES, Math.max(length, 2 * (buffer?.length ?? 0))));
    slots[slot] = buffer;
  }
  return buffer.subarray(0, length);
}
