import { compiledCli, repoRoot, runCli } from './helpers/cli.js';
import { OPENSSL_INSTALL, REDIS_INSTALL, TestRedis, opensslPresent, redisServerPresent } from './helpers/redis.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../src/queue/connection.js';
import { runQueuedJobs } from '../src/queue/coordinator.js';
import { preprocessPayloadSchema } from '../src/queue/payloads.js';
import { rateLimiter, runPreprocessPayload } from '../src/queue/worker.js';
import { featureConfigKey, resolveFeatureConfig } from '../src/features/index.js';
import { selectBackend } from '../src/model/backend.js';
import { saveModel } from '../src/model/io.js';
import { openFeatureStore } from '../src/store/index.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrain } from '../src/train/pretrain.js';

const work = mkdtempSync(join(tmpdir(), 'ser-queue-'));
const demoEn = join(repoRoot, 'data/demo/en');

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('parseRedisUrl', () => {
  it('takes TLS, users and passwords, and never shows the password', () => {
    const target = parseRedisUrl('rediss://ser:p%40ss%3Aword@queue.example.org:6380/2');
    expect(target.connection).toMatchObject({ host: 'queue.example.org', port: 6380, db: 2, username: 'ser', password: 'p@ss:word', tls: { servername: 'queue.example.org' } });
    expect(target.display).toBe('rediss://ser:***@queue.example.org:6380/2');
    expect(parseRedisUrl('redis://localhost').connection).toMatchObject({ host: 'localhost', port: 6379, db: 0, tls: undefined, password: undefined });
    for (const bad of ['http://user:hunter2@host', 'redis://user:hunter2@host/99', 'user:hunter2@host']) {
      expect(() => parseRedisUrl(bad)).toThrow(/--redis/);
      try {
        parseRedisUrl(bad);
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });
});

describe('rateLimiter', () => {
  it('turns jobs a second into BullMQ limits, fractions as one job per interval', () => {
    expect(rateLimiter(4)).toEqual({ max: 4, duration: 1000 });
    expect(rateLimiter(0.5)).toEqual({ max: 1, duration: 2000 });
    expect(rateLimiter(0.01)).toEqual({ max: 1, duration: 100_000 });
    expect(() => rateLimiter(0)).toThrow(/positive/);
    expect(() => rateLimiter(Number.NaN)).toThrow(/positive/);
  });
});

describe('job payloads', () => {
  it('are refused when a path leaves its folder, a folder is relative, or the store is not being written', async () => {
    const payload = { kind: 'preprocess', store: join(work, 'no-store'), configKey: featureConfigKey(resolveFeatureConfig()), corpus: demoEn, files: [{ id: 'a', relativePath: 'en01/x.wav' }] };
    expect(preprocessPayloadSchema.safeParse({ ...payload, store: 'relative/store' }).success).toBe(false);
    expect(preprocessPayloadSchema.safeParse({ ...payload, files: [] }).success).toBe(false);
    mkdirSync(payload.store);
    await expect(runPreprocessPayload(preprocessPayloadSchema.parse(payload), 'j1')).rejects.toThrow(/not a feature store being written/);
    // A store being written: the index exists and the lock is held; a file outside the corpus is still refused.
    writeFileSync(join(payload.store, 'index.json'), JSON.stringify({ format: 'ser-feature-store/2', config: resolveFeatureConfig(), configKey: payload.configKey, corpus: 'en', language: 'en', count: 0 }));
    writeFileSync(join(payload.store, 'lock'), JSON.stringify({ pid: process.pid, host: 'h', since: 'now' }));
    const escaping = preprocessPayloadSchema.parse({ ...payload, files: [{ id: 'a', relativePath: '../../../../etc/passwd' }] });
    await expect(runPreprocessPayload(escaping, 'j2')).rejects.toThrow(/job j2: path "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" points outside/);
    expect(readdirSync(payload.store).sort()).toEqual(['index.json', 'lock']);
  });
});

const runRedisTests = redisServerPresent || process.env.CI === 'true';
if (!redisServerPresent) console.warn(`redis-server is not on PATH: skipping the queue tests (${REDIS_INSTALL} to run them)`);

/** Every file under a folder with its bytes, paths relative to it. */
function folderContents(dir: string): Record<string, string> {
  const contents: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else contents[relative(dir, path)] = readFileSync(path).toString('base64');
    }
  };
  walk(dir);
  return contents;
}

describe.skipIf(!runRedisTests || !existsSync(compiledCli))('ser queue over Redis (compiled CLI, redis-server)', () => {
  let redis: TestRedis;
  const workers: ChildProcess[] = [];
  let reference: Record<string, string>;

  const startWorker = (): ChildProcess => {
    const worker = spawn(process.execPath, [compiledCli, 'worker', '--redis', redis.url, '--lock-seconds', '1'], { cwd: repoRoot, stdio: 'ignore' });
    workers.push(worker);
    return worker;
  };
  const stopWorker = async (worker: ChildProcess, signal: NodeJS.Signals): Promise<void> => {
    if (worker.exitCode !== null || worker.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.kill(signal);
    });
  };
  const itemsWritten = (store: string): number => {
    const log = join(store, 'items.jsonl');
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0;
  };
  const until = async (condition: () => boolean, what: string): Promise<void> => {
    for (let waited = 0; !condition(); waited += 50) {
      if (waited > 60_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    if (!redisServerPresent) throw new Error(`redis-server is not on PATH and CI=true: ${REDIS_INSTALL}`);
    redis = await TestRedis.start();
    const single = await runCli(['preprocess', demoEn, '--out', join(work, 'single'), '--workers', '1']);
    expect(single.code).toBe(0);
    reference = folderContents(join(work, 'single'));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => stopWorker(worker, 'SIGKILL')));
    await redis?.stop();
  });

  it('two workers, one killed mid-run: the store is byte for byte the one ser preprocess writes; a rerun resumes', async () => {
    const [doomed, survivor] = [startWorker(), startWorker()];
    const store = join(work, 'queued');
    const coordinator = runCli(['queue', 'preprocess', demoEn, '--out', store, '--redis', redis.url, '--batch-files', '2']);
    await until(() => itemsWritten(store) >= 6, 'the first items');
    await stopWorker(doomed, 'SIGKILL');
    const result = await coordinator;
    expect(result.stderr).toContain(`through ${redis.url}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/processed 64 files/);
    expect(folderContents(store)).toEqual(reference);

    const rerun = await runCli(['queue', 'preprocess', demoEn, '--out', store, '--redis', redis.url]);
    expect(rerun.stdout).toMatch(/processed 0 files[\s\S]*skipped\s+64/);
    expect(folderContents(store)).toEqual(reference);
    await stopWorker(survivor, 'SIGTERM');
  });

  it.skipIf(!opensslPresent && process.env.CI !== 'true')(
    'runs through rediss:// with a password and a private CA (--redis-ca); an untrusted certificate or a wrong password is an error in words',
    async () => {
      if (!opensslPresent) throw new Error(`openssl is not on PATH and CI=true: ${OPENSSL_INSTALL}`);
      const password = 'pa ss:w@rd';
      const secure = await TestRedis.start({ tls: true, password });
      try {
        const store = join(work, 'tls');
        const untrusted = await runCli(['queue', 'preprocess', demoEn, '--out', store, '--redis', secure.url]);
        expect(untrusted.code).not.toBe(0);
        expect(untrusted.stderr).toMatch(/rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: the server's TLS certificate is not trusted .*--redis-ca/);
        const wrongPassword = secure.url.replace(encodeURIComponent(password), 'guess');
        const refused = await runCli(['queue', 'preprocess', demoEn, '--out', store, '--redis', wrongPassword, '--redis-ca', secure.caFile]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toMatch(/Redis refused the user or password/);
        const plain = await runCli(['worker', '--redis', `redis://127.0.0.1:${secure.port}`, '--redis-ca', secure.caFile]);
        expect(plain.stderr).toMatch(/--redis-ca .* is for a TLS connection; write the URL as rediss:\/\//);

        const worker = spawn(process.execPath, [compiledCli, 'worker', '--redis', secure.url, '--redis-ca', secure.caFile, '--lock-seconds', '1'], { cwd: repoRoot, stdio: 'ignore' });
        workers.push(worker);
        const result = await runCli(['queue', 'preprocess', demoEn, '--out', store, '--redis', secure.url, '--redis-ca', secure.caFile, '--batch-files', '8']);
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/through rediss:\/\/:\*\*\*@127\.0\.0\.1/);
        for (const output of [untrusted, refused, result]) expect(output.stdout + output.stderr).not.toContain('pa ss');
        expect(folderContents(store)).toEqual(reference);
        await stopWorker(worker, 'SIGTERM');
      } finally {
        await secure.stop();
      }
    },
  );

  it('Redis restarting before any worker started (losing every job) does not lose the run', async () => {
    // The jobs are enqueued, then Redis restarts without them before any worker took one: the coordinator
    // must notice and enqueue them again, and the worker, started against the restarted server, does them.
    const store = join(work, 'restarted');
    const coordinator = runCli(['queue', 'preprocess', demoEn, '--out', store, '--redis', redis.url, '--batch-files', '2']);
    const client = new Redis(redis.port, '127.0.0.1');
    try {
      for (let waited = 0; (await client.llen('bull:ser-preprocess:wait')) < 32; waited += 100) {
        if (waited > 60_000) throw new Error('the jobs were never enqueued');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client.disconnect();
    }
    await redis.halt();
    await redis.launch();
    const worker = startWorker();
    const result = await coordinator;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/no longer in Redis .*enqueued again/);
    expect(folderContents(store)).toEqual(reference);
    await stopWorker(worker, 'SIGTERM');
  });

  it.each([
    ['with an append-only file (every job comes back)', true],
    ['without persistence (the jobs it lost are enqueued again)', false],
  ])('Redis killed and restarted while two workers are processing, %s: the run completes with the same store', async (_, persistent) => {
    const restarting = await TestRedis.start({ persistent });
    const busy: ChildProcess[] = [];
    try {
      // Default lock time (30 s): a restart of a second must not make the jobs in hand look stalled. Four jobs a
      // second over both workers keeps the 32 jobs running for 8 s whatever the machine's speed, so the restart
      // falls mid-run.
      const workerArgs = [compiledCli, 'worker', '--redis', restarting.url, '--jobs-per-second', '4'];
      for (let n = 0; n < 2; n++) busy.push(spawn(process.execPath, workerArgs, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] }));
      workers.push(...busy);
      // Both connected before the restart: a worker that starts while Redis is down exits (its start-up check),
      // and on a loaded machine one worker alone could write the first items while the other still starts.
      const connected = (worker: ChildProcess): Promise<void> =>
        new Promise((resolve, reject) => {
          let said = '';
          worker.stderr!.on('data', (chunk: Buffer) => {
            said += chunk.toString();
            if (said.includes('taking jobs')) resolve();
          });
          worker.once('exit', (code) => reject(new Error(`ser worker exited (${code}) before taking jobs: ${said}`)));
        });
      await Promise.all(busy.map(connected));
      const started = performance.now();
      const store = join(work, persistent ? 'restarted-persistent' : 'restarted-lost');
      const coordinator = runCli(['queue', 'preprocess', demoEn, '--out', store, '--redis', restarting.url, '--batch-files', '2']);
      await until(() => itemsWritten(store) >= 6, 'the first items');
      await restarting.halt();
      // Some jobs done, the others waiting or in the workers' hands while the server is down.
      const doneAtRestart = itemsWritten(store);
      expect(doneAtRestart).toBeLessThan(64);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await restarting.launch();
      const result = await coordinator;
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/processed 64 files/);
      // The limit holds over both workers together: 32 jobs at 4 a second take at least 7 s.
      expect(performance.now() - started).toBeGreaterThan(7000);
      // With the append-only file nothing was lost; without it the coordinator saw the jobs gone.
      if (persistent) expect(result.stderr).not.toMatch(/no longer in Redis/);
      else expect(result.stderr).toMatch(/no longer in Redis .*enqueued again/);
      expect(folderContents(store)).toEqual(reference);
      // The same two workers, reconnected, did the rest.
      expect(busy.map((worker) => worker.exitCode ?? worker.signalCode)).toEqual([null, null]);
    } finally {
      await Promise.all(busy.map((worker) => stopWorker(worker, 'SIGKILL')));
      await restarting.stop();
    }
  });

  it('ser queue predict writes, byte for byte, what ser predict --format jsonl prints', async () => {
    await selectBackend('wasm');
    const storeDir = join(work, 'single');
    const trained = await pretrain(openFeatureStore(storeDir), { ...DEFAULT_PRETRAIN_OPTIONS, epochs: 1, validationSpeakers: ['en02'], model: { channels: [8], embeddingDim: 8 } });
    const modelDir = join(work, 'model');
    await saveModel(modelDir, trained.model, trained.card);
    const inputs = [join(repoRoot, 'data/demo/de/de01'), join(work, 'not-there.wav')];
    const direct = await runCli(['predict', '--model', modelDir, '--backend', 'wasm', '--format', 'jsonl', ...inputs]);
    const worker = spawn(process.execPath, [compiledCli, 'worker', '--redis', redis.url, '--backend', 'wasm'], { cwd: repoRoot, stdio: 'ignore' });
    workers.push(worker);
    const out = join(work, 'predictions.jsonl');
    const queued = await runCli(['queue', 'predict', ...inputs, '--model', modelDir, '--out', out, '--redis', redis.url, '--batch-files', '3']);
    expect([direct.code, queued.code]).toEqual([3, 3]);
    expect(readFileSync(out, 'utf8')).toBe(direct.stdout);
    const rows = direct.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(rows.filter((row) => row.file.includes('de01_')).length).toBeGreaterThanOrEqual(16);
    expect(rows.at(-1)).toMatchObject({ file: inputs[1], error: expect.any(String) });
    await stopWorker(worker, 'SIGTERM');
  });

  it('a job that fails all its attempts is reported with its reason, and the others finish', async () => {
    const target = parseRedisUrl(redis.url);
    const processor = new Worker('ser-test-failures', async (job) => {
      if (job.data.n === 2) throw new Error('disk on fire');
      return job.data.n * 10;
    }, { connection: target.connection, concurrency: 2 });
    const results: number[] = [];
    const failures: string[] = [];
    try {
      await runQueuedJobs({
        redis: target,
        queueName: 'ser-test-failures',
        jobs: [1, 2, 3, 4].map((n) => ({ id: `t-${n}`, payload: { n } })),
        attempts: 2,
        parseResult: (value) => value as number,
        onResult: (_job, result) => results.push(result),
        onFailure: (job, reason) => failures.push(`${job.id}: ${reason}`),
      });
    } finally {
      await processor.close();
    }
    expect(results.sort()).toEqual([10, 30, 40]);
    expect(failures).toEqual(['t-2: disk on fire']);
  });
});
