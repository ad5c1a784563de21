import type { Span } from './analyse.js';

const WINDOW_SECONDS = 3;

/**
 * The stretches of a clip the timeline shows, one estimate each: for now consecutive 3 s windows (the last
 * one shorter), until the energy speech detector of `src/segment` replaces them.
 */
export function timelineSegments(samples: Float32Array, sampleRate: number): Span[] {
  const duration = samples.length / sampleRate;
  const spans: Span[] = [];
  for (let start = 0; start < duration; start += WINDOW_SECONDS) spans.push({ start, end: Math.min(duration, start + WINDOW_SECONDS) });
  return spans;
}
