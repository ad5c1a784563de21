import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A path read from a file names something outside the folder it must stay in. */
export class PathEscapeError extends Error {
  constructor(readonly origin: string, readonly path: string, readonly folder: string) {
    super(`${origin}: path ${JSON.stringify(path)} points outside ${folder}; paths read from a file must stay inside its folder`);
  }
}

/** Whether a path relative to a folder names something other than a file or folder inside it. */
function leavesFolder(rel: string): boolean {
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

/**
 * Resolves `path` (read from the file `origin`) against `folder` and refuses any result outside it:
 * `..` segments, absolute paths elsewhere and empty names all throw {@link PathEscapeError}.
 *
 * @example resolveInside('/data/store', 'frames/a.f32', '/data/store/index.json') // '/data/store/frames/a.f32'
 * @example resolveInside('/data/store', '../victim.txt', '/data/store/index.json') // throws
 */
export function resolveInside(folder: string, path: string, origin: string): string {
  const base = resolve(folder);
  const target = resolve(base, path);
  const rel = relative(base, target);
  if (path.length === 0 || path.includes('\0') || leavesFolder(rel)) {
    throw new PathEscapeError(origin, path, base);
  }
  return target;
}

/**
 * The file that the path of a request (the raw request target, before anything normalised it) names inside
 * `root`. The path is percent-decoded once; a malformed encoding, a NUL, a backslash or a `.` or `..`
 * segment (written out or encoded as `%2e%2e`, `..%2f`) is refused with {@link PathEscapeError}, as is
 * anything {@link resolveInside} refuses. Symbolic links are not followed here: see {@link realPathInside}.
 *
 * @example resolveRequestPath('/srv/page', '/app.js') // '/srv/page/app.js'
 * @example resolveRequestPath('/srv/page', '/%2e%2e/secret') // throws
 */
export function resolveRequestPath(root: string, requestPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    throw new PathEscapeError('request', requestPath, resolve(root));
  }
  const segments = decoded.replace(/^\/+/, '').split('/');
  if (decoded.includes('\\') || segments.some((segment) => segment === '.' || segment === '..')) {
    throw new PathEscapeError('request', requestPath, resolve(root));
  }
  return resolveInside(root, segments.join('/'), 'request');
}

/**
 * The real path of `file` (every symbolic link followed), refused with {@link PathEscapeError} when it lies
 * outside the real path of `folder`: a link inside the folder pointing elsewhere gives no way out.
 * Throws the filesystem's error (ENOENT) when the file does not exist.
 */
export async function realPathInside(folder: string, file: string, origin: string): Promise<string> {
  const [realFolder, realFile] = await Promise.all([realpath(folder), realpath(file)]);
  if (leavesFolder(relative(realFolder, realFile))) throw new PathEscapeError(origin, file, realFolder);
  return realFile;
}
