import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';

export const REDIS_INSTALL = 'apt-get install redis-server';
export const redisServerPresent = spawnSync('redis-server', ['--version']).status === 0;
export const OPENSSL_INSTALL = 'apt-get install openssl';
export const opensslPresent = spawnSync('openssl', ['version']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether a Redis server answers a PING on the port (+PONG, or -NOAUTH when it wants a password). */
async function answers(port: number, caFile?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = caFile === undefined ? connect(port, '127.0.0.1') : connectTls({ port, host: '127.0.0.1', ca: readFileSync(caFile) });
    socket.once(caFile === undefined ? 'connect' : 'secureConnect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(/^[+-]/.test(data.toString()));
    });
    socket.once('error', () => resolve(false));
  });
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${run.stderr}`);
}

/** A throwaway CA and a certificate it signed for 127.0.0.1, in `dir` (ca.pem, server.pem, server.key). */
function makeCertificates(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ser test CA'], dir);
  openssl(['req', ...key, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
}

export interface TestRedisOptions {
  /** TLS only (`--port 0 --tls-port`), with a certificate of a throwaway CA (`caFile`). Needs openssl. */
  tls?: boolean;
  /** `--requirepass`. */
  password?: string;
  /** Append-only file, fsync'd on every write: a server killed with SIGKILL comes back with every job. */
  persistent?: boolean;
}

/** A throwaway redis-server on a free loopback port, in a temporary folder; without persistence unless asked. */
export class TestRedis {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly options: TestRedisOptions,
  ) {}

  static async start(options: TestRedisOptions = {}): Promise<TestRedis> {
    const redis = new TestRedis(await freePort(), mkdtempSync(join(tmpdir(), 'ser-redis-')), options);
    if (options.tls) makeCertificates(join(redis.dir, 'tls'));
    await redis.launch();
    return redis;
  }

  get url(): string {
    const auth = this.options.password === undefined ? '' : `:${encodeURIComponent(this.options.password)}@`;
    return `${this.options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}`;
  }

  /** The CA that signed the server's certificate (with `tls`). */
  get caFile(): string {
    return join(this.dir, 'tls', 'ca.pem');
  }

  async launch(): Promise<void> {
    const { tls, password, persistent } = this.options;
    const tlsFile = (name: string): string => join(this.dir, 'tls', name);
    const args = [
      ...(tls
        ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tlsFile('server.pem'), '--tls-key-file', tlsFile('server.key'), '--tls-ca-cert-file', tlsFile('ca.pem'), '--tls-auth-clients', 'no']
        : ['--port', String(this.port)]),
      ...(password === undefined ? [] : ['--requirepass', password]),
      ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ...['--bind', '127.0.0.1', '--save', '', '--dir', this.dir],
    ];
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    for (let tries = 0; tries < 100; tries++) {
      if (await answers(this.port, tls ? this.caFile : undefined)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`redis-server did not answer on port ${this.port}`);
  }

  /** Kills the server (SIGKILL): without persistence every job is lost; with it, what was written comes back at launch. */
  async halt(): Promise<void> {
    const running = this.process;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
