import { createRequire } from 'node:module';
import type meydaPackage from 'meyda';

export type Meyda = typeof meydaPackage.default;

/**
 * meyda itself. Required rather than imported: meyda sets `module.exports = Meyda` while its typings declare
 * an ES default export, and importing the CommonJS bundle as a module costs every preprocessing worker
 * about 25 ms against 4 ms. The page build (src/web/build.ts) swaps in `meyda.browser.ts`.
 */
export function loadMeyda(): Meyda {
  return createRequire(import.meta.url)('meyda') as Meyda;
}
