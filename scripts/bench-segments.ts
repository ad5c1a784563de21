/**
 * Voice activity detection against known boundaries: per corpus (the demo corpora and those in
 * ../shared/corpora), a synthetic recording of its first clips (sorted paths) laid end to end with 1-3 s
 * silences, white noise at the clips' own background level and a DC offset under all of it; each VAD's segments scored with scoreSegmentation.
 * Bar: every clip found, boundary error under 0.5 s, no segment inside a silence.
 * Run: npm run build && npm run bench:segments -- [clips per corpus, default 40] [--energy] [--json]
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpus } from '../src/corpora/index.js';
import { energySegments } from '../src/segment/energy.js';
import { scoreSegmentation, type SegmentationScore } from '../src/segment/score.js';
import { sileroSegments } from '../src/segment/silero.js';
import type { SpeechSegment } from '../src/segment/segments.js';
import { buildRecording } from './lib/recording.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpora = [
  join(repoRoot, 'data/demo/en'),
  join(repoRoot, 'data/demo/de'),
  ...['ravdess', 'emodb', 'urdu', 'turev-db'].map((name) => join(repoRoot, '../shared/corpora', name)),
];
const perCorpus = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 40);
const vadsAll: Record<string, (samples: Float32Array, rate: number) => Promise<SpeechSegment[]> | SpeechSegment[]> = {
  energy: energySegments,
  silero: sileroSegments,
};
// --energy: the energy VAD alone (Silero runs at 2-25x real time here, minutes for all corpora).
const vads = process.argv.includes('--energy') ? { energy: vadsAll.energy } : vadsAll;

interface Row extends Omit<SegmentationScore, 'missed' | 'inSilence'> {
  corpus: string;
  vad: string;
  noiseDb: number;
  audioSeconds: number;
  missed: number;
  inSilence: number;
  realTimeFactor: number;
  passes: boolean;
}

const rows: Row[] = [];
for (const dir of corpora) {
  if (!existsSync(dir)) {
    console.error(`skipped ${dir}: not found`);
    continue;
  }
  const corpus = await loadCorpus(dir);
  const files = corpus.utterances.slice(0, perCorpus).map((utterance) => utterance.path);
  const recording = await buildRecording(files);
  const audioSeconds = recording.samples.length / recording.sampleRate;
  for (const [vad, find] of Object.entries(vads)) {
    const started = performance.now();
    const segments = await find(recording.samples, recording.sampleRate);
    const seconds = (performance.now() - started) / 1000;
    const score = scoreSegmentation(segments, recording.speech);
    const row: Row = {
      corpus: corpus.name,
      vad,
      noiseDb: recording.noiseDb,
      audioSeconds,
      ...score,
      missed: score.missed.length,
      inSilence: score.inSilence.length,
      realTimeFactor: audioSeconds / seconds,
      passes: score.missed.length === 0 && score.inSilence.length === 0 && Math.max(score.maxStartError, score.maxEndError) < 0.5,
    };
    rows.push(row);
  }
}
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log('| corpus | noise (dBFS) | VAD | clips | found | in silence | start error mean / max (s) | end error mean / max (s) | speed (x real time) | bar |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.corpus} | ${row.noiseDb.toFixed(0)} | ${row.vad} | ${row.spans} | ${row.found} | ${row.inSilence} | ${row.meanStartError.toFixed(2)} / ${row.maxStartError.toFixed(2)} | ` +
        `${row.meanEndError.toFixed(2)} / ${row.maxEndError.toFixed(2)} | ${Math.round(row.realTimeFactor)} | ${row.passes ? 'met' : 'missed'} |`,
    );
  }
}
