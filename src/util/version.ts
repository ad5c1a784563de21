import { readFileSync } from 'node:fs';
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
