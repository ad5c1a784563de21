import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../src/experiment/demo.js';
import { selectBackend } from '../src/model/backend.js';

const demo = resolve(__dirname, '..', 'data', 'demo');

describe('the demo pipeline on the bundled corpus, reduced', () => {
  const out = mkdtempSync(join(tmpdir(), 'ser-demo-'));
  let result: DemoResult;
  const messages: string[] = [];

  beforeAll(async () => {
    await selectBackend('wasm');
    result = await runDemo({
      sourceDir: join(demo, 'en'),
      targetDir: join(demo, 'de'),
      out,
      seed: 0,
      epochs: 10,
      adaptEpochs: 4,
      recipe: 'functionals',
      method: 'adabn',
      workers: 0,
      log: (message) => messages.push(message),
    });
  });

  it('reports every stage as it goes', () => {
    expect(messages.some((m) => m.startsWith('features: en'))).toBe(true);
    expect(messages.some((m) => m.startsWith('pretraining on en'))).toBe(true);
    expect(messages.some((m) => m.startsWith('adapting to de'))).toBe(true);
  });

  it('writes a per-language report of held-out English speakers and German test speakers', () => {
    for (const file of ['report.json', 'report.md', 'report.html']) expect(existsSync(join(result.reportDir, file))).toBe(true);
    const report = JSON.parse(readFileSync(join(result.reportDir, 'report.json'), 'utf8'));
    expect(report.byLanguage.map((l: { language: string }) => l.language).sort()).toEqual(['de', 'en']);
    const german = report.byLanguage.find((l: { language: string }) => l.language === 'de');
    // de02 and de04 are the test speakers: 2 speakers x 16 clips.
    expect(german.metrics.n).toBe(32);
    expect(german.metrics.confusion).toHaveLength(4);
    expect(report.embeddings.map((e: { title: string }) => e.title)).toEqual(['before adaptation', 'after adaptation (adabn)']);
    const html = readFileSync(join(result.reportDir, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/(src|href)="https?:/);
    const markdown = readFileSync(join(result.reportDir, 'report.md'), 'utf8');
    expect(markdown).toContain(`| de | de | 32 | ${(100 * german.metrics.uar).toFixed(1)}`);
  });

  it('learns emotion in the source language and gains on the target from adaptation', () => {
    const english = result.report.byLanguage.find((l) => l.language === 'en')!;
    expect(english.metrics.uar).toBeGreaterThan(0.5);
    expect(result.adaptedUar).toBeGreaterThan(result.sourceOnlyUar);
    expect(result.adaptedUar).toBeGreaterThan(0.35);
  });

  it('saves both models with their cards', () => {
    const card = JSON.parse(readFileSync(join(out, 'models', 'adapted', 'card.json'), 'utf8'));
    expect(card.source.language).toBe('en');
    expect(card.adaptation).toMatchObject({ method: 'adabn', targetLanguage: 'de', adaptationSpeakers: ['de01', 'de03'] });
  });
});
