import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bootstrapMeanUar,
  bootstrapUar,
  buildEvaluationReport,
  computeMetrics,
  pca2d,
  summarise,
  writeEvaluationReport,
  formatSettingUar,
  writeExperimentReport,
  type EvaluationGroup,
  type ExperimentResults,
} from '../src/eval/index.js';
import { barChartSvg, confusionHeatmapSvg, scatterSvg } from '../src/eval/html.js';
import { createRng, shuffle } from '../src/util/random.js';

/** yTrue / yPred whose confusion matrix (rows true, columns predicted) is `confusion`. */
function fromConfusion(confusion: number[][]): { yTrue: number[]; yPred: number[] } {
  const yTrue: number[] = [];
  const yPred: number[] = [];
  confusion.forEach((row, actual) =>
    row.forEach((count, predicted) => {
      for (let i = 0; i < count; i++) {
        yTrue.push(actual);
        yPred.push(predicted);
      }
    }),
  );
  return { yTrue, yPred };
}

function repeat<T>(values: T[], times: number): T[] {
  return Array.from({ length: times }, () => values).flat();
}

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

const CLASSES = ['angry', 'happy', 'sad'];
// recall 3/4, 2/3, 2/3; precision 3/4, 2/4, 2/2.
const THREE_CLASS = fromConfusion([
  [3, 1, 0],
  [1, 2, 0],
  [0, 1, 2],
]);

const temporaryDirs: string[] = [];
function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ser-eval-'));
  temporaryDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('computeMetrics', () => {
  it('scores a 3-class example as computed by hand', () => {
    const metrics = computeMetrics(THREE_CLASS.yTrue, THREE_CLASS.yPred, CLASSES);
    expect(metrics.n).toBe(10);
    expect(metrics.confusion).toEqual([
      [3, 1, 0],
      [1, 2, 0],
      [0, 1, 2],
    ]);
    expect(metrics.accuracy).toBeCloseTo(0.7, 12);
    expect(metrics.uar).toBeCloseTo(25 / 36, 12); // (3/4 + 2/3 + 2/3) / 3
    expect(metrics.macroF1).toBeCloseTo(297 / 420, 12); // (3/4 + 4/7 + 4/5) / 3
    expect(metrics.perClass.map((entry) => entry.label)).toEqual(CLASSES);
    expect(metrics.perClass.map((entry) => entry.support)).toEqual([4, 3, 3]);
    const expected = [
      { precision: 3 / 4, recall: 3 / 4, f1: 3 / 4 },
      { precision: 1 / 2, recall: 2 / 3, f1: 4 / 7 },
      { precision: 1, recall: 2 / 3, f1: 4 / 5 },
    ];
    expected.forEach((scores, k) => {
      expect(metrics.perClass[k].precision).toBeCloseTo(scores.precision, 12);
      expect(metrics.perClass[k].recall).toBeCloseTo(scores.recall, 12);
      expect(metrics.perClass[k].f1).toBeCloseTo(scores.f1, 12);
    });
  });

  it('leaves a class absent from yTrue out of UAR and macro-F1', () => {
    // "sad" never occurs but is predicted once, wrongly.
    const metrics = computeMetrics([0, 0, 1, 1], [0, 2, 1, 1], CLASSES);
    expect(metrics.uar).toBeCloseTo(0.75, 12); // (1/2 + 1) / 2, not (1/2 + 1 + 0) / 3
    expect(metrics.macroF1).toBeCloseTo(5 / 6, 12); // (2/3 + 1) / 2
    expect(metrics.accuracy).toBeCloseTo(0.75, 12);
    expect(metrics.perClass[2]).toEqual({ label: 'sad', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(metrics.confusion[0]).toEqual([1, 0, 1]);
  });

  it('gives 0 precision and F1 to a present class that is never predicted', () => {
    const metrics = computeMetrics([0, 1], [0, 0], ['a', 'b']);
    expect(metrics.perClass[1]).toEqual({ label: 'b', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(metrics.uar).toBeCloseTo(0.5, 12);
  });

  it('rejects mismatched lengths, labels outside the classes and empty input', () => {
    expect(() => computeMetrics([0, 1], [0], CLASSES)).toThrow(/2 labels but yPred has 1/);
    expect(() => computeMetrics([0, 3], [0, 1], CLASSES)).toThrow(/yTrue holds 3/);
    expect(() => computeMetrics([0, 1], [0, 1.5], CLASSES)).toThrow(/yPred holds 1.5/);
    expect(() => computeMetrics([], [], CLASSES)).toThrow(/empty/);
  });
});

describe('summarise', () => {
  it('gives the mean and the sample (n − 1) standard deviation', () => {
    const summary = summarise([0.6, 0.7, 0.8]);
    expect(summary.mean).toBeCloseTo(0.7, 12);
    expect(summary.std).toBeCloseTo(0.1, 12); // population std would be 0.0816
    expect(summary.perSeed).toEqual([0.6, 0.7, 0.8]);
  });

  it('gives std 0 for a single run', () => {
    expect(summarise([0.42])).toEqual({ mean: 0.42, std: 0, perSeed: [0.42] });
  });
});

describe('createRng and shuffle', () => {
  it('repeats the sequence for a seed and spreads values uniformly over [0, 1)', () => {
    const first = createRng(7);
    const second = createRng(7);
    const values = Array.from({ length: 10_000 }, () => first());
    expect(Array.from({ length: 10_000 }, () => second())).toEqual(values);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(values.reduce((total, value) => total + value, 0) / values.length).toBeCloseTo(0.5, 1);
    expect(values.filter((value) => value < 0.1).length).toBeGreaterThan(900);
    expect(values.filter((value) => value < 0.1).length).toBeLessThan(1100);
    const other = createRng(8);
    expect(Array.from({ length: 5 }, () => other())).not.toEqual(values.slice(0, 5));
  });

  it('shuffles into a permutation, deterministically per seed, without touching the input', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const shuffled = shuffle(items, createRng(3));
    expect(items).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(shuffle(items, createRng(3))).toEqual(shuffled);
  });
});

describe('bootstrapUar', () => {
  const yTrue = repeat(THREE_CLASS.yTrue, 4);
  const yPred = repeat(THREE_CLASS.yPred, 4);

  it('brackets the point estimate and is deterministic per seed', () => {
    const interval = bootstrapUar(yTrue, yPred, CLASSES, { iterations: 1000, seed: 11 });
    expect(interval.low).toBeLessThan(25 / 36);
    expect(interval.high).toBeGreaterThan(25 / 36);
    expect(interval.low).toBeGreaterThan(0.4);
    expect(interval.high).toBeLessThan(0.95);
    expect(bootstrapUar(yTrue, yPred, CLASSES, { iterations: 1000, seed: 11 })).toEqual(interval);
    expect(bootstrapUar(yTrue, yPred, CLASSES, { iterations: 1000, seed: 12 })).not.toEqual(interval);
  });

  it('narrows as the test set grows', () => {
    const small = bootstrapUar(yTrue, yPred, CLASSES, { seed: 1 });
    const large = bootstrapUar(repeat(yTrue, 10), repeat(yPred, 10), CLASSES, { seed: 1 });
    expect(large.high - large.low).toBeLessThan((small.high - small.low) / 2);
  });

  it('collapses to [1, 1] for perfect predictions', () => {
    expect(bootstrapUar([0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2], CLASSES, { iterations: 200, seed: 5 })).toEqual({ low: 1, high: 1 });
  });

  it('bounds the mean UAR of several prediction sets scored on the same resamples', () => {
    expect(bootstrapMeanUar(yTrue, [yPred, yPred], CLASSES, { seed: 3 })).toEqual(bootstrapUar(yTrue, yPred, CLASSES, { seed: 3 }));
    // A perfect set beside the imperfect one: every resample's mean is (1 + UAR) / 2.
    const single = bootstrapUar(yTrue, yPred, CLASSES, { seed: 3 });
    const mean = bootstrapMeanUar(yTrue, [yTrue, yPred], CLASSES, { seed: 3 });
    expect(mean.low).toBeCloseTo((1 + single.low) / 2, 12);
    expect(mean.high).toBeCloseTo((1 + single.high) / 2, 12);
    expect(() => bootstrapMeanUar(yTrue, [], CLASSES, { seed: 3 })).toThrow(/at least one/);
    expect(() => bootstrapMeanUar(yTrue, [yPred, yPred.slice(1)], CLASSES, { seed: 3 })).toThrow();
  });
});

describe('pca2d', () => {
  // Orthonormal directions; the largest entry of `along` is positive and that of `across` negative.
  const along = [2 / 7, 3 / 7, 6 / 7];
  const across = [3 / 7, -6 / 7, 2 / 7];
  const offset = [5, -1, 3];
  const t = [-3, -1, 0, 1, 3];
  const s = [0.5, -0.5, 0, -0.5, 0.5]; // uncorrelated with t and of smaller variance
  const point = (a: number, b: number): number[] => offset.map((o, j) => o + a * along[j] + b * across[j]);

  it('recovers the position along a line as the first coordinate', () => {
    const projected = pca2d(t.map((value) => point(value, 0)));
    projected.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(t[i], 9);
      expect(y).toBeCloseTo(0, 9);
    });
  });

  it('recovers both axes of a plane with a sign that does not depend on point order', () => {
    const points = t.map((value, i) => point(value, s[i]));
    const projected = pca2d(points);
    projected.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(t[i], 9);
      expect(y).toBeCloseTo(-s[i], 9); // flipped so that the largest entry of the axis is positive
    });
    const reversed = pca2d([...points].reverse()).reverse();
    reversed.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(projected[i][0], 9);
      expect(y).toBeCloseTo(projected[i][1], 9);
    });
  });

  it('maps identical points to the origin and rejects ragged input', () => {
    expect(pca2d([[1, 2], [1, 2]])).toEqual([[0, 0], [0, 0]]);
    expect(pca2d([])).toEqual([]);
    expect(() => pca2d([[1, 2], [3]])).toThrow(/differ in length/);
  });
});

describe('SVG charts', () => {
  const attribute = (element: string, name: string): number => Number(new RegExp(`${name}="([-\\d.]+)"`).exec(element)![1]);

  it('draws bars, whiskers and the chance line on one 0–100 % scale', () => {
    const svg = barChartSvg({
      title: 'scores',
      valueLabel: 'UAR %',
      whiskerLabel: '95% CI',
      chanceLevel: 0.25,
      bars: [
        { label: 'full', value: 1 },
        { label: 'half', value: 0.5, whisker: { low: 0.25, high: 0.75 } },
      ],
    });
    const [full, half] = svg.match(/<rect class="bar"[^>]*>/g)!;
    const axisY = attribute(full, 'y') + attribute(full, 'height');
    const scale = attribute(full, 'height');
    expect(attribute(half, 'height')).toBeCloseTo(scale / 2, 0);
    const chance = /<line[^>]*class="chance-line"[^>]*>/.exec(svg)![0];
    expect(attribute(chance, 'y1')).toBeCloseTo(axisY - scale / 4, 0);
    expect(chance).toContain('stroke-dasharray');
    const whiskerYs = (svg.match(/<line[^>]*class="whisker"[^>]*>/g) ?? []).flatMap((line) => [attribute(line, 'y1'), attribute(line, 'y2')]);
    expect(Math.min(...whiskerYs)).toBeCloseTo(axisY - scale * 0.75, 0);
    expect(Math.max(...whiskerYs)).toBeCloseTo(axisY - scale * 0.25, 0);
    expect(svg).toContain('>95% CI</text>');
    expect(svg).toContain('>chance (25.0 %)</text>');
  });

  it('colours confusion cells by row share and prints the counts', () => {
    const svg = confusionHeatmapSvg({ title: 'm', labels: ['a', 'b'], counts: [[2, 0], [1, 3]] });
    const fills = (svg.match(/<rect class="cell"[^>]*>/g) ?? []).map((cell) => /fill="([^"]+)"/.exec(cell)![1]);
    // shares 1, 0, 0.25, 0.75 on the white → dark blue scale
    expect(fills).toEqual(['rgb(8,48,107)', 'rgb(247,251,255)', 'rgb(187,200,218)', 'rgb(68,99,144)']);
    for (const printed of ['>2<', '>0<', '>1<', '>3<', '>25.0%<', '>75.0%<']) expect(svg).toContain(printed);
  });

  it('colours points by one key and shapes them by another', () => {
    const svg = scatterSvg({
      title: 'p',
      points: [
        { x: 0, y: 0, colourKey: 'angry', shapeKey: 'en' },
        { x: 1, y: 1, colourKey: 'sad', shapeKey: 'en' },
        { x: 2, y: 0, colourKey: 'sad', shapeKey: 'de' },
      ],
      colourKeys: ['angry', 'sad'],
      shapeKeys: ['en', 'de'],
      colourTitle: 'emotion',
      shapeTitle: 'language',
    });
    const plotted = /<g fill-opacity="0.75">([\s\S]*?)<\/g>/.exec(svg)![1];
    expect(count(plotted, /<circle[^>]*fill="#1f77b4"/g)).toBe(1);
    expect(count(plotted, /<circle[^>]*fill="#ff7f0e"/g)).toBe(1);
    expect(count(plotted, /<rect[^>]*fill="#ff7f0e"/g)).toBe(1);
    for (const label of ['emotion', 'language', 'angry', 'sad', 'en', 'de']) expect(svg).toContain(`>${label}</text>`);
    expect(() => scatterSvg({ title: 'p', points: [{ x: 0, y: 0, colourKey: 'calm', shapeKey: 'en' }], colourKeys: ['angry'], shapeKeys: ['en'], colourTitle: 'emotion', shapeTitle: 'language' })).toThrow(/calm/);
  });
});

describe('evaluation report', () => {
  const groups: EvaluationGroup[] = [
    { corpus: 'ravdess', language: 'en', classes: CLASSES, ...THREE_CLASS },
    { corpus: 'crema-d', language: 'en', classes: CLASSES, yTrue: [0, 1, 2], yPred: [0, 1, 2] },
    { corpus: 'emo-db', language: 'de', classes: CLASSES, yTrue: [0, 0, 1, 1], yPred: [0, 2, 1, 1] },
  ];
  const embeddings = ['before adaptation', 'after adaptation'].map((title, shift) => ({
    title,
    points: [
      { x: 0 + shift, y: 1, language: 'en', emotion: 'angry' },
      { x: 2, y: -1 - shift, language: 'de', emotion: 'sad' },
    ],
  }));
  const build = (title = 'Evaluation', classes = CLASSES) =>
    buildEvaluationReport(title, { path: 'models/en', card: { labels: classes } }, groups.map((group) => ({ ...group, classes })), {
      bootstrapSeed: 1,
      bootstrapIterations: 300,
      embeddings,
      createdAt: '2024-01-02T03:04:05.000Z',
    });

  it('scores each corpus and pools corpora of one language', () => {
    const report = build();
    expect(report.groups.map((group) => [group.corpus, group.metrics.n])).toEqual([['ravdess', 10], ['crema-d', 3], ['emo-db', 4]]);
    expect(report.byLanguage.map((result) => [result.language, result.corpora])).toEqual([['en', ['ravdess', 'crema-d']], ['de', ['emo-db']]]);
    const english = report.byLanguage[0].metrics;
    expect(english.confusion).toEqual([[4, 1, 0], [1, 3, 0], [0, 1, 3]]);
    expect(english.uar).toBeCloseTo(23 / 30, 12); // (4/5 + 3/4 + 3/4) / 3
    expect(english.accuracy).toBeCloseTo(10 / 13, 12);
    for (const result of [...report.groups, ...report.byLanguage]) {
      expect(result.uarInterval.low).toBeLessThanOrEqual(result.metrics.uar);
      expect(result.uarInterval.high).toBeGreaterThanOrEqual(result.metrics.uar);
    }
    expect(build()).toEqual(report);
  });

  it('refuses to pool corpora of one language with different classes', () => {
    const mismatched = [groups[0], { ...groups[1], classes: ['angry', 'happy', 'neutral'] }];
    expect(() => buildEvaluationReport('x', { path: 'm', card: {} }, mismatched, { bootstrapSeed: 1 })).toThrow(/cannot pool language "en"/);
  });

  it('writes report.json, report.md and report.html, and nothing else', async () => {
    const dir = temporaryDir();
    const report = build();
    const files = await writeEvaluationReport(dir, report);
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.json', 'report.md']);
    expect(files).toEqual({ json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), html: join(dir, 'report.html') });
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(report);

    const markdown = readFileSync(files.markdown, 'utf8');
    const [englishLow, englishHigh] = [report.byLanguage[0].uarInterval.low, report.byLanguage[0].uarInterval.high].map((value) => (value * 100).toFixed(1));
    expect(markdown).toContain(`| en | ravdess, crema-d | 13 | 76.7 [${englishLow}, ${englishHigh}] | 76.9 | 77.5 |`);
    expect(markdown).toMatch(/\| de \| emo-db \| 4 \| 75\.0 \[[\d.]+, [\d.]+\] \| 75\.0 \| 83\.3 \|/);
    expect(markdown).toMatch(/\| ravdess \| en \| 10 \| 69\.4 \[[\d.]+, [\d.]+\] \| 70\.0 \| 70\.7 \|/);
    expect(markdown).toContain('| happy | 60.0 | 75.0 | 66.7 | 4 |'); // English per class
    expect(markdown).toContain('| sad | 0.0 | — | — | 0 |'); // German: absent, predicted once
    expect(markdown).toContain('| angry | 4 | 1 | 0 |'); // English confusion row
    expect(markdown).toContain('| true \\\\ predicted | angry | happy | sad |');

    const html = readFileSync(files.html, 'utf8');
    // one bar chart, one heatmap per language, one scatter plot per embedding
    expect(count(html, /<svg\b/g)).toBe(1 + 2 + 2);
    expect(count(html, /<\/svg>/g)).toBe(5);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/https?:|url\(|@import/i);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(count(html, /class="chance-line"/g)).toBe(1);
    expect(html).toContain('>before adaptation: 2 utterance embeddings');
    expect(html).toContain('>after adaptation: 2 utterance embeddings');
  });

  it('escapes every label in the HTML and keeps it literal in the Markdown', async () => {
    const dir = temporaryDir();
    const hostileClasses = ['angry', 'happy', `sad & "low" <3`];
    const report = build('<script>alert("x")</script>', hostileClasses);
    const files = await writeEvaluationReport(dir, report);
    const html = readFileSync(files.html, 'utf8');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('sad & "low" <3');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('sad &amp; &quot;low&quot; &lt;3');
    const markdown = readFileSync(files.markdown, 'utf8');
    expect(markdown).toContain('# \\<script\\>alert("x")\\</script\\>\n');
    expect(markdown).toContain('| sad & "low" \\<3 | 0.0 | — | — | 0 |');
  });
});

describe('experiment report', () => {
  const scores = (uar: number[]) => ({ uar: summarise(uar), accuracy: summarise(uar.map((value) => value + 0.1)), macroF1: summarise(uar.map((value) => value - 0.05)) });
  const results: ExperimentResults = {
    source: 'en',
    target: 'de',
    classes: ['angry', 'happy', 'neutral', 'sad'],
    settings: {
      'unsupervised/dann': { ...scores([0.5, 0.54, 0.52]), uarInterval: { low: 0.431, high: 0.6049 } },
      'source-only/none': scores([0.4, 0.42, 0.44]),
      'few-shot/dann': scores([0.6, 0.6]),
      'target-supervised/finetune|full': scores([0.7, 0.7]),
    },
    baseline: { 'source-only': 45, unsupervised: 48.5, 'few-shot': 60 },
    notes: ['Baseline: openSMILE eGeMAPS + SVM.'],
  };

  it('writes the results as given, a table in protocol order with win/lose marks, and one chart', async () => {
    const dir = temporaryDir();
    const files = await writeExperimentReport(dir, results);
    expect(readdirSync(dir).sort()).toEqual(['results.html', 'results.json', 'results.md']);
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(results);

    const markdown = readFileSync(files.markdown, 'utf8');
    const rows = [
      '| source-only | none | 3 | 42.0 ± 2.0 | — | 52.0 ± 2.0 | 37.0 ± 2.0 | 45.0 | ▼ lose (-3.0) |',
      '| unsupervised | dann | 3 | 52.0 ± 2.0 | [43.1, 60.5] | 62.0 ± 2.0 | 47.0 ± 2.0 | 48.5 | ▲ win (+3.5) |',
      '| few-shot | dann | 2 | 60.0 ± 0.0 | — | 70.0 ± 0.0 | 55.0 ± 0.0 | 60.0 | = tie |',
      '| target-supervised | finetune\\|full | 2 | 70.0 ± 0.0 | — | 80.0 ± 0.0 | 65.0 ± 0.0 | — | — |',
    ];
    const positions = rows.map((row) => markdown.indexOf(row));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(markdown).toContain('chance UAR 25.0 %');
    expect(markdown).toContain('(1000 bootstrap draws, the same for every seed)');
    expect(formatSettingUar(results.settings['unsupervised/dann'])).toBe('52.0 ± 2.0     95% CI [43.1, 60.5]');
    expect(formatSettingUar(results.settings['source-only/none'])).toBe('42.0 ± 2.0    ');
    expect(markdown).toContain('- Baseline: openSMILE eGeMAPS + SVM.');

    const html = readFileSync(files.html, 'utf8');
    expect(count(html, /<svg\b/g)).toBe(1);
    expect(count(html, /<rect class="bar"/g)).toBe(4);
    expect(count(html, /class="reference-marker"/g)).toBe(3);
    expect(count(html, /class="chance-line"/g)).toBe(1);
    expect(html).not.toMatch(/https?:|\b(src|href)\s*=/i);
    expect(html).toContain('finetune|full');
  });
});
