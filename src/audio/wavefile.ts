import { createRequire } from 'node:module';
import type wavefilePackage from 'wavefile';

/**
 * wavefile, required rather than imported: importing the CommonJS bundle as a module makes Node scan all of
 * its source for export names, several times the cost of loading it, paid again by every preprocessing
 * worker. The page build (src/web/build.ts) swaps in `wavefile.browser.ts`.
 */
export const wavefile = createRequire(import.meta.url)('wavefile') as typeof wavefilePackage;
