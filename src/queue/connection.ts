import type { RedisOptions } from 'bullmq';

/** A Redis server as BullMQ connects to it, and how to name it in messages without its password. */
export interface RedisTarget {
  connection: RedisOptions;
  /** The URL with any password replaced by `***`: the only form ever printed. */
  display: string;
}

/**
 * `redis://[user[:password]@]host[:port][/db]`, or `rediss://…` for TLS (the server name checked against its
 * certificate is the host). User and password may be percent-encoded. Throws naming the URL, password hidden.
 *
 * @example parseRedisUrl('rediss://worker:s3cret@queue.example.org:6380/2').display // 'rediss://worker:***@queue.example.org:6380/2'
 */
export function parseRedisUrl(text: string): RedisTarget {
  // Until the URL is known to be one, none of it is echoed: a password may sit anywhere in a mistyped one.
  const form = 'write it as redis://[user:password@]host[:port][/db], or rediss://… for TLS';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--redis is not a URL; ${form}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`--redis must start with redis:// or rediss:// (TLS); ${form}`);
  const secret = url.password;
  if (url.password) url.password = '***';
  const display = url.toString();
  if (url.hostname === '') throw new Error(`--redis ${display} names no host`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15 || !/^\d*$/.test(dbText)) throw new Error(`--redis ${display}: the database after the host must be a number 0-15, got ${JSON.stringify(dbText)}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const connection: RedisOptions = {
    host,
    port,
    db,
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: secret === '' ? undefined : decodeURIComponent(secret),
    tls: url.protocol === 'rediss:' ? { servername: host } : undefined,
    // BullMQ's workers block on Redis; they must wait through a restart rather than fail their commands.
    maxRetriesPerRequest: null,
  };
  return { connection, display };
}
