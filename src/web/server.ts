import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { PathEscapeError, realPathInside, resolveRequestPath } from '../util/paths.js';

export interface WebServerOptions {
  /** The page's build (index.html, app.js, style.css): see build.ts. */
  pageDir: string;
  /** A model folder (model.json, weights.bin, card.json). */
  modelDir: string;
  /** 127.0.0.1 unless the user asks for another interface. */
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** The only files of the model folder that are served (README.md: the model card in words, when it has one). */
const MODEL_FILES = new Set(['model.json', 'weights.bin', 'card.json', 'README.md']);
/** tfjs-backend-wasm's binaries, served from the installed package so that the page never reaches a CDN. */
const WASM_DIR = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
const WASM_FILES = new Set(['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** Only this origin, for everything; 'wasm-unsafe-eval' lets the page compile tfjs's WebAssembly (it allows no JavaScript eval). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "img-src 'self'",
  "style-src 'self'",
  "media-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** The folder and the file name inside it that a request's path names, or why it names nothing. */
function locate(pageDir: string, modelDir: string, path: string): { folder: string; file: string } {
  const [, first, ...rest] = path.split('/');
  if (first === 'model' && rest.length === 1 && MODEL_FILES.has(rest[0])) return { folder: modelDir, file: join(modelDir, rest[0]) };
  if (first === 'tfjs-wasm' && rest.length === 1 && WASM_FILES.has(rest[0])) return { folder: WASM_DIR, file: join(WASM_DIR, rest[0]) };
  return { folder: pageDir, file: resolveRequestPath(pageDir, path === '/' ? '/index.html' : path) };
}

function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

const ANY_INTERFACE = new Set(['0.0.0.0', '::']);

/**
 * The Host header must name this server: a page elsewhere cannot then reach it through a host name that it
 * re-points at 127.0.0.1 (DNS rebinding). A server bound to every interface has asked to be reached by any name.
 */
function hostAllowed(request: IncomingMessage, host: string, port: number): boolean {
  if (ANY_INTERFACE.has(host)) return true;
  const names = new Set([host, 'localhost', '127.0.0.1', '[::1]'].map((name) => `${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`));
  return names.has(request.headers.host ?? '');
}

async function serve(options: WebServerOptions, port: () => number, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!hostAllowed(request, options.host, port())) return send(response, 421, 'unknown host');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'only GET and HEAD');
  }
  // The raw target, not a parsed URL: parsing would resolve `..` before the check could refuse it.
  const path = (request.url ?? '/').split('?')[0];
  let file: string;
  try {
    const located = locate(options.pageDir, options.modelDir, path);
    file = await realPathInside(located.folder, located.file, 'request');
    if (!(await stat(file)).isFile()) return send(response, 404, 'not found');
  } catch (error) {
    if (error instanceof PathEscapeError) return send(response, 403, 'forbidden');
    return send(response, 404, 'not found');
  }
  response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file).on('error', () => response.destroy()).pipe(response);
}

/**
 * Serves the page and one model folder, nothing else: no upload, no listing, no other file of the disk.
 * Rejects with the listen error (EADDRINUSE, EACCES) when the port cannot be had.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const server: Server = createServer((request, response) => {
    serve(options, () => port, request, response).catch(() => send(response, 500, 'internal error'));
  });
  let port = options.port;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolvePromise());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
