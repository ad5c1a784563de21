/**
 * The feature store at scale (issue 17); what it measures, and its options, are the usage text below (--help).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCorpusListing } from '../src/corpora/index.js';
import { resolveFeatureConfig } from '../src/features/index.js';
import { NUMBER_RANGES } from '../src/cli/shared.js';
import { beginStoreRun } from '../src/store/index.js';
import { flag, listOf, numberIn, option, optional, parseScriptOptions, text, wholeNumberIn } from './lib/options.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];

const { options, positionals } = parseScriptOptions({
  name: 'bench-store',
  summary: [
    'The feature store at scale (issue 17): a corpus of N items made of hard links to the shared RAVDESS clips (a',
    'manifest.csv, every clip linked under copy<k>/), preprocessed by the compiled CLI under /usr/bin/time -v, then',
    'preprocessed again (everything skipped). Prints wall time, peak resident memory and index bytes per item. Each',
    'corpus is also only listed (streamed, openCorpusListing) and planned into an empty store (no extraction: what a',
    'million items can be measured by on this disk), under /usr/bin/time -v as well. Ends with a table for README.',
  ].join('\n'),
  usage: 'npm run build && nice -n 10 node dist/scripts/bench-store.js [options], or node dist/scripts/bench-store.js --plan <corpus> <store>',
  options: {
    items: option('The corpus sizes, one corpus each.', listOf(wholeNumberIn(1, 100_000_000)), [15270]),
    work: option('Where the corpora and stores are made (kept between runs).', text('<folder>', 'a folder'), '/tmp/ser-bench-store'),
    ravdess: option('The RAVDESS copy the clips are linked from.', text('<folder>', 'a folder'), join(repoRoot, '../shared/corpora/ravdess')),
    cli: option(
      'The `ser` CLI to run: a copy of the build, so that rebuilding the worktree during a long run does not change what runs.',
      text('<file>', 'a file'),
      join(repoRoot, 'dist/src/cli/index.js'),
    ),
    workers: option('Preprocessing threads (`ser preprocess --workers`).', numberIn(NUMBER_RANGES.workers), 2),
    planOnly: flag('Only the listing and planning step of each corpus, no preprocessing.'),
    plan: flag('That step alone on <corpus> into <store> (what the script runs itself as under /usr/bin/time).'),
  },
  positionals: {
    corpus: optional('With --plan: the corpus to list.', text('<folder>', 'a folder'), 'none'),
    store: optional('With --plan: the store to plan into (removed before and after).', text('<folder>', 'a folder'), 'none'),
  },
  check: ({ options: { plan }, positionals: { corpus, store } }) => {
    const given = [corpus, store].filter((argument) => argument !== undefined).length;
    return given === (plan ? 2 : 0) ? undefined : '--plan takes <corpus> <store>, and only it takes arguments';
  },
});

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
  /** User + system time of the command. */
  cpuSeconds: number;
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
  const cpu = ['User', 'System'].map((kind) => Number(new RegExp(`${kind} time \\(seconds\\): ([\\d.]+)`).exec(run.stderr)?.[1] ?? NaN));
  return {
    wallSeconds: (Date.now() - started) / 1000,
    cpuSeconds: cpu[0]! + cpu[1]!,
    peakMegabytes: peak ? Number(peak[1]) / 1024 : NaN,
    code: run.status,
    lastLine: run.stdout.trim().split('\n').slice(0, 3).join(' | '),
  };
}

/** The --plan <corpus> <store> mode this script runs itself in, under /usr/bin/time: list, plan, compact, release. */
async function planOnly(corpus: string, store: string): Promise<void> {
  rmSync(store, { recursive: true, force: true });
  const listing = openCorpusListing(corpus);
  const run = await beginStoreRun(listing, store, { config: resolveFeatureConfig(), allLabels: true });
  await run.close();
  listing.close();
  rmSync(store, { recursive: true, force: true });
}

if (options.plan) {
  await planOnly(positionals.corpus!, positionals.store!);
  process.exit(0);
}

const { work, workers } = options;
const ravdess = resolve(options.ravdess);
const cli = resolve(options.cli);
const rows: string[] = [];
const megabytes = (value: number): string => `${Math.round(value)} MB`;
for (const items of options.items) {
  const corpus = join(work, `corpus-${items}`);
  const store = join(work, `store-${items}`);
  buildCorpus(corpus, items);
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, fileURLToPath(import.meta.url), '--plan', corpus, `${store}-plan`], { encoding: 'utf8' });
  const planPeak = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  const planUser = /User time \(seconds\): ([\d.]+)/.exec(run.stderr);
  const plan = { code: run.status, peakMegabytes: planPeak ? Number(planPeak[1]) / 1024 : NaN, userSeconds: planUser ? Number(planUser[1]) : NaN };
  if (options.planOnly) {
    console.log(JSON.stringify({ items, planOnly: true, ...plan }));
    rows.push(`| ${items.toLocaleString('en')} | | | ${megabytes(plan.peakMegabytes)} | | ${loadavg()[0].toFixed(1)} |`);
    continue;
  }
  rmSync(store, { recursive: true, force: true });
  const load = loadavg()[0].toFixed(1);
  const first = timedPreprocess(corpus, store, String(workers));
  const rerun = timedPreprocess(corpus, store, String(workers));
  const indexBytes = statSync(join(store, 'index.json')).size + statSync(join(store, 'items.jsonl')).size;
  console.log(JSON.stringify({ items, workers, loadAverage: Number(load), plan, first, rerun, indexBytes, indexBytesPerItem: indexBytes / items }));
  rows.push(
    `| ${items.toLocaleString('en')} | ${first.wallSeconds.toFixed(1)} s, ${megabytes(first.peakMegabytes)} | ` +
      `${rerun.wallSeconds.toFixed(1)} s (${rerun.cpuSeconds.toFixed(1)} s CPU), ${megabytes(rerun.peakMegabytes)} | ` +
      `${megabytes(plan.peakMegabytes)} | ${Math.round(indexBytes / items)} | ${load} |`,
  );
}
console.log(`\nREADME table (${new Date().toISOString()}, ${workers} worker threads, \`node dist/scripts/bench-store.js --items ${options.items.join(',')}\`):\n`);
console.log('| items | first run: wall, peak memory | rerun (all skipped): wall (CPU), peak memory | listing + plan alone: peak memory | index bytes per item | load average |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
