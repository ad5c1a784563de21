/**
 * The queue on this machine (issue 17); what it measures, and its options, are the usage text below (--help).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { resolveFeatureConfig, featureConfigKey } from '../src/features/index.js';
import { parseRedisUrl } from '../src/queue/connection.js';
import { runQueuedJobs } from '../src/queue/coordinator.js';
import { DEFAULT_BATCH_LIMITS } from '../src/queue/batches.js';
import type { PreprocessPayload } from '../src/queue/payloads.js';
import { option, parseScriptOptions, text } from './lib/options.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(repoRoot, 'dist/src/cli/index.js');
const { options } = parseScriptOptions({
  name: 'bench:queue',
  summary: [
    'The queue on this machine (issue 17): preprocessing the shared RAVDESS copy through `ser queue preprocess` with 1',
    'and 2 `ser worker` processes (started and warm before the clock starts), beside `ser preprocess --workers 1`; then',
    "the queue's own cost per job (no-op jobs through the same coordinator) and the size of a job's payload. Starts its",
    'own redis-server on a free loopback port.',
  ].join('\n'),
  usage: 'npm run build && npm run bench:queue [-- options]',
  options: {
    corpus: option('The corpus to preprocess.', text('<folder>', 'a corpus folder'), join(repoRoot, '../shared/corpora/ravdess')),
  },
});
const corpus = resolve(options.corpus);
const NOOP_JOBS = 2000;

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function timed(args: string[]): { seconds: number; summary: string } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`ser ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return { seconds, summary: run.stdout.split('\n')[1]!.trim() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ser-bench-queue-'));
  const port = await freePort();
  const redisProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const workers: ChildProcess[] = [];
  try {
    await new Promise((done) => setTimeout(done, 500));
    const local = timed(['preprocess', corpus, '--out', join(dir, 'local'), '--workers', '1', '--all-labels']);
    console.log(`ser preprocess --workers 1: ${local.seconds.toFixed(1)} s (${local.summary})`);
    for (const count of [1, 2]) {
      while (workers.length < count) workers.push(spawn(process.execPath, [cli, 'worker', '--redis', url], { stdio: 'ignore' }));
      await new Promise((done) => setTimeout(done, 3000)); // workers load tfjs and connect before the clock starts
      const queued = timed(['queue', 'preprocess', corpus, '--out', join(dir, `queued-${count}`), '--redis', url, '--all-labels']);
      console.log(`ser queue preprocess, ${count} worker process(es): ${queued.seconds.toFixed(1)} s (${queued.summary})`);
    }

    const target = parseRedisUrl(url);
    const noop = new Worker('ser-bench-noop', async () => [], { connection: target.connection, concurrency: 16 });
    const started = process.hrtime.bigint();
    await runQueuedJobs({
      redis: target,
      queueName: 'ser-bench-noop',
      jobs: Array.from({ length: NOOP_JOBS }, (_, n) => ({ id: `noop-${n}`, payload: { n } })),
      attempts: 1,
      parseResult: () => undefined,
      onResult: () => {},
      onFailure: () => {},
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await noop.close();
    console.log(`queue overhead: ${NOOP_JOBS} no-op jobs in ${seconds.toFixed(2)} s = ${(NOOP_JOBS / seconds).toFixed(0)} jobs/s, ${((1000 * seconds) / NOOP_JOBS).toFixed(2)} ms a job (enqueue, run, collect, remove; one coordinator, one worker process)`);

    const payload: PreprocessPayload = {
      kind: 'preprocess',
      store: '/mnt/feats/ravdess',
      configKey: featureConfigKey(resolveFeatureConfig()),
      corpus,
      files: Array.from({ length: DEFAULT_BATCH_LIMITS.files }, (_, n) => ({ id: `Actor_01__03-01-01-01-01-01-${String(n).padStart(2, '0')}`, relativePath: `Actor_01/03-01-01-01-01-01-${String(n).padStart(2, '0')}.wav` })),
    };
    console.log(`payload of a preprocess job of ${DEFAULT_BATCH_LIMITS.files} files: ${JSON.stringify(payload).length} bytes`);
  } finally {
    // Workers first, while Redis still answers their goodbye; then Redis.
    await Promise.all(workers.map((worker) => new Promise((done) => (worker.exitCode !== null ? done(null) : (worker.once('exit', done), worker.kill('SIGTERM'))))));
    redisProcess.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
