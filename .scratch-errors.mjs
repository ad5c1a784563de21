import { loadCorpus } from './dist/src/corpora/index.js';
import { preprocessCorpus } from './dist/src/store/index.js';
import { resolveFeatureConfig } from './dist/src/features/index.js';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const dir = mkdtempSync(join(tmpdir(), 'scr-'));
mkdirSync(join(dir,'c'));
copyFileSync('test/fixtures/mfcc/espeak-en.wav', join(dir,'c/good.wav'));
writeFileSync(join(dir,'c/empty.wav'), '');
writeFileSync(join(dir,'c/trunc.wav'), readFileSync('test/fixtures/mfcc/espeak-en.wav').subarray(0,30));
writeFileSync(join(dir,'c/text.wav'), 'hello this is text\n');
writeFileSync(join(dir,'c/manifest.csv'), 'path,speaker,emotion,language\ngood.wav,a,angry,en\nempty.wav,a,angry,en\ntrunc.wav,a,sad,en\ntext.wav,b,sad,en\nmissing.wav,b,sad,en\n');
const corpus = await loadCorpus(join(dir,'c'));
console.log(corpus.skippedFiles, corpus.language, corpus.name);
for (const workers of [2, 0]) {
  const s = await preprocessCorpus(corpus, join(dir,'out'+workers), { config: resolveFeatureConfig(), workers, onProgress: (d,t,i)=>console.log(d,t,i.id,i.ok) });
  console.log(s);
}
console.log(readFileSync(join(dir,'out2/index.json'),'utf8').slice(0,400));
