import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { Redis } from 'ioredis';
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
 * `caFile`: a PEM file of the certificate authorities to trust for `rediss://` (a private CA), besides the
 * system's; `NODE_EXTRA_CA_CERTS` does the same for every TLS connection of the process.
 *
 * @example parseRedisUrl('rediss://worker:s3cret@queue.example.org:6380/2').display // 'rediss://worker:***@queue.example.org:6380/2'
 */
export function parseRedisUrl(text: string, options: { caFile?: string } = {}): RedisTarget {
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
  if (options.caFile !== undefined && url.protocol !== 'rediss:') throw new Error(`--redis-ca ${options.caFile} is for a TLS connection; write the URL as rediss://…, not ${display}`);
  const connection: RedisOptions = {
    host,
    port,
    db,
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: secret === '' ? undefined : decodeURIComponent(secret),
    // An IP address is checked against the certificate's IP names; SNI (servername) takes host names only (RFC 6066).
    tls: url.protocol === 'rediss:' ? { ...(isIP(host) ? {} : { servername: host }), ...(options.caFile === undefined ? {} : { ca: [readCaFile(options.caFile)] }) } : undefined,
    // BullMQ's workers block on Redis; they must wait through a restart rather than fail their commands.
    maxRetriesPerRequest: null,
  };
  return { connection, display };
}

/** A CA certificate file is a few KB; a bundle of every public CA about 200 KB. */
const MAX_CA_BYTES = 1024 * 1024;

/** The PEM text of a CA file, checked to be one: a regular file of at most 1 MB holding a certificate. */
function readCaFile(file: string): string {
  const info = statSync(file, { throwIfNoEntry: false });
  if (!info) throw new Error(`--redis-ca ${file}: no such file; give the PEM file of the CA that signed the Redis server's certificate`);
  if (!info.isFile() || info.size > MAX_CA_BYTES) throw new Error(`--redis-ca ${file}: not a regular file of at most 1 MB; give a PEM certificate file`);
  const pem = readFileSync(file, 'utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--redis-ca ${file}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}

/** Codes of Node's TLS certificate checks that a trusted CA (or the right host name) would have passed. */
const UNTRUSTED_CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

/**
 * Connects once and pings, so a wrong address, password or certificate is an error in words at start
 * rather than a command that waits for ever (the queue's own connections retry without end, to ride out a
 * Redis restart).
 */
export async function checkRedis(target: RedisTarget): Promise<void> {
  const client = new Redis({ ...target.connection, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 10_000 });
  // ioredis's connect() rejects with "Connection is closed."; the cause (a TLS or socket error) comes as an event.
  let cause: Error | undefined;
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const { code, message } = (cause ?? error) as NodeJS.ErrnoException;
    const reason = `${code ?? ''} ${message}`;
    if (UNTRUSTED_CERTIFICATE.test(reason)) {
      throw new Error(`${target.display}: the server's TLS certificate is not trusted (${message}); pass the CA that signed it with --redis-ca <file.pem>, or set NODE_EXTRA_CA_CERTS`);
    }
    if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(reason)) {
      throw new Error(`${target.display}: Redis refused the user or password (${message.replace(/\s+/g, ' ')}); check them in the URL`);
    }
    throw new Error(`${target.display}: cannot talk to Redis (${message}); is redis-server running there, and are the port and redis:// or rediss:// right?`);
  } finally {
    client.disconnect();
  }
}
