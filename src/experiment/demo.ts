import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { adaptModel, DEFAULT_ADAPT_OPTIONS, type AdaptationMethod } from '../adapt/adapt.js';
import { holdOutSpeakers, protocolSplit } from '../corpora/split.js';
import { loadCorpus } from '../corpora/load.js';
import { resolveFeatureConfig } from '../features/config.js';
import { buildEvaluationReport, writeEvaluationReport, type EvaluationReport } from '../eval/report.js';
import { computeMetrics } from '../infer/metrics.js';
import { embeddingPlot, scoreStore, type ScoredItems } from '../eval/score.js';
import { saveModel, type ModelCard, type SavedModel } from '../model/io.js';
import { openFeatureStore, preprocessCorpus } from '../store/index.js';
import { labelledItems } from '../store/items.js';
import { pretrain } from '../train/pretrain.js';
import { recipeOptions, type PretrainRecipe } from '../train/recipes.js';
import type { EpochReport } from '../train/trainer.js';

export interface DemoOptions {
  /** A folder with one corpus per language: `source/` and `target/` sub-folders name them. */
  sourceDir: string;
  targetDir: string;
  out: string;
  seed: number;
  epochs: number;
  adaptEpochs: number;
  recipe: PretrainRecipe;
  method: AdaptationMethod;
  workers: number;
  log: (message: string) => void;
  onEpoch?: (run: string, report: EpochReport) => void;
}

export interface DemoResult {
  report: EvaluationReport;
  reportDir: string;
  sourceOnlyUar: number;
  adaptedUar: number;
}

/**
 * The whole pipeline on a small bilingual corpus: features, pretraining on the source language,
 * unsupervised adaptation to the target language, and a per-language report (target test speakers only).
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const config = resolveFeatureConfig();
  const stores = [];
  for (const dir of [options.sourceDir, options.targetDir]) {
    const corpus = await loadCorpus(dir, { taxonomy: '4class' });
    const storeDir = join(options.out, 'features', corpus.name);
    options.log(`features: ${corpus.name} (${corpus.language}), ${corpus.utterances.length} clips`);
    await preprocessCorpus(corpus, storeDir, { config, workers: options.workers });
    stores.push(openFeatureStore(storeDir));
  }
  const [source, target] = stores;
  const validationSpeakers = holdOutSpeakers(labelledItems(source).map((i) => i.speaker), 0.25, options.seed).validation;
  const split = protocolSplit(labelledItems(target).map((i) => i.speaker));

  options.log(`pretraining on ${source.corpus} (${source.language}), recipe ${options.recipe}; validation speakers ${validationSpeakers.join(', ')}`);
  const pretrained = await pretrain(source, {
    ...recipeOptions(options.recipe),
    seed: options.seed,
    epochs: options.epochs,
    validationSpeakers,
    onEpoch: (r) => options.onEpoch?.('pretrain', r),
  });
  await saveModel(join(options.out, 'models', 'source'), pretrained.model, pretrained.card);

  options.log(`adapting to ${target.corpus} (${target.language}) with ${options.method}, audio of speakers ${split.adaptation.join(', ')}`);
  const adapted = await adaptModel(pretrained.model, pretrained.card, [source], target, {
    ...DEFAULT_ADAPT_OPTIONS,
    method: options.method,
    shots: 0,
    seed: options.seed,
    epochs: options.adaptEpochs,
    adaptationSpeakers: split.adaptation,
    onEpoch: (r) => options.onEpoch?.('adapt', r),
  });
  await saveModel(join(options.out, 'models', 'adapted'), adapted.model, adapted.card);

  const score = (model: tf.LayersModel, card: ModelCard) => [
    scoreStore(model, card, source, { speakers: validationSpeakers }),
    scoreStore(model, card, target, { speakers: split.test }),
  ];
  const before = score(pretrained.model, pretrained.card);
  const after = [before[0], scoreStore(adapted.model, adapted.card, target, { speakers: split.test })];
  const report = buildEvaluationReport(
    `${source.corpus} → ${target.corpus}: ${options.method} adaptation (held-out source speakers, target test speakers)`,
    { path: join(options.out, 'models', 'adapted'), card: adapted.card },
    after.map((s) => s.group),
    {
      bootstrapSeed: options.seed,
      embeddings: [embeddingPlot('before adaptation', before), embeddingPlot(`after adaptation (${options.method})`, after)],
    },
  );
  const reportDir = join(options.out, 'report');
  await writeEvaluationReport(reportDir, report);
  const uarOf = (s: ScoredItems) => computeMetrics(s.group.yTrue, s.group.yPred, s.group.classes).uar;
  return { report, reportDir, sourceOnlyUar: uarOf(before[1]), adaptedUar: uarOf(after[1]) };
}

export interface ShippedModelDemo {
  /** UAR on the target test speakers of the shipped model as it is, and after AdaBN on the adaptation pool's audio. */
  asIsUar: number;
  adaptedUar: number;
  adapted: SavedModel;
}

/**
 * The shipped model on the demo's target language: scored on the test speakers as it is, then adapted with
 * AdaBN to the adaptation speakers' audio (no labels, no source corpus: what `ser adapt --target <folder>`
 * does) and scored again.
 */
export async function shippedModelOnDemo(shipped: SavedModel, targetStore: string, seed: number): Promise<ShippedModelDemo> {
  const target = openFeatureStore(targetStore);
  const split = protocolSplit(labelledItems(target).map((i) => i.speaker));
  const uarOf = (saved: SavedModel) => {
    const { group } = scoreStore(saved.model, saved.card, target, { speakers: split.test });
    return computeMetrics(group.yTrue, group.yPred, group.classes).uar;
  };
  const adapted = await adaptModel(shipped.model, shipped.card, [], target, { ...DEFAULT_ADAPT_OPTIONS, method: 'adabn', shots: 0, seed, adaptationSpeakers: split.adaptation });
  return { asIsUar: uarOf(shipped), adaptedUar: uarOf(adapted), adapted };
}

