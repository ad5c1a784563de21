import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTATION_METHODS, DEFAULT_ADAPT_OPTIONS, adaptModel, type AdaptationMethod } from '../adapt/adapt.js';
import { holdOutSpeakers, protocolSplit } from '../corpora/split.js';
import { loadCorpus } from '../corpora/load.js';
import type { FeatureConfig } from '../features/config.js';
import { computeMetrics, summarise, type Metrics } from '../eval/metrics.js';
import { writeExperimentReport, type ExperimentResults, type ProtocolSetting } from '../eval/experimentReport.js';
import { scoreStore } from '../eval/score.js';
import { loadModel, saveModel, type ModelCard } from '../model/io.js';
import { openFeatureStore, preprocessCorpus, type FeatureStore } from '../store/index.js';
import { DEFAULT_PRETRAIN_OPTIONS, labelledItems, pretrain, type PretrainOptions } from '../train/pretrain.js';
import type { EpochReport } from '../train/trainer.js';
import { writeJsonAtomic } from '../util/fs.js';

export interface ExperimentOptions {
  source: string;
  target: string;
  out: string;
  seeds: number[];
  shots: number;
  /** Unsupervised methods; few-shot runs fine-tuning alone (`none`) and with each of these. */
  methods: AdaptationMethod[];
  featureConfig: FeatureConfig;
  workers: number;
  pretrain: Partial<PretrainOptions>;
  adaptEpochs: number;
  targetSupervisedEpochs: number;
  baseline?: Partial<Record<ProtocolSetting, number>>;
  log: (message: string) => void;
  onEpoch?: (run: string, report: EpochReport) => void;
}

export const DEFAULT_EXPERIMENT_METHODS: AdaptationMethod[] = ['none', 'adabn', 'dann', 'mmd', 'coral'];

interface RunResult {
  uar: number;
  accuracy: number;
  macroF1: number;
}

/** What a run scored, kept on disk so an interrupted experiment resumes where it stopped. */
async function cachedRun(file: string, run: () => Promise<Metrics>): Promise<RunResult> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  const metrics = await run();
  const result = { uar: metrics.uar, accuracy: metrics.accuracy, macroF1: metrics.macroF1 };
  await writeJsonAtomic(file, { ...result, confusion: metrics.confusion });
  return result;
}

async function storeFor(corpusDir: string, cacheDir: string, options: ExperimentOptions): Promise<FeatureStore> {
  const corpus = await loadCorpus(corpusDir, { taxonomy: '4class' });
  const outDir = join(cacheDir, corpus.name);
  options.log(`preprocessing ${corpus.name} (${corpus.utterances.length} clips) into ${outDir}`);
  const summary = await preprocessCorpus(corpus, outDir, { config: options.featureConfig, workers: options.workers });
  if (summary.failed.length > 0) options.log(`  ${summary.failed.length} files could not be read (see ${outDir}/errors.json)`);
  return openFeatureStore(outDir);
}

/**
 * The cross-lingual protocol of ../shared/BENCHMARK.md, end to end: the target's speakers sorted, even
 * positions the adaptation pool and odd positions the test set that nothing but scoring ever reads.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResults> {
  const source = await storeFor(options.source, join(options.out, 'features'), options);
  const target = await storeFor(options.target, join(options.out, 'features'), options);
  const split = protocolSplit(labelledItems(target).map((item) => item.speaker));
  options.log(`target ${target.corpus}: adaptation speakers ${split.adaptation.join(', ')}; test speakers ${split.test.join(', ')}`);
  const scoreOnTest = (model: tf.LayersModel, card: ModelCard) => {
    const { group } = scoreStore(model, card, target, { speakers: split.test });
    return computeMetrics(group.yTrue, group.yPred, group.classes);
  };

  const perSetting = new Map<string, RunResult[]>();
  const record = (key: string, result: RunResult) => perSetting.set(key, [...(perSetting.get(key) ?? []), result]);
  let classes: string[] = [];

  for (const seed of options.seeds) {
    const runDir = join(options.out, 'runs', `seed-${seed}`);
    const sourceModelDir = join(options.out, 'models', `seed-${seed}`, 'source');
    let pretrained: { model: tf.LayersModel; card: ModelCard };
    if (existsSync(join(sourceModelDir, 'card.json'))) {
      pretrained = await loadModel(sourceModelDir);
    } else {
      const validationSpeakers = holdOutSpeakers(labelledItems(source).map((i) => i.speaker), 0.2, seed).validation;
      options.log(`seed ${seed}: pretraining on ${source.corpus}, validation speakers ${validationSpeakers.join(', ')}`);
      pretrained = await pretrain(source, {
        ...DEFAULT_PRETRAIN_OPTIONS,
        ...options.pretrain,
        seed,
        validationSpeakers,
        checkpointDir: join(sourceModelDir, 'checkpoints'),
        resume: true,
        onEpoch: (r) => options.onEpoch?.(`seed ${seed} pretrain`, r),
      });
      await saveModel(sourceModelDir, pretrained.model, pretrained.card);
    }
    classes = pretrained.card.labels;
    record('source-only/none', await cachedRun(join(runDir, 'source-only.json'), async () => scoreOnTest(pretrained.model, pretrained.card)));

    const adaptRuns: { key: string; method: AdaptationMethod; shots: number }[] = [
      ...options.methods.map((method) => ({ key: `unsupervised/${method}`, method, shots: 0 })),
      ...['none', ...options.methods.filter((m) => m !== 'none')].map((method) => ({ key: `few-shot/${method}`, method: method as AdaptationMethod, shots: options.shots })),
    ];
    for (const { key, method, shots } of adaptRuns) {
      record(key, await cachedRun(join(runDir, `${key.replace('/', '-')}.json`), async () => {
        options.log(`seed ${seed}: ${key}`);
        const adapted = await adaptModel(pretrained.model, pretrained.card, source, target, {
          ...DEFAULT_ADAPT_OPTIONS,
          method,
          shots,
          seed,
          epochs: options.adaptEpochs,
          adaptationSpeakers: split.adaptation,
          onEpoch: (r) => options.onEpoch?.(`seed ${seed} ${key}`, r),
        });
        const metrics = scoreOnTest(adapted.model, adapted.card);
        adapted.model.dispose();
        return metrics;
      }));
    }

    record('target-supervised/scratch', await cachedRun(join(runDir, 'target-supervised.json'), async () => {
      options.log(`seed ${seed}: target-supervised (adaptation pool labels only, no source)`);
      const supervised = await pretrain(target, {
        ...DEFAULT_PRETRAIN_OPTIONS,
        ...options.pretrain,
        seed,
        epochs: options.targetSupervisedEpochs,
        speakers: split.adaptation,
        validationSpeakers: [],
        onEpoch: (r) => options.onEpoch?.(`seed ${seed} target-supervised`, r),
      });
      const metrics = scoreOnTest(supervised.model, supervised.card);
      supervised.model.dispose();
      return metrics;
    }));
    pretrained.model.dispose();
  }

  const results: ExperimentResults = {
    source: source.corpus,
    target: target.corpus,
    classes,
    settings: Object.fromEntries(
      [...perSetting].map(([key, runs]) => [
        key,
        { uar: summarise(runs.map((r) => r.uar)), accuracy: summarise(runs.map((r) => r.accuracy)), macroF1: summarise(runs.map((r) => r.macroF1)) },
      ]),
    ),
    ...(options.baseline ? { baseline: options.baseline } : {}),
    notes: [
      `seeds ${options.seeds.join(', ')}; target adaptation speakers ${split.adaptation.join(', ')}; test speakers ${split.test.join(', ')}`,
      `pretraining: checkpoint chosen on held-out source speakers; adaptation: fixed ${options.adaptEpochs} epochs; target-supervised: fixed ${options.targetSupervisedEpochs} epochs`,
      `methods: ${ADAPTATION_METHODS.join(', ')} (none = per-domain normalisation only); few-shot k = ${options.shots}`,
    ],
  };
  await writeExperimentReport(options.out, results);
  return results;
}
