/**
 * Strings a corpus holds per utterance, kept small: a corpus of a million utterances holds three million of
 * them (id, path, relative path) for as long as it lives.
 */

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The same text as one flat string. In V8 a string built by concatenation (path.join, Array.join) is a tree
 * of pieces (a 76-character path: about nine objects, ~350 bytes instead of ~100), and a field sliced out of
 * a manifest keeps the whole manifest text alive. Text with surrogates (rare in file names) is left as it is,
 * so a lone one is never replaced by the UTF-8 round trip.
 */
export function compactString(value: string): string {
  return SURROGATE.test(value) ? value : Buffer.from(value, 'utf8').toString('utf8');
}

/**
 * One shared copy of each distinct string (speakers, emotions and languages repeat over a corpus's rows). The
 * copy kept is flat: a speaker name of 13 characters or more cut from the manifest would otherwise keep the
 * whole manifest text alive.
 */
export function stringInterner(): (value: string) => string {
  const seen = new Map<string, string>();
  return (value) => {
    const known = seen.get(value);
    if (known !== undefined) return known;
    const kept = compactString(value);
    seen.set(kept, kept);
    return kept;
  };
}
