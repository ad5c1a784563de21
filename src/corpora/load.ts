import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { sortLines } from '../util/externalSort.js';
import { LineWriter, readLines } from '../util/lines.js';
import { isTaxonomyName, mapLabel, TAXONOMIES } from './labels.js';
import {
  AUDIO_EXTENSIONS,
  hasAudioExtension,
  layoutCounter,
  LAYOUTS,
  NEARLY_ALL,
  parseFileName,
  withoutExtension,
  type Layout,
} from './layouts.js';
import { firstRepeatedPath, MANIFEST_FILE, manifestRows, OPTIONAL_COLUMNS, repeatedPathError, REQUIRED_COLUMNS, type ManifestRow } from './manifest.js';
import { compactString, stringInterner } from './strings.js';
import { CorpusError, ISO_639_1, type Corpus, type CorpusInfo, type LoadCorpusOptions, type SkippedFile, type Utterance } from './types.js';

/**
 * A corpus folder listed without holding its utterances: the rows go, sorted by relative path, into a
 * temporary file (an external sort for a manifest, whose rows may come in any order; a walk of the folder
 * tree in sorted order otherwise), and `utterances()` reads them back one at a time, as often as asked.
 * Memory: the sort's chunk and the strings shared by all rows (speakers, emotions), whatever the corpus's size.
 * `close` removes the temporary folder; loadCorpus collects a listing into an array for small callers.
 */
export interface CorpusListing extends CorpusInfo {
  /** Utterances listed. */
  count: number;
  /** Of them, those whose emotion has a class in the taxonomy. */
  labelled: number;
  /** The utterances in corpus order (sorted by relative path), read afresh at each call. */
  utterances(): Iterable<Utterance>;
}

export interface OpenCorpusListing extends CorpusListing {
  /** Removes the listing's temporary files; utterances() cannot be called after. */
  close(): void;
}

export interface ListingOptions extends LoadCorpusOptions {
  /** Where the temporary folder goes; default the system's (os.tmpdir()). */
  tempDir?: string;
  /** Rows sorted in memory at a time when a manifest is sorted (see sortLines). */
  chunkLines?: number;
}

/** The fields of one listed row, as the temporary file holds them: [relativePath, speaker, emotion, language, duration]. */
type Row = [string, string, string, string | null, number | null];

/** What a listing source found, its rows already written, sorted by relative path, to `rows`. */
interface Listed {
  /** 'manifest', the id of the layout the file names were read by, or 'audio folder'. */
  source: string;
  rows: string;
  skippedFiles: SkippedFile[];
  /** The layout the file names follow, where they follow one. */
  layout: Layout | null;
  /** The one language a manifest's language column names, if it names exactly one. */
  listedLanguage?: string;
}

/** Lists a folder into a temporary folder of its own, removed when the listing fails. */
export function withTemporaryFolder<T>(options: { tempDir?: string }, list: (temp: string) => T): { value: T; temp: string } {
  const temp = mkdtempSync(join(options.tempDir ?? tmpdir(), 'ser-listing-'));
  try {
    return { value: list(temp), temp };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

export function checkFolder(root: string): void {
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new CorpusError(root, 'is not a folder');
}

/**
 * A corpus folder as labelled utterances, streamed (see CorpusListing): from its manifest.csv where there is
 * one, otherwise from the file-name rules of the public corpus its names follow (see LAYOUTS).
 */
export function openCorpusListing(dir: string, options: ListingOptions = {}): OpenCorpusListing {
  const root = resolve(dir);
  const taxonomy = options.taxonomy ?? '4class';
  if (!isTaxonomyName(taxonomy)) {
    throw new CorpusError(root, `unknown taxonomy ${JSON.stringify(taxonomy)}; expected one of ${Object.keys(TAXONOMIES).join(', ')}`);
  }
  if (options.language !== undefined && !ISO_639_1.test(options.language)) {
    throw new CorpusError(root, `language ${JSON.stringify(options.language)} is not a two-letter ISO 639-1 code`);
  }
  checkFolder(root);
  const manifestPath = join(root, MANIFEST_FILE);
  const { value: listed, temp } = withTemporaryFolder(options, (temp) => {
    const listed = !options.ignoreManifest && existsSync(manifestPath) ? listFromManifest(root, manifestPath, temp, options.chunkLines) : listFromFileNames(root, temp);
    if ((options.language ?? listed.listedLanguage ?? listed.layout?.language) === undefined) {
      throw new CorpusError(manifestPath, 'says nothing of the language: add a language column (ISO 639-1) or pass the language option');
    }
    return listed;
  });
  const name = options.name ?? listed.layout?.id ?? basename(root);
  const language = (options.language ?? listed.listedLanguage ?? listed.layout?.language)!;
  return finishListing({ name, language, root, layout: listed.source, taxonomy, skippedFiles: listed.skippedFiles }, listed.rows, temp, { labels: true, chunkLines: options.chunkLines });
}

/** A corpus folder as labelled utterances, all in memory (openCorpusListing collected; fine up to some 100k utterances). */
export async function loadCorpus(dir: string, options: LoadCorpusOptions = {}): Promise<Corpus> {
  const listing = openCorpusListing(dir, options);
  try {
    return collectCorpus(listing);
  } finally {
    listing.close();
  }
}

/** A listing's utterances in an array. */
export function collectCorpus(listing: CorpusListing): Corpus {
  const { name, language, root, layout, taxonomy, unknownLabels, skippedFiles } = listing;
  return { name, language, root, layout, taxonomy, utterances: [...listing.utterances()], unknownLabels, skippedFiles };
}

/** A corpus already in memory as a listing (what beginStoreRun takes). */
export function listingOf(corpus: Corpus): CorpusListing {
  return {
    name: corpus.name,
    language: corpus.language,
    root: corpus.root,
    layout: corpus.layout,
    taxonomy: corpus.taxonomy,
    unknownLabels: corpus.unknownLabels,
    skippedFiles: corpus.skippedFiles,
    count: corpus.utterances.length,
    labelled: corpus.utterances.filter((utterance) => utterance.label !== null).length,
    utterances: () => corpus.utterances,
  };
}

export function isListing(corpus: Corpus | CorpusListing): corpus is CorpusListing {
  return typeof corpus.utterances === 'function';
}

/**
 * The listing over a rows file: one pass counts labels and finds the ids that coincide ignoring case (by an
 * external sort of the lower-cased ids: no set of every id), then utterances() turns rows into utterances.
 */
export function finishListing(
  info: Omit<CorpusInfo, 'unknownLabels'>,
  rows: string,
  temp: string,
  options: { labels: boolean; chunkLines?: number },
): OpenCorpusListing {
  const { taxonomy } = info;
  const labelOf = (emotion: string): string | null => (options.labels ? mapLabel(emotion, taxonomy) : null);
  try {
    let count = 0;
    let labelled = 0;
    const unlabelled = new Map<string, number>();
    const caselessIds = (function* (): Generator<string> {
      for (const line of readLines(rows)) {
        const [relativePath, , emotionWord] = JSON.parse(line) as Row;
        count++;
        const emotion = emotionWord.toLowerCase();
        if (labelOf(emotion) !== null) labelled++;
        else if (options.labels) unlabelled.set(emotion, (unlabelled.get(emotion) ?? 0) + 1);
        yield baseId(relativePath).toLowerCase();
      }
    })();
    const sortedIds = sortLines(caselessIds, { dir: temp, key: (id) => id, chunkLines: options.chunkLines });
    const coinciding = new Set<string>();
    let previous: string | undefined;
    for (const id of sortedIds.lines()) {
      if (id === previous) coinciding.add(id);
      previous = id;
    }
    sortedIds.remove();
    const intern = stringInterner();
    return {
      ...info,
      count,
      labelled,
      unknownLabels: [...unlabelled]
        .map(([emotion, times]) => ({ emotion: intern(emotion), count: times }))
        .sort((a, b) => b.count - a.count || compareStrings(a.emotion, b.emotion)),
      *utterances() {
        for (const line of readLines(rows)) {
          const [relativePath, speaker, emotionWord, rowLanguage, duration] = JSON.parse(line) as Row;
          const emotion = intern(emotionWord.toLowerCase());
          const base = baseId(relativePath);
          yield compactUtterance(info.root, relativePath, {
            id: coinciding.has(base.toLowerCase()) ? `${base}-${createHash('sha1').update(relativePath).digest('hex').slice(0, 8)}` : base,
            speaker: intern(speaker),
            emotion,
            label: labelOf(emotion),
            language: rowLanguage === null ? info.language : intern(rowLanguage),
            corpus: info.name,
            durationSeconds: duration ?? undefined,
          });
        }
      },
      close: () => rmSync(temp, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * An utterance as a corpus holds it, about 280 bytes: its path one flat string, the relative path a view of
 * the path's end (in V8 32 bytes, not a second copy of the text), the object built field by field, never
 * spread (a corpus of a million utterances is a million of these objects).
 */
export function compactUtterance(root: string, relativePath: string, fields: Omit<Utterance, 'path' | 'relativePath'>): Utterance {
  const path = compactString(join(root, relativePath));
  const utterance: Utterance = {
    id: fields.id,
    path,
    relativePath: path.endsWith(`${sep}${relativePath}`) ? path.slice(path.length - relativePath.length) : relativePath,
    speaker: fields.speaker,
    emotion: fields.emotion,
    label: fields.label,
    language: fields.language,
    corpus: fields.corpus,
  };
  if (fields.durationSeconds !== undefined) utterance.durationSeconds = fields.durationSeconds;
  return utterance;
}

/**
 * Every row of the manifest becomes an utterance, also one whose file is missing or not a regular file: it
 * then fails to decode like any unreadable file, so preprocessing lists it in errors.json and exits 3 rather
 * than leaving it out unsaid. Only a manifest none of whose files exists is refused outright. The rows are
 * read one at a time and sorted by path externally; a path listed twice is found next to itself.
 */
function listFromManifest(root: string, manifestPath: string, temp: string, chunkLines?: number): Listed {
  let first: ManifestRow | undefined;
  let anyFile = false;
  const languages = new Set<string>();
  const lines = (function* (): Generator<string> {
    for (const row of manifestRows(manifestPath)) {
      first ??= row;
      // Synchronous: for a manifest of 61k rows, a promise per stat costs seconds of allocation and GC; stat(2) itself microseconds.
      if (!anyFile) anyFile = statSync(join(root, row.relativePath), { throwIfNoEntry: false }) !== undefined;
      if (row.language !== undefined) languages.add(row.language);
      const fields: Row = [row.relativePath, row.speaker, row.emotion, row.language ?? null, row.durationSeconds ?? null];
      yield JSON.stringify([...fields, row.line]);
    }
  })();
  const sorted = sortLines(lines, { dir: temp, key: (line) => (JSON.parse(line) as Row)[0], chunkLines });
  const layouts = layoutCounter();
  const repeat = firstRepeatedPath(
    (function* () {
      for (const line of sorted.lines()) {
        const row = JSON.parse(line) as [...Row, number];
        layouts.add(row[0]);
        yield { relativePath: row[0], line: row[5] };
      }
    })(),
  );
  if (repeat) throw repeatedPathError(manifestPath, repeat);
  if (first === undefined) throw new CorpusError(manifestPath, 'lists no files');
  if (!anyFile) throw new CorpusError(manifestPath, `none of its ${sorted.count} files is under ${root} (line ${first.line}: ${first.relativePath})`);
  if (languages.size > 1) {
    throw new CorpusError(manifestPath, `names several languages (${[...languages].join(', ')}); pass the corpus's language as the language option`);
  }
  const match = layouts.best();
  return { source: 'manifest', rows: sorted.file, skippedFiles: [], layout: match.recognised ? match.layout : null, listedLanguage: [...languages][0] };
}

function listFromFileNames(root: string, temp: string): Listed {
  const paths = new LineWriter(join(temp, 'paths.jsonl'));
  const layouts = layoutCounter();
  try {
    for (const relativePath of walkAudioFiles(root)) {
      paths.write(JSON.stringify(relativePath));
      layouts.add(relativePath);
    }
  } finally {
    paths.close();
  }
  if (paths.lines === 0) throw new CorpusError(root, `holds no audio files (${AUDIO_EXTENSIONS.join(' ')})`);
  const match = layouts.best();
  if (!match.recognised) throw new CorpusError(root, unrecognisedLayoutReason(paths.lines, match.layout, match.matched));
  const { layout } = match;
  const rows = new LineWriter(join(temp, 'rows.jsonl'));
  const skippedFiles: SkippedFile[] = [];
  try {
    for (const line of readLines(paths.file)) {
      const relativePath = compactString(JSON.parse(line) as string);
      const fields = parseFileName(layout, relativePath);
      if (fields === null) skippedFiles.push({ relativePath, reason: `the name does not follow ${layout.title}'s rules (e.g. ${layout.example})` });
      else rows.write(JSON.stringify([relativePath, fields.speaker, fields.emotion, null, null] satisfies Row));
    }
  } finally {
    rows.close();
  }
  rmSync(paths.file);
  return { source: layout.id, rows: rows.file, skippedFiles, layout };
}

function unrecognisedLayoutReason(fileCount: number, closest: Layout, matched: number): string {
  const expected = LAYOUTS.map((layout) => `  ${layout.title} (${layout.language}): ${layout.example}`).join('\n');
  const closeness = matched === 0 ? '' : ` (closest: ${closest.title}, ${matched} of ${fileCount}; at least ${NEARLY_ALL * 100}% must fit)`;
  return [
    `the names of its ${fileCount} audio files follow no known corpus layout${closeness}. Expected names like:`,
    expected,
    `For any other corpus, add ${MANIFEST_FILE} with the columns ${REQUIRED_COLUMNS.join(',')} ` +
      `(optional: ${OPTIONAL_COLUMNS.join(',')}), paths relative to the folder.`,
  ].join('\n');
}

/**
 * Audio files under a folder as '/'-separated paths relative to it, sorted, one folder read at a time;
 * hidden files and folders are left out. The order is that of sorting the whole paths: within a folder,
 * entries go by name, a sub-folder as its name followed by '/', so `a.wav` comes before `a/b.wav` and
 * `a/b.wav` before `a0.wav`, as '.' < '/' < '0'.
 */
export function* walkAudioFiles(root: string, folder = ''): Generator<string> {
  const entries = readdirSync(folder === '' ? root : join(root, folder), { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .map((entry) => ({ entry, key: entry.isDirectory() ? `${entry.name}/` : entry.name }))
    .sort((a, b) => compareStrings(a.key, b.key));
  for (const { entry } of entries) {
    const relativePath = folder === '' ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory()) yield* walkAudioFiles(root, relativePath);
    else if ((entry.isFile() || entry.isSymbolicLink()) && hasAudioExtension(entry.name)) yield relativePath;
  }
}

/** walkAudioFiles collected. */
export async function listAudioFiles(root: string): Promise<string[]> {
  return [...walkAudioFiles(root)];
}

/**
 * A readable, file-name-safe id: folders joined by `__`, the extension dropped, other unsafe characters
 * replaced by `_`. Ids that then coincide, ignoring case as some file systems do, get a hash of their path
 * (finishListing).
 */
function baseId(relativePath: string): string {
  return withoutExtension(relativePath)
    .split('/')
    .map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_'))
    .join('__');
}

/** Code-unit order, as `Array.prototype.sort` uses for strings: the same on every machine and locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
