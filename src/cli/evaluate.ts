import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadCorpus, protocolSplit, TAXONOMIES, type TaxonomyName } from '../corpora/index.js';
import { buildEvaluationReport, writeEvaluationReport, type EmbeddingPlot, type EvaluationReport } from '../eval/index.js';
import { formatInterval, formatPercent } from '../eval/format.js';
import { calibrationOf, embeddingPlot, scoreStore, type ScoredItems } from '../eval/score.js';
import { loadModel, type ModelCard, type SavedModel } from '../model/io.js';
import { openFeatureStore, type FeatureStore } from '../store/index.js';
import { labelledItems } from '../store/items.js';
import { extractStore } from './storeInput.js';
import { commandLine } from './commands.js';
import { folderOption, numberOption, parseSpeakerList, prepareOutputFolder } from './shared.js';

/** Any fixed seed will do: it makes the bootstrap intervals, and so the report, the same on every run. */
const BOOTSTRAP_SEED = 0;

interface ModelFolder extends SavedModel {
  dir: string;
}

/** The smallest taxonomy holding every class of the model, so a corpus is labelled as the model was trained. */
function taxonomyFor(labels: string[]): TaxonomyName {
  const names = Object.keys(TAXONOMIES) as TaxonomyName[];
  const name = names.find((candidate) => labels.every((label) => TAXONOMIES[candidate].includes(label)));
  if (!name) throw new Error(`the model's classes (${labels.join(', ')}) are in no known taxonomy (${names.join(', ')})`);
  return name;
}

/** Corpus names label the report's groups and its feature caches, so each may come from one --data only. */
function claimCorpus(claimed: Map<string, string>, corpus: string, dir: string): void {
  const other = claimed.get(corpus);
  if (other !== undefined) throw new Error(`${other} and ${dir} both hold corpus "${corpus}"; give each corpus once`);
  claimed.set(corpus, dir);
}

/**
 * A feature store as it is, or a corpus folder turned into one under <report>/features/<corpus> with the
 * model's feature configuration; a rerun extracts only what is not there yet.
 */
async function openData(dir: string, reportDir: string, card: ModelCard, workers: number, claimed: Map<string, string>): Promise<FeatureStore> {
  if (existsSync(join(dir, 'index.json'))) {
    const store = openFeatureStore(dir);
    claimCorpus(claimed, store.corpus, dir);
    return store;
  }
  const corpus = await loadCorpus(dir, { taxonomy: taxonomyFor(card.labels) });
  claimCorpus(claimed, corpus.name, dir);
  return extractStore(corpus, join(reportDir, 'features', corpus.name), card.featureConfig, workers);
}

/** The speakers scored in each store: the protocol test speakers, the listed ones, or all (undefined). */
async function speakerSelection(stores: FeatureStore[], args: { speakers?: string; testSplit?: boolean }): Promise<(store: FeatureStore) => string[] | undefined> {
  if (args.testSplit) {
    return (store) => {
      const speakers = labelledItems(store).map((item) => item.speaker);
      const { test } = protocolSplit(speakers);
      if (test.length === 0) throw new Error(`${store.dir}: --test-split needs at least two labelled speakers, it has ${new Set(speakers).size}`);
      return test;
    };
  }
  if (args.speakers === undefined) return () => undefined;
  const listed = await parseSpeakerList(args.speakers);
  const known = new Set(stores.flatMap((store) => store.items.map((item) => item.speaker)));
  const unknown = listed.filter((speaker) => !known.has(speaker));
  if (unknown.length > 0) throw new Error(`--speakers: no clips of ${unknown.join(', ')} in ${stores.map((store) => store.dir).join(', ')}`);
  return () => listed;
}

function plotTitle(card: ModelCard): string {
  const adaptation = card.adaptation;
  return adaptation
    ? `after adaptation (${adaptation.method}, ${card.source.corpus} → ${adaptation.targetCorpus}, ${adaptation.shots} shots)`
    : `before adaptation (trained on ${card.source.corpus})`;
}

/** One embedding plot per model, the one before adaptation first; folder names tell apart models of equal titles. */
function embeddingPlots(models: { folder: ModelFolder; scored: ScoredItems[] }[]): EmbeddingPlot[] {
  const ordered = [...models].sort((a, b) => Number(a.folder.card.adaptation !== undefined) - Number(b.folder.card.adaptation !== undefined));
  const titles = ordered.map(({ folder }) => plotTitle(folder.card));
  const ambiguous = new Set(titles).size < titles.length;
  return ordered.map(({ folder, scored }, k) => embeddingPlot(ambiguous ? `${titles[k]}: ${basename(folder.dir)}` : titles[k], scored));
}

function languageSummary(report: EvaluationReport): string {
  const headers = ['Language', 'Corpora', 'n', 'UAR % [95% CI]', 'Accuracy %', 'Macro-F1 %'];
  const rows = report.byLanguage.map(({ language, corpora, metrics, uarInterval }) => [
    language,
    corpora.join(', '),
    String(metrics.n),
    `${formatPercent(metrics.uar)} ${formatInterval(uarInterval)}`,
    formatPercent(metrics.accuracy),
    formatPercent(metrics.macroF1),
  ]);
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  return [headers, ...rows].map((cells) => `  ${cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()}`).join('\n');
}

function builder(yargs: Argv) {
  return yargs
    .option('model', { type: 'string', demandOption: true, describe: 'model folder written by `ser train` or `ser adapt`' })
    .option('data', {
      type: 'string',
      array: true,
      demandOption: true,
      describe: 'feature store (written by `ser preprocess`) or corpus folder, whose features are then extracted into <report>/features; one per corpus',
    })
    .option('report', folderOption('report', { demandOption: true, describe: 'folder for report.json, report.md and report.html' }))
    .option('speakers', { type: 'string', describe: 'score only these speakers of every --data (comma list, or a file with one per line)' })
    .option('test-split', { type: 'boolean', describe: 'score only the protocol test speakers of each corpus (odd positions of its sorted speaker ids)' })
    .option('compare', { type: 'string', describe: 'another model folder (e.g. before adaptation) whose embeddings are plotted beside the model\'s' })
    .option('workers', numberOption('workers', { default: availableParallelism(), describe: 'threads extracting the features of corpus folders' }))
    .conflicts('speakers', 'test-split')
    .example('$0 evaluate --model models/emodb-dann --data features/ravdess features/emodb --test-split --report reports/dann', 'UAR per language on the test speakers')
    .example('$0 evaluate --model models/emodb-dann --compare models/ravdess --data corpora/emodb --report reports/dann', 'embeddings before and after adaptation')
    .epilog('The report has UAR, accuracy and macro-F1 per language and per corpus with 95% bootstrap intervals, confusion matrices and embedding plots.');
}

type EvaluateArgs = ReturnType<typeof builder> extends Argv<infer Args> ? Args : never;

export const evaluateCommand: CommandModule<object, EvaluateArgs> = {
  ...commandLine('evaluate'),
  builder,
  handler: async (args) => {
    const model: ModelFolder = { dir: resolve(args.model), ...(await loadModel(resolve(args.model))) };
    const compared: ModelFolder | undefined = args.compare ? { dir: resolve(args.compare), ...(await loadModel(resolve(args.compare))) } : undefined;
    if (compared && compared.card.featureConfigKey !== model.card.featureConfigKey) {
      throw new Error(
        `--compare ${compared.dir} reads features of another configuration than --model ${model.dir}:\n` +
          `  ${compared.card.featureConfigKey}\n  ${model.card.featureConfigKey}\ncompare models that share one`,
      );
    }
    const reportDir = await prepareOutputFolder('report', args.report);
    const stores: FeatureStore[] = [];
    const claimed = new Map<string, string>();
    for (const data of args.data) stores.push(await openData(resolve(data), reportDir, model.card, args.workers, claimed));
    const speakersOf = await speakerSelection(stores, args);
    const score = (folder: ModelFolder) => stores.map((store) => scoreStore(folder.model, folder.card, store, { speakers: speakersOf(store) }));

    const scored = score(model);
    const models = [{ folder: model, scored }, ...(compared ? [{ folder: compared, scored: score(compared) }] : [])];
    const selection = args.testSplit ? 'protocol test speakers' : args.speakers !== undefined ? 'selected speakers' : 'all speakers';
    const report = buildEvaluationReport(
      `${basename(model.dir)} on ${stores.map((store) => store.corpus).join(', ')} (${selection})`,
      { path: model.dir, card: model.card },
      scored.map((set) => set.group),
      { bootstrapSeed: BOOTSTRAP_SEED, embeddings: embeddingPlots(models), calibration: scored.map((set) => calibrationOf(set, model.card)) },
    );
    const files = await writeEvaluationReport(reportDir, report);
    const calibration = (report.calibration ?? [])
      .map(({ corpus, temperature, before, after }) => `${corpus}: ECE ${formatPercent(before.ece)}% -> ${formatPercent(after.ece)}% with temperature ${temperature.toFixed(3)}\n`)
      .join('');
    process.stdout.write(`${report.title}\n${languageSummary(report)}\n${calibration}Report: ${files.html} (also ${files.markdown}, ${files.json})\n`);
  },
};
