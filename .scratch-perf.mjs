import { loadCorpus } from './dist/src/corpora/index.js';
import { decodeAudio } from './dist/src/audio/index.js';
import { extractFeatures, resolveFeatureConfig } from './dist/src/features/index.js';
import { encodeFrames, frameStatistics } from './dist/src/store/format.js';
import { readFile } from 'node:fs/promises';
const corpus = await loadCorpus('../shared/corpora/ravdess');
const config = resolveFeatureConfig();
const us = corpus.utterances.slice(0, 200);
let t = {read:0, decode:0, extract:0, encode:0, stats:0}; let audio=0;
for (let pass=0; pass<2; pass++) {
t = {read:0, decode:0, extract:0, encode:0, stats:0}; audio=0;
for (const u of us) {
  let s = performance.now();
  await readFile(u.path); t.read += performance.now()-s; s = performance.now();
  const a = await decodeAudio(u.path, {sampleRate:16000}); t.decode += performance.now()-s; s=performance.now();
  audio += a.samples.length/16000;
  const m = extractFeatures(a.samples, 16000, config); t.extract += performance.now()-s; s=performance.now();
  encodeFrames(m.data); t.encode += performance.now()-s; s=performance.now();
  frameStatistics(m); t.stats += performance.now()-s;
}
}
console.log(t, audio, 'x realtime per component', Object.fromEntries(Object.entries(t).map(([k,v])=>[k, audio/(v/1000)])));
