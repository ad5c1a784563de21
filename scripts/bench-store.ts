/**
 * The feature store at scale (issue 17): a corpus of N items made of hard links to the shared RAVDESS clips
 * (a manifest.csv, every clip linked under copy<k>/), preprocessed by the compiled CLI under /usr/bin/time -v,
 * then preprocessed again (everything skipped). Prints wall time, peak resident memory and index bytes per item.
 * Run: npm run build && nice -n 10 node dist/scripts/bench-store.js --items 15270,61080,150000 --work /tmp/ser-bench-store
 * With --plan-only, each corpus is only listed and planned into an empty store (the part whose cost grows
 * with the item count; no extraction), under /usr/bin/time -v as well.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpus } from '../src/corpora/index.js';
import { resolveFeatureConfig } from '../src/features/index.js';
import { beginStoreRun } from '../src/store/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

function clips(): { relativePath: string; speaker: string; emotion: string }[] {
  return readdirSync(ravdess)
    .filter((actor) => actor.startsWith('Actor_'))
    .sort()
    .flatMap((actor) =>
      readdirSync(join(ravdess, actor))
        .filter((name) => name.endsWith('.wav'))
        .sort()
        .map((name) => ({ relativePath: `${actor}/${name}`, speaker: actor, emotion: EMOTIONS[Number(name.split('-')[2]) - 1]! })),
    );
}

function buildCorpus(dir: string, items: number): void {
  if (existsSync(join(dir, 'manifest.csv'))) return;
  const source = clips();
  const rows = ['path,speaker,emotion,language'];
  for (let n = 0; n < items; n++) {
    const clip = source[n % source.length]!;
    const relativePath = `copy${Math.floor(n / source.length)}/${clip.relativePath}`;
    mkdirSync(dirname(join(dir, relativePath)), { recursive: true });
    linkSync(join(ravdess, clip.relativePath), join(dir, relativePath));
    rows.push(`${relativePath},${clip.speaker},${clip.emotion},en`);
  }
  writeFileSync(join(dir, 'manifest.csv'), `${rows.join('\n')}\n`);
}

interface Timed {
  wallSeconds: number;
  peakMegabytes: number;
  code: number | null;
  lastLine: string;
}

function timedPreprocess(corpus: string, store: string, workers: string): Timed {
  const started = Date.now();
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, 'preprocess', corpus, '--out', store, '--all-labels', '--workers', workers], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  return {
    wallSeconds: (Date.now() - started) / 1000,
    peakMegabytes: peak ? Number(peak[1]) / 1024 : NaN,
    code: run.status,
    lastLine: run.stdout.trim().split('\n').slice(0, 3).join(' | '),
  };
}

/** The --plan <corpus> <store> mode this script runs itself in, under /usr/bin/time: list, plan, compact, release. */
async function planOnly(corpus: string, store: string): Promise<void> {
  rmSync(store, { recursive: true, force: true });
  const run = await beginStoreRun(await loadCorpus(corpus), store, { config: resolveFeatureConfig(), allLabels: true });
  await run.close();
  rmSync(store, { recursive: true, force: true });
}

if (process.argv.includes('--plan')) {
  const at = process.argv.indexOf('--plan');
  await planOnly(process.argv[at + 1]!, process.argv[at + 2]!);
  process.exit(0);
}

const work = option('work', '/tmp/ser-bench-store');
const ravdess = resolve(option('ravdess', join(repoRoot, '../shared/corpora/ravdess')));
/** --cli: a copy of the build, so that rebuilding the worktree during a long run does not change what runs. */
const cli = resolve(option('cli', join(repoRoot, 'dist/src/cli/index.js')));
const workers = option('workers', '2');
for (const items of option('items', '15270').split(',').map(Number)) {
  const corpus = join(work, `corpus-${items}`);
  const store = join(work, `store-${items}`);
  buildCorpus(corpus, items);
  if (process.argv.includes('--plan-only')) {
    const run = spawnSync('/usr/bin/time', ['-v', process.execPath, fileURLToPath(import.meta.url), '--plan', corpus, `${store}-plan`], { encoding: 'utf8' });
    const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
    const cpu = /User time \(seconds\): ([\d.]+)/.exec(run.stderr);
    console.log(JSON.stringify({ items, planOnly: true, code: run.status, peakMegabytes: peak ? Number(peak[1]) / 1024 : NaN, userSeconds: cpu ? Number(cpu[1]) : NaN }));
    continue;
  }
  rmSync(store, { recursive: true, force: true });
  const first = timedPreprocess(corpus, store, workers);
  const rerun = timedPreprocess(corpus, store, workers);
  const indexBytes = statSync(join(store, 'index.json')).size + statSync(join(store, 'items.jsonl')).size;
  console.log(
    JSON.stringify({
      items,
      workers: Number(workers),
      first,
      rerun,
      indexBytes,
      indexBytesPerItem: indexBytes / items,
    }),
  );
}
