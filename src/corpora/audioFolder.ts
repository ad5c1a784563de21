import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { AUDIO_EXTENSIONS } from './layouts.js';
import { compactUtterance, listAudioFiles, utteranceIds } from './load.js';
import { stringInterner } from './strings.js';
import { CorpusError, type Corpus } from './types.js';

/** The language of a folder of clips nobody has described: "und", ISO 639-2's "undetermined". */
export const UNDETERMINED_LANGUAGE = 'und';

/**
 * A plain folder of audio clips (any format ffmpeg reads, no manifest, no labels) as an unlabelled corpus:
 * a clip in a sub-folder belongs to a speaker named after its first sub-folder, a clip at the top to the
 * speaker "unknown". Every label is null; such a corpus can be adapted to, never scored.
 */
export async function audioFolderCorpus(dir: string, options: { name?: string; language?: string } = {}): Promise<Corpus> {
  const root = resolve(dir);
  const folder = await stat(root).catch(() => null);
  if (!folder?.isDirectory()) throw new CorpusError(root, 'is not a folder');
  const relativePaths = await listAudioFiles(root);
  if (relativePaths.length === 0) throw new CorpusError(root, `holds no audio files (${AUDIO_EXTENSIONS.join(' ')})`);
  const name = options.name ?? basename(root);
  const language = options.language ?? UNDETERMINED_LANGUAGE;
  const ids = utteranceIds(relativePaths);
  const intern = stringInterner();
  return {
    name,
    language,
    root,
    layout: 'audio folder',
    taxonomy: '4class',
    utterances: relativePaths.map((relativePath, i) =>
      compactUtterance(root, relativePath, {
        id: ids[i],
        speaker: intern(relativePath.includes('/') ? relativePath.split('/')[0] : 'unknown'),
        emotion: '',
        label: null,
        language,
        corpus: name,
      }),
    ),
    unknownLabels: [],
    skippedFiles: [],
  };
}
