import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { SpeakerTurn } from './predict.js';

/**
 * RTTM (NIST Rich Transcription Time Marked), the format diarisation tools such as pyannote write: one
 * turn a line, ten space-separated fields
 *   SPEAKER <file id> <channel> <onset s> <duration s> <NA> <NA> <speaker> <NA> <NA>
 * e.g. `SPEAKER interview 1 12.30 4.25 <NA> <NA> spk_0 <NA> <NA>`. Lines of other types (SPKR-INFO,
 * LEXEME, …) are skipped, as are blank lines and `;;` comments. The file id is the recording's file name
 * without its extension.
 */
export interface RttmTurns {
  /** Turns by file id, in onset order. */
  byFile: Map<string, SpeakerTurn[]>;
  /** Lines that could not be read, each naming the file, the line and the fix. */
  errors: string[];
}

const RTTM_TYPES = ['SPEAKER', 'SPKR-INFO', 'SEGMENT', 'LEXEME', 'NON-SPEECH', 'NON-LEX', 'NOSCORE', 'NO_RT_METADATA', 'A/P', 'IP', 'SU', 'CB', 'EDIT', 'FILLER', 'STT'];

export function parseRttm(text: string, origin: string): RttmTurns {
  const byFile = new Map<string, SpeakerTurn[]>();
  const errors: string[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    const where = `${origin}:${index + 1}`;
    const fields = line.trim().split(/\s+/);
    if (line.trim() === '' || line.trimStart().startsWith(';;')) return;
    if (fields[0] !== 'SPEAKER') {
      if (!RTTM_TYPES.includes(fields[0])) errors.push(`${where}: unknown line type "${fields[0].slice(0, 40)}" (an RTTM line starts with SPEAKER)`);
      return;
    }
    if (fields.length < 9) {
      errors.push(`${where}: ${fields.length} fields, an RTTM SPEAKER line has 10: SPEAKER <file> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>`);
      return;
    }
    const [, file, , onsetText, durationText, , , speaker] = fields;
    const onset = Number(onsetText);
    const duration = Number(durationText);
    if (!(onsetText !== '' && Number.isFinite(onset) && onset >= 0)) {
      errors.push(`${where}: onset "${onsetText}" is not a number of seconds at or after 0`);
      return;
    }
    if (!(durationText !== '' && Number.isFinite(duration) && duration > 0)) {
      errors.push(`${where}: duration "${durationText}" is not a number of seconds above 0`);
      return;
    }
    const turns = byFile.get(file) ?? [];
    turns.push({ start: onset, end: onset + duration, speaker, origin: where });
    byFile.set(file, turns);
  });
  for (const turns of byFile.values()) turns.sort((a, b) => a.start - b.start);
  return { byFile, errors };
}

export async function readRttm(path: string): Promise<RttmTurns> {
  const bytes = await readFile(path);
  if (bytes.includes(0)) return { byFile: new Map(), errors: [`${path}: not a text file (it holds NUL bytes); give an RTTM file`] };
  return parseRttm(bytes.toString('utf8'), path);
}

/** The file id an RTTM gives a recording: its file name without the extension. */
export function rttmFileId(file: string): string {
  return basename(file, extname(file));
}

/**
 * The turns of one recording: those of its file id, or, when the RTTM describes a single recording and one
 * file is predicted, that recording's whatever its id. Throws, naming the ids it has, when none match.
 */
export function turnsForFile(rttm: RttmTurns, origin: string, files: string[]): (file: string) => SpeakerTurn[] {
  return (file) => {
    const turns = rttm.byFile.get(rttmFileId(file)) ?? (rttm.byFile.size === 1 && files.length === 1 ? [...rttm.byFile.values()][0] : undefined);
    if (!turns) {
      throw new Error(`${origin} has no turns for file id "${rttmFileId(file)}" (it has ${[...rttm.byFile.keys()].slice(0, 5).join(', ') || 'none'})`);
    }
    return turns;
  };
}
