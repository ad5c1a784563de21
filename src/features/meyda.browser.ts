import * as meydaModule from 'meyda';
import type { Meyda } from './meyda.js';

/** The page build's `meyda.ts`: the bundler resolves meyda's browser build, whose module value is Meyda itself. */
export function loadMeyda(): Meyda {
  const module = meydaModule as unknown as Meyda & { default?: Meyda };
  return module.default ?? module;
}
