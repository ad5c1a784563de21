import { loadCorpus } from './dist/src/corpora/index.js';
import { preprocessCorpus } from './dist/src/store/index.js';
import { resolveFeatureConfig } from './dist/src/features/index.js';
import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const corpus = await loadCorpus('../shared/corpora/ravdess');
const t = performance.now();
const s = await preprocessCorpus(corpus, mkdtempSync(join(tmpdir(),'prof-')), { config: resolveFeatureConfig(), workers: 0, allLabels: true });
console.log(s.audioSeconds / ((performance.now()-t)/1000));
