import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel, type SavedModel } from '../model/io.js';
import { predictFiles } from '../predict/predict.js';
import { checkRedis, parseRedisUrl, startQueueWorker } from '../queue/index.js';
import { numberOption, withRedisOptions } from './shared.js';
import { commandLine } from './commands.js';

function builder(yargs: Argv) {
  return withRedisOptions(yargs)
    .option('concurrency', numberOption('concurrency', { default: 1, describe: 'jobs this process runs at once per queue (extraction is CPU-bound: run one worker process per core instead)' }))
    .option('lock-seconds', numberOption('lock-seconds', { default: 30, describe: 'a job whose worker stops renewing its lock (killed, machine lost) is retried after about this long' }))
    .option('jobs-per-second', numberOption('jobs-per-second', { describe: 'at most this many jobs a second per queue, over all workers (a limit kept in Redis), e.g. to spare shared storage; default: no limit' }))
    .option('allow', { type: 'string', array: true, describe: 'folders the jobs may name (corpus, store, model, audio); default: any' })
    .example('$0 worker --redis redis://queue-host:6379', 'take preprocess and predict jobs until stopped (Ctrl-C finishes the jobs in hand)')
    .example('$0 worker --redis rediss://ser:secret@queue-host:6380 --allow /mnt/archive /mnt/feats /mnt/models', 'TLS, a password, and only these folders')
    .example('$0 worker --redis rediss://:secret@10.0.0.5:6380 --redis-ca /etc/ser/redis-ca.pem', 'TLS with a certificate signed by a private CA');
}
type WorkerArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

export const workerCommand: CommandModule<object, WorkerArgs> = {
  ...commandLine('worker'),
  builder,
  handler: async (args) => {
    const redis = parseRedisUrl(args.redis, { caFile: args.redisCa });
    await checkRedis(redis);
    const models = new Map<string, Promise<SavedModel>>();
    const worker = startQueueWorker({
      redis,
      concurrency: args.concurrency,
      lockSeconds: args.lockSeconds,
      jobsPerSecond: args.jobsPerSecond,
      allow: args.allow?.map((folder) => resolve(folder)),
      predict: async (payload, paths) => {
        if (!models.has(payload.model)) models.set(payload.model, loadModel(payload.model));
        const saved = await models.get(payload.model)!;
        return predictFiles(saved, paths, { plan: payload.plan, minConfidence: payload.minConfidence });
      },
      onEvent: (message) => process.stderr.write(`${message}\n`),
    });
    process.stderr.write(`ser worker (pid ${process.pid}) taking jobs from ${redis.display}, ${args.concurrency} at a time per queue\n`);
    await new Promise<void>((done) => {
      // The first signal lets the jobs in hand finish; a second one, or Redis gone for good, stops at once.
      const stop = (): void => {
        process.stderr.write('finishing the jobs in hand… (again to stop now)\n');
        process.once('SIGINT', () => process.exit(130));
        process.once('SIGTERM', () => process.exit(143));
        const giveUp = setTimeout(() => {
          process.stderr.write('jobs not finished in time; stopping (they are retried elsewhere)\n');
          process.exit(1);
        }, (args.lockSeconds + 10) * 1000);
        giveUp.unref();
        void worker.close().then(done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
