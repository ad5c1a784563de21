import type { TaxonomyName } from './types.js';

/** Class lists in their canonical order; the 4 classes are the benchmark's (../shared/BENCHMARK.md). */
export const TAXONOMIES: Readonly<Record<TaxonomyName, readonly string[]>> = {
  '4class': ['neutral', 'happy', 'sad', 'angry'],
  '7class': ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'],
};

/** Every corpus word that names a class; a word missing here has no class and is reported, never guessed. */
const WORDS_OF_CLASS: Readonly<Record<string, readonly string[]>> = {
  neutral: ['neutral', 'calm'],
  happy: ['happy', 'happiness', 'joy'],
  sad: ['sad', 'sadness'],
  angry: ['angry', 'anger'],
  fearful: ['fearful', 'fear'],
  disgust: ['disgust'],
  surprised: ['surprised', 'surprise'],
};

const CLASS_OF_WORD = new Map(
  Object.entries(WORDS_OF_CLASS).flatMap(([label, words]) => words.map((word) => [word, label] as const)),
);

export function isTaxonomyName(name: string): name is TaxonomyName {
  return Object.hasOwn(TAXONOMIES, name);
}

/** The taxonomy class of a corpus's emotion word, or null when the taxonomy has none for it. */
export function mapLabel(word: string, taxonomy: TaxonomyName): string | null {
  const label = CLASS_OF_WORD.get(word.trim().toLowerCase());
  return label !== undefined && TAXONOMIES[taxonomy].includes(label) ? label : null;
}
