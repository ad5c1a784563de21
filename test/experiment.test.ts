import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveFeatureConfig } from '../src/features/config.js';
import { DEFAULT_EXPERIMENT_RECIPES, runExperiment, type ExperimentOptions } from '../src/experiment/run.js';
import { selectBackend } from '../src/model/backend.js';
import { PRETRAIN_RECIPES } from '../src/train/recipes.js';

const demo = resolve(__dirname, '..', 'data', 'demo');

/** The cached result files of one seed's run, e.g. few-shot-mmd-<settings key>.json. */
function runFiles(out: string, run: string): string[] {
  return readdirSync(join(out, 'runs', 'seed-0')).filter((name) => new RegExp(`^${run}-[0-9a-f]{12}\\.json$`).test(name));
}

describe('the protocol runner on the demo corpus, reduced', () => {
  const out = mkdtempSync(join(tmpdir(), 'ser-experiment-'));
  const options: ExperimentOptions = {
    sources: [join(demo, 'en')],
    target: join(demo, 'de'),
    split: 'alternate',
    out,
    seeds: [0],
    shots: 2,
    methods: ['none', 'selftrain', 'mmd'],
    featureConfig: resolveFeatureConfig(),
    workers: 0,
    parallel: 1,
    recipes: DEFAULT_EXPERIMENT_RECIPES,
    pretrain: { epochs: 2 },
    adaptEpochs: 1,
    targetSupervisedEpochs: 2,
    log: () => {},
  };

  beforeAll(async () => {
    await selectBackend('wasm');
    await runExperiment(options);
  });

  it('writes results.json in the documented shape, one entry per setting and method', () => {
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.source).toBe('en');
    expect(results.target).toBe('de');
    expect(results.classes).toEqual(['neutral', 'happy', 'sad', 'angry']);
    expect(Object.keys(results.settings)).toEqual([
      'source-only/none', 'unsupervised/none', 'unsupervised/selftrain', 'unsupervised/mmd',
      'few-shot/none', 'few-shot/selftrain', 'few-shot/mmd', 'target-supervised/scratch',
    ]);
    for (const scores of Object.values(results.settings) as { uar: { mean: number; std: number; perSeed: number[] }; uarInterval: { low: number; high: number } }[]) {
      expect(scores.uar.perSeed).toHaveLength(1);
      expect(scores.uar.mean).toBeGreaterThanOrEqual(0);
      expect(scores.uar.mean).toBeLessThanOrEqual(1);
      expect(scores.uarInterval.low).toBeLessThanOrEqual(scores.uar.mean);
      expect(scores.uarInterval.high).toBeGreaterThanOrEqual(scores.uar.mean);
    }
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('UAR 95% CI (test clips)');
    expect(results.notes).toContain('methods: none, selftrain, mmd (none = per-domain normalisation only); few-shot k = 2');
    for (const file of ['results.md', 'results.html']) expect(existsSync(join(out, file))).toBe(true);
  });

  it('scores only the target test speakers and resumes from its cached runs', async () => {
    const [file] = runFiles(out, 'few-shot-mmd');
    const run = JSON.parse(readFileSync(join(out, 'runs', 'seed-0', file), 'utf8'));
    // de02 and de04 are the test speakers: 2 x 16 clips.
    expect(run.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(32);
    expect(run.yTrue).toHaveLength(32);
    expect(run.yPred).toHaveLength(32);
    const logged: string[] = [];
    const again = await runExperiment({ ...options, log: (m) => logged.push(m) });
    expect(logged.some((m) => m.includes('pretraining') || m.includes('seed 0:'))).toBe(false);
    expect(again.settings['few-shot/mmd'].uar.perSeed[0]).toBe(run.uar);
  });

  // issue 16 fault 1: a rerun into the same --out with other settings reported the cached runs of the old ones.
  it('reruns what other settings shape, into results of their own, and reuses what they do not', async () => {
    const logged: string[] = [];
    await runExperiment({ ...options, shots: 1, adaptEpochs: 2, log: (m) => logged.push(m) });
    // The source model and the runs without shots or adaptation epochs do not change; every adapted run does.
    expect(logged.some((m) => m.includes('pretraining'))).toBe(false);
    expect(logged.filter((m) => m.startsWith('seed 0: ')).map((m) => m.slice('seed 0: '.length))).toEqual([
      'unsupervised/none', 'unsupervised/selftrain', 'unsupervised/mmd', 'few-shot/none', 'few-shot/selftrain', 'few-shot/mmd',
    ]);
    expect(runFiles(out, 'few-shot-mmd')).toHaveLength(2);
    expect(runFiles(out, 'source-only-none')).toHaveLength(1);
  });

  it('refuses a cached run edited by hand, naming the file and field', async () => {
    const [file] = runFiles(out, 'source-only-none');
    const path = join(out, 'runs', 'seed-0', file);
    const run = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...run, uar: 'high' }));
    await expect(runExperiment(options)).rejects.toThrow(new RegExp(`${file}: field uar: Expected number, received string; delete the file`));
  });

  it('pretrains again when the recipe of its source model changes under the same name', async () => {
    const recipe = PRETRAIN_RECIPES.functionals;
    const dropout = recipe.dropout;
    const logged: string[] = [];
    try {
      (recipe as { dropout: number }).dropout = dropout / 2;
      await runExperiment({ ...options, runs: ['source-only/none'], log: (m) => logged.push(m) });
    } finally {
      (recipe as { dropout: number }).dropout = dropout;
    }
    expect(logged.some((m) => m.includes('pretraining'))).toBe(true);
    expect(runFiles(out, 'source-only-none')).toHaveLength(2);
  });

  // A store whose features were extracted by other code holds the same audio and configuration but other numbers.
  it('runs again when a store holds other feature values for the same audio, and keeps the source model of unchanged sources', async () => {
    const frames = join(out, 'features', 'de', 'frames');
    const file = join(frames, readdirSync(frames).sort()[0]);
    const original = readFileSync(file);
    const changed = new Float32Array(new Uint8Array(original).buffer).map((value) => value * 1.001);
    const logged: string[] = [];
    try {
      writeFileSync(file, new Uint8Array(changed.buffer));
      await runExperiment({ ...options, runs: ['unsupervised/none'], log: (m) => logged.push(m) });
    } finally {
      writeFileSync(file, original);
    }
    expect(logged.some((m) => m.includes('pretraining'))).toBe(false);
    expect(logged).toContain('seed 0: unsupervised/none');
    expect(runFiles(out, 'unsupervised-none')).toHaveLength(3);
  });
});
