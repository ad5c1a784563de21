export type TaxonomyName = '4class' | '7class';

/** Two lower-case letters, e.g. 'en', 'de', 'ur', 'tr'. */
export const ISO_639_1 = /^[a-z]{2}$/;

export interface Utterance {
  /** Unique within the corpus and safe as a file name; derived from `relativePath`. */
  id: string;
  /** Absolute path of the audio file. */
  path: string;
  /** Relative to the corpus root, always with `/` separators. */
  relativePath: string;
  speaker: string;
  /** The corpus's own word for the emotion, lower-cased (e.g. 'boredom', 'happiness'). */
  emotion: string;
  /** The taxonomy class of `emotion`, or null when the taxonomy has no class for it. */
  label: string | null;
  /** ISO 639-1 code. */
  language: string;
  corpus: string;
  /** From the manifest's optional `duration_s` column. */
  durationSeconds?: number;
}

/** An audio file that belongs to the corpus folder but is not among its utterances. */
export interface SkippedFile {
  relativePath: string;
  reason: string;
}

export interface Corpus {
  name: string;
  /** ISO 639-1 code. */
  language: string;
  /** Absolute path of the corpus folder. */
  root: string;
  /** 'manifest' when read from manifest.csv, otherwise the id of the recognised file-name layout. */
  layout: string;
  taxonomy: TaxonomyName;
  /** Sorted by relative path. */
  utterances: Utterance[];
  /** Emotion words with no class in the taxonomy, most frequent first. */
  unknownLabels: { emotion: string; count: number }[];
  /** Manifest rows whose file is missing, or audio files whose name does not follow the recognised layout. */
  skippedFiles: SkippedFile[];
}

/** A corpus without its utterances: what a report says of it (a CorpusListing streams the utterances). */
export type CorpusInfo = Omit<Corpus, 'utterances'>;

export interface LoadCorpusOptions {
  /** Default '4class', the benchmark's taxonomy. */
  taxonomy?: TaxonomyName;
  /** Default: the recognised layout's corpus name, else the folder's base name. */
  name?: string;
  /** ISO 639-1 code; overrides the language of the recognised layout. */
  language?: string;
  /** Recognise the layout from file names even where a manifest.csv exists. */
  ignoreManifest?: boolean;
}

export class CorpusError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    readonly line?: number,
  ) {
    super(`${path}${line === undefined ? '' : ` line ${line}`}: ${reason}`);
    this.name = 'CorpusError';
  }
}
