import { createRng, shuffle } from '../util/random.js';

function uniqueSorted(speakers: readonly string[]): string[] {
  return [...new Set(speakers)].sort();
}

/**
 * How a target corpus's sorted speakers are dealt out: `alternate` (the default) even positions to the
 * adaptation pool, odd to the test set; `pairs` positions 0, 1, 4, 5, ... to the pool and 2, 3, 6, 7, ... to
 * the test set, for corpora whose ids alternate gender (RAVDESS numbers men odd), so both genders are on both sides.
 */
export const SPLIT_SCHEMES = ['alternate', 'pairs'] as const;
export type SplitScheme = (typeof SPLIT_SCHEMES)[number];

/**
 * The benchmark's split of a target corpus (../shared/BENCHMARK.md): the unique speaker ids sorted as
 * strings, then dealt out by `scheme`.
 */
export function protocolSplit(speakers: readonly string[], scheme: SplitScheme = 'alternate'): { adaptation: string[]; test: string[] } {
  const sorted = uniqueSorted(speakers);
  const inPool = (position: number) => (scheme === 'pairs' ? Math.floor(position / 2) : position) % 2 === 0;
  return {
    adaptation: sorted.filter((_, position) => inPool(position)),
    test: sorted.filter((_, position) => !inPool(position)),
  };
}

/**
 * Validation speakers held out of source training. `amount` below 1 is a fraction of the speakers (rounded,
 * at least one), otherwise a whole number of speakers; at least one speaker is left for training.
 * Rule: the unique ids, sorted as strings, are shuffled (Fisher–Yates, mulberry32 seeded with `seed`) and
 * the first `n` are held out; both lists come back sorted. Not a stride over the sorted ids: ids often
 * encode gender (RAVDESS numbers men odd, women even), so every 2nd or 4th id would hold out one gender only.
 */
export function holdOutSpeakers(
  speakers: readonly string[],
  amount: number,
  seed = 0,
): { train: string[]; validation: string[] } {
  const sorted = uniqueSorted(speakers);
  const count = amount > 0 && amount < 1 ? Math.max(1, Math.round(amount * sorted.length)) : amount;
  if (!Number.isInteger(count) || count < 1 || count >= sorted.length) {
    throw new RangeError(
      `cannot hold out ${amount} of ${sorted.length} speakers: give a fraction in (0, 1) or a whole number from 1 to ${sorted.length - 1}`,
    );
  }
  const shuffled = shuffle(sorted, createRng(seed));
  return { train: shuffled.slice(count).sort(), validation: shuffled.slice(0, count).sort() };
}
