import type { Interval } from './bootstrap.js';
import { formatPercent, type Table } from './format.js';

/*
 * Self-contained HTML and inline SVG: no scripts, fonts, stylesheets or images from elsewhere, so a
 * report opens offline and can be mailed as one file. Every piece of text goes through escapeHtml.
 */

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body { font-family: system-ui, sans-serif; color: #222; max-width: 1200px; margin: 2rem auto; padding: 0 1rem; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
figure { display: inline-block; vertical-align: top; margin: 0 1.5rem 1.5rem 0; }
figcaption { color: #555; font-size: 0.9rem; max-width: 40rem; }
pre { background: #f6f6f6; padding: 0.75rem; overflow: auto; }
`;

export function htmlDocument(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function htmlTable(table: Table): string {
  const head = table.headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const rows = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return ['<table>', `<thead><tr>${head}</tr></thead>`, '<tbody>', ...rows, '</tbody>', '</table>'].join('\n');
}

export function htmlFigure(svg: string, caption: string): string {
  return `<figure>\n${svg}\n<figcaption>${escapeHtml(caption)}</figcaption>\n</figure>`;
}

// Categorical palette (Tableau 10): distinguishable, and readable by most colour-blind viewers.
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const REFERENCE_COLOUR = '#e6550d';
const AXIS_COLOUR = '#444';
const GRID_COLOUR = '#ddd';
const FONT_SIZE = 12;
const LABEL_ANGLE_DEGREES = 35;

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Rough width of a label in pixels; SVG cannot measure text without a script. */
function textWidth(text: string, fontSize = FONT_SIZE): number {
  return text.length * fontSize * 0.6;
}

function svgText(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${round(x)}" y="${round(y)}"${attributes ? ` ${attributes}` : ''}>${escapeHtml(content)}</text>`;
}

function svgLine(x1: number, y1: number, x2: number, y2: number, attributes: string): string {
  return `<line x1="${round(x1)}" y1="${round(y1)}" x2="${round(x2)}" y2="${round(y2)}" ${attributes}/>`;
}

function svgElement(width: number, height: number, title: string, content: string[]): string {
  const size = `width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}"`;
  return [
    `<svg ${size} role="img" aria-label="${escapeHtml(title)}" font-family="system-ui, sans-serif" font-size="${FONT_SIZE}">`,
    `<title>${escapeHtml(title)}</title>`,
    ...content,
    '</svg>',
  ].join('\n');
}

function clampFraction(value: number): number {
  return Math.min(1, Math.max(0, value));
}

export interface Bar {
  label: string;
  /** A fraction in [0, 1], drawn on a 0–100 % axis. */
  value: number;
  whisker?: Interval;
  /** A score to compare the bar with (e.g. a published baseline), drawn as a mark across the bar. */
  reference?: number;
}

export interface BarChartSpec {
  /** Accessible name of the chart; the visible caption is the caller's figure caption. */
  title: string;
  /** Legend entry and axis title of the bars, e.g. "UAR %". */
  valueLabel: string;
  bars: Bar[];
  /** Legend entry of the whiskers, e.g. "95% CI"; needed when any bar has a whisker. */
  whiskerLabel?: string;
  /** Legend entry of the reference marks, e.g. "baseline"; needed when any bar has a reference. */
  referenceLabel?: string;
  /** Score of guessing, drawn as a dashed line across the chart. */
  chanceLevel?: number;
}

/** Vertical bars on a 0–100 % axis with optional whiskers, reference marks and a dashed chance line. */
export function barChartSvg(spec: BarChartSpec): string {
  const barWidth = 40;
  const gap = 24;
  const plotHeight = 240;
  const top = 44;
  const plotWidth = spec.bars.length * (barWidth + gap) + gap;
  const angle = (LABEL_ANGLE_DEGREES * Math.PI) / 180;
  const longestLabel = Math.max(0, ...spec.bars.map((bar) => textWidth(bar.label)));
  // Rotated labels reach left of their bar; the first ones could otherwise run off the chart.
  const labelReach = Math.max(0, ...spec.bars.map((bar, index) => textWidth(bar.label) * Math.cos(angle) - gap - index * (barWidth + gap) - barWidth / 2 + 8));
  const left = Math.max(56, labelReach);
  const bottom = 24 + longestLabel * Math.sin(angle);
  const y = (value: number): number => top + plotHeight * (1 - clampFraction(value));
  const axisY = top + plotHeight;
  const content: string[] = [];

  for (let tick = 0; tick <= 100; tick += 20) {
    content.push(svgLine(left, y(tick / 100), left + plotWidth, y(tick / 100), `stroke="${GRID_COLOUR}"`));
    content.push(svgText(left - 6, y(tick / 100) + 4, String(tick), 'text-anchor="end"'));
  }
  const axisTitleX = left - 40;
  content.push(svgText(axisTitleX, top + plotHeight / 2, spec.valueLabel, `text-anchor="middle" transform="rotate(-90 ${round(axisTitleX)} ${round(top + plotHeight / 2)})"`));

  spec.bars.forEach((bar, index) => {
    const x = left + gap + index * (barWidth + gap);
    const centre = x + barWidth / 2;
    content.push(`<rect class="bar" x="${round(x)}" y="${round(y(bar.value))}" width="${barWidth}" height="${round(axisY - y(bar.value))}" fill="${PALETTE[0]}"/>`);
    let labelTop = y(bar.value);
    if (bar.whisker) {
      const [high, low] = [y(bar.whisker.high), y(bar.whisker.low)];
      const stroke = `class="whisker" stroke="${AXIS_COLOUR}" stroke-width="1.5"`;
      content.push(svgLine(centre, high, centre, low, stroke), svgLine(centre - 6, high, centre + 6, high, stroke), svgLine(centre - 6, low, centre + 6, low, stroke));
      labelTop = Math.min(labelTop, high);
    }
    if (bar.reference !== undefined) {
      const referenceY = y(bar.reference);
      content.push(svgLine(x - 5, referenceY, x + barWidth + 5, referenceY, `class="reference-marker" stroke="${REFERENCE_COLOUR}" stroke-width="3"`));
      labelTop = Math.min(labelTop, referenceY);
    }
    content.push(svgText(centre, labelTop - 5, formatPercent(bar.value), 'text-anchor="middle" font-size="11"'));
    const labelY = axisY + 14;
    content.push(svgText(centre, labelY, bar.label, `text-anchor="end" transform="rotate(-${LABEL_ANGLE_DEGREES} ${round(centre)} ${round(labelY)})"`));
  });

  content.push(svgLine(left, axisY, left + plotWidth, axisY, `stroke="${AXIS_COLOUR}"`));
  content.push(svgLine(left, top, left, axisY, `stroke="${AXIS_COLOUR}"`));
  if (spec.chanceLevel !== undefined) {
    const chanceY = y(spec.chanceLevel);
    content.push(svgLine(left, chanceY, left + plotWidth, chanceY, `class="chance-line" stroke="${AXIS_COLOUR}" stroke-dasharray="6 4"`));
  }

  const legend = barChartLegend(spec);
  content.push(...legend.items);
  const width = Math.max(left + plotWidth + 16, left + legend.width + 16);
  return svgElement(width, axisY + bottom, spec.title, content);
}

function barChartLegend(spec: BarChartSpec): { items: string[]; width: number } {
  const entries: Array<{ glyph: (x: number, y: number) => string; label: string }> = [
    { glyph: (x, y) => `<rect x="${x}" y="${y - 6}" width="14" height="12" fill="${PALETTE[0]}"/>`, label: spec.valueLabel },
  ];
  if (spec.bars.some((bar) => bar.whisker) && spec.whiskerLabel) {
    entries.push({ glyph: (x, y) => svgLine(x + 7, y - 7, x + 7, y + 7, `stroke="${AXIS_COLOUR}" stroke-width="1.5"`) + svgLine(x + 2, y - 7, x + 12, y - 7, `stroke="${AXIS_COLOUR}"`) + svgLine(x + 2, y + 7, x + 12, y + 7, `stroke="${AXIS_COLOUR}"`), label: spec.whiskerLabel });
  }
  if (spec.bars.some((bar) => bar.reference !== undefined) && spec.referenceLabel) {
    entries.push({ glyph: (x, y) => svgLine(x, y, x + 14, y, `stroke="${REFERENCE_COLOUR}" stroke-width="3"`), label: spec.referenceLabel });
  }
  if (spec.chanceLevel !== undefined) {
    entries.push({ glyph: (x, y) => svgLine(x, y, x + 14, y, `stroke="${AXIS_COLOUR}" stroke-dasharray="4 3"`), label: `chance (${formatPercent(spec.chanceLevel)} %)` });
  }
  const items: string[] = [];
  let x = 56;
  for (const entry of entries) {
    items.push(entry.glyph(x, 16), svgText(x + 20, 20, entry.label));
    x += 20 + textWidth(entry.label) + 20;
  }
  return { items, width: x - 56 };
}

export interface HeatmapSpec {
  title: string;
  /** Class names, for both the rows (true) and the columns (predicted). */
  labels: string[];
  /** counts[true][predicted]. */
  counts: number[][];
}

/** White → dark blue by the share of a row, so each true class reads on its own scale. */
function heatColour(share: number): string {
  const [light, dark] = [[247, 251, 255], [8, 48, 107]];
  const channels = light.map((start, i) => Math.round(start + (dark[i] - start) * share));
  return `rgb(${channels.join(',')})`;
}

/** Confusion matrix as a grid: colour by row-normalised share, count and share printed in each cell. */
export function confusionHeatmapSvg(spec: HeatmapSpec): string {
  const cell = 56;
  const angle = (LABEL_ANGLE_DEGREES * Math.PI) / 180;
  const longestLabel = Math.max(0, ...spec.labels.map((label) => textWidth(label)));
  const left = 28 + longestLabel + 8;
  const top = 28 + longestLabel * Math.sin(angle) + 8;
  const gridSize = spec.labels.length * cell;
  const content: string[] = [
    svgText(left + gridSize / 2, 14, 'predicted', 'text-anchor="middle" font-weight="bold"'),
    svgText(12, top + gridSize / 2, 'true', `text-anchor="middle" font-weight="bold" transform="rotate(-90 12 ${round(top + gridSize / 2)})"`),
  ];
  spec.labels.forEach((label, k) => {
    const columnCentre = left + k * cell + cell / 2;
    content.push(svgText(columnCentre, top - 6, label, `transform="rotate(-${LABEL_ANGLE_DEGREES} ${round(columnCentre)} ${round(top - 6)})"`));
    content.push(svgText(left - 6, top + k * cell + cell / 2 + 4, label, 'text-anchor="end"'));
  });
  spec.counts.forEach((row, r) => {
    const rowTotal = row.reduce((total, count) => total + count, 0);
    row.forEach((count, c) => {
      const share = rowTotal > 0 ? count / rowTotal : 0;
      const [x, y] = [left + c * cell, top + r * cell];
      const ink = share > 0.5 ? '#fff' : '#222';
      content.push(`<rect class="cell" x="${round(x)}" y="${round(y)}" width="${cell}" height="${cell}" fill="${heatColour(share)}" stroke="#fff"/>`);
      content.push(svgText(x + cell / 2, y + cell / 2, String(count), `text-anchor="middle" font-weight="bold" fill="${ink}"`));
      content.push(svgText(x + cell / 2, y + cell / 2 + 14, `${formatPercent(share)}%`, `text-anchor="middle" font-size="10" fill="${ink}"`));
    });
  });
  const rightOverhang = longestLabel * Math.cos(angle);
  return svgElement(left + gridSize + Math.max(12, rightOverhang - cell / 2), top + gridSize + 12, spec.title, content);
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** Picks the colour, e.g. the emotion. */
  colourKey: string;
  /** Picks the marker shape, e.g. the language. */
  shapeKey: string;
}

export interface ScatterSpec {
  title: string;
  points: ScatterPoint[];
  /** Every colour key in legend order; plots that share these lists share their colours and shapes. */
  colourKeys: string[];
  shapeKeys: string[];
  colourTitle: string;
  shapeTitle: string;
}

const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'triangle-down'] as const;

function marker(shapeIndex: number, x: number, y: number, fill: string): string {
  const r = 4;
  const polygon = (corners: Array<[number, number]>): string =>
    `<polygon points="${corners.map(([dx, dy]) => `${round(x + dx)},${round(y + dy)}`).join(' ')}" fill="${fill}"/>`;
  switch (SHAPES[shapeIndex % SHAPES.length]) {
    case 'circle':
      return `<circle cx="${round(x)}" cy="${round(y)}" r="${r}" fill="${fill}"/>`;
    case 'square':
      return `<rect x="${round(x - r)}" y="${round(y - r)}" width="${2 * r}" height="${2 * r}" fill="${fill}"/>`;
    case 'triangle':
      return polygon([[0, -1.25 * r], [1.15 * r, 0.85 * r], [-1.15 * r, 0.85 * r]]);
    case 'diamond':
      return polygon([[0, -1.3 * r], [1.3 * r, 0], [0, 1.3 * r], [-1.3 * r, 0]]);
    case 'triangle-down':
      return polygon([[0, 1.25 * r], [1.15 * r, -0.85 * r], [-1.15 * r, -0.85 * r]]);
  }
}

function keyIndex(keys: string[], key: string, kind: string): number {
  const index = keys.indexOf(key);
  if (index < 0) throw new RangeError(`${kind} "${key}" is missing from the legend keys`);
  return index;
}

/** Points in a square plot, colour by one key and shape by another, with both legends on the right. */
export function scatterSvg(spec: ScatterSpec): string {
  const plot = 380;
  const margin = 12;
  const range = (values: number[]): [number, number] => {
    const [low, high] = [Math.min(...values), Math.max(...values)];
    const padding = high > low ? (high - low) * 0.05 : 1;
    return [low - padding, high + padding];
  };
  const [xLow, xHigh] = spec.points.length ? range(spec.points.map((point) => point.x)) : [-1, 1];
  const [yLow, yHigh] = spec.points.length ? range(spec.points.map((point) => point.y)) : [-1, 1];
  const toX = (x: number): number => margin + ((x - xLow) / (xHigh - xLow)) * plot;
  const toY = (y: number): number => margin + plot - ((y - yLow) / (yHigh - yLow)) * plot;
  const content: string[] = [`<rect x="${margin}" y="${margin}" width="${plot}" height="${plot}" fill="none" stroke="${AXIS_COLOUR}"/>`];
  content.push('<g fill-opacity="0.75">');
  for (const point of spec.points) {
    const colour = PALETTE[keyIndex(spec.colourKeys, point.colourKey, spec.colourTitle) % PALETTE.length];
    content.push(marker(keyIndex(spec.shapeKeys, point.shapeKey, spec.shapeTitle), toX(point.x), toY(point.y), colour));
  }
  content.push('</g>');

  const legendX = margin + plot + 20;
  let legendY = margin + 8;
  const legendLabels = [spec.colourTitle, spec.shapeTitle, ...spec.colourKeys, ...spec.shapeKeys];
  const legendWidth = 20 + Math.max(...legendLabels.map((label) => textWidth(label)));
  const section = (title: string, keys: string[], glyph: (index: number, x: number, y: number) => string): void => {
    content.push(svgText(legendX, legendY, title, 'font-weight="bold"'));
    legendY += 18;
    keys.forEach((key, index) => {
      content.push(glyph(index, legendX + 5, legendY - 4), svgText(legendX + 16, legendY, key));
      legendY += 18;
    });
    legendY += 8;
  };
  section(spec.colourTitle, spec.colourKeys, (index, x, y) => marker(0, x, y, PALETTE[index % PALETTE.length]));
  section(spec.shapeTitle, spec.shapeKeys, (index, x, y) => marker(index, x, y, AXIS_COLOUR));
  return svgElement(legendX + legendWidth + margin, Math.max(plot + 2 * margin, legendY), spec.title, content);
}

export interface ReliabilitySpec {
  title: string;
  /** Bins of equal width over confidence 0 … 1: accuracy of each, for each series (null: an empty bin). */
  series: { name: string; accuracy: (number | null)[] }[];
}

/**
 * A reliability diagram: per confidence bin, the accuracy of the clips in it, one bar per series side by
 * side; the diagonal is perfect calibration (bars under it: over-confident, above it: under-confident).
 */
export function reliabilitySvg(spec: ReliabilitySpec): string {
  const plot = 300;
  const left = 44;
  const top = 12;
  const bins = spec.series[0]?.accuracy.length ?? 0;
  const toX = (value: number) => left + value * plot;
  const toY = (value: number) => top + plot - value * plot;
  const content: string[] = [`<rect x="${left}" y="${top}" width="${plot}" height="${plot}" fill="none" stroke="${AXIS_COLOUR}"/>`];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    content.push(svgLine(left, toY(tick), left + plot, toY(tick), `stroke="${GRID_COLOUR}"`));
    content.push(svgText(left - 6, toY(tick) + 4, String(tick), 'text-anchor="end"'));
    content.push(svgText(toX(tick), top + plot + 16, String(tick), 'text-anchor="middle"'));
  }
  const slot = plot / Math.max(1, bins);
  const barWidth = (slot * 0.8) / Math.max(1, spec.series.length);
  spec.series.forEach((series, s) => {
    series.accuracy.forEach((accuracy, b) => {
      if (accuracy === null) return;
      const x = left + b * slot + slot * 0.1 + s * barWidth;
      content.push(`<rect x="${round(x)}" y="${round(toY(accuracy))}" width="${round(barWidth)}" height="${round(accuracy * plot)}" fill="${PALETTE[s % PALETTE.length]}" fill-opacity="0.8"/>`);
    });
  });
  content.push(svgLine(toX(0), toY(0), toX(1), toY(1), `stroke="${REFERENCE_COLOUR}" stroke-dasharray="5,4"`));
  content.push(svgText(left + plot / 2, top + plot + 34, 'confidence (top probability)', 'text-anchor="middle"'));
  content.push(svgText(12, top + plot / 2, 'accuracy', `text-anchor="middle" transform="rotate(-90 12 ${round(top + plot / 2)})"`));
  const legendX = left + plot + 16;
  spec.series.forEach((series, s) => {
    content.push(`<rect x="${legendX}" y="${top + 8 + s * 18}" width="10" height="10" fill="${PALETTE[s % PALETTE.length]}"/>`);
    content.push(svgText(legendX + 16, top + 17 + s * 18, series.name));
  });
  const legendWidth = 20 + Math.max(0, ...spec.series.map((series) => textWidth(series.name)));
  return svgElement(legendX + legendWidth + 8, top + plot + 44, spec.title, content);
}
