/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * A seeded generator (mulberry32): the same 32-bit seed gives the same sequence on every platform,
 * which `Math.random` cannot promise. Seeds are taken modulo 2^32.
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, exclusiveMax). */
export function randomInteger(rng: Rng, exclusiveMax: number): number {
  return Math.floor(rng() * exclusiveMax);
}

/** A shuffled copy (Fisher–Yates); the input is left as it was. */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = randomInteger(rng, i + 1);
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}
