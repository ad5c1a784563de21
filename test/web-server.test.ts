import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathEscapeError, realPathInside, resolveRequestPath } from '../src/util/paths.js';
import { CONTENT_SECURITY_POLICY, startWebServer, type WebServer } from '../src/web/server.js';

describe('resolveRequestPath', () => {
  it('resolves request paths inside the root, percent-decoded once', () => {
    expect(resolveRequestPath('/srv/page', '/app.js')).toBe('/srv/page/app.js');
    expect(resolveRequestPath('/srv/page', '/a%20b/c.js')).toBe('/srv/page/a b/c.js');
    expect(resolveRequestPath('/srv/page', '/%252e%252e/x')).toBe('/srv/page/%2e%2e/x');
  });
  it('refuses dot segments written out or encoded, backslashes, NULs and malformed encodings', () => {
    const escapes = ['/../secret', '/a/../../secret', '/%2e%2e/secret', '/%2E%2E%2Fsecret', '/..%2fsecret', '/a/..%2f..%2fsecret', '/..%5csecret', '/a\\..\\b', '/%00', '/%', '/%e0%a4%a', '/.', '/'];
    for (const path of escapes) expect(() => resolveRequestPath('/srv/page', path), path).toThrow(PathEscapeError);
  });
});

describe('realPathInside', () => {
  it('follows links and refuses one that leads out of the folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ser-real-'));
    mkdirSync(join(root, 'inside'));
    writeFileSync(join(root, 'inside/file.txt'), 'in');
    writeFileSync(join(root, 'outside.txt'), 'out');
    symlinkSync(join(root, 'inside/file.txt'), join(root, 'inside/link-in.txt'));
    symlinkSync(join(root, 'outside.txt'), join(root, 'inside/link-out.txt'));
    expect(await realPathInside(join(root, 'inside'), join(root, 'inside/link-in.txt'), 'request')).toBe(join(root, 'inside/file.txt'));
    await expect(realPathInside(join(root, 'inside'), join(root, 'inside/link-out.txt'), 'request')).rejects.toThrow(PathEscapeError);
    await expect(realPathInside(join(root, 'inside'), join(root, 'inside/missing.txt'), 'request')).rejects.toThrow(/ENOENT/);
  });
});

describe('the web server', () => {
  const root = mkdtempSync(join(tmpdir(), 'ser-web-server-'));
  const pageDir = join(root, 'page');
  const modelDir = join(root, 'model');
  let server: WebServer;
  let port: number;

  /** A request with the target sent exactly as given (Node's client does not normalise it). */
  function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body, headers: response.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    mkdirSync(pageDir);
    mkdirSync(join(modelDir, 'checkpoints'), { recursive: true });
    writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(pageDir, 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    symlinkSync(join(root, 'secret.txt'), join(pageDir, 'linked.txt'));
    for (const file of ['model.json', 'weights.bin', 'card.json', 'README.md']) writeFileSync(join(modelDir, file), file);
    writeFileSync(join(modelDir, 'checkpoints/state.json'), '{}');
    writeFileSync(join(modelDir, 'notes.txt'), 'private');
    server = await startWebServer({ pageDir, modelDir, host: '127.0.0.1', port: 0 });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server.close());

  it('listens on 127.0.0.1 and serves the page, the model\'s files and README, and tfjs\'s wasm binaries', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>page</title>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await get('/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    for (const file of ['model.json', 'weights.bin', 'card.json', 'README.md']) expect((await get(`/model/${file}`)).body).toBe(file);
    expect((await get('/model/README.md')).headers['content-type']).toBe('text/plain; charset=utf-8');
    const wasm = await get('/tfjs-wasm/tfjs-backend-wasm-simd.wasm', {}, 'HEAD');
    expect(wasm.status).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
  });

  it('sends a Content-Security-Policy allowing only its own origin with every answer, errors included', async () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|'unsafe-inline'|'unsafe-eval'/);
    for (const path of ['/', '/missing.js', '/../secret.txt']) {
      const answer = await get(path);
      expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('refuses ../, encoded and symlinked escapes', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/model/../../secret.txt', '/..%5csecret.txt', '/linked.txt']) {
      const answer = await get(path);
      expect(answer.status, path).toBe(403);
      expect(answer.body).not.toContain('secret');
    }
  });

  it('serves nothing else of the model folder, and only GET and HEAD', async () => {
    for (const path of ['/model/notes.txt', '/model/checkpoints/state.json', '/model/', '/model', '/tfjs-wasm/package.json', '/nothing.html']) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get('/', {}, 'POST')).status).toBe(405);
  });

  it('answers only requests addressed to itself (no DNS rebinding)', async () => {
    expect((await get('/', { Host: 'attacker.example' })).status).toBe(421);
    expect((await get('/', { Host: `localhost:${port}` })).status).toBe(200);
  });

  it('reports a port in use', async () => {
    await expect(startWebServer({ pageDir, modelDir, host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/);
  });
});
