/**
 * `ser predict` end to end on a one-hour recording, files and live input, against its bars; what it measures, and
 * its options, are the usage text below (--help).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpus } from '../src/corpora/index.js';
import { scoreSegmentation } from '../src/segment/score.js';
import { boundaryDetails } from './lib/boundaries.js';
import { flag, numberIn, option, optional, parseScriptOptions, text } from './lib/options.js';
import { buildRecording, toS16le } from './lib/recording.js';

const TARGET_REAL_TIME_FACTOR = 300;
const TARGET_LATENCY_SECONDS = 1;
const TARGET_CPU_SHARE = 0.1;
const HOUR = 3600;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(repoRoot, 'dist/src/cli/index.js');
const { options } = parseScriptOptions({
  name: 'bench:predict',
  summary: [
    '`ser predict` on a one-hour recording made from corpus clips and silences (RAVDESS in ../shared, else the demo',
    'corpora; written to a temp folder as 16-bit WAV, deleted at the end), end to end: the CLI process from start to',
    'exit, decode included, against the bar of 300x real time. Then live input: the first minutes of the recording',
    "piped into `ser predict -` at real-time rate, each JSON line timed from the moment its segment's last sample was",
    "written (bar: median under 1 s), and the child's CPU time while streaming (bar: under 10% of a core). Boundaries",
    'are scored against the three references of bench:segments (energy, voiced, and between the two).',
  ].join('\n'),
  usage: 'npm run build && npm run bench:predict [-- options]',
  options: {
    model: optional('The model to predict with.', text('<folder>', 'a model folder'), 'a functionals model trained on the demo corpus for the run'),
    liveSeconds: option('Seconds of the recording piped in at real-time rate.', numberIn({ min: 1, max: HOUR }), 120),
    json: flag('One JSON line on stdout instead of the text report.'),
    details: flag('Names each clip off by 0.5 s or more and each segment outside the references, on stderr.'),
  },
});
const { liveSeconds } = options;
const work = mkdtempSync(join(tmpdir(), 'ser-bench-predict-'));
const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

function wavFile(samples: Float32Array, rate: number): Buffer {
  const data = toS16le(samples);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** User + system CPU seconds of a process so far (Linux /proc). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function trainModel(): string {
  const store = join(work, 'store');
  const model = join(work, 'model');
  execFileSync(process.execPath, [cli, 'preprocess', join(repoRoot, 'data/demo/en'), '--out', store], { stdio: 'ignore' });
  execFileSync(process.execPath, [cli, 'train', '--source', store, '--out', model, '--recipe', 'functionals', '--epochs', '4'], { stdio: 'ignore' });
  return model;
}

async function main(): Promise<void> {
  const ravdess = join(repoRoot, '../shared/corpora/ravdess');
  const corpusDirs = existsSync(ravdess) ? [ravdess] : [join(repoRoot, 'data/demo/en'), join(repoRoot, 'data/demo/de')];
  const clips = (await Promise.all(corpusDirs.map((dir) => loadCorpus(dir)))).flatMap((corpus) => corpus.utterances.map((utterance) => utterance.path));
  const cycled = Array.from({ length: 4000 }, (_, k) => clips[k % clips.length]);
  process.stderr.write(`making a one-hour recording from ${clips.length} clips of ${corpusDirs.join(', ')} ...\n`);
  const recording = await buildRecording(cycled, { maxSeconds: HOUR });
  const audioSeconds = recording.samples.length / recording.sampleRate;
  const wav = join(work, 'hour.wav');
  writeFileSync(wav, wavFile(recording.samples, recording.sampleRate));
  const model = options.model ?? trainModel();

  // Files: the CLI from start to exit; its CPU time read from /proc while it runs (the last reading, within 50 ms of its end).
  const started = performance.now();
  const run = spawn(process.execPath, [cli, 'predict', '--model', model, '--format', 'jsonl', wav], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  run.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  let cliCpuSeconds = 0;
  const poll = setInterval(() => {
    try {
      cliCpuSeconds = cpuSecondsOf(run.pid!);
    } catch {
      // The process has just ended.
    }
  }, 50);
  await new Promise<void>((resolveRun) => run.on('close', () => resolveRun()));
  clearInterval(poll);
  const wallSeconds = (performance.now() - started) / 1000;
  const rows = Buffer.concat(chunks).toString().trim().split('\n').map((line) => JSON.parse(line) as { kind: string; start: number; end: number; emotion: string | null });
  const segments = rows.filter((row) => row.kind === 'speech');
  // The three references of bench:segments: energy, voiced, and each edge between the two (see its header).
  const references = { energy: [recording.speech, recording.speech], voiced: [recording.voiced, recording.voiced], between: [recording.speech, recording.voiced] };
  const scores = Object.fromEntries(Object.entries(references).map(([name, [first, second]]) => [name, scoreSegmentation(segments, first, second)]));
  const score = scores.energy;
  if (options.details) {
    for (const [name, [first, second]] of Object.entries(references)) {
      for (const line of boundaryDetails(`predict (${name} reference)`, recording, segments, first, second)) process.stderr.write(`${line}\n`);
    }
  }

  // Live: real-time piping of the first liveSeconds.
  const liveBytes = toS16le(recording.samples.subarray(0, Math.round(liveSeconds * recording.sampleRate)));
  const child = spawn(process.execPath, [cli, 'predict', '--model', model, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  while (!stderr.includes('tfjs backend')) await sleep(50);
  await sleep(2000);
  const arrivals: { end: number; at: number }[] = [];
  let pending = '';
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) arrivals.push({ end: (JSON.parse(line) as { end: number }).end, at: performance.now() });
  });
  const exited = new Promise<void>((resolveExit) => child.on('close', () => resolveExit()));
  const chunkSeconds = 0.05;
  const chunkBytes = Math.round(chunkSeconds * recording.sampleRate) * 2;
  const cpuBefore = cpuSecondsOf(child.pid!);
  const liveStarted = performance.now();
  for (let offset = 0, k = 0; offset < liveBytes.length; offset += chunkBytes, k++) {
    child.stdin.write(liveBytes.subarray(offset, offset + chunkBytes));
    await sleep(Math.max(0, liveStarted + (k + 1) * chunkSeconds * 1000 - performance.now()));
  }
  const liveWall = (performance.now() - liveStarted) / 1000;
  const liveCpu = cpuSecondsOf(child.pid!) - cpuBefore;
  child.stdin.end();
  await exited;
  const latencies = arrivals.filter(({ end }) => end < liveSeconds - 1).map(({ end, at }) => (at - liveStarted) / 1000 - end).sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  rmSync(work, { recursive: true, force: true });

  const result = {
    benchmark: 'predict',
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    loadavg: loadavg(),
    files: { audioSeconds, clips: recording.speech.length, wallSeconds, realTimeFactor: audioSeconds / wallSeconds, cpuSeconds: cliCpuSeconds, segments: segments.length, found: score.found, inSilence: score.inSilence.length, maxStartError: score.maxStartError, maxEndError: score.maxEndError },
    boundaries: Object.fromEntries(Object.entries(scores).map(([name, { found, off, inSilence, maxStartError, maxEndError }]) => [name, { found, off, inSilence: inSilence.length, maxStartError, maxEndError }])),
    live: { seconds: liveSeconds, segments: latencies.length, medianLatency: median, maxLatency: latencies.at(-1), cpuShare: liveCpu / liveWall },
  };
  const pass = {
    realTime: result.files.realTimeFactor >= TARGET_REAL_TIME_FACTOR,
    latency: median < TARGET_LATENCY_SECONDS,
    cpu: result.live.cpuShare < TARGET_CPU_SHARE,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...result, pass })}\n`);
    return;
  }
  const f = result.files;
  process.stdout.write(
    [
      `cores ${result.cores}, load average ${result.loadavg.map((value) => value.toFixed(1)).join(' ')}`,
      `files: ${f.audioSeconds.toFixed(0)} s of audio (${f.clips} clips) in ${f.wallSeconds.toFixed(2)} s end to end: ${Math.round(f.realTimeFactor)}x real time ` +
        `(bar ${TARGET_REAL_TIME_FACTOR}x: ${pass.realTime ? 'met' : 'missed'}), ${f.cpuSeconds.toFixed(1)} CPU s (${Math.round(f.audioSeconds / f.cpuSeconds)} audio s per CPU s); ${f.segments} segments, ${f.found}/${f.clips} clips found, ` +
        `${f.inSilence} in silence, boundary error max ${f.maxStartError.toFixed(2)} / ${f.maxEndError.toFixed(2)} s`,
      `boundaries (clips off by >= 0.5 s, segments in a silence, start / end error max) by reference: ${Object.entries(result.boundaries)
        .map(([name, b]) => `${name} ${b.off} off, ${b.inSilence} in silence, ${b.maxStartError.toFixed(2)} / ${b.maxEndError.toFixed(2)} s`)
        .join('; ')}`,
      `live: ${liveSeconds} s at real-time rate, ${result.live.segments} segments, latency median ${median?.toFixed(2)} s, max ${result.live.maxLatency?.toFixed(2)} s ` +
        `(bar ${TARGET_LATENCY_SECONDS} s: ${pass.latency ? 'met' : 'missed'}); CPU ${(100 * result.live.cpuShare).toFixed(1)}% of a core (bar ${100 * TARGET_CPU_SHARE}%: ${pass.cpu ? 'met' : 'missed'})`,
      '',
    ].join('\n'),
  );
}

await main();
