import * as wavefileModule from 'wavefile';

/** The page build's `wavefile.ts`: the bundler reads wavefile's ES module build. */
export const wavefile = wavefileModule;
