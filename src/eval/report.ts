import { bootstrapUar, type Interval } from './bootstrap.js';
import { formatInterval, formatPercent, type Table } from './format.js';
import { barChartSvg, confusionHeatmapSvg, escapeHtml, htmlDocument, htmlFigure, htmlTable, reliabilitySvg, scatterSvg } from './html.js';
import { writeReportFiles, type ReportFiles } from './io.js';
import { escapeMarkdown, markdownTable } from './markdown.js';
import type { Reliability } from '../infer/calibration.js';
import { computeMetrics, type Metrics } from '../infer/metrics.js';

/** Predictions of one model on one corpus: class indices into `classes`. */
export interface EvaluationGroup {
  corpus: string;
  language: string;
  classes: string[];
  yTrue: number[];
  yPred: number[];
}

export interface ScoredSet {
  metrics: Metrics;
  /** 95% percentile-bootstrap interval of `metrics.uar`. */
  uarInterval: Interval;
}

export interface GroupResult extends ScoredSet {
  corpus: string;
  language: string;
}

/** All groups of one language pooled, utterance by utterance. */
export interface LanguageResult extends ScoredSet {
  language: string;
  corpora: string[];
}

/** One utterance embedding projected to 2-D (e.g. by pca2d). */
export interface EmbeddingPoint {
  x: number;
  y: number;
  language: string;
  emotion: string;
}

export interface EmbeddingPlot {
  title: string;
  points: EmbeddingPoint[];
}

export interface ModelSummary {
  path: string;
  /** Any JSON summary of the model card. */
  card: unknown;
}

/** How well the probabilities of one corpus's clips match how often the model is right (see infer/calibration.ts). */
export interface CalibrationResult {
  corpus: string;
  language: string;
  /** The card's temperature (1 when it has none). */
  temperature: number;
  /** Before and after the card's temperature scaling. */
  before: Reliability;
  after: Reliability;
}

export interface EvaluationReport {
  title: string;
  /** ISO 8601. */
  createdAt: string;
  model: ModelSummary;
  groups: GroupResult[];
  byLanguage: LanguageResult[];
  embeddings?: EmbeddingPlot[];
  calibration?: CalibrationResult[];
}

export interface BuildEvaluationReportOptions {
  bootstrapSeed: number;
  /** 1000 by default. */
  bootstrapIterations?: number;
  /** E.g. "before adaptation" and "after adaptation"; one scatter plot each. */
  embeddings?: EmbeddingPlot[];
  /** Defaults to now; fixed in tests and reproducible runs. */
  createdAt?: string;
  calibration?: CalibrationResult[];
}

const METHOD_NOTE =
  'UAR (unweighted average recall) and macro-F1 average over the classes present in each test set. ' +
  'Intervals are 95% percentile-bootstrap intervals of UAR over utterances.';

export function buildEvaluationReport(
  title: string,
  model: ModelSummary,
  groups: EvaluationGroup[],
  options: BuildEvaluationReportOptions,
): EvaluationReport {
  // Every set is resampled with the same seed, so its interval does not depend on which other sets are in the report.
  const score = (yTrue: number[], yPred: number[], classes: string[]): ScoredSet => ({
    metrics: computeMetrics(yTrue, yPred, classes),
    uarInterval: bootstrapUar(yTrue, yPred, classes, { seed: options.bootstrapSeed, iterations: options.bootstrapIterations }),
  });
  const languages = [...new Set(groups.map((group) => group.language))];
  const byLanguage = languages.map((language): LanguageResult => {
    const members = groups.filter((group) => group.language === language);
    const classes = members[0].classes;
    for (const member of members) {
      if (member.classes.length !== classes.length || member.classes.some((label, k) => label !== classes[k])) {
        throw new Error(`cannot pool language "${language}": ${members[0].corpus} has classes [${classes}] but ${member.corpus} has [${member.classes}]`);
      }
    }
    const yTrue = members.flatMap((member) => member.yTrue);
    const yPred = members.flatMap((member) => member.yPred);
    return { language, corpora: members.map((member) => member.corpus), ...score(yTrue, yPred, classes) };
  });
  return {
    title,
    createdAt: options.createdAt ?? new Date().toISOString(),
    model,
    groups: groups.map((group) => ({ corpus: group.corpus, language: group.language, ...score(group.yTrue, group.yPred, group.classes) })),
    byLanguage,
    ...(options.embeddings ? { embeddings: options.embeddings } : {}),
    ...(options.calibration ? { calibration: options.calibration } : {}),
  };
}

const CALIBRATION_NOTE =
  'Expected calibration error (ECE): clips binned by their top probability into 10 equal-width bins, the mean gap between ' +
  'each bin\'s accuracy and its mean confidence, weighted by its clips. "After" applies the temperature scaling stored in the ' +
  'model card (fitted on held-out source speakers); it never changes the predicted class.';

function calibrationTable(results: CalibrationResult[]): Table {
  return {
    headers: ['Corpus', 'Language', 'Temperature', 'ECE before %', 'ECE after %'],
    rows: results.map((result) => [result.corpus, result.language, result.temperature.toFixed(3), formatPercent(result.before.ece), formatPercent(result.after.ece)]),
  };
}

function reliabilityFigure(result: CalibrationResult): string {
  const accuracy = ({ bins }: Reliability) => bins.map((bin) => (bin.clips > 0 ? bin.accuracy : null));
  const svg = reliabilitySvg({
    title: `Reliability, ${result.corpus}`,
    series: [
      { name: `before (ECE ${formatPercent(result.before.ece)}%)`, accuracy: accuracy(result.before) },
      { name: `after, T = ${result.temperature.toFixed(2)} (ECE ${formatPercent(result.after.ece)}%)`, accuracy: accuracy(result.after) },
    ],
  });
  return htmlFigure(svg, `${result.corpus}: accuracy per confidence bin; dashed: perfect calibration, bars below it are over-confident.`);
}

const SCORE_HEADERS = ['n', 'UAR % [95% CI]', 'Accuracy %', 'Macro-F1 %'];

function scoreCells({ metrics, uarInterval }: ScoredSet): string[] {
  return [String(metrics.n), `${formatPercent(metrics.uar)} ${formatInterval(uarInterval)}`, formatPercent(metrics.accuracy), formatPercent(metrics.macroF1)];
}

function languageTable(report: EvaluationReport): Table {
  return {
    headers: ['Language', 'Corpora', ...SCORE_HEADERS],
    rows: report.byLanguage.map((result) => [result.language, result.corpora.join(', '), ...scoreCells(result)]),
  };
}

function corpusTable(report: EvaluationReport): Table {
  return {
    headers: ['Corpus', 'Language', ...SCORE_HEADERS],
    rows: report.groups.map((result) => [result.corpus, result.language, ...scoreCells(result)]),
  };
}

function perClassTable(metrics: Metrics): Table {
  return {
    headers: ['Emotion', 'Precision %', 'Recall %', 'F1 %', 'Support'],
    rows: metrics.perClass.map((entry) => {
      // Recall and F1 of a class absent from the test set are undefined (and left out of UAR), not 0.
      const absent = entry.support === 0;
      return [entry.label, formatPercent(entry.precision), absent ? '—' : formatPercent(entry.recall), absent ? '—' : formatPercent(entry.f1), String(entry.support)];
    }),
  };
}

function confusionTable(metrics: Metrics): Table {
  const labels = metrics.perClass.map((entry) => entry.label);
  return {
    headers: ['true \\ predicted', ...labels],
    rows: metrics.confusion.map((row, k) => [labels[k], ...row.map(String)]),
  };
}

function languageHeading(result: LanguageResult): string {
  return `Language ${result.language} (${result.corpora.join(', ')})`;
}

function modelCardJson(report: EvaluationReport): string {
  return JSON.stringify(report.model.card ?? null, null, 2);
}

function renderMarkdown(report: EvaluationReport): string {
  const sections = [
    `# ${escapeMarkdown(report.title)}`,
    `Created: ${escapeMarkdown(report.createdAt)}  \nModel: ${escapeMarkdown(report.model.path)}`,
    METHOD_NOTE,
    '## UAR per language',
    markdownTable(languageTable(report)),
    '## UAR per corpus',
    markdownTable(corpusTable(report)),
  ];
  for (const result of report.byLanguage) {
    sections.push(
      `## ${escapeMarkdown(languageHeading(result))}`,
      '### Per class',
      markdownTable(perClassTable(result.metrics)),
      '### Confusion matrix (rows: true, columns: predicted)',
      markdownTable(confusionTable(result.metrics)),
    );
  }
  if (report.embeddings?.length) {
    sections.push('## Embeddings', report.embeddings.map((plot) => `- ${escapeMarkdown(plot.title)}: ${plot.points.length} points (plotted in report.html)`).join('\n'));
  }
  if (report.calibration?.length) sections.push('## Calibration', CALIBRATION_NOTE, markdownTable(calibrationTable(report.calibration)));
  sections.push('## Model card', `\`\`\`json\n${modelCardJson(report)}\n\`\`\``);
  return `${sections.join('\n\n')}\n`;
}

/** Chance UAR is 1/classes; a single line only makes sense when every language has the same classes count. */
function sharedChanceLevel(report: EvaluationReport): number | undefined {
  const classCounts = new Set(report.byLanguage.map((result) => result.metrics.perClass.length));
  return classCounts.size === 1 ? 1 / [...classCounts][0] : undefined;
}

function embeddingFigures(plots: EmbeddingPlot[]): string[] {
  // Legend keys come from all plots together, so an emotion or language looks the same in every plot.
  const allPoints = plots.flatMap((plot) => plot.points);
  const emotions = [...new Set(allPoints.map((point) => point.emotion))].sort();
  const languages = [...new Set(allPoints.map((point) => point.language))].sort();
  return plots.map((plot) =>
    htmlFigure(
      scatterSvg({
        title: plot.title,
        points: plot.points.map((point) => ({ x: point.x, y: point.y, colourKey: point.emotion, shapeKey: point.language })),
        colourKeys: emotions,
        shapeKeys: languages,
        colourTitle: 'emotion',
        shapeTitle: 'language',
      }),
      `${plot.title}: ${plot.points.length} utterance embeddings in 2-D; colour: emotion, shape: language.`,
    ),
  );
}

function renderHtml(report: EvaluationReport): string {
  const chanceLevel = sharedChanceLevel(report);
  const uarChart = barChartSvg({
    title: 'UAR per language',
    valueLabel: 'UAR %',
    whiskerLabel: '95% CI',
    bars: report.byLanguage.map((result) => ({ label: result.language, value: result.metrics.uar, whisker: result.uarInterval })),
    chanceLevel,
  });
  const body = [
    `<h1>${escapeHtml(report.title)}</h1>`,
    `<p class="meta">Created ${escapeHtml(report.createdAt)} · model ${escapeHtml(report.model.path)}</p>`,
    `<p>${escapeHtml(METHOD_NOTE)}</p>`,
    '<h2>UAR per language</h2>',
    htmlFigure(uarChart, `UAR per language with 95% bootstrap intervals${chanceLevel === undefined ? '' : '; dashed line: chance'}.`),
    htmlTable(languageTable(report)),
    '<h2>UAR per corpus</h2>',
    htmlTable(corpusTable(report)),
  ];
  for (const result of report.byLanguage) {
    const heatmap = confusionHeatmapSvg({
      title: `Confusion matrix, ${languageHeading(result)}`,
      labels: result.metrics.perClass.map((entry) => entry.label),
      counts: result.metrics.confusion,
    });
    body.push(
      `<h2>${escapeHtml(languageHeading(result))}</h2>`,
      htmlFigure(heatmap, 'Rows: true emotion, columns: predicted. Colour: share of the row; numbers: counts and row share.'),
      htmlTable(perClassTable(result.metrics)),
    );
  }
  if (report.embeddings?.length) body.push('<h2>Embeddings</h2>', ...embeddingFigures(report.embeddings));
  if (report.calibration?.length) {
    body.push('<h2>Calibration</h2>', `<p>${escapeHtml(CALIBRATION_NOTE)}</p>`, htmlTable(calibrationTable(report.calibration)), ...report.calibration.map(reliabilityFigure));
  }
  body.push('<h2>Model card</h2>', `<pre>${escapeHtml(modelCardJson(report))}</pre>`);
  return htmlDocument(report.title, body.join('\n'));
}

/** Writes report.json, report.md and a self-contained report.html into `dir`. */
export function writeEvaluationReport(dir: string, report: EvaluationReport): Promise<ReportFiles> {
  return writeReportFiles(dir, 'report', { json: report, markdown: renderMarkdown(report), html: renderHtml(report) });
}
