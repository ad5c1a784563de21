import type { Interval } from './bootstrap.js';
import type { Summary } from '../infer/metrics.js';

/** Rows of already formatted cells, rendered both as Markdown and as HTML so the two never disagree. */
export interface Table {
  headers: string[];
  rows: string[][];
}

/** A fraction in [0, 1] as a percentage with one decimal, e.g. 0.6944 → "69.4". */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? (fraction * 100).toFixed(1) : '—';
}

export function formatInterval(interval: Interval): string {
  return `[${formatPercent(interval.low)}, ${formatPercent(interval.high)}]`;
}

export function formatMeanStd(summary: Summary): string {
  return `${formatPercent(summary.mean)} ± ${formatPercent(summary.std)}`;
}
