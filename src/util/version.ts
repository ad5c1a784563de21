import { readFileSync } from 'node:fs';

function findPackageVersion(): string {
  // Compiled code lives one folder deeper (dist/src/util) than the sources (src/util).
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ser-toolkit' && pkg.version) return pkg.version;
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

export const PACKAGE_VERSION = findPackageVersion();
