import { DEFAULT_BOOTSTRAP_ITERATIONS, type Interval } from './bootstrap.js';
import { formatInterval, formatMeanStd, formatPercent, type Table } from './format.js';
import { barChartSvg, escapeHtml, htmlDocument, htmlFigure, htmlTable } from './html.js';
import { writeReportFiles, type ReportFiles } from './io.js';
import { escapeMarkdown, markdownTable } from './markdown.js';
import type { Summary } from '../infer/metrics.js';

/** The settings of the cross-lingual protocol, in the order reports list them. */
export const PROTOCOL_SETTINGS = ['source-only', 'unsupervised', 'few-shot', 'target-supervised'] as const;
export type ProtocolSetting = (typeof PROTOCOL_SETTINGS)[number];

/** Summaries over seeds of fractions in [0, 1], as computeMetrics gives them. */
export interface SettingScores {
  uar: Summary;
  /** 95% bootstrap interval of the mean UAR, the test clips resampled (the same draw for every seed). */
  uarInterval?: Interval;
  accuracy: Summary;
  macroF1: Summary;
}

export interface ExperimentResults {
  /** The source corpus, or the list of source corpora when there are several. */
  source: string | string[];
  target: string;
  /** The methods `ser adapt` uses by default in each setting. */
  recommended?: { unsupervised: string; 'few-shot': string };
  classes: string[];
  /** Keyed `<setting>/<method>`, e.g. "unsupervised/dann". */
  settings: Record<string, SettingScores>;
  /** UAR of a classical baseline per setting, in percent as published (e.g. 48.5), not a fraction. */
  baseline?: Partial<Record<ProtocolSetting, number>>;
  notes?: string[];
}

interface ResultRow {
  key: string;
  setting: string;
  method: string;
  scores: SettingScores;
  baselinePercent?: number;
}

/** A setting's UAR on one line of console output: mean ± std over seeds, then the 95% interval where there is one. */
export function formatSettingUar(scores: SettingScores): string {
  return `${formatMeanStd(scores.uar).padEnd(14)}${scores.uarInterval ? ` 95% CI ${formatInterval(scores.uarInterval)}` : ''}`;
}

function resultRows(results: ExperimentResults): ResultRow[] {
  const rank = (setting: string): number => {
    const index = (PROTOCOL_SETTINGS as readonly string[]).indexOf(setting);
    return index < 0 ? PROTOCOL_SETTINGS.length : index;
  };
  const baseline: Partial<Record<string, number>> = results.baseline ?? {};
  const rows = Object.entries(results.settings).map(([key, scores]): ResultRow => {
    const slash = key.indexOf('/');
    const [setting, method] = slash < 0 ? [key, ''] : [key.slice(0, slash), key.slice(slash + 1)];
    return { key, setting, method, scores, baselinePercent: Object.hasOwn(baseline, setting) ? baseline[setting] : undefined };
  });
  // A stable sort: methods keep the runner's order within a setting.
  return rows.sort((a, b) => rank(a.setting) - rank(b.setting));
}

/** Compared at the precision shown, so a row never reads "win (+0.0)". */
function comparisonWithBaseline(row: ResultRow): string {
  if (row.baselinePercent === undefined) return '—';
  const difference = Math.round((row.scores.uar.mean * 100 - row.baselinePercent) * 10) / 10;
  if (difference > 0) return `▲ win (+${difference.toFixed(1)})`;
  if (difference < 0) return `▼ lose (${difference.toFixed(1)})`;
  return '= tie';
}

function resultsTable(results: ExperimentResults): Table {
  return {
    headers: ['Setting', 'Method', 'Seeds', 'UAR % (mean ± std)', 'UAR 95% CI (test clips)', 'Accuracy %', 'Macro-F1 %', 'Baseline UAR %', 'vs baseline'],
    rows: resultRows(results).map((row) => [
      row.setting,
      row.method || '—',
      String(row.scores.uar.perSeed.length),
      formatMeanStd(row.scores.uar),
      row.scores.uarInterval ? formatInterval(row.scores.uarInterval) : '—',
      formatMeanStd(row.scores.accuracy),
      formatMeanStd(row.scores.macroF1),
      row.baselinePercent === undefined ? '—' : row.baselinePercent.toFixed(1),
      comparisonWithBaseline(row),
    ]),
  };
}

/** The source corpus, or the source corpora joined by ' + '. */
export function sourceName(results: Pick<ExperimentResults, 'source'>): string {
  return Array.isArray(results.source) ? results.source.join(' + ') : results.source;
}

function title(results: ExperimentResults): string {
  return `Cross-lingual results: ${sourceName(results)} → ${results.target}`;
}

function description(results: ExperimentResults): string {
  return (
    `Classes (${results.classes.length}): ${results.classes.join(', ')}; chance UAR ${formatPercent(1 / results.classes.length)} %. ` +
    `Scores are means ± sample standard deviations over seeds; the 95% CI of the mean UAR resamples the test clips (${DEFAULT_BOOTSTRAP_ITERATIONS} bootstrap draws, the same for every seed), ` +
    'so it shows how much the score depends on which clips the test set holds; "vs baseline" is the difference in mean UAR from the classical baseline, in percentage points.'
  );
}

function renderMarkdown(results: ExperimentResults): string {
  const sections = [`# ${escapeMarkdown(title(results))}`, escapeMarkdown(description(results)), markdownTable(resultsTable(results))];
  if (results.notes?.length) sections.push('## Notes', results.notes.map((note) => `- ${escapeMarkdown(note)}`).join('\n'));
  return `${sections.join('\n\n')}\n`;
}

function renderHtml(results: ExperimentResults): string {
  const chart = barChartSvg({
    title: `UAR per setting and method, ${sourceName(results)} → ${results.target}`,
    valueLabel: 'UAR %',
    whiskerLabel: '± std over seeds',
    referenceLabel: 'classical baseline',
    chanceLevel: 1 / results.classes.length,
    bars: resultRows(results).map((row) => ({
      label: row.key,
      value: row.scores.uar.mean,
      whisker: { low: row.scores.uar.mean - row.scores.uar.std, high: row.scores.uar.mean + row.scores.uar.std },
      reference: row.baselinePercent === undefined ? undefined : row.baselinePercent / 100,
    })),
  });
  const body = [
    `<h1>${escapeHtml(title(results))}</h1>`,
    `<p class="meta">${escapeHtml(description(results))}</p>`,
    htmlFigure(chart, 'Mean UAR over seeds with ± one standard deviation; orange marks: classical baseline; dashed line: chance.'),
    htmlTable(resultsTable(results)),
  ];
  if (results.notes?.length) body.push('<h2>Notes</h2>', `<ul>${results.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>`);
  return htmlDocument(title(results), body.join('\n'));
}

/** Writes results.json (the results as given), results.md and a self-contained results.html into `dir`. */
export function writeExperimentReport(dir: string, results: ExperimentResults): Promise<ReportFiles> {
  return writeReportFiles(dir, 'results', { json: results, markdown: renderMarkdown(results), html: renderHtml(results) });
}

/**
 * Several experiments side by side (one column per target): per setting, the classical baseline's row, then
 * each method's UAR (mean ± std over seeds, 95% bootstrap interval over test clips). ▲ marks a cell above
 * the baseline, ▼ one below; (r) marks the recommended method of its setting.
 */
export function comparisonTable(experiments: ExperimentResults[]): Table {
  const keys = [...new Set(experiments.flatMap((results) => resultRows(results).map((row) => row.key)))];
  const settings = PROTOCOL_SETTINGS.filter((setting) => keys.some((key) => key.startsWith(`${setting}/`)));
  const rows: string[][] = [];
  for (const setting of settings) {
    rows.push([`**${setting}**: classical baseline`, ...experiments.map((results) => results.baseline?.[setting]?.toFixed(1) ?? '—')]);
    for (const key of keys.filter((k) => k.startsWith(`${setting}/`))) {
      const method = key.slice(setting.length + 1);
      const recommended = experiments.some((results) => (results.recommended as Record<string, string> | undefined)?.[setting] === method);
      rows.push([
        `${setting} / ${method}${recommended ? ' (r)' : ''}`,
        ...experiments.map((results) => {
          const scores = results.settings[key];
          if (!scores) return 'not run';
          const baseline = results.baseline?.[setting];
          const mean = Math.round(scores.uar.mean * 1000) / 10;
          const mark = baseline === undefined || mean === baseline ? '' : mean > baseline ? '▲' : '▼';
          return `${mark}${formatMeanStd(scores.uar)}${scores.uarInterval ? ` ${formatInterval(scores.uarInterval)}` : ''}`;
        }),
      ]);
    }
  }
  return { headers: ['setting / method', ...experiments.map((results) => `${sourceName(results)} → ${results.target}`)], rows };
}
