import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Worker } from 'node:worker_threads';
import { DEFAULT_ADAPT_OPTIONS, adaptModel, recommendedMethod, type AdaptationMethod } from '../adapt/adapt.js';
import { holdOutSpeakers, protocolSplit, type SplitScheme } from '../corpora/split.js';
import { loadCorpus } from '../corpora/load.js';
import { featureConfigKey, type FeatureConfig } from '../features/config.js';
import { bootstrapMeanUar } from '../eval/bootstrap.js';
import { computeMetrics, summarise, type Metrics } from '../infer/metrics.js';
import { writeExperimentReport, type ExperimentResults, type ProtocolSetting } from '../eval/experimentReport.js';
import { scoreStore } from '../eval/score.js';
import { activeBackendChoice, type BackendChoice } from '../model/backend.js';
import { loadModel, saveModel, type ModelCard } from '../model/io.js';
import { openFeatureStore, preprocessCorpus, type FeatureStore } from '../store/index.js';
import { labelledItems } from '../store/items.js';
import { pretrain, pretrainOnSources, type PretrainOptions } from '../train/pretrain.js';
import { recipeOptions, type PretrainRecipe } from '../train/recipes.js';
import type { EpochReport } from '../train/trainer.js';
import { writeJsonAtomic } from '../util/fs.js';
import { runningCodeIdentity } from '../util/version.js';
import { readJsonFile } from '../util/validate.js';

export interface ExperimentOptions {
  /** Source corpus folders: one, or several pooled (each standardised on its own statistics, batches balanced over corpora). */
  sources: string[];
  target: string;
  /** How the target's sorted speakers are dealt to adaptation pool and test set (`pairs` for RAVDESS as a target). */
  split: SplitScheme;
  out: string;
  /** Feature stores are cached here (default `<out>/features`), so experiments over the same corpora share them. */
  featuresDir?: string;
  seeds: number[];
  shots: number;
  /** Unsupervised methods; few-shot runs fine-tuning alone (`none`) and with each of these. */
  methods: AdaptationMethod[];
  featureConfig: FeatureConfig;
  workers: number;
  /** Trainings run at the same time, each in its own worker thread (the compiled build only). */
  parallel: number;
  /** Recipe of the source model every cross-lingual setting starts from, and of the target-supervised reference trained in the target language. */
  recipes: { crossLingual: PretrainRecipe; inLanguage: PretrainRecipe };
  /** Overrides on top of the recipes (e.g. fewer epochs). */
  pretrain: Partial<PretrainOptions>;
  adaptEpochs: number;
  targetSupervisedEpochs: number;
  baseline?: Partial<Record<ProtocolSetting, number>>;
  /**
   * Run only these `<setting>/<method>` keys (default: every one of the protocol), e.g. the cheap ones first
   * on every target; results then report every key whose runs are on disk for every seed.
   */
  runs?: string[];
  log: (message: string) => void;
  onEpoch?: (run: string, report: EpochReport) => void;
}

export const DEFAULT_EXPERIMENT_METHODS: AdaptationMethod[] = ['none', 'adabn', 'adabn-balanced', 'selftrain', 'dann', 'mmd', 'coral'];
export const DEFAULT_EXPERIMENT_RECIPES: ExperimentOptions['recipes'] = { crossLingual: 'functionals', inLanguage: 'conv' };

const share = z.number().min(0).max(1);
const classIndices = z.array(z.number().int().nonnegative());
/** A cached run's result file (runs/seed-<seed>/<setting>-<method>-<settings key>.json). */
const runResultSchema = z.object({
  classes: z.array(z.string().min(1)).min(2),
  uar: share,
  accuracy: share,
  macroF1: share,
  confusion: z.array(z.array(z.number().int().nonnegative())),
  /** Class indices per test clip, in store order. */
  yTrue: classIndices,
  yPred: classIndices,
});
type RunResult = z.infer<typeof runResultSchema>;

interface TestScore {
  metrics: Metrics;
  yTrue: number[];
  yPred: number[];
}

/** What a run scored, kept on disk under a name holding its settings key, so an interrupted experiment resumes where it stopped. */
async function cachedRun(file: string, run: () => Promise<TestScore>): Promise<void> {
  if (existsSync(file)) return;
  const { metrics, yTrue, yPred } = await run();
  const result: RunResult = {
    uar: metrics.uar, accuracy: metrics.accuracy, macroF1: metrics.macroF1, classes: metrics.perClass.map((c) => c.label), confusion: metrics.confusion, yTrue, yPred,
  };
  await writeJsonAtomic(file, result);
}

/** 95% interval of the mean UAR over seeds, resampling the test clips; none when a run lacks its predictions. */
function meanUarInterval(runs: RunResult[]) {
  const [{ yTrue, classes }] = runs;
  const clips = yTrue.join();
  if (!runs.every((run) => run.yTrue.join() === clips)) return undefined;
  return bootstrapMeanUar(yTrue, runs.map((run) => run.yPred), classes, { seed: 0 });
}

async function storeFor(corpusDir: string, cacheDir: string, options: ExperimentOptions): Promise<FeatureStore> {
  const corpus = await loadCorpus(corpusDir, { taxonomy: '4class' });
  const outDir = join(cacheDir, corpus.name);
  options.log(`preprocessing ${corpus.name} (${corpus.utterances.length} clips) into ${outDir}`);
  const summary = await preprocessCorpus(corpus, outDir, { config: options.featureConfig, workers: options.workers });
  if (summary.failed.length > 0) options.log(`  ${summary.failed.length} files could not be read (see ${outDir}/errors.json)`);
  return openFeatureStore(outDir);
}

export interface ExperimentContext {
  sources: FeatureStore[];
  target: FeatureStore;
  split: { adaptation: string[]; test: string[] };
}

async function prepareExperiment(options: ExperimentOptions): Promise<ExperimentContext> {
  const featuresDir = options.featuresDir ?? join(options.out, 'features');
  const sources: FeatureStore[] = [];
  for (const dir of options.sources) sources.push(await storeFor(dir, featuresDir, options));
  const target = await storeFor(options.target, featuresDir, options);
  if (sources.some((source) => source.corpus === target.corpus)) throw new Error(`${options.target}: the target corpus ${target.corpus} is also a source`);
  return contextOf(sources, target, options.split);
}

export function contextOf(sources: FeatureStore[], target: FeatureStore, split: SplitScheme): ExperimentContext {
  return { sources, target, split: protocolSplit(labelledItems(target).map((item) => item.speaker), split) };
}

function runKeys(options: Pick<ExperimentOptions, 'methods' | 'shots'>): { key: string; method: AdaptationMethod | null; shots: number }[] {
  return [
    { key: 'source-only/none', method: null, shots: 0 },
    ...options.methods.map((method) => ({ key: `unsupervised/${method}`, method, shots: 0 })),
    ...['none', ...options.methods.filter((m) => m !== 'none')].map((method) => ({ key: `few-shot/${method}`, method: method as AdaptationMethod, shots: options.shots })),
    { key: 'target-supervised/scratch', method: null, shots: 0 },
  ];
}

/** The run keys this invocation runs: the protocol's, restricted to `options.runs`. */
function selectedKeys(options: Pick<ExperimentOptions, 'methods' | 'shots' | 'runs'>): string[] {
  const keys = runKeys(options).map((run) => run.key);
  const unknown = (options.runs ?? []).filter((key) => !keys.includes(key));
  if (unknown.length > 0) throw new Error(`runs ${unknown.join(', ')} are not in this protocol (${keys.join(', ')})`);
  return options.runs ? keys.filter((key) => options.runs!.includes(key)) : keys;
}

/**
 * A short hash of everything that shapes a result. Cached models and runs are stored under it, so a rerun
 * with other settings (epochs, recipe, shots, features, changed audio, other code...) never reuses a result of the old
 * ones: it computes its own beside them. A recipe enters with its settings, not its name, so a changed recipe
 * is a new key.
 */
function settingsKey(settings: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 12);
}

/** Every frame is read to hash it, once per opened store rather than once per key asked for. */
const contentsOfStore = new WeakMap<FeatureStore, string>();

/**
 * The identity of a store's contents: its feature configuration and, per item, id, label, speaker, its audio's
 * size and mtime, and the feature values themselves, so features re-extracted by other code (same
 * configuration, same audio, other numbers) are new contents.
 */
function storeContents(store: FeatureStore): string {
  const known = contentsOfStore.get(store);
  if (known) return known;
  const hash = createHash('sha256').update(store.configKey);
  for (const item of store.items) {
    const { data } = store.readMatrix(item);
    hash.update(JSON.stringify([item.id, item.label, item.speaker, item.frames, item.size, item.mtimeMs])).update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const contents = hash.digest('hex');
  contentsOfStore.set(store, contents);
  return contents;
}

/** The settings each cached result of one seed depends on: the source model, and every run beside it. */
function seedSettings(options: Pick<ExperimentOptions, 'featureConfig' | 'recipes' | 'pretrain' | 'adaptEpochs' | 'targetSupervisedEpochs' | 'split'>, context: ExperimentContext, seed: number) {
  const features = featureConfigKey(options.featureConfig);
  const code = runningCodeIdentity();
  const sourceModel = settingsKey({ code, features, sources: context.sources.map(storeContents), recipe: recipeOptions(options.recipes.crossLingual), pretrain: options.pretrain, seed });
  const target = storeContents(context.target);
  return {
    sourceModel,
    run: (key: string, method: AdaptationMethod | null, shots: number): string =>
      settingsKey(
        key === 'target-supervised/scratch'
          ? { key, code, features, target, split: options.split, recipe: recipeOptions(options.recipes.inLanguage), pretrain: options.pretrain, epochs: options.targetSupervisedEpochs, seed }
          : { key, sourceModel, target, split: options.split, method, shots, ...(method === null ? {} : { adaptEpochs: options.adaptEpochs }), seed },
      ),
  };
}

function runFile(out: string, seed: number, key: string, settings: string): string {
  return join(out, 'runs', `seed-${seed}`, `${key.replace('/', '-')}-${settings}.json`);
}

/**
 * The runs `keys` of one seed (by default all), after pretraining its source model or loading it from an
 * earlier run; each result is written as it is known, so a rerun continues where this one stopped.
 */
export async function runSeed(options: ExperimentOptions, context: ExperimentContext, seed: number, keys = selectedKeys(options)): Promise<void> {
  const { sources, target, split } = context;
  const scoreOnTest = (model: tf.LayersModel, card: ModelCard): TestScore => {
    const { group } = scoreStore(model, card, target, { speakers: split.test });
    return { metrics: computeMetrics(group.yTrue, group.yPred, group.classes), yTrue: group.yTrue, yPred: group.yPred };
  };
  const settings = seedSettings(options, context, seed);
  const sourceModelDir = join(options.out, 'models', `seed-${seed}`, `source-${settings.sourceModel}`);
  let pretrained: { model: tf.LayersModel; card: ModelCard };
  if (existsSync(join(sourceModelDir, 'card.json'))) {
    pretrained = await loadModel(sourceModelDir);
  } else {
    const pretrainSources = sources.map((store) => ({ store, validationSpeakers: holdOutSpeakers(labelledItems(store).map((i) => i.speaker), 0.2, seed).validation }));
    options.log(`seed ${seed}: pretraining on ${pretrainSources.map((s) => `${s.store.corpus} (validation speakers ${s.validationSpeakers.join(', ')})`).join(', ')}`);
    pretrained = await pretrainOnSources(pretrainSources, {
      ...recipeOptions(options.recipes.crossLingual),
      ...options.pretrain,
      seed,
      checkpointDir: join(sourceModelDir, 'checkpoints'),
      resume: true,
      onEpoch: (r) => options.onEpoch?.(`seed ${seed} pretrain`, r),
    });
    await saveModel(sourceModelDir, pretrained.model, pretrained.card);
  }

  for (const { key, method, shots } of runKeys(options).filter((run) => keys.includes(run.key))) {
    await cachedRun(runFile(options.out, seed, key, settings.run(key, method, shots)), async () => {
      options.log(`seed ${seed}: ${key}`);
      if (key === 'source-only/none') return scoreOnTest(pretrained.model, pretrained.card);
      const trained =
        method === null
          ? await pretrain(target, {
              ...recipeOptions(options.recipes.inLanguage),
              ...options.pretrain,
              seed,
              epochs: options.targetSupervisedEpochs,
              speakers: split.adaptation,
              validationSpeakers: [],
              onEpoch: (r) => options.onEpoch?.(`seed ${seed} ${key}`, r),
            })
          : await adaptModel(pretrained.model, pretrained.card, sources, target, {
              ...DEFAULT_ADAPT_OPTIONS,
              method,
              shots,
              seed,
              epochs: options.adaptEpochs,
              adaptationSpeakers: split.adaptation,
              onEpoch: (r) => options.onEpoch?.(`seed ${seed} ${key}`, r),
            });
      const score = scoreOnTest(trained.model, trained.card);
      trained.model.dispose();
      return score;
    });
  }
  pretrained.model.dispose();
}

/**
 * Runs the experiment in worker threads, `parallel` at a time (the wasm backend uses one core per thread):
 * first each seed's pretraining, then every remaining run as a job of its own, so no core idles while
 * one seed finishes.
 */
async function runInWorkers(options: ExperimentOptions, context: ExperimentContext, backend: BackendChoice): Promise<void> {
  const script = new URL('./seedWorker.js', import.meta.url);
  const { log, onEpoch, ...serialisable } = options;
  const runJobs = async (jobs: { seed: number; keys: string[] }[]): Promise<void> => {
    const queue = [...jobs];
    const runWorker = async (): Promise<void> => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const { seed, keys } = job;
        const data: SeedWorkerData = { options: serialisable, seed, keys, backend, sourceStores: context.sources.map((s) => s.dir), targetStore: context.target.dir };
        const worker = new Worker(script, { workerData: data });
        await new Promise<void>((resolve, reject) => {
          worker.on('message', (message: SeedWorkerMessage) => {
            if (message.kind === 'log') log(message.text);
            else onEpoch?.(message.run, message.report);
          });
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the worker for seed ${seed} (${keys.join(', ') || 'pretraining'}) stopped with exit code ${code}`))));
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.parallel, jobs.length) }, runWorker));
  };
  await runJobs(options.seeds.map((seed) => ({ seed, keys: [] })));
  // Key by key over the seeds, so an interrupted experiment has whole rows.
  const selected = selectedKeys(options);
  const remaining = runKeys(options)
    .filter(({ key }) => selected.includes(key))
    .flatMap(({ key, method, shots }) =>
      options.seeds
        .filter((seed) => !existsSync(runFile(options.out, seed, key, seedSettings(options, context, seed).run(key, method, shots))))
        .map((seed) => ({ seed, keys: [key] })),
    );
  await runJobs(remaining);
}

export interface SeedWorkerData {
  options: Omit<ExperimentOptions, 'log' | 'onEpoch'>;
  seed: number;
  keys: string[];
  backend: BackendChoice;
  sourceStores: string[];
  targetStore: string;
}

export type SeedWorkerMessage = { kind: 'log'; text: string } | { kind: 'epoch'; run: string; report: EpochReport };

/**
 * The cross-lingual protocol of ../shared/BENCHMARK.md, end to end: the target's speakers sorted, even
 * positions the adaptation pool and odd positions the test set that nothing but scoring ever reads.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResults> {
  const context = await prepareExperiment(options);
  const { sources, target, split } = context;
  options.log(`target ${target.corpus}: adaptation speakers ${split.adaptation.join(', ')}; test speakers ${split.test.join(', ')}`);
  const parallel = options.parallel > 1 && !import.meta.url.endsWith('.ts');
  if (parallel) {
    await runInWorkers(options, context, activeBackendChoice());
  } else {
    for (const seed of options.seeds) await runSeed(options, context, seed);
  }

  const fileOf = (seed: number, { key, method, shots }: { key: string; method: AdaptationMethod | null; shots: number }) =>
    runFile(options.out, seed, key, seedSettings(options, context, seed).run(key, method, shots));
  const runs = runKeys(options).filter((run) => options.seeds.every((seed) => existsSync(fileOf(seed, run))));
  const keys = runs.map((r) => r.key);
  const cached = new Map<string, RunResult[]>();
  for (const run of runs) {
    const fix = 'delete the file and rerun the experiment to compute the run again';
    cached.set(run.key, await Promise.all(options.seeds.map((seed) => readJsonFile(fileOf(seed, run), runResultSchema, fix))));
  }
  const runsOf = (key: string) => cached.get(key)!;
  const results: ExperimentResults = {
    source: sources.length === 1 ? sources[0].corpus : sources.map((s) => s.corpus),
    target: target.corpus,
    recommended: { unsupervised: recommendedMethod(0), 'few-shot': recommendedMethod(options.shots) },
    classes: runsOf(keys[0])[0].classes,
    settings: Object.fromEntries(
      keys.map((key) => {
        const runs = runsOf(key);
        const uarInterval = meanUarInterval(runs);
        return [
          key,
          { uar: summarise(runs.map((r) => r.uar)), ...(uarInterval ? { uarInterval } : {}), accuracy: summarise(runs.map((r) => r.accuracy)), macroF1: summarise(runs.map((r) => r.macroF1)) },
        ];
      }),
    ),
    ...(options.baseline ? { baseline: options.baseline } : {}),
    notes: [
      `sources: ${sources.map((s) => `${s.corpus} (${s.language}, ${labelledItems(s).length} clips)`).join(', ')}${sources.length > 1 ? ', each standardised on its own statistics, batches balanced over (corpus, class)' : ''}`,
      `seeds ${options.seeds.join(', ')}; target split ${options.split}; target adaptation speakers ${split.adaptation.join(', ')}; test speakers ${split.test.join(', ')}`,
      `recipes: ${options.recipes.crossLingual} for the source model, ${options.recipes.inLanguage} for target-supervised`,
      `normalisation: ${options.pretrain.normalisation ?? 'corpus'}${options.pretrain.normalisation === 'speaker' ? ' (each speaker on their own statistics, test speakers on their test clips, audio only)' : ''}`,
      `pretraining: checkpoint chosen on held-out source speakers; adaptation: fixed ${options.adaptEpochs} epochs; target-supervised: fixed ${options.targetSupervisedEpochs} epochs`,
      `methods: ${options.methods.join(', ')} (none = per-domain normalisation only); few-shot k = ${options.shots}`,
      `recommended (what \`ser adapt\` uses by default, chosen leave-one-corpus-out over the four shared corpora): ${recommendedMethod(0)} unsupervised, ${recommendedMethod(options.shots)} few-shot`,
    ],
  };
  await writeExperimentReport(options.out, results);
  return results;
}
