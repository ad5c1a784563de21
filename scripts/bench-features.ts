/**
 * Feature extraction throughput: seconds of audio turned into a feature store per wall-clock second
 * (decode + MFCC + deltas, the default configuration) over the RAVDESS subset in ../shared/corpora,
 * with one worker thread and with one per core. Run: npm run build && npm run bench:features [-- --json] [-- --pitch]
 * (--pitch adds log F0, voicing strength and log energy to every frame).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpus } from '../src/corpora/index.js';
import { resolveFeatureConfig } from '../src/features/index.js';
import { preprocessCorpus } from '../src/store/index.js';

/** The bar set for all cores: a whole corpus in seconds rather than minutes; with pitch (issue 12), 500x. */
const TARGET_REAL_TIME_FACTOR = process.argv.includes('--pitch') ? 500 : 1000;

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

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusDir = join(repoRoot, '../shared/corpora/ravdess');
const withPitch = process.argv.includes('--pitch');

async function measure(workers: number): Promise<BenchRun> {
  const corpus = await loadCorpus(corpusDir);
  const outDir = mkdtempSync(join(tmpdir(), 'ser-bench-features-'));
  try {
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const summary = await preprocessCorpus(corpus, outDir, { config: resolveFeatureConfig({ pitch: withPitch }), workers, allLabels: true });
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

async function main(): Promise<void> {
  if (!existsSync(corpusDir)) {
    process.stderr.write(`bench-features: ${corpusDir} is absent; the benchmark reads the shared RAVDESS subset there\n`);
    process.exitCode = 1;
    return;
  }
  const cores = availableParallelism();
  const runs = [await measure(1), await measure(cores)];
  const allCores = runs[1];
  if (process.argv.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ benchmark: 'features', corpus: 'ravdess', pitch: withPitch, cores, cpu: cpus()[0]?.model, loadavg: loadavg(), runs, target: TARGET_REAL_TIME_FACTOR, pass: allCores.realTimeFactor >= TARGET_REAL_TIME_FACTOR })}\n`,
    );
    return;
  }
  const table = [
    '| workers | files | failed | audio s | wall s | x real time | CPU s | audio s per CPU s |',
    '|--------:|------:|-------:|--------:|-------:|------------:|------:|------------------:|',
    ...runs.map(
      (run) =>
        `| ${run.workers} | ${run.files} | ${run.failed} | ${run.audioSeconds.toFixed(1)} | ${run.wallSeconds.toFixed(2)} | ` +
        `${Math.round(run.realTimeFactor)} | ${run.cpuSeconds.toFixed(2)} | ${Math.round(run.realTimeFactorPerCpuSecond)} |`,
    ),
  ];
  process.stdout.write(
    `Feature extraction on RAVDESS (decode + MFCC 13${withPitch ? ' + pitch' : ''} + deltas), ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'})\n${table.join('\n')}\n` +
      `(os.loadavg ${loadavg().map((load) => load.toFixed(1)).join(' ')}: other processes share these cores)\n` +
      `All cores: ${Math.round(allCores.realTimeFactor)}x real time, target >= ${TARGET_REAL_TIME_FACTOR}x: ${allCores.realTimeFactor >= TARGET_REAL_TIME_FACTOR ? 'met' : 'NOT met'}\n`,
  );
}

await main();
