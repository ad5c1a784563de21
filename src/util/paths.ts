import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A path read from a file names something outside the folder it must stay in. */
export class PathEscapeError extends Error {
  constructor(readonly origin: string, readonly path: string, readonly folder: string) {
    super(`${origin}: path ${JSON.stringify(path)} points outside ${folder}; paths read from a file must stay inside its folder`);
  }
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
  if (path.length === 0 || path.includes('\0') || rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new PathEscapeError(origin, path, base);
  }
  return target;
}
