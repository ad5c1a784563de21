import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { isTaxonomyName, mapLabel, TAXONOMIES } from './labels.js';
import {
  AUDIO_EXTENSIONS,
  hasAudioExtension,
  LAYOUTS,
  NEARLY_ALL,
  parseFileName,
  recogniseLayout,
  withoutExtension,
  type Layout,
} from './layouts.js';
import { MANIFEST_FILE, OPTIONAL_COLUMNS, readManifest, REQUIRED_COLUMNS } from './manifest.js';
import { compactString, stringInterner } from './strings.js';
import { CorpusError, ISO_639_1, type Corpus, type LoadCorpusOptions, type SkippedFile, type Utterance } from './types.js';

/** An utterance before the corpus-wide fields (id, label, language defaults, corpus name) are known. */
interface Entry {
  relativePath: string;
  speaker: string;
  emotion: string;
  language?: string;
  durationSeconds?: number;
}

interface Listing {
  /** 'manifest' or the id of the layout the file names were read by. */
  source: string;
  entries: Entry[];
  skippedFiles: SkippedFile[];
  /** The layout the file names follow, where they follow one. */
  layout: Layout | null;
  /** The one language a manifest's language column names, if it names exactly one. */
  listedLanguage?: string;
}

/**
 * A corpus folder as labelled utterances: from its manifest.csv where there is one, otherwise from the
 * file-name rules of the public corpus its names follow (see LAYOUTS).
 */
export async function loadCorpus(dir: string, options: LoadCorpusOptions = {}): Promise<Corpus> {
  const root = resolve(dir);
  const taxonomy = options.taxonomy ?? '4class';
  if (!isTaxonomyName(taxonomy)) {
    throw new CorpusError(root, `unknown taxonomy ${JSON.stringify(taxonomy)}; expected one of ${Object.keys(TAXONOMIES).join(', ')}`);
  }
  if (options.language !== undefined && !ISO_639_1.test(options.language)) {
    throw new CorpusError(root, `language ${JSON.stringify(options.language)} is not a two-letter ISO 639-1 code`);
  }
  const folder = await stat(root).catch(() => null);
  if (!folder?.isDirectory()) throw new CorpusError(root, 'is not a folder');

  const manifestPath = join(root, MANIFEST_FILE);
  const listing = !options.ignoreManifest && existsSync(manifestPath) ? await listFromManifest(root, manifestPath) : await listFromFileNames(root);

  const name = options.name ?? listing.layout?.id ?? basename(root);
  const language = options.language ?? listing.listedLanguage ?? listing.layout?.language;
  if (language === undefined) {
    throw new CorpusError(
      manifestPath,
      'says nothing of the language: add a language column (ISO 639-1) or pass the language option',
    );
  }

  const ids = utteranceIds(listing.entries.map((entry) => entry.relativePath));
  const intern = stringInterner();
  const utterances = listing.entries.map((entry, index): Utterance => {
    const emotion = intern(entry.emotion.toLowerCase());
    return compactUtterance(root, entry.relativePath, {
      id: ids[index],
      speaker: intern(entry.speaker),
      emotion,
      label: mapLabel(emotion, taxonomy),
      language: entry.language ?? language,
      corpus: name,
      durationSeconds: entry.durationSeconds,
    });
  });
  return {
    name,
    language,
    root,
    layout: listing.source,
    taxonomy,
    utterances,
    unknownLabels: countUnlabelled(utterances),
    skippedFiles: listing.skippedFiles,
  };
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
 * than leaving it out unsaid. Only a manifest none of whose files exists is refused outright.
 */
async function listFromManifest(root: string, manifestPath: string): Promise<Listing> {
  const rows = await readManifest(manifestPath);
  if (rows.length === 0) throw new CorpusError(manifestPath, 'lists no files');
  // Synchronous: for a manifest of 61k rows, a promise per stat costs seconds of allocation and GC; stat(2) itself microseconds.
  if (!rows.some((row) => statSync(join(root, row.relativePath), { throwIfNoEntry: false }) !== undefined)) {
    throw new CorpusError(manifestPath, `none of its ${rows.length} files is under ${root} (line ${rows[0].line}: ${rows[0].relativePath})`);
  }
  const languages = [...new Set(rows.flatMap((row) => (row.language === undefined ? [] : [row.language])))];
  if (languages.length > 1) {
    throw new CorpusError(manifestPath, `names several languages (${languages.join(', ')}); pass the corpus's language as the language option`);
  }
  const match = recogniseLayout(rows.map((row) => row.relativePath));
  return {
    source: 'manifest',
    entries: [...rows].sort((a, b) => compareStrings(a.relativePath, b.relativePath)),
    skippedFiles: [],
    layout: match.recognised ? match.layout : null,
    listedLanguage: languages[0],
  };
}

async function listFromFileNames(root: string): Promise<Listing> {
  const relativePaths = await listAudioFiles(root);
  if (relativePaths.length === 0) {
    throw new CorpusError(root, `holds no audio files (${AUDIO_EXTENSIONS.join(' ')})`);
  }
  const match = recogniseLayout(relativePaths);
  if (!match.recognised) throw new CorpusError(root, unrecognisedLayoutReason(relativePaths.length, match.layout, match.matched));
  const { layout } = match;
  const entries: Entry[] = [];
  const skippedFiles: SkippedFile[] = [];
  for (const relativePath of relativePaths) {
    const fields = parseFileName(layout, relativePath);
    if (fields === null) skippedFiles.push({ relativePath, reason: `the name does not follow ${layout.title}'s rules (e.g. ${layout.example})` });
    else entries.push({ relativePath, ...fields });
  }
  return { source: layout.id, entries, skippedFiles, layout };
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

/** Audio files under a folder as sorted '/'-separated paths relative to it; hidden files and folders are left out. */
export async function listAudioFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && hasAudioExtension(entry.name))
    .map((entry) => compactString(relative(root, join(entry.parentPath, entry.name)).split(sep).join('/')))
    .filter((path) => !path.split('/').some((part) => part.startsWith('.')))
    .sort();
}

/**
 * Readable, file-name-safe ids: folders joined by `__`, the extension dropped, other unsafe characters
 * replaced by `_`. Ids that then coincide, ignoring case as some file systems do, get a hash of their path.
 */
export function utteranceIds(relativePaths: readonly string[]): string[] {
  const ids = relativePaths.map((path) =>
    compactString(
      withoutExtension(path)
        .split('/')
        .map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_'))
        .join('__'),
    ),
  );
  // Coinciding ids are found by a 32-bit hash of the lower-cased id first (4 bytes an id, not a second
  // string and a map entry), then confirmed on the ids whose hash repeats.
  const hashes = Uint32Array.from(ids, caselessHash);
  const sorted = hashes.slice().sort();
  const repeatedHashes = new Set<number>();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeatedHashes.add(sorted[i]);
  if (repeatedHashes.size === 0) return ids;
  const uses = new Map<string, number>();
  const candidates = ids.flatMap((_, index) => (repeatedHashes.has(hashes[index]) ? [index] : []));
  for (const index of candidates) uses.set(ids[index].toLowerCase(), (uses.get(ids[index].toLowerCase()) ?? 0) + 1);
  for (const index of candidates) {
    if (uses.get(ids[index].toLowerCase())! > 1) ids[index] = `${ids[index]}-${createHash('sha1').update(relativePaths[index]).digest('hex').slice(0, 8)}`;
  }
  return ids;
}

/** FNV-1a of the id with A-Z lower-cased (ids hold only A-Za-z0-9._- by construction, so this is toLowerCase). */
function caselessHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    hash = Math.imul(hash ^ (code >= 65 && code <= 90 ? code + 32 : code), 0x01000193);
  }
  return hash >>> 0;
}

function countUnlabelled(utterances: readonly Utterance[]): Corpus['unknownLabels'] {
  const counts = new Map<string, number>();
  for (const { emotion, label } of utterances) if (label === null) counts.set(emotion, (counts.get(emotion) ?? 0) + 1);
  return [...counts]
    .map(([emotion, count]) => ({ emotion, count }))
    .sort((a, b) => b.count - a.count || compareStrings(a.emotion, b.emotion));
}

/** Code-unit order, as `Array.prototype.sort` uses for strings: the same on every machine and locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
