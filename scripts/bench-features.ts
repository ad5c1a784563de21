/**
 * Feature extraction throughput over the shared RAVDESS subset; what it measures, and its options, are the usage
 * text below (--help).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWavBuffer } from '../src/audio/wav.js';
import { resample } from '../src/audio/resample.js';
import { loadCorpus, type Corpus } from '../src/corpora/index.js';
import { extractFeatures, resolveFeatureConfig, type FeatureConfig } from '../src/features/index.js';
import { encodeFrames } from '../src/store/format.js';
import { preprocessCorpus } from '../src/store/index.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { flag, option, parseScriptOptions, wholeNumberIn } from './lib/options.js';

/** The bar at the shared corpus' 16 kHz: a whole corpus in seconds rather than minutes; with pitch (issue 12), 500x. */
const TARGET_REAL_TIME_FACTOR = 1000;
const PITCH_TARGET_REAL_TIME_FACTOR = 500;
/** The bar at native rates (issue 18): twice a single torchaudio thread (650x) on the same audio. */
const NATIVE_RATE_TARGET_REAL_TIME_FACTOR = 1300;
const SHARED_RATE = 16000;

interface BenchRun {
  workers: number;
  files: number;
  failed: number;
  audioSeconds: number;
  wallSeconds: number;
  realTimeFactor: number;
  /** User + system time of every thread: what the run cost whatever else the machine was doing. */
  cpuSeconds: number;
  realTimeFactorPerCpuSecond: number;
}

/** One stage's CPU time over the whole corpus on one thread (the least of the rounds). */
interface StageCost {
  stage: 'decode' | 'resample' | 'features' | 'store';
  cpuSeconds: number;
  /** CPU milliseconds per second of audio: what the stage costs whatever else the machine runs. */
  msPerAudioSecond: number;
  realTimeFactor: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sharedCorpus = join(repoRoot, '../shared/corpora/ravdess');

const { options } = parseScriptOptions({
  name: 'bench:features',
  summary: [
    'Feature extraction throughput: seconds of audio turned into a feature store per wall-clock second (decode +',
    'downmix + resample + MFCC + deltas + store, the default configuration) over the RAVDESS subset in ../shared/corpora,',
    'with one worker thread and with one per core, then the cost of each stage on one thread (decode, resample,',
    'features, store) so the next bottleneck is visible. The shared copy is 16 kHz mono; --rate 48000 --channels 2',
    '(RAVDESS as published) or --rate 44100 --channels 1 first brings the same clips to that rate with sox',
    '(`sox in.wav -r R -c C out.wav`), once, into $TMPDIR/ser-bench-features/, and measures on those.',
  ].join('\n'),
  usage: 'npm run build && npm run bench:features [-- options]',
  options: {
    rate: option('Sample rate the clips are brought to before measuring.', wholeNumberIn(8000, 192000), SHARED_RATE),
    channels: option('Channels the clips are brought to before measuring.', wholeNumberIn(1, 8), 1),
    repeat: option('Rounds of each measurement.', wholeNumberIn(1, 20), 1),
    json: flag('One JSON line on stdout instead of the tables.'),
    pitch: flag('Adds log F0, voicing strength and log energy to every frame.'),
  },
});

/** The shared clips brought to `rate` Hz and `channels` channels with sox, made once and kept in the temp folder. */
function corpusAt(rate: number, channels: number): string {
  if (rate === SHARED_RATE && channels === 1) return sharedCorpus;
  const folder = join(tmpdir(), 'ser-bench-features', `ravdess-${rate}-${channels}ch`);
  if (existsSync(folder)) return folder;
  if (spawnSync('sox', ['--version']).status !== 0) {
    throw new Error(`--rate/--channels convert the shared clips with sox, which is not on the PATH (apt-get install sox)`);
  }
  process.stderr.write(`bench-features: converting ${sharedCorpus} to ${rate} Hz, ${channels} channel(s) with sox into ${folder} (once)\n`);
  mkdirSync(dirname(folder), { recursive: true });
  const staging = mkdtempSync(`${folder}-staging-`);
  writeFileSync(join(staging, 'manifest.csv'), readFileSync(join(sharedCorpus, 'manifest.csv')));
  for (const actor of readdirSync(sharedCorpus).filter((name) => name.startsWith('Actor_'))) {
    mkdirSync(join(staging, actor));
    for (const clip of readdirSync(join(sharedCorpus, actor)).filter((name) => name.endsWith('.wav'))) {
      const result = spawnSync('sox', ['-V1', join(sharedCorpus, actor, clip), '-r', String(rate), '-c', String(channels), join(staging, actor, clip)]);
      if (result.status !== 0) throw new Error(`sox failed on ${actor}/${clip}: ${result.stderr.toString()}`);
    }
  }
  renameSync(staging, folder);
  return folder;
}

async function measure(corpus: Corpus, config: FeatureConfig, workers: number): Promise<BenchRun> {
  const outDir = mkdtempSync(join(tmpdir(), 'ser-bench-features-'));
  try {
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const summary = await preprocessCorpus(corpus, outDir, { config, workers, allLabels: true });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      workers,
      files: summary.processed,
      failed: summary.failed.length,
      audioSeconds: summary.audioSeconds,
      wallSeconds,
      realTimeFactor: summary.audioSeconds / wallSeconds,
      cpuSeconds,
      realTimeFactorPerCpuSecond: summary.audioSeconds / cpuSeconds,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** This process's user + system CPU seconds so far (this thread, the GC's and libuv's threads). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Each stage of one file's way into the store, timed apart on this thread in CPU time (file reading counts
 * as decode; the decode stage allocates the samples at the file's rate afresh, which the pipeline avoids),
 * `rounds` times over the corpus, keeping each stage's least.
 */
async function stageCosts(corpus: Corpus, config: FeatureConfig, rate: number, rounds: number): Promise<StageCost[]> {
  const best = { decode: Infinity, resample: Infinity, features: Infinity, store: Infinity };
  let audioSeconds = 0;
  for (let round = 0; round < rounds; round++) {
    const seconds = { decode: 0, resample: 0, features: 0, store: 0 };
    audioSeconds = 0;
    const outDir = mkdtempSync(join(tmpdir(), 'ser-bench-features-stages-'));
    const timed = <T>(stage: keyof typeof seconds, work: () => T): T => {
      const started = cpuSeconds();
      const result = work();
      seconds[stage] += cpuSeconds() - started;
      return result;
    };
    try {
      for (const [index, utterance] of corpus.utterances.entries()) {
        const audio = timed('decode', () => decodeWavBuffer(readFileSync(utterance.path), utterance.path, rate));
        const samples = timed('resample', () => resample(audio.samples, rate, config.sampleRate));
        const matrix = timed('features', () => extractFeatures(samples, config.sampleRate, config));
        const started = cpuSeconds();
        await writeFileAtomic(join(outDir, `${index}.f32`), encodeFrames(matrix.data));
        seconds.store += cpuSeconds() - started;
        audioSeconds += samples.length / config.sampleRate;
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
    for (const stage of Object.keys(best) as (keyof typeof best)[]) best[stage] = Math.min(best[stage], seconds[stage]);
  }
  return (Object.keys(best) as (keyof typeof best)[]).map((stage) => ({
    stage,
    cpuSeconds: best[stage],
    msPerAudioSecond: (1000 * best[stage]) / audioSeconds,
    realTimeFactor: audioSeconds / best[stage],
  }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

async function main(): Promise<void> {
  const { rate, channels, repeat, json, pitch } = options;
  if (!existsSync(sharedCorpus)) {
    process.stderr.write(`bench-features: ${sharedCorpus} is absent; the benchmark reads the shared RAVDESS subset there\n`);
    process.exitCode = 1;
    return;
  }
  const corpus = await loadCorpus(corpusAt(rate, channels));
  const config = resolveFeatureConfig({ pitch });
  const target = pitch ? PITCH_TARGET_REAL_TIME_FACTOR : rate === SHARED_RATE ? TARGET_REAL_TIME_FACTOR : NATIVE_RATE_TARGET_REAL_TIME_FACTOR;
  const cores = availableParallelism();
  const runs: BenchRun[] = [];
  for (let round = 0; round < repeat; round++) runs.push(await measure(corpus, config, 1), await measure(corpus, config, cores));
  const stages = await stageCosts(corpus, config, rate, repeat);
  const allCores = runs.filter((run) => run.workers === cores).map((run) => run.realTimeFactor);
  const typical = median(allCores);
  const audio = `RAVDESS at ${rate} Hz, ${channels} channel(s)`;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ benchmark: 'features', corpus: 'ravdess', rate, channels, pitch, cores, cpu: cpus()[0]?.model, loadavg: loadavg(), runs, stages, target, pass: typical >= target })}\n`,
    );
    return;
  }
  const stageMs = stages.reduce((total, stage) => total + stage.msPerAudioSecond, 0);
  const perCpuSecond = runs.filter((run) => run.workers === cores).map((run) => run.realTimeFactorPerCpuSecond);
  const lines = [
    `Feature extraction on ${audio} (decode + resample to 16 kHz + MFCC 13${pitch ? ' + pitch' : ''} + deltas + store), ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'})`,
    '| workers | files | failed | audio s | wall s | x real time | CPU s | audio s per CPU s |',
    '|--------:|------:|-------:|--------:|-------:|------------:|------:|------------------:|',
    ...runs.map(
      (run) =>
        `| ${run.workers} | ${run.files} | ${run.failed} | ${run.audioSeconds.toFixed(1)} | ${run.wallSeconds.toFixed(2)} | ` +
        `${Math.round(run.realTimeFactor)} | ${run.cpuSeconds.toFixed(2)} | ${Math.round(run.realTimeFactorPerCpuSecond)} |`,
    ),
    '',
    `Per stage, one thread, CPU time (least of ${repeat} round(s); decode = read + parse + downmix):`,
    '| stage | CPU s | CPU ms per audio s | x real time | share |',
    '|---|--:|--:|--:|--:|',
    ...stages.map(
      (stage) =>
        `| ${stage.stage} | ${stage.cpuSeconds.toFixed(2)} | ${stage.msPerAudioSecond.toFixed(3)} | ${Math.round(stage.realTimeFactor)} | ${Math.round((100 * stage.msPerAudioSecond) / stageMs)}% |`,
    ),
    `| all stages | | ${stageMs.toFixed(3)} | ${Math.round(1000 / stageMs)} | |`,
    `Whole runs with ${cores} workers cost ${(1000 / median(perCpuSecond)).toFixed(3)} CPU ms per audio s (median; stages + worker start-up, file I/O, the store's log):` +
      ` at that cost ${cores} fully used cores would run ${Math.round(cores * median(perCpuSecond))}x real time`,
    `(os.loadavg ${loadavg().map((load) => load.toFixed(1)).join(' ')}: other processes share these cores)`,
    `All cores: ${allCores.length > 1 ? `min ${Math.round(Math.min(...allCores))}, max ${Math.round(Math.max(...allCores))}, median ` : ''}${Math.round(typical)}x real time, ` +
      `target >= ${target}x: ${typical >= target ? 'met' : 'NOT met'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
