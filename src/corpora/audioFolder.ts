import { join, basename, resolve } from 'node:path';
import { LineWriter } from '../util/lines.js';
import { AUDIO_EXTENSIONS } from './layouts.js';
import { collectCorpus, finishListing, walkAudioFiles, withTemporaryFolder, checkFolder, type ListingOptions, type OpenCorpusListing } from './load.js';
import { CorpusError, type Corpus } from './types.js';

/** The language of a folder of clips nobody has described: "und", ISO 639-2's "undetermined". */
export const UNDETERMINED_LANGUAGE = 'und';

/**
 * A plain folder of audio clips (any format ffmpeg reads, no manifest, no labels) as an unlabelled corpus,
 * streamed like openCorpusListing: a clip in a sub-folder belongs to a speaker named after its first
 * sub-folder, a clip at the top to the speaker "unknown". Every label is null; such a corpus can be adapted
 * to, never scored.
 */
export function openAudioFolderListing(dir: string, options: Pick<ListingOptions, 'name' | 'language' | 'tempDir' | 'chunkLines'> = {}): OpenCorpusListing {
  const root = resolve(dir);
  checkFolder(root);
  const { value: rows, temp } = withTemporaryFolder(options, (temp) => {
    const rows = new LineWriter(join(temp, 'rows.jsonl'));
    try {
      for (const relativePath of walkAudioFiles(root)) {
        rows.write(JSON.stringify([relativePath, relativePath.includes('/') ? relativePath.split('/')[0] : 'unknown', '', null, null]));
      }
    } finally {
      rows.close();
    }
    if (rows.lines === 0) throw new CorpusError(root, `holds no audio files (${AUDIO_EXTENSIONS.join(' ')})`);
    return rows.file;
  });
  const name = options.name ?? basename(root);
  const language = options.language ?? UNDETERMINED_LANGUAGE;
  return finishListing({ name, language, root, layout: 'audio folder', taxonomy: '4class', skippedFiles: [] }, rows, temp, { labels: false, chunkLines: options.chunkLines });
}

/** openAudioFolderListing collected into an array. */
export async function audioFolderCorpus(dir: string, options: { name?: string; language?: string } = {}): Promise<Corpus> {
  const listing = openAudioFolderListing(dir, options);
  try {
    return collectCorpus(listing);
  } finally {
    listing.close();
  }
}
