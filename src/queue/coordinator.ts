import { Job, Queue, type JobsOptions } from 'bullmq';
import { checkRedis, type RedisTarget } from './connection.js';

/** One job of a run: its id is derived from its content, so enqueuing it again (a rerun) adds nothing new. */
export interface QueuedJob<Payload> {
  id: string;
  payload: Payload;
}

export interface QueueRunOptions<Payload, Result, Queued extends QueuedJob<Payload> = QueuedJob<Payload>> {
  redis: RedisTarget;
  queueName: string;
  jobs: Queued[];
  /** Tries of a job before it is reported failed (a worker killed mid-job costs one when it stalls). */
  attempts: number;
  /** Checks a finished job's return value (it comes back from Redis, so it is validated like any file read back). */
  parseResult: (value: unknown, job: Queued) => Result;
  onResult: (job: Queued, result: Result) => void;
  /** A job that failed all its attempts, with the last reason. */
  onFailure: (job: Queued, reason: string) => void;
  /** Things the user should know that are not errors: jobs enqueued again after Redis lost them. */
  onNotice?: (message: string) => void;
}

/** Finished jobs read from Redis per poll. */
const FINISHED_PAGE = 1000;
/** Outstanding jobs whose presence in Redis is checked at a time (the oldest first). */
const WINDOW = 500;
const PRESENCE_CHECK_MS = 5000;
const IDLE_POLL_MS = 200;
const ADD_CHUNK = 500;

/**
 * Enqueues the jobs and collects their results until every one has finished, whatever happens meanwhile:
 * workers come and go (a job whose worker died stalls and is retried by BullMQ), Redis restarts (ioredis
 * reconnects; a job Redis no longer knows, after a restart without persistence, is enqueued again), and
 * this process may be killed (a rerun enqueues what is still outstanding; jobs are removed from Redis once
 * their results are recorded). The coordinator polls Redis's lists of finished jobs (its cost follows the jobs
 * that finish) rather than listening to events, so no missed event can leave it waiting, and checks now and
 * then, and whenever nothing finished, that its oldest outstanding jobs still exist.
 */
export async function runQueuedJobs<Payload, Result, Queued extends QueuedJob<Payload> = QueuedJob<Payload>>(options: QueueRunOptions<Payload, Result, Queued>): Promise<void> {
  const { redis, queueName, jobs, attempts, parseResult, onResult, onFailure, onNotice = () => {} } = options;
  await checkRedis(redis);
  const queue = new Queue(queueName, { connection: redis.connection });
  queue.on('error', () => {}); // connection errors are retried by ioredis; each command waits for the reconnection
  // Recorded jobs are removed at once; those of a coordinator that died and never came back expire after a week.
  const keep = { age: 7 * 24 * 3600 };
  const jobOptions: JobsOptions = { attempts, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: keep, removeOnFail: keep };
  const enqueue = async (batch: Queued[]): Promise<void> => {
    await queue.addBulk(batch.map((job) => ({ name: queueName, data: job.payload, opts: { ...jobOptions, jobId: job.id } })));
  };
  try {
    for (let start = 0; start < jobs.length; start += ADD_CHUNK) await enqueue(jobs.slice(start, start + ADD_CHUNK));
    const outstanding = new Map(jobs.map((job) => [job.id, job]));
    let reEnqueued = 0;
    let lastPresenceCheck = Date.now();
    while (outstanding.size > 0) {
      // Finished jobs, read in bulk from Redis's completed and failed lists (jobs retried are in neither).
      const [completed, failed] = await Promise.all([queue.getCompleted(0, FINISHED_PAGE - 1), queue.getFailed(0, FINISHED_PAGE - 1)]);
      const recorded: Job[] = [];
      for (const job of completed) {
        const queued = outstanding.get(String(job.id));
        if (!queued) continue;
        onResult(queued, parseResult(job.returnvalue, queued));
        outstanding.delete(queued.id);
        recorded.push(job);
      }
      for (const job of failed) {
        const queued = outstanding.get(String(job.id));
        if (!queued) continue;
        onFailure(queued, job.failedReason || 'failed without a reason');
        outstanding.delete(queued.id);
        recorded.push(job);
      }
      await Promise.all(recorded.map((job) => job.remove().catch(() => {})));
      // Now and then, and whenever nothing finished: are the oldest outstanding jobs still known to Redis?
      if (outstanding.size > 0 && (recorded.length === 0 || Date.now() - lastPresenceCheck > PRESENCE_CHECK_MS)) {
        lastPresenceCheck = Date.now();
        const window = [...take(outstanding.values(), WINDOW)];
        const present = await Promise.all(window.map((job) => queue.getJobState(job.id)));
        const missing = window.filter((_, index) => present[index] === 'unknown');
        if (missing.length > 0) {
          reEnqueued += missing.length;
          onNotice(`${missing.length} job(s) of ${queueName} were no longer in Redis (${redis.display} restarted without persistence?); enqueued again (${reEnqueued} so far)`);
          await enqueue(missing);
        }
      }
      if (recorded.length === 0) await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    }
  } finally {
    await queue.close();
  }
}

function* take<T>(values: Iterable<T>, count: number): Generator<T> {
  if (count <= 0) return;
  let taken = 0;
  for (const value of values) {
    yield value;
    if (++taken >= count) return;
  }
}
