import { repoRoot, runCli } from './helpers/cli.js';

const evaluate = (args: string[]) => runCli(['evaluate', '--backend', 'wasm', ...args]);
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptModel, DEFAULT_ADAPT_OPTIONS } from '../src/adapt/adapt.js';
import { loadCorpus } from '../src/corpora/index.js';
import type { EvaluationReport } from '../src/eval/index.js';
import { resolveFeatureConfig } from '../src/features/config.js';
import { selectBackend } from '../src/model/backend.js';
import { saveModel } from '../src/model/io.js';
import { openFeatureStore, preprocessCorpus } from '../src/store/index.js';
import { DEFAULT_PRETRAIN_OPTIONS, pretrain } from '../src/train/pretrain.js';

const demo = join(repoRoot, 'data/demo');
const work = mkdtempSync(join(tmpdir(), 'ser-evaluate-'));
const dirs = {
  englishStore: join(work, 'features/en'),
  germanStore: join(work, 'features/de'),
  germanFbankStore: join(work, 'features/de-fbank'),
  sourceModel: join(work, 'models/source'),
  adaptedModel: join(work, 'models/adapted'),
};

/** Labelled clips of these speakers in a demo corpus, counted from its manifest. */
async function clipsOf(language: string, speakers: string[]): Promise<number> {
  const corpus = await loadCorpus(join(demo, language));
  return corpus.utterances.filter((utterance) => utterance.label !== null && speakers.includes(utterance.speaker)).length;
}

function readReport(dir: string): EvaluationReport {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as EvaluationReport;
}

describe('compiled `ser evaluate` (dist/src/cli/index.js, built by `npm test`)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    const config = resolveFeatureConfig();
    await preprocessCorpus(await loadCorpus(join(demo, 'en')), dirs.englishStore, { config, workers: 0 });
    await preprocessCorpus(await loadCorpus(join(demo, 'de')), dirs.germanStore, { config, workers: 0 });
    const fbank = resolveFeatureConfig({ kind: 'fbank', numMelBins: 40, deltas: false });
    await preprocessCorpus(await loadCorpus(join(demo, 'de')), dirs.germanFbankStore, { config: fbank, workers: 0 });
    const source = openFeatureStore(dirs.englishStore);
    const pretrained = await pretrain(source, {
      ...DEFAULT_PRETRAIN_OPTIONS,
      epochs: 1,
      validationSpeakers: ['en02'],
      model: { channels: [8, 8], embeddingDim: 16 },
    });
    await saveModel(dirs.sourceModel, pretrained.model, pretrained.card);
    const adapted = await adaptModel(pretrained.model, pretrained.card, [source], openFeatureStore(dirs.germanStore), { ...DEFAULT_ADAPT_OPTIONS, method: 'adabn', shots: 0 });
    await saveModel(dirs.adaptedModel, adapted.model, adapted.card);
  });

  it('scores a feature store and a corpus folder on their test speakers, with embeddings before and after adaptation', async () => {
    const reportDir = join(work, 'report');
    const result = await evaluate([
      '--model', dirs.adaptedModel, '--compare', dirs.sourceModel, '--data', dirs.englishStore, join(demo, 'de'), '--test-split', '--report', reportDir,
    ]);
    expect(result.stderr).not.toMatch(/^ser:/m);
    expect(result.code).toBe(0);
    // The corpus folder was turned into a feature store inside the report folder.
    expect(existsSync(join(reportDir, 'features/de/index.json'))).toBe(true);

    const report = readReport(reportDir);
    expect(report.model.path).toBe(dirs.adaptedModel);
    // Test speakers: the odd positions of the sorted speaker ids.
    const testClips = { en: await clipsOf('en', ['en02', 'en04']), de: await clipsOf('de', ['de02', 'de04']) };
    expect(report.groups.map((group) => [group.corpus, group.language, group.metrics.n])).toEqual([['en', 'en', testClips.en], ['de', 'de', testClips.de]]);
    expect(report.byLanguage.map((result) => [result.language, result.corpora])).toEqual([['en', ['en']], ['de', ['de']]]);
    for (const result of report.byLanguage) {
      expect(result.uarInterval.low).toBeLessThanOrEqual(result.metrics.uar);
      expect(result.uarInterval.high).toBeGreaterThanOrEqual(result.metrics.uar);
    }

    const plots = report.embeddings ?? [];
    expect(plots.map((plot) => plot.title)).toEqual(['before adaptation (trained on en)', 'after adaptation (adabn, en → de, 0 shots)']);
    for (const plot of plots) {
      expect(plot.points).toHaveLength(testClips.en + testClips.de);
      expect(new Set(plot.points.map((point) => point.language))).toEqual(new Set(['en', 'de']));
      expect(plot.points.every((point) => Number.isFinite(point.x) && Number.isFinite(point.y))).toBe(true);
    }
    // The two models embed differently, so their plots differ.
    expect(plots[0].points.map((point) => point.x)).not.toEqual(plots[1].points.map((point) => point.x));

    const html = readFileSync(join(reportDir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Embeddings</h2>');
    for (const plot of plots) expect(html).toContain(`${plot.title}: ${plot.points.length} utterance embeddings in 2-D`);
    expect(readFileSync(join(reportDir, 'report.md'), 'utf8')).toContain('## UAR per language');

    const formatted = (fraction: number) => (100 * fraction).toFixed(1);
    for (const language of report.byLanguage) {
      expect(result.stdout).toMatch(new RegExp(`^  ${language.language} +${language.language} +${language.metrics.n} +${formatted(language.metrics.uar)} \\[`, 'm'));
    }
    expect(result.stdout).toContain(`Report: ${join(reportDir, 'report.html')}`);

    // Calibration: fitted on the held-out source speaker by pretrain, kept by adapt, ECE before/after per corpus.
    const card = JSON.parse(readFileSync(join(dirs.adaptedModel, 'card.json'), 'utf8'));
    const sourceCard = JSON.parse(readFileSync(join(dirs.sourceModel, 'card.json'), 'utf8'));
    expect(card.calibration).toEqual(sourceCard.calibration);
    expect(card.calibration).toMatchObject({ fittedOn: 'held-out source speakers', clips: 16 });
    expect(report.calibration!.map((entry) => [entry.corpus, entry.temperature])).toEqual([['en', card.calibration.temperature], ['de', card.calibration.temperature]]);
    for (const entry of report.calibration!) {
      expect(entry.before.bins.reduce((sum, bin) => sum + bin.clips, 0)).toBe(testClips[entry.corpus as 'en' | 'de']);
      expect(result.stdout).toContain(`${entry.corpus}: ECE ${formatted(entry.before.ece)}% -> ${formatted(entry.after.ece)}%`);
      expect(html).toContain(`<title>Reliability, ${entry.corpus}</title>`);
    }
    expect(html).toContain('<h2>Calibration</h2>');
  });

  it('scores only the listed speakers of each corpus, and names speakers found nowhere', async () => {
    const reportDir = join(work, 'report-speakers');
    const result = await evaluate(['--model', dirs.sourceModel, '--data', dirs.englishStore, dirs.germanStore, '--speakers', 'en01,de03', '--report', reportDir]);
    expect(result.code).toBe(0);
    expect(readReport(reportDir).groups.map((group) => group.metrics.n)).toEqual([await clipsOf('en', ['en01']), await clipsOf('de', ['de03'])]);

    const unknown = await evaluate(['--model', dirs.sourceModel, '--data', dirs.englishStore, '--speakers', 'en01,nobody', '--report', reportDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`--speakers: no clips of nobody in ${dirs.englishStore}`);

    const both = await evaluate(['--model', dirs.sourceModel, '--data', dirs.englishStore, '--speakers', 'en01', '--test-split', '--report', reportDir]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/speakers and test-split are mutually exclusive/);
  });

  it('refuses a feature store of another configuration than the model\'s, naming it', async () => {
    const result = await evaluate(['--model', dirs.sourceModel, '--data', dirs.germanFbankStore, '--report', join(work, 'report-fbank')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${dirs.germanFbankStore}: features were extracted with`);
    expect(result.stderr).toContain('re-run `ser preprocess`');
    expect(existsSync(join(work, 'report-fbank/report.json'))).toBe(false);
  });

  it('refuses one corpus given twice, before extracting anything', async () => {
    const reportDir = join(work, 'report-twice');
    const result = await evaluate(['--model', dirs.sourceModel, '--data', dirs.germanStore, join(demo, 'de'), '--report', reportDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${dirs.germanStore} and ${join(demo, 'de')} both hold corpus "de"`);
    expect(existsSync(join(reportDir, 'features'))).toBe(false);
  });
});
