import { Job, Queue, type JobsOptions } from 'bullmq';
import { compareCodeUnits } from '../util/externalSort.js';
import { checkRedis, type RedisTarget } from './connection.js';

/** One job of a run: its id is derived from its content, so enqueuing it again (a rerun) adds nothing new. */
export interface QueuedJob<Payload> {
  id: string;
  payload: Payload;
}

export interface QueueRunOptions<Payload, Result, Queued extends QueuedJob<Payload> = QueuedJob<Payload>> {
  redis: RedisTarget;
  queueName: string;
  /** The jobs by index (an array, or a list that makes each job when asked: a run of a million files keeps no job objects). */
  jobs: { readonly length: number; at(index: number): Queued | undefined };
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
  const enqueue = async (indices: number[]): Promise<void> => {
    await queue.addBulk(indices.map((index) => {
      const job = jobs.at(index)!;
      return { name: queueName, data: job.payload, opts: { ...jobOptions, jobId: job.id } };
    }));
  };
  // What the run keeps per job: 4 bytes of an index sorted by id (to find a finished job's place by halving)
  // and 1 byte saying it is recorded; the jobs themselves stay with the caller, made when asked for.
  const count = jobs.length;
  const byId = new Uint32Array(count);
  for (let index = 0; index < count; index++) byId[index] = index;
  byId.sort((a, b) => compareCodeUnits(jobs.at(a)!.id, jobs.at(b)!.id));
  const indexOf = (id: string): number | undefined => {
    for (let low = 0, high = count - 1; low <= high; ) {
      const middle = (low + high) >>> 1;
      const comparison = compareCodeUnits(jobs.at(byId[middle])!.id, id);
      if (comparison === 0) return byId[middle];
      if (comparison < 0) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  };
  const recordedAlready = new Uint8Array(count);
  let outstanding = count;
  /** Jobs before this index are all recorded: the oldest outstanding job is at or after it. */
  let oldest = 0;
  try {
    for (let start = 0; start < count; start += ADD_CHUNK) {
      await enqueue(Array.from({ length: Math.min(ADD_CHUNK, count - start) }, (_, offset) => start + offset));
    }
    let reEnqueued = 0;
    let lastPresenceCheck = Date.now();
    while (outstanding > 0) {
      // Finished jobs, read in bulk from Redis's completed and failed lists (jobs retried are in neither).
      const [completed, failed] = await Promise.all([queue.getCompleted(0, FINISHED_PAGE - 1), queue.getFailed(0, FINISHED_PAGE - 1)]);
      const recorded: Job[] = [];
      const take = (job: Job, record: (queued: Queued) => void): void => {
        const index = indexOf(String(job.id));
        if (index === undefined || recordedAlready[index]) return;
        record(jobs.at(index)!);
        recordedAlready[index] = 1;
        outstanding--;
        recorded.push(job);
      };
      for (const job of completed) take(job, (queued) => onResult(queued, parseResult(job.returnvalue, queued)));
      for (const job of failed) take(job, (queued) => onFailure(queued, job.failedReason || 'failed without a reason'));
      await Promise.all(recorded.map((job) => job.remove().catch(() => {})));
      // Now and then, and whenever nothing finished: are the oldest outstanding jobs still known to Redis?
      if (outstanding > 0 && (recorded.length === 0 || Date.now() - lastPresenceCheck > PRESENCE_CHECK_MS)) {
        lastPresenceCheck = Date.now();
        while (recordedAlready[oldest]) oldest++;
        const window: number[] = [];
        for (let index = oldest; index < count && window.length < WINDOW; index++) if (!recordedAlready[index]) window.push(index);
        const present = await Promise.all(window.map((index) => queue.getJobState(jobs.at(index)!.id)));
        const missing = window.filter((_, at) => present[at] === 'unknown');
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

