import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackage(): { root: string; version: string } {
  // Compiled code lives one folder deeper (dist/src/util) than the sources (src/util).
  for (const relative of ['../../', '../../../']) {
    try {
      const root = new URL(relative, import.meta.url);
      const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ser-toolkit' && pkg.version) return { root: fileURLToPath(root), version: pkg.version };
    } catch {
      // not at this depth
    }
  }
  return { root: fileURLToPath(new URL('../../', import.meta.url)), version: 'unknown' };
}

const found = findPackage();
export const PACKAGE_VERSION = found.version;
/** The folder holding the package's package.json (the repository root when run from a checkout). */
export const PACKAGE_ROOT = found.root;

/**
 * A hash of every file under `folder` (relative path and bytes, in sorted path order): the identity of the code
 * that is running when `folder` is its own source tree. Anything cached by a computation's settings alone
 * would outlive a change of the code that computes it; keyed by this as well, it does not.
 */
export function folderContentHash(folder: string): string {
  const hash = createHash('sha256');
  const walk = (relative: string): void => {
    const entries = readdirSync(join(folder, relative), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hash.update(`${path}\0`).update(readFileSync(join(folder, path))).update('\0');
    }
  };
  walk('');
  return hash.digest('hex');
}

let runningCode: string | undefined;
/** The identity of the running build: the hash of its source tree (`src/`, or `dist/src/` when compiled), computed once. */
export function runningCodeIdentity(): string {
  runningCode ??= folderContentHash(fileURLToPath(new URL('../', import.meta.url)));
  return runningCode;
}
