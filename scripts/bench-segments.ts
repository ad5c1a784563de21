/**
 * Voice activity detection against known boundaries: per corpus (the demo corpora and those in
 * ../shared/corpora), a synthetic recording of its first clips (sorted paths) laid end to end with 1-3 s
 * silences, white noise at the clips' own background level and a DC offset under all of it; each VAD's segments scored with scoreSegmentation
 * against two references per clip: `energy` (speechSpan: first to last 50 ms run within 30 dB of its loudest
 * 10 ms) and `voiced` (voicedSpan: first to last YIN-voiced frame 20 dB above the clip's quietest 10 ms, widened by 0.25 s), so that an error seen
 * against one only is the reference's as much as the detector's; and a third row, `between`, scores each edge
 * against both at once (scoreSegmentation with a second reference: 0 between the two references' edges, else
 * the distance to the nearer one).
 * Why the third: what a synthetic recording knows exactly is where each clip lies, not where the speech inside
 * it lies; the references are two rules about that unlabelled audio, and they disagree where a clip holds
 * sounds that are not clearly speech (a breath, a click, a cough before or after the sentence is louder than
 * 30 dB below its peak yet aperiodic; hum or a creaky ending is periodic yet quiet). An edge between them agrees
 * with one rule; an edge outside both is wrong by at least its distance to the nearer one. The placement of
 * the clip itself is not used as an edge: RAVDESS clips hold about a second of room tone around the sentence,
 * and a segment taking all of it in would score as exact. The one-reference rows are always printed beside it.
 * Bar: every clip found, boundary error under 0.5 s, no segment inside a silence. Two counts of the last: segments
 * outside every reference span (the bar's `passes`, the stricter), and segments in an inserted silence (overlapping
 * no clip at all, the silence the recording knows).
 * Options: the usage text below (--help).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpus } from '../src/corpora/index.js';
import { energySegments } from '../src/segment/energy.js';
import { scoreSegmentation, type SegmentationScore } from '../src/segment/score.js';
import { sileroSegments } from '../src/segment/silero.js';
import type { SpeechSegment } from '../src/segment/segments.js';
import { boundaryDetails } from './lib/boundaries.js';
import { flag, oneOf, option, parseScriptOptions, repeated, wholeNumberIn } from './lib/options.js';
import { buildRecording } from './lib/recording.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpora = [
  join(repoRoot, 'data/demo/en'),
  join(repoRoot, 'data/demo/de'),
  ...['ravdess', 'emodb', 'urdu', 'turev-db'].map((name) => join(repoRoot, '../shared/corpora', name)),
];
const { options, positionals } = parseScriptOptions({
  name: 'bench:segments',
  summary: [
    'Voice activity detection against known boundaries: per corpus (the demo corpora and those in ../shared/corpora), a',
    'synthetic recording of its first clips (sorted paths) laid end to end with 1-3 s silences, noise and a DC offset',
    'under all of it; each VAD (energy, silero) scored against two references per clip, `energy` and `voiced`, and a',
    'third row, `between`, scoring each edge against both at once. Bar: every clip found, boundary error under 0.5 s,',
    'no segment inside a silence.',
  ].join('\n'),
  usage: 'npm run build && npm run bench:segments -- [clips] [options]',
  positionals: {
    clips: option('Clips per corpus laid into its recording.', wholeNumberIn(1, 10000), 40),
  },
  options: {
    energy: flag('The energy VAD alone (Silero runs at 2-25x real time here, minutes for all corpora).'),
    json: flag('The rows as JSON instead of a markdown table.'),
    corpus: repeated('That corpus alone, by its folder name.', oneOf(corpora.map((dir) => basename(dir)))),
    details: flag(
      'Each clip missed or off by 0.5 s or more, and each segment inside a silence, with its file and times and what the audio in dispute holds (boundaries.ts), on stderr.',
    ),
  },
});
const vadsAll: Record<string, (samples: Float32Array, rate: number) => Promise<SpeechSegment[]> | SpeechSegment[]> = {
  energy: energySegments,
  silero: sileroSegments,
};
const vads = options.energy ? { energy: vadsAll.energy } : vadsAll;

interface Row extends Omit<SegmentationScore, 'missed' | 'inSilence'> {
  corpus: string;
  vad: string;
  reference: 'energy' | 'voiced' | 'between';
  noiseDb: number;
  audioSeconds: number;
  missed: number;
  inSilence: number;
  /** Segments overlapping no clip at all: inside one of the silences laid between the clips. */
  inInsertedSilence: number;
  realTimeFactor: number;
  passes: boolean;
}

const rows: Row[] = [];
for (const dir of corpora) {
  if (options.corpus.length > 0 && !options.corpus.includes(basename(dir))) continue;
  if (!existsSync(dir)) {
    console.error(`skipped ${dir}: not found`);
    continue;
  }
  const corpus = await loadCorpus(dir);
  const files = corpus.utterances.slice(0, positionals.clips).map((utterance) => utterance.path);
  const recording = await buildRecording(files);
  const audioSeconds = recording.samples.length / recording.sampleRate;
  for (const [vad, find] of Object.entries(vads)) {
    const started = performance.now();
    const segments = await find(recording.samples, recording.sampleRate);
    const seconds = (performance.now() - started) / 1000;
    if (recording.unvoicedClips > 0) console.error(`${corpus.name}: ${recording.unvoicedClips} clips without a voiced frame keep their energy span as voiced reference`);
    for (const reference of ['energy', 'voiced', 'between'] as const) {
      const [spans, second] = reference === 'energy' ? [recording.speech] : reference === 'voiced' ? [recording.voiced] : [recording.speech, recording.voiced];
      const score = scoreSegmentation(segments, spans, second);
      if (options.details) for (const line of boundaryDetails(`${corpus.name} ${vad} (${reference} reference)`, recording, segments, spans, second)) process.stderr.write(`${line}\n`);
      const row: Row = {
        corpus: corpus.name,
        vad,
        reference,
        noiseDb: recording.noiseDb,
        audioSeconds,
        ...score,
        missed: score.missed.length,
        inSilence: score.inSilence.length,
        inInsertedSilence: segments.filter((segment) => !recording.placements.some((clip) => segment.start < clip.end && clip.start < segment.end)).length,
        realTimeFactor: audioSeconds / seconds,
        passes: score.missed.length === 0 && score.inSilence.length === 0 && Math.max(score.maxStartError, score.maxEndError) < 0.5,
      };
      rows.push(row);
    }
  }
}
if (options.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(
    '| corpus | noise (dBFS) | VAD | reference | clips | found | off by ≥ 0.5 s | outside every reference span | in an inserted silence | start error mean / max (s) | end error mean / max (s) | speed (x real time) | bar |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.corpus} | ${row.noiseDb.toFixed(0)} | ${row.vad} | ${row.reference} | ${row.spans} | ${row.found} | ${row.off} | ${row.inSilence} | ${row.inInsertedSilence} | ${row.meanStartError.toFixed(2)} / ${row.maxStartError.toFixed(2)} | ` +
        `${row.meanEndError.toFixed(2)} / ${row.maxEndError.toFixed(2)} | ${Math.round(row.realTimeFactor)} | ${row.passes ? 'met' : 'missed'} |`,
    );
  }
}
